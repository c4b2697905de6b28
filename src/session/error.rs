//! `SessionError`: why a tail or command session did not start, worded for
//! the person who asked (which minion, which file, what to do). Internals
//! (Salt's raw answers, Redis errors) stay in the `source` chain for logs.

use crate::salt_api::SaltError;
use crate::target::InputError;

/// Why a session did not start. `Display` is user-facing.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A request field is missing or not allowed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The Salt master has no accepted key for the minion.
    #[error("minion {minion} is not known to the Salt master; check the minion id")]
    MinionUnknown {
        /// The id asked for.
        minion: String,
    },
    /// The minion's key is accepted but it did not answer.
    #[error("minion {minion} did not answer within {secs} s; is salt-minion running on it and connected to the master?")]
    MinionTimeout {
        /// The id asked for.
        minion: String,
        /// How long Salt waited.
        secs: u64,
    },
    /// `file.file_exists` said false: false for a missing path and for a
    /// directory, FIFO or device alike (it is true for regular files only),
    /// so the words name both.
    #[error("{path} is not a regular file on minion {minion}: it does not exist, or it is a directory or some other non-file")]
    FileMissing {
        /// The minion (or local host id).
        minion: String,
        /// The path asked for.
        path: String,
    },
    /// salt-api is down, hangs or answers 5xx.
    #[error("salt-api is not reachable or did not answer in time; try again shortly (operators: check salt-api and the salt-master)")]
    SaltUnavailable(#[source] SaltError),
    /// salt-api answered something that is not a Salt answer (a 4xx, a non-JSON 200).
    #[error(
        "salt-api gave an answer logview cannot use; operators: see logview's log and salt-api's"
    )]
    SaltUnexpected(#[source] SaltError),
    /// logview could not log in to salt-api.
    #[error("logview cannot authenticate to Salt; operators: check salt.gate_token (one of saltgate's gate.clients tokens) and saltgate's salt.username, salt.password and salt.eauth (without a gate: logview's own)")]
    SaltLogin(#[source] SaltError),
    /// The eauth ACL refused a call logview makes: ACL and settings disagree.
    #[error("Salt refused logview's call ({function}) on minion {minion}: saltgate (or the eauth ACL) does not allow it, so its settings and logview's disagree; operators: compare saltgate's salt.logtail_bin, salt.logtail_config, tail.allowed_paths and [commands] with logview's")]
    SaltRefused {
        /// The refused function.
        function: String,
        /// The minion.
        minion: String,
        /// The salt-api error.
        #[source]
        source: SaltError,
    },
    /// A Salt function failed on the minion.
    #[error("Salt reported an error on minion {minion}: {message}")]
    SaltFunction {
        /// The minion.
        minion: String,
        /// Salt's message (first line).
        message: String,
        /// The salt-api error.
        #[source]
        source: SaltError,
    },
    /// logtail was launched but did not confirm that it runs.
    #[error("logtail did not start on {minion} for {what}: {reason}")]
    NotStarted {
        /// The minion (or local host id).
        minion: String,
        /// The path or command.
        what: String,
        /// What it said, or that it said nothing.
        reason: String,
    },
    /// `logtail stop` (or a local spawn) failed before launching.
    #[error("could not prepare the tail of {path} on {minion}: {reason}")]
    Prepare {
        /// The minion (or local host id).
        minion: String,
        /// The path.
        path: String,
        /// What failed.
        reason: String,
    },
    /// Another logview replica held the start of this stream for longer than
    /// a start can take (its claim did not expire, or was taken again).
    #[error("another logview is still starting the tail of {path} on {minion} (waited {secs} s); try again shortly")]
    StartBusy {
        /// The minion (or local host id).
        minion: String,
        /// The path.
        path: String,
        /// How long this request waited.
        secs: u64,
    },
    /// Redis is unreachable or refused a command.
    #[error(
        "the stream store (Redis) is not reachable; try again shortly (operators: check redis.url)"
    )]
    Redis(#[from] redis::RedisError),
    /// The local host cannot run logtail.
    #[error("local tailing failed: {0}")]
    Local(String),
    /// A fleet request names a target that is not a `[targets.*]` name.
    #[error("target {name} is not one of the configured targets ([targets.*]); GET /api/targets lists them")]
    UnknownTarget {
        /// The name asked for.
        name: String,
    },
    /// The target's expression matches no minion.
    #[error("target {name} matches no minion with an accepted key")]
    TargetEmpty {
        /// The name asked for.
        name: String,
    },
    /// A fleet covers more minions than `limits.max_fleet`.
    #[error("{field} covers {count} minions, more than limits.max_fleet ({max})")]
    FleetTooLarge {
        /// `target` or `minion_ids`.
        field: &'static str,
        /// How many minions it covers.
        count: usize,
        /// `limits.max_fleet`.
        max: usize,
    },
    /// A fleet start in which no minion joined the view (every outcome inside).
    #[error("the view started on none of the minions: {}", .0.summary())]
    FleetNoneStarted(Box<super::fleet_outcome::FleetReport>),
}

impl SessionError {
    /// The request field at fault, for `{"field": …}`.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SessionError::Input(e) => Some(e.field),
            SessionError::MinionUnknown { .. } | SessionError::MinionTimeout { .. } => {
                Some("minion_id")
            }
            SessionError::FileMissing { .. } => Some("log_path"),
            SessionError::UnknownTarget { .. } | SessionError::TargetEmpty { .. } => Some("target"),
            SessionError::FleetTooLarge { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Maps a salt-api failure on `minion` to what the user is told.
    pub fn from_salt(e: SaltError, minion: &str) -> SessionError {
        match e {
            SaltError::MinionUnknown { minion } => SessionError::MinionUnknown { minion },
            SaltError::MinionUnreachable {
                minion,
                waited_secs,
            } => SessionError::MinionTimeout {
                minion,
                secs: waited_secs,
            },
            SaltError::Unavailable { .. } => SessionError::SaltUnavailable(e),
            SaltError::Unexpected { .. } => SessionError::SaltUnexpected(e),
            SaltError::LoginRefused { .. } | SaltError::TokenRejected { .. } => {
                SessionError::SaltLogin(e)
            }
            SaltError::NotAuthorized { ref function, .. }
            | SaltError::GateRefused { ref function, .. } => SessionError::SaltRefused {
                function: function.clone(),
                minion: minion.to_owned(),
                source: e,
            },
            SaltError::FunctionFailed { ref message, .. } => SessionError::SaltFunction {
                minion: minion.to_owned(),
                message: message.clone(),
                source: e,
            },
        }
    }
}
