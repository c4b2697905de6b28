//! The one typed `Settings` of `logview`: loaded by the `config` crate from
//! `settings.toml` (every key documented there), then an optional extra file,
//! then environment variables `LOGVIEW__SECTION__KEY` (last, so they win),
//! and validated at start with messages that name the key.

use std::collections::BTreeMap;
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

mod hardening;
pub use hardening::{HttpSettings, LoginSettings};

/// Everything `logview` can be told. See `settings.toml` for each key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[server]`: where to listen and how the service is reached.
    pub server: ServerSettings,
    /// `[auth]`: API tokens, ops-page users, viewer tickets.
    pub auth: AuthSettings,
    /// `[redis]`: where the streams live.
    pub redis: RedisSettings,
    /// `[salt]`: the salt-api to drive and where logtail lives on minions.
    pub salt: SaltSettings,
    /// `[tail]`: what may be tailed and how.
    pub tail: TailSettings,
    /// `[limits]`: capacity limits answered with a clear message.
    pub limits: LimitSettings,
    /// `[viewer]`: browser-side behaviour.
    pub viewer: ViewerSettings,
    /// `[commands.<name>]`: allow-listed commands runnable on minions.
    #[serde(default)]
    pub commands: BTreeMap<String, CommandSettings>,
    /// `[local]`: files on logview's own host, tailed without Salt.
    pub local: LocalSettings,
    /// `[gate]`: saltgate's own settings (logview ignores them).
    pub gate: GateSettings,
    /// `[audit]`: where this process writes its audit trail.
    pub audit: AuditSettings,
    /// `[http]`: connection and request limits against hostile clients.
    pub http: HttpSettings,
    /// `[login]`: how ops-page password sign-ins are rate-limited.
    pub login: LoginSettings,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// Base URL people and Django use to reach the service (may include a sub-path).
    pub public_url: String,
    /// Origins allowed to open the WebSocket; empty means the origin of `public_url` only.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// CSP `frame-ancestors` value for pages (who may embed the viewer).
    pub frame_ancestors: String,
    /// Seconds to let in-flight requests and streams close on SIGTERM.
    pub shutdown_grace_secs: u64,
}

/// `[auth]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Bearer tokens accepted on `/api/*` (Django's).
    pub api_tokens: Vec<SecretString>,
    /// Ops-page users (HTTP Basic, argon2 hashes).
    #[serde(default)]
    pub users: Vec<UserSettings>,
    /// If set, a header an authenticating reverse proxy sets to the user name.
    #[serde(default)]
    pub trusted_user_header: String,
    /// HMAC key signing viewer tickets (at least 32 characters).
    pub ticket_key: SecretString,
    /// How long a viewer ticket stays valid, in seconds.
    pub ticket_ttl_secs: u64,
    /// Bearer tokens accepted on `/metrics` only (empty: `/metrics` refuses everyone).
    #[serde(default)]
    pub metrics_tokens: Vec<SecretString>,
}

/// One ops-page user.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSettings {
    /// Login name.
    pub name: String,
    /// argon2 PHC string (`logview hash-password` prints one).
    pub password_hash: String,
}

/// `[redis]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// Redis URL with the `logview` ACL user's credentials.
    pub url: SecretString,
    /// Stream key prefix (must match logtail's).
    pub prefix: String,
    /// Lease TTL in seconds; refreshed every third of it while a viewer is attached.
    pub lease_ttl_secs: u64,
}

/// `[salt]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaltSettings {
    /// saltgate's base URL; logview sends every Salt call there. Empty = talk
    /// to salt-api directly (development only: the eauth ACL is no boundary).
    #[serde(default)]
    pub gate_url: String,
    /// logview's credential at saltgate (one of `gate.clients`).
    pub gate_token: SecretString,
    /// Base URL of salt-api (rest_cherrypy): used by saltgate (or by logview without a gate).
    pub api_url: String,
    /// eauth user (the least-privilege `logview` user).
    pub username: String,
    /// Its password: only saltgate's settings (or logview's without a gate) hold it.
    #[serde(default)]
    pub password: Option<SecretString>,
    /// eauth backend, e.g. `sharedsecret` or `pam`.
    pub eauth: String,
    /// Whole-request timeout towards salt-api, in seconds.
    pub request_timeout_secs: u64,
    /// Salt `timeout` per call (seconds a minion has to answer).
    pub minion_timeout_secs: u64,
    /// Salt `gather_job_timeout` per call.
    pub gather_job_timeout_secs: u64,
    /// Path of the logtail binary on minions (the Salt state's install path).
    pub logtail_bin: String,
    /// Path of logtail's config file on minions.
    pub logtail_config: String,
    /// Seconds to wait for a launched tailer's `started` event.
    pub start_confirm_secs: u64,
}

