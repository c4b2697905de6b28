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
    /// Base URL of salt-api (rest_cherrypy).
    pub api_url: String,
    /// eauth user (the least-privilege `logview` user).
    pub username: String,
    /// Its password (for `sharedsecret`: the shared secret).
    pub password: SecretString,
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
    /// Loads the TOML files in order (later files override earlier keys), then
    /// `LOGVIEW__SECTION__KEY` environment overrides, and validates.
    pub fn load(paths: &[PathBuf]) -> Result<Settings, SettingsError> {
        Self::load_with_env(paths, std::env::vars())
    }

    /// Like [`Settings::load`] with an explicit environment (for tests).
    pub fn load_with_env(
        paths: &[PathBuf],
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, SettingsError> {
        let env: config::Map<String, String> = env.into_iter().collect();
        let mut builder = config::Config::builder();
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
        if self.tail.max_lines > 1_000_000 {
            return Err(invalid("tail.max_lines", "must be at most 1000000"));
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

    /// Salt request timeout as a `Duration`.
    pub fn salt_request_timeout(&self) -> Duration {
        Duration::from_secs(self.salt.request_timeout_secs)
    }

    /// `public_url` with exactly one trailing slash, the base of every link.
    pub fn public_base(&self) -> String {
        format!("{}/", self.server.public_url.trim_end_matches('/'))
    }
}

/// Default settings file: `settings.toml` beside the working directory.
pub fn default_path() -> PathBuf {
    PathBuf::from("settings.toml")
}

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
    fn secrets_do_not_show_in_debug_output() {
        let s = Settings::load_with_env(&repo_settings(), []).expect("loads");
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains(s.auth.ticket_key.expose_secret()),
            "ticket key leaked into Debug"
        );
        assert!(
            !dbg.contains(s.salt.password.expose_secret()),
            "salt password leaked into Debug"
        );
    }
}
