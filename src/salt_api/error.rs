//! The typed failures of a salt-api call: every way Salt's polymorphic
//! answers (docs/salt-gotchas.md#g4) and the transport can go wrong, each a variant.

use std::fmt;

/// Why salt-api could not be used at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    /// Nothing listens at the URL (connection refused) or the connection failed.
    Connect,
    /// No answer within `salt.request_timeout_secs` (the master is down: salt-api hangs ~90 s).
    Timeout {
        /// The limit that elapsed.
        secs: u64,
    },
    /// salt-api answered with this 5xx status.
    Status(u16),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Connect => f.write_str("cannot connect"),
            Unavailable::Timeout { secs } => write!(f, "no answer within {secs} s"),
            Unavailable::Status(s) => write!(f, "answered HTTP {s}"),
        }
    }
}

/// A failed salt-api call. `Display` is for logs; it never contains salt-api's
/// HTML bodies, passwords or tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaltError {
    /// The master has no accepted key for this id: Salt answers `{}`.
    #[error("minion {minion:?} is not known to the Salt master")]
    MinionUnknown {
        /// The targeted id.
        minion: String,
    },
    /// The key is accepted but the minion did not answer within `timeout` +
    /// `gather_job_timeout` ("Minion did not return", `out: no_return`).
    #[error("minion {minion:?} did not answer within {waited_secs} s")]
    MinionUnreachable {
        /// The targeted id.
        minion: String,
        /// `timeout` + `gather_job_timeout` of the call.
        waited_secs: u64,
    },
    /// The function ran and failed: retcode ≠ 0, or a string where a value was expected.
    #[error("{function} on {minion:?} failed (retcode {retcode}): {message}")]
    FunctionFailed {
        /// The Salt function.
        function: String,
        /// The targeted id.
        minion: String,
        /// Salt's retcode (1 when Salt gave none).
        retcode: i64,
        /// Salt's message.
        message: String,
    },
    /// salt-api is down, hangs, or answers 5xx.
    #[error("salt-api at {url} is unavailable: {reason}")]
    Unavailable {
        /// The salt-api base URL (never carries credentials).
        url: String,
        /// What happened.
        reason: Unavailable,
    },
    /// `/login` answered 401: user, password or eauth backend are wrong.
    #[error("salt-api refused the login of user {user:?} with eauth {eauth:?} (check salt.username, salt.password, salt.eauth)")]
    LoginRefused {
        /// The eauth user.
        user: String,
        /// The eauth backend.
        eauth: String,
    },
    /// 401 "Authorization error" even after a fresh login: the eauth ACL refused
    /// this exact call, so the ACL and logview's settings disagree.
    #[error("the Salt eauth ACL of user {user:?} refused {function} (the ACL and logview's settings salt.logtail_bin, salt.logtail_config, tail.allowed_paths or [commands] disagree)")]
    NotAuthorized {
        /// The eauth user.
        user: String,
        /// The refused function.
        function: String,
    },
    /// saltgate refused the call's shape (403): logview and the gate's
    /// settings disagree, or the call was not one of logview's shapes.
    #[error("saltgate refused {function}: {reason}")]
    GateRefused {
        /// The refused function.
        function: String,
        /// The gate's sentence naming the field.
        reason: String,
    },
    /// 401 for another reason even after a fresh login.
    #[error("salt-api rejected a fresh token of user {user:?} ({detail})")]
    TokenRejected {
        /// The eauth user.
        user: String,
        /// salt-api's message, HTML stripped and shortened.
        detail: String,
    },
    /// A 4xx other than 401, or a 200 whose body is not what Salt sends.
    #[error("salt-api gave an unexpected answer: {detail}")]
    Unexpected {
        /// What was unexpected (HTML stripped and shortened).
        detail: String,
    },
}

impl SaltError {
    /// A short label for metrics (`record_salt_call`'s `outcome`).
    pub fn label(&self) -> &'static str {
        match self {
            SaltError::MinionUnknown { .. } => "minion_unknown",
            SaltError::MinionUnreachable { .. } => "no_return",
            SaltError::FunctionFailed { .. } => "function_error",
            SaltError::Unavailable { .. } => "unavailable",
            SaltError::LoginRefused { .. } | SaltError::TokenRejected { .. } => "auth_failed",
            SaltError::NotAuthorized { .. } | SaltError::GateRefused { .. } => "not_authorized",
            SaltError::Unexpected { .. } => "unexpected",
        }
    }
}

/// The text of an HTML error page, tags and the contents of `<style>` and
/// `<script>` removed (CherryPy's error pages start with a style sheet),
/// whitespace collapsed, at most 160 characters: enough for a log line,
/// never a page.
pub fn strip_html(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag = &rest[open..];
        let close = tag.find('>').map_or(tag.len(), |i| i + 1);
        let name: String = tag[1..close.min(tag.len())]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let skip_to = match name.as_str() {
            "style" | "script" => {
                let end = format!("</{name}");
                tag.to_ascii_lowercase()
                    .find(&end)
                    .and_then(|i| tag[i..].find('>').map(|j| i + j + 1))
                    .unwrap_or(tag.len())
            }
            _ => close,
        };
        out.push(' ');
        rest = &tag[skip_to..];
    }
    out.push_str(rest);
    let collapsed = out.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_bodies_are_reduced_to_their_text() {
        let page = "<!DOCTYPE html><html><head><title>401 Unauthorized</title></head><body>\n<h2>401 Unauthorized</h2>\n<p>Authorization error occurred.</p></body></html>";
        let text = strip_html(page);
        assert!(!text.contains('<'), "{text}");
        assert!(text.contains("Authorization error occurred."), "{text}");
        assert!(strip_html(&"x".repeat(1000)).len() <= 160);
    }

    #[test]
    fn style_and_script_contents_are_not_text() {
        // The shape of CherryPy's 401 page: a long style sheet first.
        let css =
            "#powered_by { margin-top: 20px; border-top: 2px solid black; font-style: italic; }\n"
                .repeat(4);
        let page = format!("<html><head><STYLE type=\"text/css\">{css}</style><script>var x = 1 < 2;</script></head><body><h2>401 Unauthorized</h2><p>Authorization error occurred.</p></body></html>");
        let text = strip_html(&page);
        assert_eq!(text, "401 Unauthorized Authorization error occurred.");
        assert_eq!(strip_html("a <b>bold</b> <unclosed"), "a bold");
    }
}
