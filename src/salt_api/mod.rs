//! The Salt client: every call is a [`SaltCall`] (one definition, `shape.rs`)
//! sent either to saltgate (`salt.gate_url`, bearer token, the principal for the
//! audit trail; what logview does) or to salt-api itself (what saltgate does,
//! and logview without a gate): logs in with the configured eauth, keeps the
//! token, logs in again once on 401 (tokens die with a salt-api restart, docs/salt-gotchas.md#g6), bounds
//! every request by its own timeout (with the master down salt-api hangs
//! ~90 s, docs/salt-gotchas.md#g5). Salt's answers are parsed into typed outcomes either way.

mod error;
mod fleet_calls;
mod gate_client;
mod login;
pub(crate) mod lowstate;
pub(crate) mod outcome;
pub mod shape;
mod shape_check;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use tokio::sync::Mutex;

pub use error::{strip_html, SaltError, Unavailable};
pub use fleet_calls::{Each, Resolved};
pub use lowstate::CallTimeouts;
pub use outcome::RunAll;
pub use shape::{Refusal, SaltCall};

use crate::audit::Principal;
use crate::settings::Settings;

/// Receives the latency and outcome of every salt-api call (metrics).
pub trait CallObserver: Send + Sync {
    /// `outcome` is `ok` or a [`SaltError::label`].
    fn record_salt_call(&self, function: &str, outcome: &'static str, elapsed: Duration);
}

/// A cheap-to-clone salt-api client.
#[derive(Clone)]
pub struct SaltApi {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    settings: Arc<Settings>,
    /// logview's token at saltgate (`base` is then saltgate's URL); `None` = salt-api itself.
    gate: Option<SecretString>,
    base: String,
    username: String,
    password: SecretString,
    eauth: String,
    request_timeout_secs: u64,
    timeouts: CallTimeouts,
    token: Mutex<Option<SecretString>>,
    observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for SaltApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaltApi")
            .field("base", &self.inner.base)
            .field("username", &self.inner.username)
            .finish_non_exhaustive()
    }
}

/// A 200 body, or the status and HTML-stripped text of anything else.
enum Answer {
    Json(Value),
    Status(StatusCode, String),
}

impl SaltApi {
    /// A client for `[salt]` of `settings`, reporting calls to `observer`.
    pub fn new(
        settings: &Arc<Settings>,
        observer: Option<Arc<dyn CallObserver>>,
    ) -> Result<SaltApi, SaltError> {
        Self::build(settings, observer, true)
    }

    /// A client of salt-api itself, whatever `salt.gate_url` says (saltgate's upstream).
    pub fn direct(settings: &Arc<Settings>) -> Result<SaltApi, SaltError> {
        Self::build(settings, None, false)
    }