/// `[tail]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailSettings {
    /// Backlog lines when the request names none.
    pub default_lines: u32,
    /// Largest backlog a request may ask for.
    pub max_lines: u32,
    /// Globs of paths that may be tailed on minions (`*` one segment, `**` any depth).
    pub allowed_paths: Vec<String>,
    /// Paths suggested on the ops page.
    #[serde(default)]
    pub suggestions: Vec<String>,
    /// Seconds a tailer lives on once no viewer is attached.
    pub idle_exit_secs: u64,
    /// Hard limit on a tailer's life, in seconds.
    pub max_duration_secs: u64,
}

/// `[limits]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Streams this process reads at once.
    pub max_streams: usize,
    /// Viewers attached to one stream.
    pub max_viewers_per_stream: usize,
    /// Tail/run requests in flight per API token.
    pub max_sessions_per_token: usize,
    /// Messages queued per viewer before it is told it dropped some.
    pub viewer_queue: usize,
    /// Bytes of live messages one stream keeps for its slowest viewer.
    pub stream_buffer_bytes: usize,
}

/// `[viewer]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewerSettings {
    /// Lines kept in the page before the oldest are trimmed.
    pub max_lines: u32,
    /// Seconds between heartbeats on idle streams.
    pub heartbeat_secs: u64,
}

/// `[commands.<name>]`: one allow-listed command.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSettings {
    /// Program and arguments, no shell. `argv[0]` is an absolute path.
    pub argv: Vec<String>,
    /// What it shows, for the ops page.
    pub description: String,
    /// Seconds before the process group is killed.
    pub timeout_secs: u64,
}

/// `[local]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalSettings {
    /// Whether `/log/local` and local tails are served at all.
    pub enabled: bool,
    /// Globs of local paths that may be tailed.
    #[serde(default)]
    pub allowed_paths: Vec<String>,
    /// Path of the logtail binary on this host.
    pub logtail_bin: String,
    /// Path of the logtail config used for local tails.
    pub logtail_config: String,
    /// Name shown in place of a minion id for local streams.
    pub host_id: String,
}

/// `[gate]`: saltgate, the only client of salt-api.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateSettings {
    /// Address saltgate listens on.
    pub bind: String,
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

/// A setting that could not be loaded or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file is missing, unreadable, not TOML, or has a wrong or unknown key.
    #[error("cannot load settings: {0}")]
    Load(#[from] config::ConfigError),
    /// A key has a value that is not allowed.
    #[error("invalid setting {key}: {problem}")]
    Invalid {
        /// Dotted key, e.g. `tail.max_lines`.
        key: String,
        /// What is wrong and what is allowed.
        problem: String,
    },
}

fn invalid(key: impl Into<String>, problem: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key: key.into(),
        problem: problem.into(),
    }
}

impl Settings {
    /// Loads the built-in defaults ([`DEFAULTS`], the repository's
    /// `settings.toml`), then the TOML files in order (later files override
    /// earlier keys), then `LOGVIEW__SECTION__KEY` environment overrides, and
    /// validates. No file is read but the given ones, whatever the working
    /// directory.
    pub fn load(paths: &[PathBuf]) -> Result<Settings, SettingsError> {
        Self::load_with_env(paths, std::env::vars())
    }

