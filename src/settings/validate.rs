//! The checks of `Settings` that the types cannot express: ranges, key
//! lengths, command paths (addresses and URLs are typed: `SocketAddr`,
//! `HttpUrl`); every error names its key and what is allowed.

use secrecy::ExposeSecret;

use super::{invalid, Settings, SettingsError};

/// `server.frame_ancestors`: CSP sources separated by spaces, each made of the
/// characters the page headers accept (`http/pages/security.rs`). Anything else
/// (a comma, a `;`) is refused here, naming the key, instead of being replaced
/// by `'self'` when the header is built, which would block a portal silently.
fn check_frame_ancestors(value: &str) -> Result<(), SettingsError> {
    let source_char = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '\'' | ':' | '/' | '.' | '-' | '*' | '_')
    };
    let example = "e.g. \"'self' https://portal.example.com\" (origins as scheme://host[:port], separated by spaces)";
    if value.split_whitespace().next().is_none() {
        return Err(invalid(
            "server.frame_ancestors",
            format!("is empty; name who may frame logview's pages, {example}, or 'none'"),
        ));
    }
    if let Some(bad) = value
        .split_whitespace()
        .find(|t| !t.chars().all(source_char))
    {
        return Err(invalid(
            "server.frame_ancestors",
            format!("{bad:?} is not a CSP source; use {example}"),
        ));
    }
    Ok(())
}

impl Settings {
    /// Checks values the types cannot: ranges, key lengths, command paths.
    pub fn validate(&self) -> Result<(), SettingsError> {
        check_frame_ancestors(&self.server.frame_ancestors)?;
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
        for url in &self.redis.cluster_urls {
            let url = url.expose_secret();
            if !url.starts_with("redis://") || url.contains('?') {
                return Err(invalid(
                    "redis.cluster_urls",
                    "each must be a redis://user:password@host:port URL (no TLS, no query)",
                ));
            }
            match redis::Client::open(url) {
                Ok(c) if c.get_connection_info().redis_settings().db() == 0 => {}
                _ => {
                    return Err(invalid(
                        "redis.cluster_urls",
                        "each must be a valid redis://user:password@host:port URL of database 0",
                    ))
                }
            }
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
        self.validate_targets()?;
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
        if self.server.public_url.has_query_or_fragment() {
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
}
