//! The one typed `Settings` of `logview`: loaded by the `config` crate from
//! `settings.toml` (every key documented there), then an optional extra file,
//! then environment variables `LOGVIEW__SECTION__KEY` (last, so they win),
//! and validated at start with messages that name the key.

use std::collections::BTreeMap;
use std::net::SocketAddr;
#[cfg(test)]
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

pub use http_url::HttpUrl;

mod gate;
mod hardening;
pub mod http_url;
mod targets;
mod validate;
pub use gate::{AuditSettings, GateClient, GateSettings};
pub use hardening::{HttpSettings, LoginSettings};
pub use targets::{is_target_name, TargetSettings, TARGET_TYPES};

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
    /// `[targets.<name>]`: named Salt targets of the fleet view.
    #[serde(default)]
    pub targets: BTreeMap<String, TargetSettings>,
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
    pub bind: SocketAddr,
    /// Base URL people and Django use to reach the service (may include a sub-path).
    pub public_url: HttpUrl,
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
    /// Seed nodes of a Redis Cluster holding the streams (same user); empty
    /// = the streams live at `url` (the default). `url` keeps the audit stream.
    #[serde(default)]
    pub cluster_urls: Vec<SecretString>,
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
    #[serde(default, deserialize_with = "http_url::optional")]
    pub gate_url: Option<HttpUrl>,
    /// logview's credential at saltgate (one of `gate.clients`).
    pub gate_token: SecretString,
    /// Base URL of salt-api (rest_cherrypy): used by saltgate (or by logview without a gate).
    pub api_url: HttpUrl,
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
    /// Backlog lines a newly started tailer writes to the stream whatever the
    /// first viewer asked for (at least that), so later viewers sharing the
    /// tailer get their own N from the stream (docs/sharing.md). Capped at
    /// `max_lines`.
    pub shared_backlog_lines: u32,
    /// Globs of paths that may be tailed on minions (`*` one segment, `**` any depth).
    pub allowed_paths: Vec<String>,
    /// Paths suggested on the ops page.
    #[serde(default)]
    pub suggestions: Vec<String>,
    /// Minion ids suggested on the index page (`/`).
    #[serde(default)]
    pub minion_suggestions: Vec<String>,
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
    /// Minions one fleet start may cover (a target's resolution, a `minion_ids` list).
    pub max_fleet: usize,
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
                    .with_list_parse_key("redis.cluster_urls")
                    .with_list_parse_key("auth.metrics_tokens")
                    .with_list_parse_key("server.allowed_origins")
                    .with_list_parse_key("tail.allowed_paths")
                    .with_list_parse_key("tail.suggestions")
                    .with_list_parse_key("tail.minion_suggestions")
                    .with_list_parse_key("local.allowed_paths")
                    .try_parsing(true)
                    .source(Some(env)),
            )
            .build()?;
        let settings: Settings = cfg.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Salt request timeout as a `Duration`.
    pub fn salt_request_timeout(&self) -> Duration {
        Duration::from_secs(self.salt.request_timeout_secs)
    }

    /// `public_url` with exactly one trailing slash, the base of every link.
    pub fn public_base(&self) -> String {
        self.server.public_url.base()
    }
}

/// The repository's `settings.toml`, built into the binary: the first and
/// lowest layer of every [`Settings::load`], so a `--config` file needs only
/// the keys it changes.
pub const DEFAULTS: &str = include_str!("../settings.toml");

#[cfg(test)]
impl Settings {
    /// The built-in `settings.toml` alone, as unit tests start from it.
    pub(crate) fn shipped() -> Settings {
        Settings::load(&[]).expect("the built-in settings.toml loads")
    }
}

#[cfg(test)]
mod tests;