    /// Like [`Settings::load`] with an explicit environment (for tests).
    pub fn load_with_env(
        paths: &[PathBuf],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, SettingsError> {
        let env: config::Map<String, String> = env.into_iter().collect();
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        for path in paths {
            builder = builder.add_source(
                config::File::from(path.as_path())
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let cfg = builder
            .add_source(
                config::Environment::with_prefix("LOGVIEW")
                    .prefix_separator("__")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("auth.api_tokens")
                    .with_list_parse_key("auth.metrics_tokens")
                    .with_list_parse_key("server.allowed_origins")
                    .with_list_parse_key("tail.allowed_paths")
                    .with_list_parse_key("tail.suggestions")
                    .with_list_parse_key("local.allowed_paths")
                    .try_parsing(true)
                    .source(Some(env)),
            )
            .build()?;
        let settings: Settings = cfg.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values the types cannot: ranges, URLs, key lengths, command paths.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "server.bind",
                format!(
                    "{:?} is not an address like 127.0.0.1:8080",
                    self.server.bind
                ),
            ));
        }
        if !(self.server.public_url.starts_with("http://")
            || self.server.public_url.starts_with("https://"))
        {
            return Err(invalid(
                "server.public_url",
                "must start with http:// or https://",
            ));
        }
        if self
            .auth
            .api_tokens
            .iter()
            .any(|t| t.expose_secret().len() < 16)
        {
            return Err(invalid(
                "auth.api_tokens",
                "every token must be at least 16 characters",
            ));
        }
        if self.auth.ticket_key.expose_secret().len() < 32 {
            return Err(invalid("auth.ticket_key", "must be at least 32 characters"));
        }
        if self.auth.ticket_ttl_secs == 0 {
            return Err(invalid("auth.ticket_ttl_secs", "must be at least 1"));
        }
        if !self.redis.url.expose_secret().starts_with("redis://") {
            return Err(invalid("redis.url", "must be a redis:// URL"));
        }
        if self.redis.prefix.is_empty() || self.redis.prefix.contains(':') {
            return Err(invalid(
                "redis.prefix",
                "must be non-empty and contain no ':'",
            ));
        }
        if self.redis.lease_ttl_secs < 3 {
            return Err(invalid("redis.lease_ttl_secs", "must be at least 3"));
        }
        self.validate_gate()?;
        if !(self.salt.api_url.starts_with("http://") || self.salt.api_url.starts_with("https://"))
        {
            return Err(invalid(
                "salt.api_url",
                "must start with http:// or https://",
            ));
        }
        for (key, value) in [
            ("salt.logtail_bin", &self.salt.logtail_bin),
            ("salt.logtail_config", &self.salt.logtail_config),
        ] {
            if !value.starts_with('/') {
                return Err(invalid(key, format!("{value:?} must be an absolute path")));
            }
        }
        if self.tail.default_lines > self.tail.max_lines {
            return Err(invalid(
                "tail.default_lines",
                format!(
                    "{} is above tail.max_lines ({})",
                    self.tail.default_lines, self.tail.max_lines
                ),
            ));
        }
        if u64::from(self.tail.max_lines) > crate::tail::cli::MAX_LINES {
            let most = crate::tail::cli::MAX_LINES;
            return Err(invalid("tail.max_lines", format!("must be at most {most}")));
        }
        for (key, globs) in [
            ("tail.allowed_paths", &self.tail.allowed_paths),
            ("local.allowed_paths", &self.local.allowed_paths),
        ] {
            if let Some(g) = globs
                .iter()
                .find(|g| !g.starts_with('/') || g.contains(".."))
            {
                return Err(invalid(
                    key,
                    format!("{g:?} must be an absolute glob without '..'"),
                ));
            }
        }
        if self.limits.max_streams == 0
            || self.limits.max_viewers_per_stream == 0
            || self.limits.viewer_queue == 0
            || self.limits.max_sessions_per_token == 0
        {
            return Err(invalid("limits", "every limit must be at least 1"));
        }
        for (name, cmd) in &self.commands {
            let key = format!("commands.{name}");
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    key,
                    "command names may use only letters, digits, '-' and '_'",
                ));
            }
            match cmd.argv.first() {
                Some(p) if p.starts_with('/') => {}
                _ => {
                    return Err(invalid(
                        format!("{key}.argv"),
                        "must start with an absolute program path",
                    ))
                }
            }
            if cmd.timeout_secs == 0 {
                return Err(invalid(format!("{key}.timeout_secs"), "must be at least 1"));
            }
            if cmd.timeout_secs > crate::tail::cli::MAX_SECS {
                let most = crate::tail::cli::MAX_SECS;
                return Err(invalid(
                    format!("{key}.timeout_secs"),
                    format!("must be at most {most} (logtail's limit)"),
                ));
            }
            if let Some(a) = cmd.argv.iter().find(|a| a.chars().any(char::is_control)) {
                return Err(invalid(
                    format!("{key}.argv"),
                    format!("{a:?} contains a control character"),
                ));
            }
        }
        self.validate_control_plane()?;
        self.validate_hardening()
    }

    /// Checks of the keys the control plane (salt-api client, orchestrator,
    /// auth, local mode) relies on.
    fn validate_control_plane(&self) -> Result<(), SettingsError> {
        let s = &self.salt;
        for (key, value) in [
            ("salt.minion_timeout_secs", s.minion_timeout_secs),
            ("salt.gather_job_timeout_secs", s.gather_job_timeout_secs),
            ("salt.start_confirm_secs", s.start_confirm_secs),
            ("tail.default_lines", u64::from(self.tail.default_lines)),
            ("tail.idle_exit_secs", self.tail.idle_exit_secs),
            ("tail.max_duration_secs", self.tail.max_duration_secs),
            ("viewer.heartbeat_secs", self.viewer.heartbeat_secs),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        let most = crate::tail::cli::MAX_SECS;
        for (key, value) in [
            ("tail.idle_exit_secs", self.tail.idle_exit_secs),
            ("tail.max_duration_secs", self.tail.max_duration_secs),
        ] {
            if value > most {
                return Err(invalid(
                    key,
                    format!("must be at most {most} (logtail's limit)"),
                ));
            }
        }
        let down_minion = s.minion_timeout_secs + s.gather_job_timeout_secs;
        if s.request_timeout_secs <= down_minion {
            return Err(invalid(
                "salt.request_timeout_secs",
                format!(
                    "{} must be above salt.minion_timeout_secs + salt.gather_job_timeout_secs ({down_minion}), or a stopped minion is reported as salt-api hanging",
                    s.request_timeout_secs
                ),
            ));
        }
        if s.start_confirm_secs > 120 {
            return Err(invalid("salt.start_confirm_secs", "must be at most 120"));
        }
        for (key, value) in [("salt.username", &s.username), ("salt.eauth", &s.eauth)] {
            if value.trim().is_empty() {
                return Err(invalid(key, "must not be empty"));
            }
        }
        if self.tail.allowed_paths.is_empty() {
            return Err(invalid(
                "tail.allowed_paths",
                "must name at least one glob such as \"/var/log/**\"",
            ));
        }
        for p in &self.tail.suggestions {
            if let Err(e) = crate::target::LogPath::parse(p, &self.tail.allowed_paths) {
                return Err(invalid("tail.suggestions", e.message));
            }
        }
        if self.server.public_url.contains(['?', '#']) {
            return Err(invalid(
                "server.public_url",
                "must not contain a query or a fragment",
            ));
        }
        for o in &self.server.allowed_origins {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains('/')) {
                return Err(invalid(
                    "server.allowed_origins",
                    format!("{o:?} must be scheme://host[:port] without a path"),
                ));
            }
        }
        let header = &self.auth.trusted_user_header;
        if !header.is_empty()
            && !header
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid(
                "auth.trusted_user_header",
                format!("{header:?} is not a header name (letters, digits, '-', '_')"),
            ));
        }
        for u in &self.auth.users {
            if u.name.is_empty() || u.name.contains(':') {
                return Err(invalid(
                    "auth.users.name",
                    format!("{:?} must be non-empty and contain no ':'", u.name),
                ));
            }
            if !u.password_hash.starts_with("$argon2") {
                return Err(invalid(
                    "auth.users.password_hash",
                    format!(
                        "the hash of user {:?} is not an argon2 PHC string (make one with `logview hash-password`)",
                        u.name
                    ),
                ));
            }
        }
        let l = &self.local;
        if l.enabled {
            if crate::target::MinionId::parse(&l.host_id).is_err() {
                return Err(invalid(
                    "local.host_id",
                    "must be a valid minion id (A-Z a-z 0-9 . _ -, 1 to 64 characters)",
                ));
            }
            if l.allowed_paths.is_empty() {
                return Err(invalid(
                    "local.allowed_paths",
                    "must name at least one glob when local.enabled is true",
                ));
            }
            for (key, value) in [
                ("local.logtail_bin", &l.logtail_bin),
                ("local.logtail_config", &l.logtail_config),
            ] {
                if !value.starts_with('/') {
                    return Err(invalid(key, format!("{value:?} must be an absolute path")));
                }
            }
        }
        Ok(())
    }

    /// Checks of `[salt]` gate keys, `[gate]` and `[audit]`.
    fn validate_gate(&self) -> Result<(), SettingsError> {
        let s = &self.salt;
        if s.gate_url.is_empty() {
            if s.password.is_none() {
                return Err(invalid(
                    "salt.password",
                    "is required when salt.gate_url is empty (logview then talks to salt-api itself)",
                ));
            }
        } else {
            if !(s.gate_url.starts_with("http://") || s.gate_url.starts_with("https://")) {
                return Err(invalid(
                    "salt.gate_url",
                    "must start with http:// or https://",
                ));
            }
            if s.gate_token.expose_secret().len() < 16 {
                return Err(invalid("salt.gate_token", "must be at least 16 characters"));
            }
        }
        if self.gate.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "gate.bind",
                format!("{:?} is not an address like 127.0.0.1:8001", self.gate.bind),
            ));
        }
        let gate_loopback = self
            .gate
            .bind
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback());
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
        !self.salt.gate_url.is_empty()
    }

    /// Salt request timeout as a `Duration`.
    pub fn salt_request_timeout(&self) -> Duration {
        Duration::from_secs(self.salt.request_timeout_secs)
    }

    /// `public_url` with exactly one trailing slash, the base of every link.
    pub fn public_base(&self) -> String {
        format!("{}/", self.server.public_url.trim_end_matches('/'))
    }
}

