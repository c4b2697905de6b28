//! 中文 and English against the real stack: an API error told in zh-CN when
//! `Accept-Language` asks for it (same status and `field`, nothing started),
//! `?lang=` beating the header, and a page (the viewer-link error page) in
//! zh-CN with `<html lang>` set, switched to English by `?lang=en`, which the
//! `logview_lang` cookie then remembers.

use std::path::Path;

use serde_json::{json, Value};

use crate::api_support::*;

/// POST /api/tail for `minion` and `path` with `Accept-Language` and `?lang=`.
async fn tail_in(
    app: &TestApp,
    accept: &str,
    query: &str,
    minion: &str,
    path: &str,
) -> (u16, Value) {
    let resp = app
        .http
        .post(format!("{}api/tail{query}", app.base))
        .bearer_auth(app.token())
        .header("accept-language", accept)
        .json(&json!({"minion_id": minion, "log_path": path, "line_count": 5}))
        .send()
        .await
        .expect("logview answers");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("a JSON answer");
    (status, body)
}

#[tokio::test]
async fn an_api_error_is_told_in_chinese_and_keeps_its_field() {
    let app = spawn_app(&[]).await;
    let file = log_file("i18n-ghost", 1);
    let path = file.to_string_lossy().into_owned();

    let (status, body) = tail_in(
        &app,
        "zh-CN,zh;q=0.9,en;q=0.5",
        "",
        "ghost-minion-zh",
        &path,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["field"], "minion_id");
    assert_eq!(
        body["message"],
        "Salt master 不认识 minion ghost-minion-zh；请检查 minion ID"
    );

    // A bad input: the same field and status as in English.
    let (status, body) = tail_in(&app, "zh", "", "web 01", &path).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("minion_id")),
        "{body}"
    );
    let message = body["message"].as_str().unwrap_or("");
    assert!(message.contains("含有空格"), "{message}");

    // `?lang=en` beats the header; no header at all is English.
    let (status, body) = tail_in(&app, "zh-CN", "?lang=en", "ghost-minion-zh", &path).await;
    assert_eq!(status, 404);
    assert_eq!(
        body["message"],
        "minion ghost-minion-zh is not known to the Salt master; check the minion id"
    );
    let a = app.tail("ghost-minion-zh", &path, json!(5)).await;
    assert!(
        a.message()
            .starts_with("minion ghost-minion-zh is not known"),
        "{a:?}"
    );
    assert!(!key_exists(&app.stream_of("ghost-minion-zh", &path)).await);
    assert!(tailers_following(Path::new(&path)).is_empty());
}

#[tokio::test]
async fn a_page_is_served_in_chinese_and_the_switch_remembers_english() {
    let app = spawn_app(&[]).await;
    let get = |query: &'static str, cookie: Option<&'static str>| {
        let mut req = app
            .http
            .get(format!("{}view/not-a-ticket{query}", app.base))
            .header("accept-language", "zh-CN,zh;q=0.9");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };

    let resp = get("", None).await.expect("logview answers");
    assert_eq!(resp.status().as_u16(), 401);
    let html = resp.text().await.expect("body");
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
    assert!(html.contains("<h1>此查看链接无法使用</h1>"), "{html}");
    assert!(html.contains("查看链接格式有误"), "{html}");
    assert!(
        html.contains("\"js.event.rotated\":\"日志文件已轮转\""),
        "{html}"
    );
    assert!(!html.contains("This viewer link cannot be used"), "{html}");

    let resp = get("?lang=en", None).await.expect("logview answers");
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(cookie.starts_with("logview_lang=en;"), "{cookie}");
    let html = resp.text().await.expect("body");
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(
        html.contains("<h1>This viewer link cannot be used</h1>"),
        "{html}"
    );

    // The cookie beats Accept-Language on the next page.
    let html = get("", Some("logview_lang=en"))
        .await
        .expect("logview answers")
        .text()
        .await
        .expect("body");
    assert!(
        html.contains("<h1>This viewer link cannot be used</h1>"),
        "{html}"
    );
}
