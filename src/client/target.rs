//! The command-line target of `logview tail`: `MINION:PATH`, a named fleet
//! target `@NAME:PATH` (`[targets.NAME]` of logview's settings), or a list of
//! minions `MINION,MINION:PATH`. The minion ids, the name and the path
//! themselves are checked by logview, whose answer names the field.

use serde_json::{json, Value};

use super::error::ClientError;

/// Who `logview tail` follows the path on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// One minion: a single stream.
    Minion(String),
    /// A named target (`@NAME`), resolved by logview: a fleet stream.
    Target(String),
    /// An explicit list of minion ids: a fleet stream.
    List(Vec<String>),
}

/// What `logview tail` follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailTarget {
    /// The minion, target or list, as given.
    pub who: Who,
    /// The absolute log path, as given.
    pub path: String,
}

impl TailTarget {
    /// A fleet (target or list): the lines are prefixed with their minion.
    pub fn is_fleet(&self) -> bool {
        !matches!(self.who, Who::Minion(_))
    }

    /// The body of `POST /api/tail` (`line_count` added by the caller):
    /// exactly one of `minion_id`, `target`, `minion_ids`.
    pub fn request_body(&self) -> Value {
        match &self.who {
            Who::Minion(m) => json!({"minion_id": m, "log_path": self.path}),
            Who::Target(name) => json!({"target": name, "log_path": self.path}),
            Who::List(ids) => json!({"minion_ids": ids, "log_path": self.path}),
        }
    }
}

const EXAMPLES: &str =
    "write MINION:PATH, @TARGET:PATH or MINION,MINION:PATH, e.g. web-01:/var/log/syslog";

/// Reads `MINION:PATH`, `@NAME:PATH` or `MINION,MINION,…:PATH`.
pub fn parse_tail_target(arg: &str) -> Result<TailTarget, ClientError> {
    let Some((who, path)) = arg.split_once(':') else {
        return Err(ClientError::Usage(format!(
            "target {arg:?} has no ':'; {EXAMPLES}"
        )));
    };
    if path.is_empty() {
        return Err(ClientError::Usage(format!(
            "target {arg:?} has no path after ':'; {EXAMPLES}"
        )));
    }
    let who = if let Some(name) = who.strip_prefix('@') {
        if name.is_empty() {
            return Err(ClientError::Usage(format!(
                "target {arg:?} has no target name after '@'; {EXAMPLES}"
            )));
        }
        Who::Target(name.to_owned())
    } else if who.contains(',') {
        let ids: Vec<String> = who.split(',').map(str::to_owned).collect();
        if let Some(i) = ids.iter().position(String::is_empty) {
            return Err(ClientError::Usage(format!(
                "target {arg:?}: minion {} of the list is empty; {EXAMPLES}",
                i + 1
            )));
        }
        Who::List(ids)
    } else if who.is_empty() {
        return Err(ClientError::Usage(format!(
            "target {arg:?} has no minion id before ':'; {EXAMPLES}"
        )));
    } else {
        Who::Minion(who.to_owned())
    };
    Ok(TailTarget {
        who,
        path: path.to_owned(),
    })
}

/// `logview run` takes one minion: a command's exit status is one minion's.
pub fn check_run_minion(minion: &str) -> Result<(), ClientError> {
    if minion.starts_with('@') || minion.contains(',') {
        return Err(ClientError::Usage(format!(
            "logview run takes one minion id, not {minion:?}: fleet targets and lists \
             are for logview tail"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(arg: &str) -> TailTarget {
        parse_tail_target(arg).expect("parses")
    }

    #[test]
    fn minion_and_path_split_at_the_first_colon() {
        assert_eq!(
            parsed("web-01:/var/log/a:b.log"),
            TailTarget {
                who: Who::Minion("web-01".into()),
                path: "/var/log/a:b.log".into()
            }
        );
        assert!(!parsed("web-01:/x").is_fleet());
    }

    #[test]
    fn a_named_target_and_a_list_are_fleets_with_their_own_request_field() {
        let t = parsed("@web:/var/log/nginx/error.log");
        assert_eq!(t.who, Who::Target("web".into()));
        assert!(t.is_fleet());
        assert_eq!(
            t.request_body(),
            json!({"target": "web", "log_path": "/var/log/nginx/error.log"})
        );
        let l = parsed("web-01,web-02:/var/log/syslog");
        assert_eq!(l.who, Who::List(vec!["web-01".into(), "web-02".into()]));
        assert_eq!(
            l.request_body(),
            json!({"minion_ids": ["web-01", "web-02"], "log_path": "/var/log/syslog"})
        );
        assert_eq!(
            parsed("web-01:/x").request_body(),
            json!({"minion_id": "web-01", "log_path": "/x"})
        );
    }

    #[test]
    fn malformed_targets_are_usage_errors_that_say_what_is_allowed() {
        for bad in [
            "web-01",
            ":/var/log/x",
            "web-01:",
            "@:/var/log/x",
            "web-01,,web-02:/x",
            "web-01,:/x",
        ] {
            let e = parse_tail_target(bad).expect_err(bad);
            assert_eq!(e.exit_code(), super::super::error::EXIT_USAGE, "{bad}");
            assert!(e.to_string().contains("MINION:PATH"), "{bad}: {e}");
        }
        assert!(check_run_minion("@web").is_err());
        assert!(check_run_minion("web-01,web-02").is_err());
        assert!(check_run_minion("web-01").is_ok());
    }
}
