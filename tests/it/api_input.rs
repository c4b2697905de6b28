//! Every bad input of `POST /api/tail` and `/api/run` against the real stack:
//! the right status, a message that says what is wrong and what is allowed,
//! the field, and NOTHING started (no stream key, no tailer).

use std::path::Path;

use serde_json::{json, Value};

use crate::api_support::*;
use crate::support::stack::stack;

/// Asserts the answer is a failure with `status`, `field` and a message
/// containing `needle`, and that nothing follows `path` or wrote its stream.
async fn refused(
    app: &TestApp,
    a: &Answer,
    status: u16,
    field: Option<&str>,
    needle: &str,
    minion: &str,
    path: &str,
) {
    assert_eq!(a.status, status, "{a:?}");
    assert_eq!(a.body["success"], Value::Bool(false), "{a:?}");
    assert!(
        a.message().contains(needle),
        "message {:?} lacks {needle:?}",
        a.message()
    );
    assert_eq!(a.body["field"].as_str(), field, "{a:?}");
    assert!(!a.message().contains('<'), "no HTML: {a:?}");
    assert!(
        !key_exists(&app.stream_of(minion, path)).await,
        "no stream was created for {minion}:{path}"
    );
    assert!(
        tailers_following(Path::new(path)).is_empty(),
        "no tailer follows {path}"
    );
}

#[tokio::test]
async fn an_unknown_minion_is_404_and_named() {
    let app = spawn_app(&[]).await;
    let file = log_file("ghost", 1);
    let path = file.to_string_lossy().into_owned();
    let a = app.tail("ghost-minion-01", &path, json!(5)).await;
    refused(
        &app,
        &a,
        404,
        Some("minion_id"),
        "minion ghost-minion-01 is not known to the Salt master",
        "ghost-minion-01",
        &path,
    )
    .await;
}

#[tokio::test]
async fn a_missing_file_and_a_directory_are_404() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let missing = format!("{}/api-missing-{}.log", test_log_dir().display(), unique());
    let a = app.tail(minion, &missing, json!(5)).await;
    refused(
        &app,
        &a,
        404,
        Some("log_path"),
        &format!("{missing} is not a regular file on minion {minion}: it does not exist"),
        minion,
        &missing,
    )
    .await;

    let dir = format!("{}/api-dir-{}", test_log_dir().display(), unique());
    std::fs::create_dir_all(&dir).expect("mkdir");
    let a = app.tail(minion, &dir, json!(5)).await;
    refused(
        &app,
        &a,
        404,
        Some("log_path"),
        "not a regular file",
        minion,
        &dir,
    )
    .await;
}

#[tokio::test]
async fn paths_outside_the_allow_list_with_dot_dot_or_relative_are_400() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let dotdot = format!("{}/../../etc/passwd", test_log_dir().display());
    for (path, needle) in [
        ("/etc/passwd", "outside the allowed paths"),
        (dotdot.as_str(), "'..'"),
        ("var/log/syslog", "relative"),
        ("/var/log/a\nb", "control"),
    ] {
        let a = app.tail(minion, path, json!(5)).await;
        refused(&app, &a, 400, Some("log_path"), needle, minion, path).await;
    }
}

#[tokio::test]
async fn minion_ids_that_could_match_several_minions_are_400() {
    let app = spawn_app(&[]).await;
    let file = log_file("badid", 1);
    let path = file.to_string_lossy().into_owned();
    for (id, needle) in [
        ("*", "glob"),
        ("web-*", "glob"),
        ("a,b", "comma"),
        ("web 01", "space"),
    ] {
        let a = app.tail(id, &path, json!(5)).await;
        refused(&app, &a, 400, Some("minion_id"), needle, id, &path).await;
        assert!(
            a.message().contains("A-Z a-z 0-9 . _ -"),
            "says what is allowed: {a:?}"
        );
    }
}

#[tokio::test]
async fn line_counts_outside_the_range_are_400_with_the_range() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("badcount", 1);
    let path = file.to_string_lossy().into_owned();
    let max = app.settings.tail.max_lines;
    let above = (max + 1).to_string();
    for count in [json!(-1), json!("abc"), json!(above), json!("-1")] {
        let a = app.tail(minion, &path, count.clone()).await;
        refused(
            &app,
            &a,
            400,
            Some("line_count"),
            &format!("from 0 to {max}"),
            minion,
            &path,
        )
        .await;
    }
}

#[tokio::test]
async fn a_missing_or_wrong_bearer_token_is_401_with_a_challenge() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("auth", 1);
    let path = file.to_string_lossy().into_owned();
    let form = [("minion_id", minion), ("log_path", path.as_str())];
    let a = app.post_form("api/tail", &form, None).await;
    refused(&app, &a, 401, None, "missing Authorization", minion, &path).await;
    assert_eq!(
        a.www_authenticate.as_deref(),
        Some("Bearer realm=\"logview\"")
    );
    let a = app
        .post_form("api/tail", &form, Some("not-the-token-0123456789"))
        .await;
    refused(&app, &a, 401, None, "not valid", minion, &path).await;
    let a = app
        .post_form(
            "api/run",
            &[("minion_id", minion), ("command", "disk")],
            None,
        )
        .await;
    assert_eq!(a.status, 401, "{a:?}");
}

#[tokio::test]
async fn an_unknown_command_is_400_and_lists_the_allowed_ones() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let a = app
        .post_json("api/run", json!({"minion_id": minion, "command": "rm"}))
        .await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(a.body["field"], "command");
    assert!(
        a.message()
            .contains("unknown command \"rm\"; allowed: disk"),
        "{a:?}"
    );
}

#[tokio::test]
async fn a_body_that_is_neither_json_nor_a_form_is_400() {
    let app = spawn_app(&[]).await;
    let a = app
        .post_json("api/tail", json!(["not", "an", "object"]))
        .await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.message().contains("must be an object"), "{a:?}");
}
