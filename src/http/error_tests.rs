//! Unit tests of `error.rs`: each error's status, its words, and the scan
//! that no other module chooses an error status.

use super::*;
use crate::salt_api::{SaltError, Unavailable};
use serde_json::json;

fn status_of(e: SessionError) -> StatusCode {
    ApiError::from(e).status()
}

#[test]
fn each_failure_gets_its_documented_status() {
    let m = || "web-01".to_owned();
    assert_eq!(
        status_of(SessionError::Input(InputError::new(
            "log_path",
            Text::new("input.log_path.required")
        ))),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status_of(SessionError::MinionUnknown { minion: m() }),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status_of(SessionError::FileMissing {
            minion: m(),
            path: "/var/log/x".into()
        }),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status_of(SessionError::MinionTimeout {
            minion: m(),
            secs: 2
        }),
        StatusCode::GATEWAY_TIMEOUT
    );
    let down = SaltError::Unavailable {
        url: "http://x/".into(),
        reason: Unavailable::Connect,
    };
    assert_eq!(
        status_of(SessionError::SaltUnavailable(down)),
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(
        ApiError::LimitReached(Text::new("api.login.busy")).status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_401_carries_the_challenge_and_the_json_shape() {
    let resp = ApiError::Unauthorized {
        message: Text::new("api.auth.bad_token"),
        challenge: Challenge::Bearer,
    }
    .into_response();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.headers()[header::WWW_AUTHENTICATE],
        "Bearer realm=\"logview\""
    );
    let bytes = axum::body::to_bytes(resp.into_body(), 4096)
        .await
        .expect("body");
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(
        v,
        json!({"success": false, "message": "the bearer token is not valid"})
    );
}

#[tokio::test]
async fn a_salt_failure_never_shows_its_internals() {
    let inner = SaltError::Unexpected {
        detail: "HTTP 400: <p>Invalid JSON document</p> secret-ish".into(),
    };
    let resp = ApiError::from(SessionError::SaltUnexpected(inner)).into_response();
    let bytes = axum::body::to_bytes(resp.into_body(), 4096)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains("secret-ish") && !text.contains('<'),
        "{text}"
    );
    assert!(
        text.contains("salt-api gave an answer logview cannot use"),
        "{text}"
    );
}

#[test]
fn stream_refusals_get_their_documented_status() {
    use crate::stream::BadEntryId;
    use crate::tickets::TicketError;
    let status = |e: AccessError| ApiError::from(e).status();
    assert_eq!(
        status(TicketError::Malformed.into()),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status(AccessError::ForeignStream), StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(BadEntryId("$".into()).into()),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(AccessError::Origin("https://evil".into())),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(HubError::TooManyStreams { limit: 1 }.into()),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        status(HubError::TooManyViewers { limit: 1 }.into()),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        status(HubError::ShuttingDown.into()),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        status(HubError::BadRedisUrl("x".into()).into()),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

/// Every `StatusCode::NAME` in `src/`, as (file, name), outside the
/// error modules, unit-test modules and test files, and outside `salt_api/` (a client: it reads the statuses of
/// salt-api's and saltgate's answers, it never answers).
fn statuses_named_elsewhere() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut found = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&src).expect("under src/");
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel == "http/error.rs"
            || rel == "gate/error.rs"
            || rel.starts_with("salt_api/")
            || rel.ends_with("_tests.rs")
            || rel.ends_with("/tests.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable source");
        // A file's unit tests are its last item, `#[cfg(test)] mod tests { … }`.
        let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or("");
        for (at, _) in code.match_indices("StatusCode::") {
            let name: String = code[at + "StatusCode::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push((rel.clone(), name));
        }
    }
    found.sort();
    found
}

#[test]
fn only_the_error_modules_choose_an_error_status() {
    // 200 and 304 are the answers of a request that succeeded.
    let chosen: Vec<_> = statuses_named_elsewhere()
        .into_iter()
        .filter(|(_, name)| name != "OK" && name != "NOT_MODIFIED")
        .collect();
    assert!(
        chosen.is_empty(),
        "an error status is chosen outside http/error.rs and gate/error.rs: {chosen:?}"
    );
}

#[test]
fn the_status_scan_sees_the_statuses_it_must_allow() {
    // The scan reads the real tree: it finds the success statuses pages answer with.
    let named = statuses_named_elsewhere();
    assert!(named
        .iter()
        .any(|(f, n)| f == "http/pages/assets.rs" && n == "NOT_MODIFIED"));
    assert!(named
        .iter()
        .any(|(f, n)| f.starts_with("http/pages/") && n == "OK"));
}
