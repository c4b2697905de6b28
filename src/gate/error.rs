//! saltgate's refusals and failures, and the one place they become HTTP
//! statuses: 401 (no or wrong client token), 403 (a call or endpoint that is
//! not one of logview's shapes, naming what was refused), 413 (body too
//! large), 502 (salt-api unusable or it refused the checked call). Bodies are
//! `{"error": "…"}`, plus `"upstream": SaltError::label()` on a 502.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::salt_api::SaltError;

/// Why saltgate did not forward a call.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// No or a wrong bearer token.
    #[error("{0}")]
    Unauthorized(String),
    /// The request is not one of logview's call shapes, or not `POST /v1/call`.
    #[error("refused: {0}")]
    Refused(String),
    /// The body is larger than saltgate reads.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// salt-api could not be used for a checked call.
    #[error("salt-api could not be used: {0}")]
    Upstream(#[from] SaltError),
}

/// The status of `/readyz` when salt-api does not answer.
pub fn not_ready() -> StatusCode {
    StatusCode::SERVICE_UNAVAILABLE
}

impl IntoResponse for GateError {
    fn into_response(self) -> Response {
        let status = match &self {
            GateError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            GateError::Refused(_) => StatusCode::FORBIDDEN,
            GateError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            GateError::Upstream(_) => StatusCode::BAD_GATEWAY,
        };
        let mut body = json!({"error": self.to_string()});
        if let GateError::Upstream(e) = &self {
            // What went wrong upstream, as a label logview maps back to its
            // own error (an ACL refusal is not "salt-api unreachable").
            body["upstream"] = json!(e.label());
            if let SaltError::NotAuthorized { user, .. } = e {
                body["user"] = json!(user);
            }
        }
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status() {
        for (e, want) in [
            (GateError::Unauthorized("x".into()), 401),
            (GateError::Refused("fun: list".into()), 403),
            (GateError::TooLarge(65536), 413),
            (
                GateError::Upstream(SaltError::Unexpected { detail: "x".into() }),
                502,
            ),
        ] {
            assert_eq!(e.into_response().status().as_u16(), want);
        }
    }

    #[tokio::test]
    async fn an_upstream_failure_says_which_kind() {
        let e = GateError::Upstream(SaltError::NotAuthorized {
            user: "logview".into(),
            function: "cmd.run_bg".into(),
        });
        let body = axum::body::to_bytes(e.into_response().into_body(), 4096)
            .await
            .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(v["upstream"], "not_authorized", "{v}");
        assert_eq!(v["user"], "logview", "{v}");
        assert!(
            v["error"].as_str().expect("text").contains("cmd.run_bg"),
            "{v}"
        );
    }
}
