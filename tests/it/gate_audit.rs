//! The audit trail against the real stack: a tail, a run and a refused call
//! each leave exactly one record naming who asked (API token, the portal's
//! `on_behalf_of`, the gate client), in the Redis stream and the JSON-lines
//! files, and none carries a secret. And logview's settings on the stack hold
//! no Salt password: only saltgate's do.

use std::path::Path;

use redis::AsyncCommands;
use salt_logview::audit::AuditRecord;
use salt_logview::settings::Settings;
use serde_json::{json, Value};

use crate::api_support::*;
use crate::support::stack::stack;

/// Every record of the audit stream (read as the admin user).
async fn stream_records() -> Vec<AuditRecord> {
    let key = stack_settings().audit.stream.clone();
    let mut c = redis_admin().await;
    let reply: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
        .arg(&key)
        .arg("-")
        .arg("+")
        .query_async(&mut c)
        .await
        .expect("XRANGE of the audit stream");
    reply
        .into_iter()
        .map(|(_, fields)| {
            let (_, json) = fields
                .into_iter()
                .find(|(k, _)| k == "record")
                .expect("every audit entry has a record field");
            serde_json::from_str(&json).expect("every record is an AuditRecord")
        })
        .collect()
}

fn file_records(path: &Path) -> Vec<AuditRecord> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is an AuditRecord"))
        .collect()
}

fn stack_settings() -> Settings {
    let files = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml"),
        stack().path("LOGVIEW_SETTINGS"),
    ];
    Settings::load_with_env(&files, []).expect("the stack's logview settings load")
}

fn of(records: &[AuditRecord], who: &str, source: &str, action: &str) -> usize {
    records
        .iter()
        .filter(|r| {
            r.principal.on_behalf_of.as_deref() == Some(who)
                && r.source == source
                && r.action == action
        })
        .count()
}

#[tokio::test]
async fn a_tail_and_a_run_leave_one_record_each_naming_who_asked() {
    let app = spawn_app(&[]).await;
    let who = format!("alice-{}", unique());
    let file = log_file("audit", 2);
    let path = file.to_string_lossy().into_owned();
    let minion = stack().get("MINION_ID");
    let body = json!({"minion_id": minion, "log_path": path, "line_count": 2, "on_behalf_of": who});
    app.post_json("api/tail", body).await.url();
    let cmd = json!({"minion_id": minion, "command": "uptime", "on_behalf_of": who});
    app.post_json("api/run", cmd).await.url();

    let records = stream_records().await;
    assert_eq!(of(&records, &who, "logview", "tail"), 1, "{records:#?}");
    assert_eq!(of(&records, &who, "logview", "run"), 1);
    for action in ["file_exists", "stop", "follow", "exec"] {
        assert_eq!(
            of(&records, &who, "saltgate", action),
            1,
            "the gate recorded {action} once"
        );
    }
    let tail = records
        .iter()
        .find(|r| r.principal.on_behalf_of.as_deref() == Some(&who) && r.action == "tail")
        .expect("the tail record");
    assert_eq!(tail.principal.kind, "api_token");
    assert!(tail.principal.name.starts_with("token-"), "{tail:?}");
    assert_eq!(tail.minion.as_deref(), Some(minion));
    assert_eq!(tail.path.as_deref(), Some(path.as_str()));
    assert_eq!(tail.outcome, "ok");
    let gate_follow = records
        .iter()
        .find(|r| r.principal.on_behalf_of.as_deref() == Some(&who) && r.action == "follow")
        .expect("the gate's follow record");
    assert_eq!(gate_follow.client.as_deref(), Some("logview"));
    // The same records in the files of both processes.
    let gate_file = file_records(&stack().path("SALTGATE_AUDIT"));
    assert_eq!(of(&gate_file, &who, "saltgate", "follow"), 1);
    let logview_file = file_records(&stack().path("LOGVIEW_AUDIT"));
    assert_eq!(of(&logview_file, &who, "logview", "tail"), 1);
}

#[tokio::test]
async fn a_refused_call_leaves_one_record_and_an_invalid_on_behalf_of_is_a_400() {
    let who = format!("mallory-{}", unique());
    let s = stack();
    let c = json!({"client": "local", "tgt": [s.get("MINION_ID")], "tgt_type": "list",
        "fun": ["file.file_exists", "cmd.run"], "arg": [["/var/log/x"], ["id"]],
        "full_return": true, "timeout": 3, "gather_job_timeout": 3});
    let body = json!({"principal": {"kind": "api_token", "name": "x", "on_behalf_of": who}, "lowstate": [c]});
    let r = reqwest::Client::new()
        .post(format!("{}v1/call", s.get("SALTGATE_URL")))
        .bearer_auth(s.get("GATE_TOKEN"))
        .json(&body)
        .send()
        .await
        .expect("POST the gate");
    assert_eq!(r.status().as_u16(), 403);
    let records = stream_records().await;
    assert_eq!(of(&records, &who, "saltgate", "refused"), 1, "{records:#?}");
    let rec = records
        .iter()
        .find(|r| r.principal.on_behalf_of.as_deref() == Some(&who))
        .expect("the refusal");
    assert!(rec.outcome.contains("fun"), "{rec:?}");
    assert_eq!(rec.client.as_deref(), Some("logview"));

    let app = spawn_app(&[]).await;
    let bad = json!({"minion_id": s.get("MINION_ID"), "log_path": "/var/log/x.log",
        "on_behalf_of": "alice\n2026-01-01 ERROR forged"});
    let a = app.post_json("api/tail", bad).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert_eq!(a.body["field"], Value::from("on_behalf_of"));
}

