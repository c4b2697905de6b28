//! Error paths of the salt-api client against a tiny fake salt-api (an axum
//! server in the test): HTML 401s, re-login, 500 JSON, a hanging server,
//! nothing listening. The real salt-api is exercised by `tests/it/api_*`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use super::*;

#[derive(Clone, Copy)]
enum Mode {
    /// 401 with the given HTML for the first `n` calls, then a good answer.
    Unauthorized { times: usize, html: &'static str },
    /// `{"status": 500, "return": "An unexpected error occurred"}`.
    ServerError,
    /// Never answers.
    Hang,
    /// `/login` itself is 401.
    LoginRefused,
}

#[derive(Clone)]
struct Fake {
    mode: Mode,
    logins: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

async fn login(axum::extract::State(f): axum::extract::State<Fake>) -> Response {
    let n = f.logins.fetch_add(1, Ordering::SeqCst);
    if let Mode::LoginRefused = f.mode {
        return (
            StatusCode::UNAUTHORIZED,
            Html("<p>Could not authenticate using provided credentials</p>"),
        )
            .into_response();
    }
    let token = format!("{:040}", n + 1);
    (
        [("X-Auth-Token", token.clone())],
        axum::Json(json!({"return": [{"token": token}]})),
    )
        .into_response()
}

async fn run(axum::extract::State(f): axum::extract::State<Fake>, headers: HeaderMap) -> Response {
    let n = f.calls.fetch_add(1, Ordering::SeqCst);
    assert!(
        headers.get("X-Auth-Token").is_some(),
        "every call carries the token"
    );
    match f.mode {
        Mode::Unauthorized { times, html } if n < times => {
            (StatusCode::UNAUTHORIZED, Html(html)).into_response()
        }
        Mode::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"status": 500, "return": "An unexpected error occurred"})),
        )
            .into_response(),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        _ => axum::Json(json!({"return": [{"web-01": {"ret": true, "retcode": 0, "jid": "1"}}]}))
            .into_response(),
    }
}

async fn start(mode: Mode) -> (SaltApi, Fake) {
    let fake = Fake {
        mode,
        logins: Arc::default(),
        calls: Arc::default(),
    };
    let app = Router::new()
        .route("/login", post(login))
        .route("/", post(run))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (client_for(&format!("http://{addr}/")), fake)
}

fn client_for(url: &str) -> SaltApi {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
    let env = [
        ("LOGVIEW__SALT__API_URL".to_owned(), url.to_owned()),
        (
            "LOGVIEW__SALT__REQUEST_TIMEOUT_SECS".to_owned(),
            "3".to_owned(),
        ),
        ("LOGVIEW__SALT__GATE_URL".to_owned(), String::new()),
        (
            "LOGVIEW__SALT__PASSWORD".to_owned(),
            "fake-salt-password".to_owned(),
        ),
    ];
    let settings = Arc::new(Settings::load_with_env(&[file], env).expect("settings"));
    SaltApi::new(&settings, None).expect("client")
}

/// `file.file_exists /var/log/x` on web-01.
fn probe() -> SaltCall {
    SaltCall::FileExists {
        minions: vec![crate::target::MinionId::parse("web-01").expect("id")],
        path: crate::target::LogPath::parse("/var/log/x", &["/var/log/**".to_owned()])
            .expect("path"),
    }
}

fn who() -> Principal {
    Principal::operator("test")
}

const NO_PERMISSION: &str = "<!DOCTYPE html><html><body><h2>401 Unauthorized</h2><p>No permission -- see authorization schemes</p></body></html>";
const AUTHORIZATION: &str = "<!DOCTYPE html><html><body><h2>401 Unauthorized</h2><p>Authorization error occurred.</p></body></html>";

#[tokio::test]
async fn a_401_after_a_salt_api_restart_is_healed_by_one_fresh_login() {
    let (api, fake) = start(Mode::Unauthorized {
        times: 1,
        html: NO_PERMISSION,
    })
    .await;
    assert_eq!(api.file_exists(&probe(), &who()).await, Ok(true));
    assert_eq!(
        fake.logins.load(Ordering::SeqCst),
        2,
        "logged in, then once more"
    );
    assert_eq!(api.file_exists(&probe(), &who()).await, Ok(true));
    assert_eq!(
        fake.logins.load(Ordering::SeqCst),
        2,
        "the new token is kept"
    );
}

#[tokio::test]
async fn an_acl_refusal_is_reported_as_such_after_exactly_one_retry() {
    let (api, fake) = start(Mode::Unauthorized {
        times: usize::MAX,
        html: AUTHORIZATION,
    })
    .await;
    let err = api
        .file_exists(&probe(), &who())
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, SaltError::NotAuthorized { function, .. } if function == "file.file_exists"),
        "{err:?}"
    );
    assert!(err.to_string().contains("ACL"), "{err}");
    assert!(!err.to_string().contains('<'), "no HTML in {err}");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_token_refused_twice_is_an_auth_failure_without_html() {
    let (api, _) = start(Mode::Unauthorized {
        times: usize::MAX,
        html: NO_PERMISSION,
    })
    .await;
    let err = api
        .file_exists(&probe(), &who())
        .await
        .expect_err("refused");
    assert_eq!(err.label(), "auth_failed");
    assert!(!err.to_string().contains('<'), "{err}");
}

#[tokio::test]
async fn a_refused_login_names_the_settings_to_check() {
    let (api, _) = start(Mode::LoginRefused).await;
    let err = api
        .file_exists(&probe(), &who())
        .await
        .expect_err("refused");
    assert!(matches!(err, SaltError::LoginRefused { .. }), "{err:?}");
    assert!(err.to_string().contains("salt.password"), "{err}");
}

#[tokio::test]
async fn a_500_is_unavailable() {
    let (api, _) = start(Mode::ServerError).await;
    let err = api.file_exists(&probe(), &who()).await.expect_err("500");
    assert!(
        matches!(
            err,
            SaltError::Unavailable {
                reason: Unavailable::Status(500),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_hanging_salt_api_times_out_after_the_request_timeout() {
    let (api, _) = start(Mode::Hang).await;
    let err = api.file_exists(&probe(), &who()).await.expect_err("hang");
    assert!(
        matches!(
            err,
            SaltError::Unavailable {
                reason: Unavailable::Timeout { secs: 3 },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let api = client_for(&format!("http://{addr}/"));
    let err = api
        .file_exists(&probe(), &who())
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            SaltError::Unavailable {
                reason: Unavailable::Connect,
                ..
            }
        ),
        "{err:?}"
    );
}
