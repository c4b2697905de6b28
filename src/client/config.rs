//! Where the client finds logview's URL and its API token: the environment
//! (`LOGVIEW_URL`, `LOGVIEW_TOKEN`), else a TOML file
//! (`$LOGVIEW_CLIENT_CONFIG`, else `~/.config/logview/client.toml`) that
//! only its owner may read. Never the command line: argv is visible to every
//! user of the machine.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

/// Environment variable: logview's base URL (`https://ops.example.com/logview/`).
pub const ENV_URL: &str = "LOGVIEW_URL";
/// Environment variable: the API token (one of logview's `auth.api_tokens`).
pub const ENV_TOKEN: &str = "LOGVIEW_TOKEN";
/// Environment variable: the config file to read instead of the default one.
pub const ENV_CONFIG: &str = "LOGVIEW_CLIENT_CONFIG";

/// Where and how to reach logview.
#[derive(Debug)]
pub struct ClientConfig {
    /// Base URL, always ending in `/`.
    pub url: String,
    /// The bearer token of `/api/*`.
    pub token: SecretString,
}

/// A configuration that cannot be used; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither the environment nor a config file gives the URL or the token.
    #[error(
        "no logview {what}: set {env} or put `{key} = \"…\"` in {file} \
         (or the file named by {ENV_CONFIG}); the token is never taken from the command line"
    )]
    Missing {
        /// "URL" or "API token".
        what: &'static str,
        /// The environment variable.
        env: &'static str,
        /// The key in the file.
        key: &'static str,
        /// The config file looked at.
        file: String,
    },
    /// The file holds the token but others may read it.
    #[error(
        "refusing {path}: it holds the API token but its mode is {mode:04o} (group or others have access); \
         run `chmod 600 {path}`"
    )]
    TooOpen {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// The file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not the expected TOML.
    #[error("{path} is not a valid client config (keys: url, token): {detail}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's words.
        detail: String,
    },
    /// The URL is not http(s).
    #[error("logview URL {0:?} must start with http:// or https://")]
    BadUrl(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    url: Option<String>,
    token: Option<String>,
}

impl ClientConfig {
    /// From the process environment, then the config file for what is missing.
    pub fn load() -> Result<ClientConfig, ConfigError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let file = env(ENV_CONFIG).map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(env("HOME").unwrap_or_default()).join(".config/logview/client.toml")
        });
        Self::from_parts(env(ENV_URL), env(ENV_TOKEN), &file)
    }

    /// The rule itself: each of URL and token from the environment if set,
    /// else from `file` (read only when needed, refused when too open).
    pub fn from_parts(
        url: Option<String>,
        token: Option<String>,
        file: &Path,
    ) -> Result<ClientConfig, ConfigError> {
        let from_file = if url.is_none() || token.is_none() {
            read_file(file)?
        } else {
            FileConfig::default()
        };
        let name = file.display().to_string();
        let url = url.or(from_file.url).ok_or(ConfigError::Missing {
            what: "URL",
            env: ENV_URL,
            key: "url",
            file: name.clone(),
        })?;
        let token = token.or(from_file.token).ok_or(ConfigError::Missing {
            what: "API token",
            env: ENV_TOKEN,
            key: "token",
            file: name,
        })?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::BadUrl(url));
        }
        let url = if url.ends_with('/') {
            url
        } else {
            format!("{url}/")
        };
        Ok(ClientConfig {
            url,
            token: SecretString::from(token),
        })
    }
}

/// The file's settings; an absent file is an empty one.
fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let name = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(source) => return Err(ConfigError::Read { path: name, source }),
    };
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::TooOpen { path: name, mode });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: name.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: name,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn write(dir: &Path, mode: u32, text: &str) -> PathBuf {
        let p = dir.join("client.toml");
        std::fs::write(&p, text).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        p
    }

    #[test]
    fn a_group_or_world_readable_file_is_refused_and_the_error_says_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        for mode in [0o644, 0o640, 0o604, 0o660] {
            let p = write(dir.path(), mode, "url = \"http://h/\"\ntoken = \"t\"\n");
            let e = ClientConfig::from_parts(None, None, &p).expect_err("too open");
            let text = e.to_string();
            assert!(matches!(e, ConfigError::TooOpen { .. }), "{text}");
            assert!(
                text.contains("holds the API token") && text.contains("chmod 600"),
                "{text}"
            );
        }
    }

    #[test]
    fn an_owner_only_file_gives_url_and_token_and_the_environment_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = write(
            dir.path(),
            0o600,
            "url = \"http://h:1/lv\"\ntoken = \"file-token\"\n",
        );
        let c = ClientConfig::from_parts(None, None, &p).expect("loads");
        assert_eq!(c.url, "http://h:1/lv/");
        assert_eq!(c.token.expose_secret(), "file-token");
        let c = ClientConfig::from_parts(None, Some("env-token".into()), &p).expect("loads");
        assert_eq!(c.token.expose_secret(), "env-token");
        assert_eq!(c.url, "http://h:1/lv/");
    }

    #[test]
    fn missing_values_and_bad_urls_name_what_to_set() {
        let dir = tempfile::tempdir().expect("tempdir");
        let absent = dir.path().join("none.toml");
        let e = ClientConfig::from_parts(Some("http://h/".into()), None, &absent)
            .expect_err("no token");
        assert!(e.to_string().contains("LOGVIEW_TOKEN"), "{e}");
        let e = ClientConfig::from_parts(Some("ftp://h/".into()), Some("t".into()), &absent)
            .expect_err("bad url");
        assert!(matches!(e, ConfigError::BadUrl(_)), "{e}");
        // Both from the environment: the file is not even read (so a bad one does not matter).
        let p = write(dir.path(), 0o644, "nonsense");
        assert!(ClientConfig::from_parts(Some("http://h".into()), Some("t".into()), &p).is_ok());
    }
}
