//! `ApiError`: the one place HTTP statuses are chosen for errors. 4xx answer
//! `{"success": false, "message": …, "field": …}`; 5xx answer the same shape
//! with a message written for people (never salt-api's HTML, never a Redis
//! error) and log the whole cause chain.

pub use super::error_text::Localized;
use crate::i18n::Lang;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::login::LoginError;
use crate::i18n::Text;
use crate::session::SessionError;
use crate::stream::access::AccessError;
use crate::stream::HubError;
use crate::target::InputError;

/// Which authentication scheme a 401 asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// `Authorization: Bearer <token>` (the JSON API, /metrics).
    Bearer,
    /// HTTP Basic (the ops pages).
    Basic,
}

/// Every error an HTTP handler or extractor can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The session did not start (boxed: it is the largest variant).
    #[error(transparent)]
    Session(Box<SessionError>),
    /// The request body or a field is malformed.
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: Text,
        /// The field at fault.
        field: Option<&'static str>,
    },
    /// Missing or wrong credentials.
    #[error("{message}")]
    Unauthorized {
        /// What is wrong.
        message: Text,
        /// The scheme to ask for.
        challenge: Challenge,
    },
    /// Valid credentials that may not do this.
    #[error("{0}")]
    Forbidden(Text),
    /// A configured limit is reached.
    #[error("{0}")]
    LimitReached(Text),
    /// The request body is above `http.max_body_bytes`.
    #[error("the request body is larger than the {limit} bytes allowed (http.max_body_bytes)")]
    TooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A refused `/ws` or `/sse` request (its words are shown to the viewer).
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Anything else; the source is logged, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        ApiError::Session(Box::new(e))
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        ApiError::from(SessionError::Input(e))
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Wrong => ApiError::Unauthorized {
                message: Text::new("api.login.wrong"),
                challenge: Challenge::Basic,
            },
            LoginError::Backoff { secs } => {
                ApiError::LimitReached(Text::new("api.login.backoff").arg("secs", secs))
            }
            LoginError::Busy => ApiError::LimitReached(Text::new("api.login.busy")),
        }
    }
}

impl ApiError {
    /// A body extractor's rejection: 413 when the body is above `limit`
    /// bytes, 400 with `what` and the rejection's words otherwise.
    /// (`status` and `text` are the rejection's own.)
    pub fn body(status: StatusCode, text: String, limit: usize, what: Text) -> ApiError {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            ApiError::BadRequest {
                message: what.arg("detail", text),
                field: None,
            }
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Session(e) => match e.as_ref() {
                SessionError::Input(_) => StatusCode::BAD_REQUEST,
                SessionError::MinionUnknown { .. } | SessionError::FileMissing { .. } => {
                    StatusCode::NOT_FOUND
                }
                SessionError::MinionTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                SessionError::SaltUnavailable(_)
                | SessionError::SaltUnexpected(_)
                | SessionError::SaltLogin(_)
                | SessionError::SaltRefused { .. }
                | SessionError::SaltFunction { .. }
                | SessionError::NotStarted { .. }
                | SessionError::Prepare { .. } => StatusCode::BAD_GATEWAY,
                SessionError::Redis(_) | SessionError::StartBusy { .. } => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                SessionError::Local(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Access(e) => match e {
                AccessError::Ticket(_) | AccessError::ForeignStream => StatusCode::UNAUTHORIZED,
                AccessError::BadResumeId(_) | AccessError::BadCursor { .. } => {
                    StatusCode::BAD_REQUEST
                }
                AccessError::Origin(_) => StatusCode::FORBIDDEN,
                AccessError::Hub(HubError::BadRedisUrl(_)) => StatusCode::INTERNAL_SERVER_ERROR,
                AccessError::Hub(HubError::ShuttingDown) => StatusCode::SERVICE_UNAVAILABLE,
                AccessError::Hub(
                    HubError::TooManyStreams { .. } | HubError::TooManyViewers { .. },
                ) => StatusCode::TOO_MANY_REQUESTS,
            },
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::LimitReached(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The request field at fault, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ApiError::Session(e) => e.field(),
            ApiError::BadRequest { field, .. } => *field,
            _ => None,
        }
    }
}

/// The status of a readiness answer (`/readyz`): 200, or 503 when a
/// dependency is down.
pub fn readiness(ready: bool) -> StatusCode {
    if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

/// The status of a request for a static asset that does not exist.
pub fn no_such_asset() -> StatusCode {
    StatusCode::NOT_FOUND
}

/// The status of a `GET` on an address that only takes a form post.
pub fn post_only() -> StatusCode {
    StatusCode::METHOD_NOT_ALLOWED
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %self, cause = ?self, "request failed");
        }
        let localized = Localized {
            text: self.text(),
            field: self.field(),
        };
        let mut resp = (status, Json(localized.body(Lang::En))).into_response();
        resp.extensions_mut().insert(localized);
        if let ApiError::Unauthorized { challenge, .. } = &self {
            let value = match challenge {
                Challenge::Bearer => "Bearer realm=\"logview\"",
                Challenge::Basic => "Basic realm=\"logview\", charset=\"UTF-8\"",
            };
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
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
}
