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
                SessionError::UnknownTarget { .. } | SessionError::TargetEmpty { .. } => {
                    StatusCode::NOT_FOUND
                }
                SessionError::FleetTooLarge { .. } | SessionError::FleetNoneStarted(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
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
        let fleet = match &self {
            ApiError::Session(e) => match e.as_ref() {
                SessionError::FleetNoneStarted(r) => Some(std::sync::Arc::new((**r).clone())),
                _ => None,
            },
            _ => None,
        };
        let localized = Localized {
            text: self.text(),
            field: self.field(),
            fleet,
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
#[path = "error_tests.rs"]
mod tests;
