//! Logging in to salt-api: the one token this client holds, a fresh login
//! when there is none, and forgetting a token salt-api rejected (tokens die
//! with a salt-api restart, docs/salt-gotchas.md#g6).

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::{strip_html, SaltApi, SaltError};

impl SaltApi {
    /// The current token, logging in first when there is none.
    pub(super) async fn token(&self) -> Result<SecretString, SaltError> {
        let mut slot = self.inner.token.lock().await;
        if let Some(t) = slot.as_ref() {
            return Ok(t.clone());
        }
        let fresh = self.login().await?;
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    /// Drops `used` unless another task already replaced it.
    pub(super) async fn forget(&self, used: &SecretString) {
        let mut slot = self.inner.token.lock().await;
        if slot
            .as_ref()
            .map(|t| t.expose_secret() == used.expose_secret())
            == Some(true)
        {
            *slot = None;
        }
    }

    async fn login(&self) -> Result<SecretString, SaltError> {
        let req = self
            .inner
            .http
            .post(format!("{}login", self.inner.base))
            .header("Accept", "application/json")
            .json(&json!({
                "username": self.inner.username,
                "password": self.inner.password.expose_secret(),
                "eauth": self.inner.eauth,
            }));
        let resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        let header = resp
            .headers()
            .get("X-Auth-Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if status == StatusCode::UNAUTHORIZED {
            return Err(SaltError::LoginRefused {
                user: self.inner.username.clone(),
                eauth: self.inner.eauth.clone(),
            });
        }
        let text = resp.text().await.map_err(|e| self.transport_error(&e))?;
        if !status.is_success() {
            return Err(self.status_error(status, strip_html(&text)));
        }
        let from_body = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
            v.pointer("/return/0/token")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        match header.or(from_body) {
            Some(t) if !t.is_empty() => {
                tracing::info!(user = %self.inner.username, eauth = %self.inner.eauth, "logged in to salt-api");
                Ok(SecretString::from(t))
            }
            _ => Err(SaltError::Unexpected {
                detail: "the /login answer carries no token".into(),
            }),
        }
    }
}
