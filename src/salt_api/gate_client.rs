//! logview's side of saltgate: `POST {gate}/v1/call` with the bearer token
//! and the principal; saltgate's answers mapped to the same [`SaltError`]s as
//! salt-api's (401 → token rejected, 403 → refused, 502 naming an eauth ACL
//! refusal → not authorized, other 5xx → unavailable).

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::{strip_html, SaltApi, SaltError, Unavailable};
use crate::audit::Principal;

impl SaltApi {
    /// `POST {gate}/v1/call` with logview's token and the principal.
    pub(super) async fn post_gate(
        &self,
        token: &SecretString,
        chunk: Value,
        who: &Principal,
        function: &str,
    ) -> Result<Value, SaltError> {
        let body = json!({"principal": who, "lowstate": [chunk]});
        self.post_gate_body(token, "v1/call", body, function).await
    }

    /// `POST {gate}/PATH` with logview's token and `body`; saltgate's
    /// answer mapped as for `/v1/call`.
    pub(super) async fn post_gate_body(
        &self,
        token: &SecretString,
        path: &str,
        body: Value,
        function: &str,
    ) -> Result<Value, SaltError> {
        let req = self
            .inner
            .http
            .post(format!("{}{path}", self.inner.base))
            .header("Accept", "application/json")
            .bearer_auth(token.expose_secret())
            .json(&body);
        let resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.transport_error(&e))?;
        let said = || {
            serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| strip_html(&text))
        };
        match status {
            StatusCode::OK => serde_json::from_str(&text).map_err(|_| SaltError::Unexpected {
                detail: format!(
                    "a 200 answer of saltgate that is not JSON: {}",
                    strip_html(&text)
                ),
            }),
            StatusCode::UNAUTHORIZED => Err(SaltError::TokenRejected {
                user: "saltgate client (salt.gate_token)".into(),
                detail: said(),
            }),
            StatusCode::FORBIDDEN => Err(SaltError::GateRefused {
                function: function.to_owned(),
                reason: said(),
            }),
            // saltgate passed the call and salt-api's eauth ACL refused it:
            // the two disagree, which the operator must hear as such.
            StatusCode::BAD_GATEWAY
                if upstream(&text, "upstream").as_deref() == Some("not_authorized") =>
            {
                tracing::warn!(detail = %said(), "saltgate passed a call that salt-api's eauth ACL refused");
                Err(SaltError::NotAuthorized {
                    user: upstream(&text, "user").unwrap_or_else(|| "of saltgate".into()),
                    function: function.to_owned(),
                })
            }
            s if s.is_server_error() => {
                tracing::warn!(status = s.as_u16(), detail = %said(), "saltgate answered a server error");
                Err(SaltError::Unavailable {
                    url: self.inner.base.clone(),
                    reason: Unavailable::Status(s.as_u16()),
                })
            }
            s => Err(SaltError::Unexpected {
                detail: format!("saltgate answered HTTP {}: {}", s.as_u16(), said()),
            }),
        }
    }
}

/// A text field of a saltgate error body (`upstream`: `SaltError::label`;
/// `user`: the eauth user whose ACL refused).
fn upstream(body: &str, field: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    Some(v.get(field)?.as_str()?.to_owned())
}
