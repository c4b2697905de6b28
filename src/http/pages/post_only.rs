//! `GET` on the form-post addresses (`/minions/{minion_id}/tail`, `…/run`):
//! a bookmark or a typed URL of a post. It starts nothing; it answers a page
//! that says so and links the minion's ops page (status from `http/error.rs`).

use axum::extract::{Path, State};
use axum::http::header::ALLOW;
use axum::http::HeaderValue;
use axum::response::Response;
use minijinja::context;

use super::ops::operator_and_minion;
use super::render;
use super::security::PageKind;
use crate::http::auth::Operator;
use crate::http::error::{self, ApiError};
use crate::http::templates::url_value;
use crate::http::AppState;
use crate::i18n::{Lang, Text};

/// `GET /minions/{minion_id}/tail` and `GET /minions/{minion_id}/run`.
pub async fn explain(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Path(minion): Path<String>,
) -> Response {
    let (_, minion) = match operator_and_minion(&app, operator, &minion, lang) {
        Ok(pair) => pair,
        Err(page) => return *page,
    };
    let back = format!("{}minions/{}", app.settings.public_base(), minion.as_str());
    let ctx = context! {
        title => Text::new("page.post_only.title").render(lang),
        message => Text::new("page.post_only.message")
            .arg("minion", minion.as_str())
            .render(lang),
        hint => "",
        back => url_value(back),
        back_text => Text::new("page.post_only.back")
            .arg("minion", minion.as_str())
            .render(lang),
    };
    let mut response = render(
        &app,
        error::post_only(),
        "error.html",
        ctx,
        PageKind::Plain,
        lang,
    );
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static("POST"));
    response
}
