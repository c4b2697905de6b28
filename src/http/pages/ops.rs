//! The ops page of one minion, `GET /minions/{minion_id}`, and what its two
//! form posts (`ops_forms.rs`) answer with. A browser without JavaScript gets
//! the page again with the viewer or the error in words, `static/js/ops.js`
//! gets the API's JSON shape.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::security::PageKind;
use super::{auth_error_page, csrf, error_page, render, ErrorText};
use crate::audit::Principal;
use crate::http::auth::Operator;
use crate::http::error::ApiError;
use crate::http::error_text;
use crate::http::templates::url_value;
use crate::http::AppState;
use crate::i18n::{Lang, Text};
use crate::session::{MinionStatus, Reachability, SessionError};
use crate::settings::Settings;
use crate::target::MinionId;
use crate::tickets::TicketKind;

/// `?log_path=` pre-fills the form (a link from elsewhere); it starts nothing.
/// `?viewer=<ticket>` is where a form post without JavaScript redirects
/// (post/redirect/get): the page shows that ticket's viewer, if the ticket is
/// valid and names this minion.
#[derive(Debug, Default, Deserialize)]
pub struct Prefill {
    #[serde(default)]
    log_path: Option<String>,
    #[serde(default)]
    viewer: Option<String>,
}

/// The "tail a log file" form.
#[derive(Debug, Default, Deserialize)]
pub struct TailForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) log_path: String,
    #[serde(default)]
    pub(super) line_count: String,
}

/// A "Run" button's form.
#[derive(Debug, Default, Deserialize)]
pub struct RunForm {
    #[serde(default)]
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) command: String,
}

/// What the tail form shows.
#[derive(Debug, Serialize)]
pub(super) struct FormValues {
    pub(super) log_path: String,
    pub(super) line_count: String,
}

/// An error shown inline next to the form that caused it.
#[derive(Debug, Serialize)]
pub(super) struct FormError {
    /// `tail` or `run`.
    pub(super) form: &'static str,
    pub(super) message: String,
    pub(super) field: Option<&'static str>,
}

/// How the page was reached and what to show besides the forms.
pub(super) struct Outcome {
    pub(super) status: StatusCode,
    pub(super) form: FormValues,
    pub(super) error: Option<FormError>,
    pub(super) viewer_url: Option<String>,
}

/// The minion status badge: state key (CSS), short text, full sentence.
fn badge(status: &MinionStatus) -> (&'static str, Text) {
    match status.reachability {
        Reachability::Answers => ("answers", Text::new("page.ops.status.answers")),
        Reachability::NoAnswer => ("silent", Text::new("page.ops.status.no_answer")),
        Reachability::Unknown => ("silent", Text::new("page.ops.status.unknown")),
        Reachability::SaltUnavailable => ("unknown", Text::new("page.ops.status.salt_unavailable")),
        Reachability::NotChecked => ("unknown", Text::new("page.ops.status.not_checked")),
    }
}

/// The status badge's sentence, in the reader's language: the Salt failure
/// behind it, or that the minion (or logview's own host) answers.
fn status_detail(settings: &Settings, s: &MinionStatus) -> Text {
    match &s.cause {
        Some(e) => error_text::session(&SessionError::from_salt(e.clone(), &s.minion)),
        None if settings.local.enabled && settings.local.host_id == s.minion => {
            Text::new("page.ops.status.detail_local")
        }
        None => Text::new("page.ops.status.detail_answers").arg("minion", &s.minion),
    }
}

pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Renders the ops page of `minion` for `user`.
pub(super) async fn ops_page(
    app: &AppState,
    headers: &HeaderMap,
    minion: &MinionId,
    user: &str,
    outcome: Outcome,
    lang: Lang,
) -> Response {
    let who = Principal::operator(user);
    let status = match app.orchestrator.minion_status(minion.as_str(), &who).await {
        Ok(s) => {
            let (key, text) = badge(&s);
            context! { key => key, text => text.render(lang), detail => status_detail(&app.settings, &s).render(lang) }
        }
        Err(e) => context! {
            key => "unknown",
            text => Text::new("page.ops.status.not_checked").render(lang),
            detail => error_text::session(&e).render(lang),
        },
    };
    let issued = csrf::issue(&app.settings, headers, user);
    let status_code = outcome.status;
    let ctx = page_context(&app.settings, minion, user, status, &issued.token, outcome);
    let mut response = render(
        app,
        status_code,
        "minion.html",
        ctx,
        PageKind::EmbedsViewer,
        lang,
    );
    if let Some(cookie) = issued
        .set_cookie
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

/// Everything `minion.html` shows.
fn page_context(
    settings: &Settings,
    minion: &MinionId,
    user: &str,
    status: Value,
    csrf_token: &str,
    outcome: Outcome,
) -> Value {
    // Local mode (`local.host_id`): logview's own host, its own allow-list;
    // commands are not run there.
    let local = settings.local.enabled && minion.as_str() == settings.local.host_id;
    let commands: Vec<Value> = settings
        .commands
        .iter()
        .filter(|_| !local)
        .map(|(name, c)| context! { name => name, description => c.description, argv => c.argv.join(" ") })
        .collect();
    let (allowed_paths, suggestions) = if local {
        // Every allow-list entry that names one file (no glob) is a suggestion.
        let files = settings
            .local
            .allowed_paths
            .iter()
            .filter(|p| !p.contains('*'));
        (&settings.local.allowed_paths, files.cloned().collect())
    } else {
        (
            &settings.tail.allowed_paths,
            settings.tail.suggestions.clone(),
        )
    };
    context! {
        lang_path => url_value(format!("{}minions/{}", settings.public_base(), minion.as_str())),
        minion => minion.as_str(),
        user => user,
        status => status,
        csrf => csrf_token,
        form => outcome.form,
        error => outcome.error,
        viewer_url => outcome.viewer_url.map(url_value),
        suggestions => suggestions,
        allowed_paths => allowed_paths,
        local => local,
        max_lines => settings.tail.max_lines,
        commands => commands,
    }
}

/// The page for a minion id that is not one.
fn bad_minion(app: &AppState, e: crate::target::InputError, lang: Lang) -> Response {
    let status = ApiError::from(e.clone()).status();
    error_page(
        app,
        status,
        ErrorText {
            title: Text::new("page.error.minion_title"),
            message: e.text,
            hint: Text::new("page.error.minion_hint"),
        },
        lang,
    )
}

/// The operator and the minion of a page or form post, or the error page to answer with.
pub(super) fn operator_and_minion(
    app: &AppState,
    operator: Result<Operator, ApiError>,
    minion: &str,
    lang: Lang,
) -> Result<(Operator, MinionId), Box<Response>> {
    let op = operator.map_err(|e| Box::new(auth_error_page(app, e, lang)))?;
    let minion = MinionId::parse(minion).map_err(|e| Box::new(bad_minion(app, e, lang)))?;
    Ok((op, minion))
}

/// `GET /minions/{minion_id}`.
pub async fn page(
    State(app): State<AppState>,
    operator: Result<Operator, ApiError>,
    lang: Lang,
    Path(minion): Path<String>,
    prefill: Result<Query<Prefill>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let (op, minion) = match operator_and_minion(&app, operator, &minion, lang) {
        Ok(pair) => pair,
        Err(page) => return *page,
    };
    let prefill = prefill.map(|Query(p)| p).unwrap_or_default();
    let shown = prefill
        .viewer
        .and_then(|token| app.signer.verify(&token).ok().map(|t| (token, t)))
        .filter(|(_, t)| t.minion == minion.as_str());
    let mut log_path = prefill.log_path.unwrap_or_default();
    let viewer_url = shown.map(|(token, ticket)| {
        if ticket.kind == TicketKind::File {
            log_path = ticket.target;
        }
        format!("{}view/{token}", app.settings.public_base())
    });
    let outcome = Outcome {
        status: StatusCode::OK,
        form: FormValues {
            log_path,
            line_count: app.settings.tail.default_lines.to_string(),
        },
        error: None,
        viewer_url,
    };
    ops_page(&app, &headers, &minion, &op.name, outcome, lang).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::templates::environment;
    use std::path::PathBuf;

    fn settings() -> Settings {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
        Settings::load(&[path]).expect("shipped settings load")
    }

    fn render_page(outcome: Outcome) -> String {
        let s = settings();
        let minion = MinionId::parse("web-01").expect("valid id");
        let status =
            context! { key => "answers", text => "answers", detail => "minion web-01 answers" };
        let ctx = page_context(&s, &minion, "ops", status, "TOKEN123", outcome);
        environment(&s)
            .and_then(|env| env.get_template("minion.html")?.render(ctx))
            .expect("minion.html renders")
    }

    fn fresh() -> Outcome {
        Outcome {
            status: StatusCode::OK,
            form: FormValues {
                log_path: String::new(),
                line_count: "200".into(),
            },
            error: None,
            viewer_url: None,
        }
    }

    #[test]
    fn the_page_has_both_forms_with_their_token_and_the_suggestions() {
        let html = render_page(fresh());
        assert!(html.contains("action=\"http://127.0.0.1:8080/minions/web-01/tail\""));
        assert!(html.contains("action=\"http://127.0.0.1:8080/minions/web-01/run\""));
        assert_eq!(
            html.matches("name=\"csrf\" value=\"TOKEN123\"").count(),
            1 + settings().commands.len()
        );
        assert!(html.contains("<option value=\"&#x2f;var&#x2f;log&#x2f;syslog\">"));
        assert!(html.contains("name=\"command\" value=\"disk\""));
        assert!(html.contains("id=\"viewer-frame\" title=\"live view\" hidden"));
        // The language switch reloads the page itself, not the form's POST URL.
        assert!(html.contains("href=\"http://127.0.0.1:8080/minions/web-01?lang=zh-CN\""));
    }

    #[test]
    fn an_error_is_shown_next_to_its_form_and_escaped() {
        let mut outcome = fresh();
        outcome.form.log_path = "/var/log/<b>".into();
        outcome.error = Some(FormError {
            form: "tail",
            message: "file /var/log/<b> does not exist on web-01".into(),
            field: Some("log_path"),
        });
        let html = render_page(outcome);
        assert!(html.contains("does not exist on web-01"));
        assert!(!html.contains("<b>"));
        assert!(html.contains("aria-invalid=\"true\""));
    }

    #[test]
    fn the_local_host_shows_the_local_allow_list_and_no_commands() {
        let mut s = settings();
        s.local.enabled = true;
        s.local.allowed_paths = vec!["/srv/app/app.log".into(), "/srv/app/*.log".into()];
        let minion = MinionId::parse("local").expect("valid id");
        let status = context! { key => "answers", text => "answers", detail => "" };
        let ctx = page_context(&s, &minion, "ops", status, "T", fresh());
        let html = environment(&s)
            .and_then(|env| env.get_template("minion.html")?.render(ctx))
            .expect("minion.html renders");
        assert!(
            html.contains(
                "Allowed: &#x2f;srv&#x2f;app&#x2f;app.log, &#x2f;srv&#x2f;app&#x2f;*.log"
            ),
            "{html}"
        );
        assert!(html.contains("<option value=\"&#x2f;srv&#x2f;app&#x2f;app.log\">"));
        assert!(!html.contains("&#x2f;var&#x2f;log&#x2f;syslog"));
        assert!(!html.contains("name=\"command\""));
    }

    #[test]
    fn a_started_view_is_framed_on_the_page() {
        let mut outcome = fresh();
        outcome.viewer_url = Some("http://127.0.0.1:8080/view/abc.def".into());
        let html = render_page(outcome);
        assert!(html.contains("<iframe id=\"viewer-frame\" title=\"live view\" src=\"http://127.0.0.1:8080/view/abc.def\">"));
    }

    #[test]
    fn the_status_sentence_is_in_the_readers_language() {
        let s = settings();
        let silent = MinionStatus {
            minion: "web-03".into(),
            reachability: Reachability::NoAnswer,
            message: "minion \"web-03\" did not answer within 20 s".into(),
            cause: Some(crate::salt_api::SaltError::MinionUnreachable {
                minion: "web-03".into(),
                waited_secs: 20,
            }),
            checked_secs_ago: 0,
        };
        let en = status_detail(&s, &silent).render(Lang::En);
        let zh = status_detail(&s, &silent).render(Lang::ZhCn);
        assert!(en.contains("web-03"), "{en}");
        assert!(zh.contains("web-03") && zh != en, "{zh}");
        assert!(!zh.contains("did not answer"), "{zh}");
        let answers = MinionStatus {
            reachability: Reachability::Answers,
            cause: None,
            ..silent
        };
        let zh = status_detail(&s, &answers).render(Lang::ZhCn);
        assert_eq!(zh, "minion web-03 有应答");
    }
}
