//! What can end `logview tail` / `logview run` early, and the exit code of
//! each (the table in `docs/cli.md` and in `logview tail --help`).

use super::config::ConfigError;

/// Exit code: the command line is wrong (target syntax, `--grep` regex, fleet target).
pub const EXIT_USAGE: u8 = 64;
/// Exit code: logview refused the request (`field` and `message` are printed).
pub const EXIT_REFUSED: u8 = 65;
/// Exit code: logview is unreachable, answered 5xx, or the stream could not be resumed.
pub const EXIT_UNAVAILABLE: u8 = 69;
/// Exit code: the stream ended with the tailer stopped by an error.
pub const EXIT_STREAM_ERROR: u8 = 70;
/// Exit code: stdout or stderr could not be written (other than a closed pipe).
pub const EXIT_IO: u8 = 74;
/// Exit code: the token or the viewer ticket was refused (401/403).
pub const EXIT_AUTH: u8 = 77;
/// Exit code: no URL or token, or the client config file is unusable.
pub const EXIT_CONFIG: u8 = 78;
/// Exit code: interrupted by Ctrl-C (SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why the client stopped before a clean end.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The command line cannot be used.
    #[error("{0}")]
    Usage(String),
    /// URL/token configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// logview answered 4xx with its message (and the field it names).
    #[error("logview refused the request (HTTP {status}){}: {message}", field_text(.field))]
    Refused {
        /// HTTP status.
        status: u16,
        /// The request field the message is about, when logview named one.
        field: Option<String>,
        /// logview's own words.
        message: String,
    },
    /// 401/403: the API token or the viewer ticket was refused.
    #[error("logview refused the credentials (HTTP {status}): {message}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// logview's own words.
        message: String,
    },
    /// 5xx from logview (Salt, saltgate or Redis trouble behind it).
    #[error("logview could not do it (HTTP {status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// logview's own words.
        message: String,
    },
    /// No HTTP answer at all.
    #[error("cannot reach logview at {url}: {detail}")]
    Unreachable {
        /// The URL asked (never carries a secret: the ticket is not a credential, the token is a header).
        url: String,
        /// What failed.
        detail: String,
    },
    /// The stream broke and every reconnect attempt failed.
    #[error("the stream was lost and could not be resumed after {attempts} attempts: {detail}")]
    StreamLost {
        /// Attempts made in a row without receiving anything.
        attempts: u32,
        /// The last failure.
        detail: String,
    },
    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

fn field_text(field: &Option<String>) -> String {
    match field {
        Some(f) => format!(" [field {f}]"),
        None => String::new(),
    }
}

impl ClientError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::Usage(_) => EXIT_USAGE,
            ClientError::Config(_) => EXIT_CONFIG,
            ClientError::Refused { .. } => EXIT_REFUSED,
            ClientError::Auth { .. } => EXIT_AUTH,
            ClientError::Server { .. }
            | ClientError::Unreachable { .. }
            | ClientError::StreamLost { .. } => EXIT_UNAVAILABLE,
            ClientError::Output(_) => EXIT_IO,
        }
    }

    /// The error for an HTTP answer that is not a success.
    pub fn from_status(status: u16, field: Option<String>, message: String) -> ClientError {
        match status {
            401 | 403 => ClientError::Auth { status, message },
            400..=499 => ClientError::Refused {
                status,
                field,
                message,
            },
            _ => ClientError::Server { status, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_distinct_exit_codes_and_the_field_is_named() {
        let e = ClientError::from_status(400, Some("log_path".into()), "not allowed".into());
        assert_eq!(e.exit_code(), EXIT_REFUSED);
        assert_eq!(
            e.to_string(),
            "logview refused the request (HTTP 400) [field log_path]: not allowed"
        );
        assert_eq!(
            ClientError::from_status(401, None, "x".into()).exit_code(),
            EXIT_AUTH
        );
        assert_eq!(
            ClientError::from_status(502, None, "x".into()).exit_code(),
            EXIT_UNAVAILABLE
        );
    }
}
