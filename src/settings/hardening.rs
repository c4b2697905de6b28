//! The hardening keys of `Settings`: `[http]` (connections, bodies,
//! WebSocket messages, `/readyz` cache), `[login]` (password sign-ins), and
//! the checks that go with them, including the refusal of the public
//! `dev-only-` placeholder secrets off loopback. docs/hardening-logview.md
//! explains each limit and what a client gets when it hits it.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{invalid, Settings, SettingsError};

/// Marks the public placeholder secrets of `settings.toml`.
const PLACEHOLDER: &str = "dev-only-";

/// `[http]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// Seconds a client has to send a request's whole header.
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may go without reading or writing a byte.
    pub idle_timeout_secs: u64,
    /// Connections served at once; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Largest request body of `/api/*` and the ops-page forms, in bytes.
    pub max_body_bytes: usize,
    /// Largest WebSocket message or frame a viewer may send, in bytes.
    pub ws_max_message_bytes: usize,
    /// Milliseconds a `/readyz` answer is reused.
    pub readyz_cache_millis: u64,
}

/// `[login]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginSettings {
    /// argon2 password verifications running at once.
    pub max_concurrent_verifications: usize,
    /// Sign-ins waiting for a verification slot before more are refused (429).
    pub max_waiting: usize,
    /// Failed sign-ins per client address and per user name before back-off.
    pub free_failures: u32,
    /// Longest back-off after repeated failures, in seconds (doubles from 1 s).
    pub backoff_max_secs: u64,
    /// Seconds a successful verification is remembered (0 = never).
    pub success_cache_secs: u64,
}

impl Settings {
    /// Checks of `[http]`, `[login]`, the byte budget and placeholder secrets.
    pub(super) fn validate_hardening(&self) -> Result<(), SettingsError> {
        let h = &self.http;
        for (key, value) in [
            ("http.header_read_timeout_secs", h.header_read_timeout_secs),
            ("http.idle_timeout_secs", h.idle_timeout_secs),
            ("http.max_connections", h.max_connections as u64),
            ("http.max_body_bytes", h.max_body_bytes as u64),
            ("http.ws_max_message_bytes", h.ws_max_message_bytes as u64),
            (
                "login.max_concurrent_verifications",
                self.login.max_concurrent_verifications as u64,
            ),
            ("login.backoff_max_secs", self.login.backoff_max_secs),
            (
                "limits.stream_buffer_bytes",
                self.limits.stream_buffer_bytes as u64,
            ),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if h.idle_timeout_secs <= self.viewer.heartbeat_secs {
            return Err(invalid(
                "http.idle_timeout_secs",
                format!(
                    "{} must be above viewer.heartbeat_secs ({}), or idle viewers are cut",
                    h.idle_timeout_secs, self.viewer.heartbeat_secs
                ),
            ));
        }
        if self
            .auth
            .metrics_tokens
            .iter()
            .any(|t| t.expose_secret().len() < 16)
        {
            return Err(invalid(
                "auth.metrics_tokens",
                "every token must be at least 16 characters",
            ));
        }
        self.refuse_placeholders()
    }

    /// The `dev-only-` placeholders of `settings.toml` are public: they are
    /// accepted only while logview listens on a loopback address.
    fn refuse_placeholders(&self) -> Result<(), SettingsError> {
        let loopback = self.server.bind.ip().is_loopback();
        if loopback {
            return Ok(());
        }
        let placeholder = |s: &SecretString| s.expose_secret().contains(PLACEHOLDER);
        let mut found: Vec<&str> = Vec::new();
        if self.auth.api_tokens.iter().any(placeholder) {
            found.push("auth.api_tokens");
        }
        if self.auth.metrics_tokens.iter().any(placeholder) {
            found.push("auth.metrics_tokens");
        }
        if placeholder(&self.auth.ticket_key) {
            found.push("auth.ticket_key");
        }
        if placeholder(&self.redis.url) {
            found.push("redis.url");
        }
        if self.salt.password.as_ref().is_some_and(placeholder) {
            found.push("salt.password");
        }
        if self.uses_gate() && placeholder(&self.salt.gate_token) {
            found.push("salt.gate_token");
        }
        match found.first() {
            None => Ok(()),
            Some(key) => Err(invalid(
                *key,
                format!(
                    "still holds the public {PLACEHOLDER}… placeholder of settings.toml while server.bind ({}) is not a loopback address; set real secrets for {}",
                    self.server.bind,
                    found.join(", ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::Settings;

    fn repo_settings() -> Vec<PathBuf> {
        vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml")]
    }

    fn load(env: &[(&str, &str)]) -> Result<Settings, String> {
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Settings::load_with_env(&repo_settings(), env).map_err(|e| e.to_string())
    }

    #[test]
    fn placeholder_secrets_are_refused_off_loopback() {
        let err = load(&[("LOGVIEW__SERVER__BIND", "0.0.0.0:8080")])
            .expect_err("public bind with the placeholders");
        assert!(
            err.contains("auth.api_tokens") && err.contains("dev-only-"),
            "{err}"
        );
        for bind in ["127.0.0.1:8080", "[::1]:8080"] {
            load(&[("LOGVIEW__SERVER__BIND", bind)]).expect("placeholders on loopback");
        }
        load(&[
            ("LOGVIEW__SERVER__BIND", "[::]:8080"),
            ("LOGVIEW__AUTH__API_TOKENS", "a-real-token-of-some-length"),
            (
                "LOGVIEW__AUTH__TICKET_KEY",
                "a-real-ticket-key-that-is-long-enough-0123",
            ),
            (
                "LOGVIEW__REDIS__URL",
                "redis://logview:real@10.0.0.5:6379/0",
            ),
            ("LOGVIEW__SALT__PASSWORD", "real-salt-password"),
            ("LOGVIEW__SALT__GATE_TOKEN", "a-real-gate-token-0123456789"),
        ])
        .expect("real secrets on a public bind");
        let e = load(&[("LOGVIEW__SERVER__BIND", "[::]:8080")]).expect_err("placeholders");
        assert!(e.contains("salt.gate_token"), "{e}");
    }

    #[test]
    fn hardening_limits_are_checked_and_named() {
        for (key, value, needle) in [
            (
                "LOGVIEW__HTTP__MAX_CONNECTIONS",
                "0",
                "http.max_connections",
            ),
            (
                "LOGVIEW__HTTP__IDLE_TIMEOUT_SECS",
                "10",
                "http.idle_timeout_secs",
            ),
            (
                "LOGVIEW__LOGIN__MAX_CONCURRENT_VERIFICATIONS",
                "0",
                "login.max_concurrent_verifications",
            ),
            (
                "LOGVIEW__AUTH__METRICS_TOKENS",
                "short",
                "auth.metrics_tokens",
            ),
            (
                "LOGVIEW__LIMITS__STREAM_BUFFER_BYTES",
                "0",
                "limits.stream_buffer_bytes",
            ),
        ] {
            let err = load(&[(key, value)]).expect_err(key);
            assert!(err.contains(needle), "{key}={value}: {err}");
        }
    }
}
