//! The landing page, `GET /` and `GET /minions/`: a minion id box with
//! suggestions (`tail.minion_suggestions`, plus `local.host_id` in local
//! mode), the configured targets (links to `/targets/{name}`) and the
//! minions this browser viewed recently (`static/js/index.js`).
//! `GET /minions/?minion=<id>` (the box's form) redirects to that minion's
//! ops page. Behind the same operator sign-in as the ops page.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::ops::operator_and_minion;
use super::security::{self, PageKind};
use super::{auth_error_page, render};
use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::i18n::Lang;
use crate::settings::Settings;
use crate::target::MinionId;

/// `?minion=` from the minion box.
#[derive(Debug, Default, Deserialize)]
pub struct Open {
    #[serde(default)]
    minion: Option<String>,
}

/// The ids offered in the minion box: valid ids only, in settings order,
/// the local host id last when local mode is on.
pub(super) fn minion_suggestions(settings: &Settings) -> Vec<String> {
    let mut ids: Vec<String> = settings
        .tail
        .minion_suggestions
        .iter()
        .filter(|id| MinionId::parse(id).is_ok())
        .cloned()
        .collect();
    if settings.local.enabled && !ids.contains(&settings.local.host_id) {
        ids.push(settings.local.host_id.clone());
    }
    ids
}

/// `GET /` and `GET /minions/`.
pub async fn page(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    open: Result<Query<Open>, QueryRejection>,
) -> Response {
    let typed = open.ok().and_then(|Query(o)| o.minion);
    if let Some(raw) = typed.filter(|m| !m.trim().is_empty()) {
        return match operator_and_minion(&app, operator, raw.trim(), lang) {
            Ok((_, minion)) => {
                let to = format!("{}minions/{}", app.settings.public_base(), minion.as_str());
                security::with_headers(Redirect::to(&to).into_response(), None)
            }
            Err(page) => *page,
        };
    }
    let op = match operator {
        Ok(op) => op,
        Err(e) => return auth_error_page(&app, e, lang),
    };
    let targets: Vec<minijinja::Value> = app
        .settings
        .targets
        .iter()
        .map(|(name, t)| context! { name => name, description => t.description })
        .collect();
    let ctx = context! { user => op.name, suggestions => minion_suggestions(&app.settings), targets => targets };
    render(
        &app,
        axum::http::StatusCode::OK,
        "index.html",
        ctx,
        PageKind::Plain,
        lang,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::shipped()
    }

    #[test]
    fn suggestions_are_valid_ids_and_the_local_host_in_local_mode() {
        let mut s = settings();
        s.tail.minion_suggestions = vec!["web-01".into(), "web*".into(), "db-02".into()];
        assert_eq!(minion_suggestions(&s), ["web-01", "db-02"]);
        s.local.enabled = true;
        assert_eq!(minion_suggestions(&s), ["web-01", "db-02", "local"]);
    }

    #[test]
    fn the_index_page_renders_the_box_and_the_recent_list() {
        let mut s = settings();
        s.tail.minion_suggestions = vec!["web-01".into()];
        let html = crate::http::templates::environment(&s)
            .and_then(|env| {
                env.get_template("index.html")?
                    .render(context! { user => "ops", suggestions => minion_suggestions(&s) })
            })
            .expect("index.html renders");
        assert!(html.contains("action=\"http://127.0.0.1:8080/minions/\""));
        assert!(html.contains("<option value=\"web-01\">"));
        assert!(html.contains("id=\"recent-list\""));
    }

    #[test]
    fn the_index_page_renders_in_chinese() {
        let s = settings();
        let ctx = super::super::with_lang(
            context! { user => "ops", suggestions => minion_suggestions(&s) },
            Lang::ZhCn,
        );
        let html = crate::http::templates::environment(&s)
            .and_then(|env| env.get_template("index.html")?.render(ctx))
            .expect("index.html renders");
        assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
        assert!(
            html.contains("打开 minion") && html.contains("最近查看"),
            "{html}"
        );
        assert!(html.contains("&lt;minion ID&gt;"), "{html}");
        assert!(
            !html.contains("Recently viewed") && !html.contains("page.index"),
            "{html}"
        );
    }
}