    fn build(
        settings: &Arc<Settings>,
        observer: Option<Arc<dyn CallObserver>>,
        via_gate: bool,
    ) -> Result<SaltApi, SaltError> {
        let s = &settings.salt;
        let gate_url = s.gate_url.as_ref().filter(|_| via_gate);
        let gate = gate_url.map(|_| s.gate_token.clone());
        let base = gate_url.unwrap_or(&s.api_url);
        let request_timeout = Duration::from_secs(s.request_timeout_secs.max(1));
        let http = reqwest::Client::builder()
            .timeout(request_timeout)
            .connect_timeout(request_timeout.min(Duration::from_secs(3)))
            .build()
            .map_err(|e| SaltError::Unexpected {
                detail: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(SaltApi {
            inner: Arc::new(Inner {
                http,
                settings: settings.clone(),
                gate,
                base: base.base(),
                username: s.username.clone(),
                password: s.password.clone().unwrap_or_else(|| SecretString::from("")),
                eauth: s.eauth.clone(),
                request_timeout_secs: s.request_timeout_secs.max(1),
                timeouts: CallTimeouts {
                    timeout: s.minion_timeout_secs,
                    gather_job_timeout: s.gather_job_timeout_secs,
                },
                token: Mutex::new(None),
                observer,
            }),
        })
    }

    /// The per-call Salt timeouts sent with every call.
    pub fn timeouts(&self) -> CallTimeouts {
        self.inner.timeouts
    }

    /// `file.file_exists PATH`: `true` for a regular file (or a symlink to
    /// one), `false` for missing, a directory or a dangling link.
    pub async fn file_exists(&self, call: &SaltCall, who: &Principal) -> Result<bool, SaltError> {
        let r = self.call(call, who).await?;
        outcome::boolean(r, "file.file_exists", first(call))
    }

    /// `test.ping`: whether the minion answers (`false` never comes back:
    /// a silent minion is a [`SaltError::MinionUnreachable`]).
    pub async fn test_ping(&self, call: &SaltCall, who: &Principal) -> Result<bool, SaltError> {
        let r = self.call(call, who).await?;
        outcome::boolean(r, "test.ping", first(call))
    }

    /// A `cmd.run_all` call (`logtail stop`): waits and returns status and output.
    pub async fn run_all(&self, call: &SaltCall, who: &Principal) -> Result<RunAll, SaltError> {
        let r = self.call(call, who).await?;
        outcome::run_all(r, first(call))
    }

    /// A `cmd.run_bg` call (`logtail follow|exec`): launches and returns the
    /// pid. It says nothing about whether the process keeps running
    /// (docs/salt-gotchas.md#g3).
    pub async fn run_bg(&self, call: &SaltCall, who: &Principal) -> Result<u32, SaltError> {
        let r = self.call(call, who).await?;
        outcome::run_bg_pid(r, first(call))
    }

    /// Sends one already checked chunk to salt-api and returns Salt's JSON
    /// answer as it is (saltgate's forwarding). The request may take the
    /// chunk's own Salt timeouts plus `salt.request_timeout_secs`.
    pub async fn forward(&self, chunk: &Value, timeouts: CallTimeouts) -> Result<Value, SaltError> {
        let function = chunk.get("fun").and_then(Value::as_str).unwrap_or("?");
        let limit =
            Duration::from_secs(timeouts.down_minion_wait() + self.inner.request_timeout_secs);
        self.post_direct(json!([chunk]), function, Some(limit))
            .await
    }

    /// Whether calls go through saltgate.
    pub fn via_gate(&self) -> bool {
        self.inner.gate.is_some()
    }

    /// `GET /` without auth: salt-api answers `{"return": "Welcome"}` when it is up.
    /// (saltgate: `GET /readyz`, 200 when it can reach salt-api.)
    pub async fn ping(&self) -> Result<(), SaltError> {
        let url = if self.inner.gate.is_some() {
            format!("{}readyz", self.inner.base)
        } else {
            self.inner.base.clone()
        };
        match self.send(self.inner.http.get(url)).await? {
            Answer::Json(_) => Ok(()),
            Answer::Status(status, detail) => Err(self.status_error(status, detail)),
        }
    }

    async fn call(
        &self,
        call: &SaltCall,
        who: &Principal,
    ) -> Result<outcome::MinionReturn, SaltError> {
        let started = Instant::now();
        let function = call.function();
        let minion = first(call);
        let result = self.call_inner(call, who).await;
        if let Some(o) = &self.inner.observer {
            let label = match &result {
                Ok(_) => "ok",
                Err(e) => e.label(),
            };
            o.record_salt_call(function, label, started.elapsed());
        }
        match &result {
            Ok(r) => tracing::debug!(
                function,
                minion,
                retcode = r.retcode,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "salt call"
            ),
            Err(e) => {
                tracing::info!(function, minion, error = %e, elapsed_ms = started.elapsed().as_millis() as u64, "salt call failed")
            }
        }
        result
    }

    async fn call_inner(
        &self,
        call: &SaltCall,
        who: &Principal,
    ) -> Result<outcome::MinionReturn, SaltError> {
        let answer = self.send_call(call, who).await?;
        outcome::minion_return(
            &answer,
            call.function(),
            first(call),
            self.inner.timeouts.down_minion_wait(),
        )
    }

    /// Sends `call` (to the gate or salt-api) and returns Salt's whole answer.
    async fn send_call(&self, call: &SaltCall, who: &Principal) -> Result<Value, SaltError> {
        let timeouts = self.inner.timeouts;
        let function = call.function();
        let chunk =
            call.to_chunk(&self.inner.settings, timeouts)
                .map_err(|r| SaltError::Unexpected {
                    detail: format!("refusing to send {function}: {r}"),
                })?;
        match &self.inner.gate {
            Some(token) => self.post_gate(token, chunk, who, function).await,
            None => self.post_direct(json!([chunk]), function, None).await,
        }
    }

    /// `POST /` of salt-api with the token, logging in again once on 401.
    async fn post_direct(
        &self,
        body: Value,
        function: &str,
        limit: Option<Duration>,
    ) -> Result<Value, SaltError> {
        let mut relogged = false;
        loop {
            let token = self.token().await?;
            let mut req = self
                .inner
                .http
                .post(&self.inner.base)
                .header("Accept", "application/json")
                .header("X-Auth-Token", token.expose_secret())
                .json(&body);
            if let Some(limit) = limit {
                req = req.timeout(limit);
            }
            match self.send(req).await? {
                Answer::Json(v) => return Ok(v),
                Answer::Status(StatusCode::UNAUTHORIZED, detail) if !relogged => {
                    tracing::info!(function, detail = %detail, "salt-api answered 401; logging in again once");
                    self.forget(&token).await;
                    relogged = true;
                }
                Answer::Status(StatusCode::UNAUTHORIZED, detail) => {
                    return Err(if detail.contains("Authorization error") {
                        SaltError::NotAuthorized {
                            user: self.inner.username.clone(),
                            function: function.to_owned(),
                        }
                    } else {
                        SaltError::TokenRejected {
                            user: self.inner.username.clone(),
                            detail,
                        }
                    });
                }
                Answer::Status(status, detail) => return Err(self.status_error(status, detail)),
            }
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Answer, SaltError> {
        let resp = req.send().await.map_err(|e| self.transport_error(&e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.transport_error(&e))?;
        if status == StatusCode::OK {
            serde_json::from_str(&text)
                .map(Answer::Json)
                .map_err(|_| SaltError::Unexpected {
                    detail: format!("a 200 answer that is not JSON: {}", strip_html(&text)),
                })
        } else {
            Ok(Answer::Status(status, strip_html(&text)))
        }
    }

    fn status_error(&self, status: StatusCode, detail: String) -> SaltError {
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), detail = %detail, "salt-api answered a server error");
            SaltError::Unavailable {
                url: self.inner.base.clone(),
                reason: Unavailable::Status(status.as_u16()),
            }
        } else {
            SaltError::Unexpected {
                detail: format!("HTTP {}: {detail}", status.as_u16()),
            }
        }
    }

    fn transport_error(&self, e: &reqwest::Error) -> SaltError {
        let reason = if e.is_timeout() {
            Unavailable::Timeout {
                secs: self.inner.request_timeout_secs,
            }
        } else {
            Unavailable::Connect
        };
        SaltError::Unavailable {
            url: self.inner.base.clone(),
            reason,
        }
    }
}

/// The first (for single calls: the one) targeted minion.
fn first(call: &SaltCall) -> &str {
    call.minions()
        .first()
        .map(|m| m.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod fake_api_tests;
