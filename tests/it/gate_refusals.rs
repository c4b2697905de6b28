//! saltgate against the real stack: every known way to bend logview's Salt
//! credential (security review findings 1, 2, 4, 19) is refused BY THE GATE,
//! while the same request sent to salt-api itself with the logview eauth user
//! is shown to get through — so each refusal is the gate's doing, not Salt's.
//! Positive controls: logview's own call shapes pass the gate.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::salt_api::{chunk, pins, run, User};
use crate::support::stack::stack;

/// What the gate answered.
#[derive(Debug)]
struct GateReply {
    status: u16,
    body: Value,
}

impl GateReply {
    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    /// 403 naming `field` (the refusal says what was refused).
    fn assert_refused(&self, field: &str, what: &str) {
        assert_eq!(self.status, 403, "{what}: {self:?}");
        assert!(
            self.error().starts_with(&format!("refused: {field}")),
            "{what}: the refusal must name {field:?}: {self:?}"
        );
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a reqwest client with only a timeout set always builds")
}

/// `POST {gate}/v1/call` with `token` and `body` as it is.
async fn post_gate(path: &str, token: Option<&str>, body: &Value) -> GateReply {
    let url = format!("{}{path}", stack().get("SALTGATE_URL"));
    let mut req = http().post(&url).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    GateReply { status, body }
}

/// One chunk through the gate with the stack's logview client token.
async fn through_gate(chunk: Value) -> GateReply {
    let body = json!({"principal": {"kind": "test", "name": "gate_refusals"}, "lowstate": [chunk]});
    post_gate("v1/call", Some(stack().get("GATE_TOKEN")), &body).await
}

fn allowed_path() -> String {
    format!("{}/gate-probe.log", stack().get("LOG_DIR"))
}

/// `file.file_exists` exactly as logview sends it.
fn legit_file_exists() -> Value {
    chunk("file.file_exists", json!([allowed_path()]), None)
}

#[tokio::test]
async fn logviews_own_calls_pass_the_gate() {
    let r = through_gate(legit_file_exists()).await;
    assert_eq!(r.status, 200, "{r:?}");
    let minion = stack().get("MINION_ID");
    assert!(
        r.body.pointer(&format!("/return/0/{minion}")).is_some(),
        "salt-api's answer is passed through: {r:?}"
    );
    let ping = through_gate(chunk("test.ping", json!([]), None)).await;
    assert_eq!(ping.status, 200, "{ping:?}");
    assert_eq!(
        ping.body.pointer(&format!("/return/0/{minion}/ret")),
        Some(&Value::Bool(true)),
        "the status ping answers: {ping:?}"
    );
    let mut with_arg = chunk("test.ping", json!(["x"]), None);
    with_arg["fun"] = json!("test.ping");
    through_gate(with_arg)
        .await
        .assert_refused("arg", "test.ping with an argument");
}

#[tokio::test]
async fn a_list_of_functions_gets_root_from_salt_api_but_not_through_the_gate() {
    let minion = stack().get("MINION_ID");
    for fun in [
        json!(["file.file_exists", "cmd.run"]),
        json!(["cmd.run", "file.file_exists"]),
        json!(["saltutil.find_job", "cmd.run"]),
    ] {
        let first_arg = if fun[0] == "saltutil.find_job" {
            json!(["1"])
        } else {
            json!([allowed_path()])
        };
        let args = if fun[0] == "cmd.run" {
            json!([["id"], [allowed_path()]])
        } else {
            json!([first_arg, ["id"]])
        };
        let mut c = chunk("file.file_exists", args, None);
        c["fun"] = fun.clone();
        // Salt alone: the logview eauth user runs `id` as root (why the gate exists).
        let direct = run(User::Logview, c.clone()).await;
        assert_eq!(
            direct.status, 200,
            "salt-api itself let {fun} through: {direct:?}"
        );
        let ran = direct.minion(minion)["ret"]["cmd.run"]
            .as_str()
            .unwrap_or("");
        assert!(
            ran.contains("uid="),
            "cmd.run ran on the minion via {fun}: {direct:?}"
        );
        // The gate refuses it.
        through_gate(c)
            .await
            .assert_refused("fun", &fun.to_string());
    }
}

#[tokio::test]
async fn targets_other_than_literal_ids_are_refused() {
    for (tgt, tgt_type, field) in [
        (json!("*"), "glob", "tgt_type"),
        (json!("web-*"), "glob", "tgt_type"),
        (json!("G@os:Debian or web-*"), "compound", "tgt_type"),
        (json!("os:Debian"), "grain", "tgt_type"),
        (json!("*"), "list", "tgt"),
        (json!(["*"]), "list", "tgt"),
        (json!(["web-01", "web-01"]), "list", "tgt[1]"),
        (json!(["web-01", "web-*"]), "list", "tgt[1]"),
    ] {
        let mut c = legit_file_exists();
        c["tgt"] = tgt.clone();
        c["tgt_type"] = json!(tgt_type);
        through_gate(c)
            .await
            .assert_refused(field, &format!("{tgt} {tgt_type}"));
    }
    // A fleet's file_exists lists several ids; a ping still names one.
    let mut list = legit_file_exists();
    list["tgt"] = json!(["web-01", "web-02"]);
    let passed = through_gate(list).await;
    assert_eq!(passed.status, 200, "a list file_exists passes: {passed:?}");
    let mut ping = chunk("test.ping", json!([]), None);
    ping["tgt"] = json!(["web-01", "web-02"]);
    through_gate(ping)
        .await
        .assert_refused("tgt", "a ping of two minions");
}

#[tokio::test]
async fn unpinned_kwargs_string_pins_and_other_clients_are_refused() {
    let s = stack();
    let stop = json!([
        s.get("LOGTAIL_BIN"),
        "stop",
        "--config",
        s.get("LOGTAIL_CONFIG"),
        allowed_path()
    ]);
    let legit_stop = chunk("cmd.run_all", json!([stop]), Some(pins()));
    let mut extra = legit_stop.clone();
    extra["kwarg"]["prepend_path"] = json!("/tmp/evil");
    extra["kwarg"]["output_loglevel"] = json!("quiet");
    let direct = run(User::Logview, extra.clone()).await;
    assert_eq!(
        direct.status, 200,
        "salt-api itself accepts unpinned kwargs: {direct:?}"
    );
    through_gate(extra)
        .await
        .assert_refused("kwarg", "unpinned kwargs");
    let mut strings = legit_stop.clone();
    for k in ["runas", "group", "env", "umask", "template"] {
        strings["kwarg"][k] = json!("None");
    }
    through_gate(strings)
        .await
        .assert_refused("kwarg", "string pins");
    for client in ["local_async", "runner", "wheel", "ssh"] {
        let mut c = legit_file_exists();
        c["client"] = json!(client);
        through_gate(c).await.assert_refused("client", client);
    }
    let mut creds = legit_file_exists();
    creds["username"] = json!("deploy");
    creds["password"] = json!("x");
    creds["eauth"] = json!("file");
    let r = through_gate(creds).await;
    assert_eq!(r.status, 403, "credentials inside a chunk: {r:?}");
    assert!(r.error().contains("is not allowed"), "{r:?}");
    let mut shell = legit_stop;
    shell["arg"][0][0] = json!("/bin/sh");
    through_gate(shell)
        .await
        .assert_refused("arg", "another program");
}

#[tokio::test]
async fn two_chunks_and_other_endpoints_are_refused() {
    let token = stack().get("GATE_TOKEN");
    let who = json!({"kind": "test", "name": "gate_refusals"});
    let two = json!({"principal": who, "lowstate": [legit_file_exists(), legit_file_exists()]});
    let r = post_gate("v1/call", Some(token), &two).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert!(r.error().contains("exactly one chunk"), "{r:?}");
    let bare = json!([legit_file_exists()]);
    assert_eq!(post_gate("v1/call", Some(token), &bare).await.status, 403);
    for path in [
        "", "run", "login", "logout", "events", "ws", "jobs", "minions", "keys", "hook", "stats",
    ] {
        let r = post_gate(path, Some(token), &bare).await;
        assert_eq!(r.status, 403, "POST /{path}: {r:?}");
        assert!(r.error().contains("not reachable"), "/{path}: {r:?}");
        let url = format!("{}{path}", stack().get("SALTGATE_URL"));
        let get = http()
            .get(&url)
            .bearer_auth(token)
            .header("X-Auth-Token", token)
            .send()
            .await
            .expect("GET");
        assert_eq!(get.status().as_u16(), 403, "GET /{path}");
    }
}

#[tokio::test]
async fn only_a_gate_client_token_is_accepted() {
    let s = stack();
    let body =
        json!({"principal": {"kind": "test", "name": "x"}, "lowstate": [legit_file_exists()]});
    for token in [
        None,
        Some("not-a-token-of-gate-clients"),
        Some(s.get("SALT_LOGVIEW_PASSWORD")),
        Some(s.get("API_TOKEN")),
    ] {
        let r = post_gate("v1/call", token, &body).await;
        assert_eq!(r.status, 401, "token {token:?}: {r:?}");
    }
}

#[tokio::test]
async fn logview_tells_a_gate_refusal_and_a_wrong_gate_token_in_words() {
    use crate::api_support::{log_file, spawn_app};
    use crate::support::gate::spawn_gate;
    // A gate whose allow-list is narrower than logview's: the boundary wins.
    let gate = spawn_gate(&[("LOGVIEW__TAIL__ALLOWED_PATHS", "/var/log/nginx/**")]).await;
    let app = spawn_app(&[("LOGVIEW__SALT__GATE_URL", gate.url.as_str())]).await;
    let file = log_file("gate-narrow", 1);
    let path = file.to_string_lossy().into_owned();
    let minion = stack().get("MINION_ID");
    let a = app.tail(minion, &path, json!(1)).await;
    assert_eq!(a.status, 502, "{a:?}");
    assert!(a.message().contains("saltgate"), "{a:?}");
    assert!(a.message().contains("file.file_exists"), "{a:?}");

    let wrong = spawn_app(&[("LOGVIEW__SALT__GATE_TOKEN", "not-the-gate-token-0123456789")]).await;
    let a = wrong.tail(minion, &path, json!(1)).await;
    assert_eq!(a.status, 502, "{a:?}");
    assert!(a.message().contains("salt.gate_token"), "{a:?}");
}
