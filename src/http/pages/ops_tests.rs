//! Tests of the ops page (`ops.rs`).

use super::*;
use crate::http::templates::environment;

fn settings() -> Settings {
    Settings::shipped()
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
        html.contains("Allowed: &#x2f;srv&#x2f;app&#x2f;app.log, &#x2f;srv&#x2f;app&#x2f;*.log"),
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
    // Switching the language keeps the view.
    assert!(
        html.contains(
            "href=\"http://127.0.0.1:8080/minions/web-01?viewer=abc.def&amp;lang=zh-CN\""
        ),
        "{html}"
    );
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