#[tokio::test]
async fn logviews_settings_hold_no_salt_password_and_no_record_holds_a_secret() {
    let overlay = std::fs::read_to_string(stack().path("LOGVIEW_SETTINGS")).expect("overlay");
    let table: toml::Table = toml::from_str(&overlay).expect("toml");
    assert!(table["salt"].get("password").is_none(), "{overlay}");
    let s = stack();
    assert!(!overlay.contains(s.get("SALT_LOGVIEW_PASSWORD")));
    let settings = stack_settings();
    assert!(settings.uses_gate(), "logview talks to saltgate");
    assert!(
        settings.salt.password.is_none(),
        "no Salt password in logview's settings"
    );
    // saltgate's settings do hold it (it is the one that logs in): written by
    // the saltgate Salt state, mode 0600, the binary byte for byte the staged one.
    let gate = std::fs::read_to_string(s.path("SALTGATE_SETTINGS")).expect("gate overlay");
    assert!(gate.contains(s.get("SALT_LOGVIEW_PASSWORD")));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(s.path("SALTGATE_SETTINGS"))
        .expect("overlay")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the gate's overlay is private");
    let staged = s.path("STACK_DIR").join("srv/salt/saltgate/dist/saltgate");
    let installed = s.path("STACK_DIR").join("minion/usr/local/bin/saltgate");
    assert_eq!(
        std::fs::read(&staged).expect("staged binary"),
        std::fs::read(&installed).expect("installed binary"),
        "the state installed the binary the master serves"
    );

    let mut c = redis_admin().await;
    let key = settings.audit.stream.clone();
    let _: usize = c.xlen(&key).await.expect("XLEN");
    let everything = [
        std::fs::read_to_string(s.path("SALTGATE_AUDIT")).unwrap_or_default(),
        std::fs::read_to_string(s.path("LOGVIEW_AUDIT")).unwrap_or_default(),
        serde_json::to_string(&stream_records().await).expect("json"),
    ]
    .concat();
    for secret in [
        "SALT_LOGVIEW_PASSWORD",
        "SALT_DEPLOY_PASSWORD",
        "API_TOKEN",
        "GATE_TOKEN",
        "OPS_PASSWORD",
    ] {
        assert!(
            !everything.contains(s.get(secret)),
            "{secret} found in the audit trail"
        );
    }
}

#[tokio::test]
async fn operators_read_the_trail_on_audit_as_text_never_html() {
    let app = spawn_app(&[]).await;
    let who = format!("<script>alert(1)</script>-{}", unique());
    let s = stack();
    let body = json!({"minion_id": s.get("MINION_ID"), "command": "uptime", "on_behalf_of": who});
    app.post_json("api/run", body).await.url();
    let http = reqwest::Client::new();
    let page = |path: &str| {
        http.get(format!("{}{path}", app.base))
            .basic_auth(s.get("OPS_USER"), Some(s.get("OPS_PASSWORD")))
    };
    let html = page("audit").send().await.expect("GET /audit");
    assert_eq!(html.status().as_u16(), 200);
    let text = html.text().await.expect("body");
    let suffix = who.rsplit('-').next().unwrap_or_default();
    let shown = text
        .lines()
        .any(|l| l.contains("&lt;script&gt;alert(1)") && l.contains(suffix));
    assert!(shown, "the principal is shown, escaped");
    assert!(!text.contains(&who), "never as HTML");
    let records: Value = page("audit.json?limit=50")
        .send()
        .await
        .expect("GET /audit.json")
        .json()
        .await
        .expect("json");
    let mine = records["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["principal"]["on_behalf_of"] == who.as_str())
        .count();
    assert!(mine >= 2, "logview's run and the gate's exec: {records}");
    for path in ["audit", "audit.json"] {
        let anonymous = http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("GET");
        assert_eq!(anonymous.status().as_u16(), 401, "{path} without sign-in");
    }
    let too_many = page("audit.json?limit=100000").send().await.expect("GET");
    assert_eq!(too_many.status().as_u16(), 400);
}

#[tokio::test]
async fn a_viewer_attach_and_detach_are_recorded_with_whom_the_session_is_for() {
    use futures_util::StreamExt;
    let app = spawn_app(&[]).await;
    let who = format!("bob-{}", unique());
    let file = log_file("audit-viewer", 2);
    let path = file.to_string_lossy().into_owned();
    let s = stack();
    let body = json!({"minion_id": s.get("MINION_ID"), "log_path": path, "line_count": 2, "on_behalf_of": who});
    let answer = app.post_json("api/tail", body).await;
    let ticket = answer.url().rsplit('/').next().expect("ticket").to_owned();
    let ws_url = format!("{}ws/{ticket}", app.base.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url)
        .await
        .expect("the viewer's WebSocket opens");
    ws.next().await.expect("a first message").expect("ok");
    drop(ws);
    let mine = |r: &AuditRecord, action: &str| {
        r.action == action && r.principal.kind == "viewer" && r.principal.name.ends_with(&who)
    };
    let both = eventually(std::time::Duration::from_secs(30), async || {
        let records = stream_records().await;
        let attach = records.iter().filter(|r| mine(r, "attach")).count();
        let detach = records.iter().filter(|r| mine(r, "detach")).count();
        (detach > 0).then_some((attach, detach, records))
    })
    .await;
    let (attach, detach, records) = both.expect("a detach record appears after the viewer leaves");
    assert_eq!((attach, detach), (1, 1), "{records:#?}");
    let rec = records
        .iter()
        .find(|r| mine(r, "attach"))
        .expect("the attach record");
    assert_eq!(rec.path.as_deref(), Some(path.as_str()));
    assert!(
        rec.principal.name.starts_with("api_token token-"),
        "{rec:?}"
    );
}
