//! The HTML surface of logview: the ops page of a minion (and its form
//! posts), the index page, the live viewer page, and the static assets. Every response carries
//! the security headers of [`security`]; every error is a page in words (or the
//! API's JSON shape when the ops page's script asks for JSON).

mod assets;
mod audit;
pub(crate) mod csrf;
mod index;
mod ops;
mod ops_forms;
mod ops_limits;
mod post_only;
mod security;
mod viewer;

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};

use crate::http::error::ApiError;
use crate::http::AppState;
use crate::settings::Settings;
use security::PageKind;

pub use ops_limits::OperatorSlots;
pub use viewer::ViewerConfig;

/// The page routes, mounted at the root (a reverse proxy strips the
/// `public_url` sub-path; links are built from `public_url`).
/// Form posts take at most `http.max_body_bytes`, read only once the
/// operator is signed in.
pub fn router(settings: &Settings) -> Router<AppState> {
    let forms = Router::new()
        .route("/minions/{minion_id}/tail", post(ops_forms::start_tail))
        .route("/minions/{minion_id}/run", post(ops_forms::run_command));
    // A GET of a form's address (bookmark, reload) gets a page that explains.
    let explained = Router::new()
        .route("/minions/{minion_id}/tail", get(post_only::explain))
        .route("/minions/{minion_id}/run", get(post_only::explain));
    Router::new()
        .merge(crate::http::api::limit_bodies(forms, settings))
        .merge(explained)
        .route("/", get(index::page))
        .route("/minions/", get(index::page))
        .route("/minions", get(index::page))
        .route("/minions/{minion_id}", get(ops::page))
        .route("/view/{ticket}", get(viewer::page))
        .route("/audit", get(audit::page))
        .route("/audit.json", get(audit::json))
        .route("/static/{*path}", get(assets::serve))
}

/// The words of an error page.
pub(crate) struct ErrorText {
    /// Heading.
    pub title: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// What to do next (may be empty).
    pub hint: &'static str,
}

/// Renders template `name` as an HTML response with `status` and the page's
/// security headers. A template failure (a bug) is logged and answered with a
/// short plain-text page, never a trace.
pub(crate) fn render(
    app: &AppState,
    status: StatusCode,
    name: &str,
    ctx: Value,
    kind: PageKind,
) -> Response {
    match app.templates.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => security::with_headers(
            (status, Html(html)).into_response(),
            Some((&app.settings, kind)),
        ),
        Err(e) => {
            tracing::error!(template = name, error = %e, cause = ?e, "page template failed to render");
            let status = ApiError::Internal(Box::new(e)).status();
            security::with_headers(
                (
                    status,
                    "logview could not build this page; the error is in its log\n",
                )
                    .into_response(),
                Some((&app.settings, PageKind::Plain)),
            )
        }
    }
}

/// The error page with `status`.
pub(crate) fn error_page(app: &AppState, status: StatusCode, text: ErrorText) -> Response {
    render(
        app,
        status,
        "error.html",
        context! { title => text.title, message => text.message, hint => text.hint },
        PageKind::Plain,
    )
}

/// The error page for a refused sign-in, keeping the `WWW-Authenticate`
/// challenge so the browser asks for credentials.
pub(crate) fn auth_error_page(app: &AppState, e: ApiError) -> Response {
    let status = e.status();
    let message = e.to_string();
    let challenge = e.into_response().headers().get(WWW_AUTHENTICATE).cloned();
    let mut response = error_page(
        app,
        status,
        ErrorText {
            title: "Sign in to use the ops page",
            message,
            hint: "The ops page needs an operator account (settings: [[auth.users]]).",
        },
    );
    if let Some(value) = challenge {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}
