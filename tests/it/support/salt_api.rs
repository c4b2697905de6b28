//! A raw salt-api client for tests: logs in as one of the stack's eauth users
//! and posts lowstate chunks to `/` with the token and hands back the HTTP status and the body.

use std::time::Duration;

use serde_json::{json, Value};

use super::stack::{stack, Stack};

/// The keyword arguments the `logview` and `deploy` ACLs pin (docs/salt-acl.md §3a, PINS).
pub fn pins() -> Value {
    json!({"python_shell": false, "runas": null, "group": null, "cwd": "/",
           "env": null, "umask": null, "template": null})
}

/// One eauth user of the stack.
#[derive(Clone, Copy, Debug)]
pub enum User {
    /// The service's user: exactly the four calls of docs/salt-acl.md.
    Logview,
    /// The operator's user: `state.apply logtail`, `logtail --version`, `test.ping`.
    Deploy,
}

/// What salt-api answered: the status, and the body as JSON when it was JSON
/// (error bodies are CherryPy HTML, G12).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Option<Value>,
    pub text: String,
}

impl Reply {
    /// The minion's entry of `return[0]`, panicking with the whole reply if absent.
    pub fn minion(&self, minion: &str) -> &Value {
        self.json
            .as_ref()
            .and_then(|j| j.pointer("/return/0"))
            .and_then(|r| r.get(minion))
            .unwrap_or_else(|| panic!("no return for {minion} in {self:?}"))
    }
}

/// A lowstate chunk for the stack's minion: `client=local`, `tgt_type=list`,
/// full_return, short timeouts (docs/salt-gotchas.md#g5).
pub fn chunk(fun: &str, arg: Value, kwarg: Option<Value>) -> Value {
    let s = stack();
    let mut c = json!({
        "client": "local", "tgt": [s.get("MINION_ID")], "tgt_type": "list",
        "fun": fun, "arg": arg, "full_return": true,
        "timeout": 10, "gather_job_timeout": 5,
    });
    if let Some(k) = kwarg {
        c["kwarg"] = k;
    }
    c
}

fn credentials(s: &Stack, user: User) -> (&str, &str) {
    match user {
        User::Logview => (s.get("SALT_LOGVIEW_USER"), s.get("SALT_LOGVIEW_PASSWORD")),
        User::Deploy => (s.get("SALT_DEPLOY_USER"), s.get("SALT_DEPLOY_PASSWORD")),
    }
}

/// Logs in as `user` (`POST /login`) and POSTs `[chunk]` to `/` with the
/// token: the password never travels inside a chunk, so it never lands in
/// Salt's job cache (security review finding 9).
pub async fn run(user: User, chunk: Value) -> Reply {
    let s = stack();
    let (name, password) = credentials(s, user);
    let base = s.get("SALT_API_URL").trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("a reqwest client with only a timeout set always builds");
    let login = client
        .post(format!("{base}/login"))
        .header("Accept", "application/json")
        .json(&json!({"username": name, "password": password, "eauth": s.get("SALT_EAUTH")}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {base}/login failed (is the test stack up?): {e}"));
    assert_eq!(login.status().as_u16(), 200, "login as {name}");
    let token = login
        .headers()
        .get("X-Auth-Token")
        .and_then(|v| v.to_str().ok())
        .expect("salt-api answers /login with X-Auth-Token")
        .to_owned();
    let url = format!("{base}/");
    let response = client
        .post(&url)
        .header("Accept", "application/json")
        .header("X-Auth-Token", token)
        .json(&json!([chunk]))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url} failed: {e}"));
    let status = response.status().as_u16();
    let text = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("reading the body of POST {url}: {e}"));
    let json = serde_json::from_str(&text).ok();
    Reply { status, json, text }
}

/// The call passed the ACL (HTTP 200).
pub fn assert_allowed(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 200, "{what} must pass the ACL, got {reply:?}");
}

/// The call was refused by the ACL (HTTP 401 "Authorization error occurred.").
pub fn assert_denied(reply: &Reply, what: &str) {
    assert_eq!(
        reply.status, 401,
        "{what} must be denied (401), got {reply:?}"
    );
    assert!(
        reply.text.contains("Authorization error occurred"),
        "{what}: not an ACL denial: {reply:?}"
    );
}
