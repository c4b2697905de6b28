//! The HTML surface of logview: the ops page of a minion (and its form
//! posts), the page of a named target (`targets.rs`, the fleet view's
//! start), the index page, the live viewer pages (one stream: `viewer.rs`; a
//! fleet: `fleet_view.rs`), and the static assets. Every response carries
//! the security headers of [`security`]; every error is a page in words (or the
//! API's JSON shape when the ops page's script asks for JSON).

mod assets;
mod audit;
pub(crate) mod csrf;
mod fleet_view;
mod index;
mod ops;
mod ops_forms;
mod ops_limits;
mod post_only;
mod security;
mod targets;
mod viewer;

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};

use crate::http::error::ApiError;
use crate::http::AppState;
use crate::i18n::{catalogue, Lang, Text};
use crate::settings::Settings;
use security::PageKind;

pub use ops_limits::OperatorSlots;

/// The page routes, mounted at the root (a reverse proxy strips the
/// `public_url` sub-path; links are built from `public_url`).
/// Form posts take at most `http.max_body_bytes`, read only once the
/// operator is signed in.
pub fn router(settings: &Settings) -> Router<AppState> {
    let forms = Router::new()
        .route("/minions/{minion_id}/tail", post(ops_forms::start_tail))
        .route("/minions/{minion_id}/run", post(ops_forms::run_command))
        .route("/targets/{name}/tail", post(targets::start));
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
        .route("/targets/{name}", get(targets::page))
        .route("/view/{ticket}", get(viewer::page))
        .route("/fleet/{ticket}", get(fleet_view::page))
        .route("/audit", get(audit::page))
        .route("/audit.json", get(audit::json))
        .route("/static/{*path}", get(assets::serve))
}

/// The words of an error page.
pub(crate) struct ErrorText {
    /// Heading.
    pub title: Text,
    /// What went wrong, for people.
    pub message: Text,
    /// What to do next.
    pub hint: Text,
}

/// What every page gets besides its own values: its language (`<html lang>`,
/// the template function `t`) and the `js.*` words for its scripts.
pub(crate) fn with_lang(ctx: Value, lang: Lang) -> Value {
    context! {
        lang => lang.tag(),
        i18n_js => catalogue().for_scripts(lang),
        ..ctx
    }
}

/// Renders template `name` in `lang` as an HTML response with `status` and
/// the page's security headers. A template failure (a bug) is logged and
/// answered with a short plain-text page, never a trace.
pub(crate) fn render(
    app: &AppState,
    status: StatusCode,
    name: &str,
    ctx: Value,
    kind: PageKind,
    lang: Lang,
) -> Response {
    let ctx = with_lang(ctx, lang);
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
                    format!("{}\n", Text::new("page.error.render_failed").render(lang)),
                )
                    .into_response(),
                Some((&app.settings, PageKind::Plain)),
            )
        }
    }
}

/// The error page with `status`, in `lang`.
pub(crate) fn error_page(
    app: &AppState,
    status: StatusCode,
    text: ErrorText,
    lang: Lang,
) -> Response {
    render(
        app,
        status,
        "error.html",
        context! {
            title => text.title.render(lang),
            message => text.message.render(lang),
            hint => text.hint.render(lang),
        },
        PageKind::Plain,
        lang,
    )
}

/// The error page for a refused sign-in, keeping the `WWW-Authenticate`
/// challenge so the browser asks for credentials.
pub(crate) fn auth_error_page(app: &AppState, e: ApiError, lang: Lang) -> Response {
    let status = e.status();
    let message = e.text();
    let challenge = e.into_response().headers().get(WWW_AUTHENTICATE).cloned();
    let mut response = error_page(
        app,
        status,
        ErrorText {
            title: Text::new("page.error.sign_in_title"),
            message,
            hint: Text::new("page.error.sign_in_hint"),
        },
        lang,
    );
    if let Some(value) = challenge {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}
