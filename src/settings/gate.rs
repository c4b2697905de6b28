//! The saltgate keys of `Settings`: `[salt]`'s gate URL and token (logview's
//! side), `[gate]` (saltgate's bind address and clients) and `[audit]` (the
//! trail both processes write), with their checks. docs/gate.md explains them.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{invalid, Settings, SettingsError};

/// `[gate]`: saltgate, the only client of salt-api.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSettings {
    /// Address saltgate listens on.
    pub bind: std::net::SocketAddr,
    /// Clients allowed to call saltgate, each with its own token.
    pub clients: Vec<GateClient>,
}

/// One saltgate client.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateClient {
    /// Name recorded in the audit trail (e.g. `logview`).
    pub name: String,
    /// Its bearer token (at least 16 characters).
    pub token: SecretString,
}

/// `[audit]`: this process's audit trail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// JSON-lines file appended to (mode 0600); empty = no file.
    #[serde(default)]
    pub file: String,
    /// Redis stream key of the trail (outside the tailers' key prefix).
    pub stream: String,
    /// Records kept in the stream, about.
    pub stream_max_len: usize,
    /// Redis URL of a user that may XADD the stream; empty = `redis.url`.
    #[serde(default)]
    pub redis_url: Option<SecretString>,
}

impl Settings {
    /// Checks of `[salt]` gate keys, `[gate]` and `[audit]`.
    pub(super) fn validate_gate(&self) -> Result<(), SettingsError> {
        let s = &self.salt;
        match &s.gate_url {
            None if s.password.is_none() => {
                return Err(invalid(
                    "salt.password",
                    "is required when salt.gate_url is empty (logview then talks to salt-api itself)",
                ));
            }
            Some(_) if s.gate_token.expose_secret().len() < 16 => {
                return Err(invalid("salt.gate_token", "must be at least 16 characters"));
            }
            _ => {}
        }
        let gate_loopback = self.gate.bind.ip().is_loopback();
        if !gate_loopback {
            if let Some(c) = self
                .gate
                .clients
                .iter()
                .find(|c| c.token.expose_secret().contains("dev-only-"))
            {
                return Err(invalid(
                    "gate.clients.token",
                    format!(
                        "the token of client {:?} is the public dev-only- placeholder while gate.bind ({}) is not a loopback address",
                        c.name, self.gate.bind
                    ),
                ));
            }
        }
        for c in &self.gate.clients {
            if c.name.is_empty()
                || !c
                    .name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
            {
                return Err(invalid(
                    "gate.clients.name",
                    format!("{:?} may use only letters, digits, '-' and '_'", c.name),
                ));
            }
            if c.token.expose_secret().len() < 16 {
                return Err(invalid(
                    "gate.clients.token",
                    format!(
                        "the token of client {:?} must be at least 16 characters",
                        c.name
                    ),
                ));
            }
        }
        let a = &self.audit;
        if a.stream.is_empty() || a.stream.starts_with(&format!("{}:", self.redis.prefix)) {
            return Err(invalid(
                "audit.stream",
                format!(
                    "must be non-empty and outside the tailers' prefix {:?}",
                    self.redis.prefix
                ),
            ));
        }
        if a.stream_max_len == 0 {
            return Err(invalid("audit.stream_max_len", "must be at least 1"));
        }
        Ok(())
    }

    /// Whether logview reaches Salt through saltgate.
    pub fn uses_gate(&self) -> bool {
        self.salt.gate_url.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlays_gate_clients_replace_the_dev_only_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let overlay = dir.path().join("gate.toml");
        std::fs::write(
            &overlay,
            "[salt]\npassword = \"salt-password\"\n\n\
             [[gate.clients]]\nname = \"logview\"\ntoken = \"production-gate-token-0123\"\n",
        )
        .expect("write");
        let s = Settings::load_with_env(std::slice::from_ref(&overlay), []).expect("loads");
        let clients: Vec<(&str, &str)> = s
            .gate
            .clients
            .iter()
            .map(|c| (c.name.as_str(), c.token.expose_secret()))
            .collect();
        assert_eq!(clients, [("logview", "production-gate-token-0123")]);
    }

    #[test]
    fn gate_keys_are_checked_and_named() {
        for (key, value, needle) in [
            ("LOGVIEW__SALT__GATE_TOKEN", "short", "salt.gate_token"),
            ("LOGVIEW__SALT__GATE_URL", "ftp://x", "salt.gate_url"),
            ("LOGVIEW__GATE__BIND", "nowhere", "gate.bind"),
            ("LOGVIEW__AUDIT__STREAM", "logs:audit", "audit.stream"),
            (
                "LOGVIEW__AUDIT__STREAM_MAX_LEN",
                "0",
                "audit.stream_max_len",
            ),
        ] {
            let err = Settings::load_with_env(&[], [(key.to_owned(), value.to_owned())])
                .expect_err(key)
                .to_string();
            assert!(err.contains(needle), "{key}={value}: {err}");
        }
        let direct = [("LOGVIEW__SALT__GATE_URL".to_owned(), String::new())];
        let err = Settings::load_with_env(&[], direct)
            .expect_err("no gate and no password")
            .to_string();
        assert!(err.contains("salt.password"), "{err}");
    }
}