/// The repository's `settings.toml`, built into the binary: the first and
/// lowest layer of every [`Settings::load`], so a `--config` file needs only
/// the keys it changes.
pub const DEFAULTS: &str = include_str!("../settings.toml");

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_settings() -> Vec<PathBuf> {
        vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml")]
    }

    #[test]
    fn the_shipped_settings_file_loads_and_validates() {
        let s = Settings::load_with_env(&repo_settings(), []).expect("settings.toml loads");
        assert!(s.tail.max_lines >= s.tail.default_lines);
        assert!(s.public_base().ends_with('/'));
    }

    #[test]
    fn environment_overrides_win_over_the_file() {
        let env = [
            ("LOGVIEW__TAIL__MAX_LINES".to_owned(), "777".to_owned()),
            (
                "LOGVIEW__SERVER__BIND".to_owned(),
                "127.0.0.1:9999".to_owned(),
            ),
        ];
        let s = Settings::load_with_env(&repo_settings(), env).expect("loads");
        assert_eq!(s.tail.max_lines, 777);
        assert_eq!(s.server.bind, "127.0.0.1:9999");
    }

    #[test]
    fn an_invalid_value_names_its_key() {
        let env = [(
            "LOGVIEW__TAIL__DEFAULT_LINES".to_owned(),
            "5000000".to_owned(),
        )];
        let err = Settings::load_with_env(&repo_settings(), env)
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("tail.default_lines"), "{err}");
    }

    #[test]
    fn control_plane_keys_are_checked_and_named() {
        for (key, value, needle) in [
            (
                "LOGVIEW__SALT__REQUEST_TIMEOUT_SECS",
                "2",
                "salt.request_timeout_secs",
            ),
            (
                "LOGVIEW__TAIL__SUGGESTIONS",
                "/etc/passwd",
                "tail.suggestions",
            ),
            ("LOGVIEW__TAIL__IDLE_EXIT_SECS", "0", "tail.idle_exit_secs"),
            (
                "LOGVIEW__TAIL__MAX_DURATION_SECS",
                "31536001",
                "at most 31536000",
            ),
            ("LOGVIEW__TAIL__MAX_LINES", "1000001", "at most 1000000"),
            (
                "LOGVIEW__COMMANDS__DISK__TIMEOUT_SECS",
                "31536001",
                "commands.disk.timeout_secs",
            ),
            (
                "LOGVIEW__SERVER__ALLOWED_ORIGINS",
                "https://x.example/path",
                "server.allowed_origins",
            ),
            (
                "LOGVIEW__AUTH__TRUSTED_USER_HEADER",
                "X User",
                "auth.trusted_user_header",
            ),
            ("LOGVIEW__SALT__USERNAME", " ", "salt.username"),
        ] {
            let env = [(key.to_owned(), value.to_owned())];
            let err = Settings::load_with_env(&repo_settings(), env)
                .expect_err(key)
                .to_string();
            assert!(err.contains(needle), "{key}={value}: {err}");
        }
        let env = [
            ("LOGVIEW__LOCAL__ENABLED".to_owned(), "true".to_owned()),
            ("LOGVIEW__LOCAL__HOST_ID".to_owned(), "my host".to_owned()),
        ];
        let err = Settings::load_with_env(&repo_settings(), env)
            .expect_err("host id")
            .to_string();
        assert!(err.contains("local.host_id"), "{err}");
    }

    #[test]
    fn a_config_file_with_two_keys_is_an_overlay_on_the_built_in_defaults_from_any_cwd() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A `settings.toml` in the working directory must not be read.
        std::fs::write(dir.path().join("settings.toml"), "not [ toml").expect("write");
        let overlay = dir.path().join("production.toml");
        std::fs::write(
            &overlay,
            "[server]\nbind = \"127.0.0.1:9090\"\n\n\
             [auth]\napi_tokens = [\"production-token-0123456789\"]\n",
        )
        .expect("write");
        let cwd = std::env::current_dir().expect("cwd");
        std::env::set_current_dir(dir.path()).expect("cd to the temporary directory");
        let loaded = Settings::load_with_env(std::slice::from_ref(&overlay), []);
        let defaults = Settings::load_with_env(&[], []);
        std::env::set_current_dir(cwd).expect("cd back");

        let s = loaded.expect("an overlay with two keys loads");
        let defaults = defaults.expect("the built-in defaults alone load");
        assert_eq!(s.server.bind, "127.0.0.1:9090");
        // A list in the overlay replaces the default list, it is not merged into it.
        let tokens: Vec<&str> = s
            .auth
            .api_tokens
            .iter()
            .map(|t| t.expose_secret())
            .collect();
        assert_eq!(tokens, ["production-token-0123456789"]);
        // Every other key keeps its default.
        assert_eq!(s.server.public_url, defaults.server.public_url);
        assert_eq!(format!("{:?}", s.tail), format!("{:?}", defaults.tail));
        assert_eq!(format!("{:?}", s.salt), format!("{:?}", defaults.salt));
        assert_eq!(format!("{:?}", s.limits), format!("{:?}", defaults.limits));
        assert_eq!(
            s.commands.keys().collect::<Vec<_>>(),
            defaults.commands.keys().collect::<Vec<_>>()
        );
        assert_eq!(
            s.tail.max_lines, 10000,
            "the value of the shipped settings.toml"
        );
    }

    #[test]
    fn commands_of_a_config_file_add_to_the_built_in_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let overlay = dir.path().join("commands.toml");
        std::fs::write(
            &overlay,
            "[commands.date]\nargv = [\"/bin/date\"]\ndescription = \"Date\"\ntimeout_secs = 5\n\n\
             [commands.disk]\ntimeout_secs = 7\n",
        )
        .expect("write");
        let s = Settings::load_with_env(&[overlay], []).expect("loads");
        assert_eq!(s.commands["date"].argv, ["/bin/date"]);
        assert_eq!(s.commands["disk"].timeout_secs, 7);
        assert_eq!(
            s.commands["disk"].argv,
            ["/bin/df", "-h"],
            "the rest of disk is kept"
        );
        assert!(s.commands.contains_key("uptime"));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let s = Settings::load_with_env(&repo_settings(), []).expect("loads");
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains(s.auth.ticket_key.expose_secret()),
            "ticket key leaked into Debug"
        );
        assert!(
            !dbg.contains(s.salt.gate_token.expose_secret()),
            "gate token leaked into Debug"
        );
    }
}

#[cfg(test)]
mod gate_settings_tests {
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
