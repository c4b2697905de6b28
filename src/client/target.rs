//! The command-line target of `logview tail`: `MINION:PATH`, or a fleet
//! target `@NAME:PATH`, which this version of the terminal client refuses
//! (the server starts fleet views, docs/fleet.md, but this client does not
//! read a merged fleet stream yet). The minion id and path themselves are checked by logview,
//! whose answer names the field.

use super::error::ClientError;

/// What `logview tail` follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailTarget {
    /// The minion id, as given.
    pub minion: String,
    /// The absolute log path, as given.
    pub path: String,
}

/// Reads `MINION:PATH`. `@NAME:PATH` is a clear usage error.
pub fn parse_tail_target(arg: &str) -> Result<TailTarget, ClientError> {
    let Some((who, path)) = arg.split_once(':') else {
        return Err(ClientError::Usage(format!(
            "target {arg:?} has no ':'; write MINION:PATH, e.g. web-01:/var/log/syslog"
        )));
    };
    if let Some(name) = who.strip_prefix('@') {
        return Err(ClientError::Usage(format!(
            "fleet targets are not available in this version of logview (@{name}); \
             tail one minion with MINION:PATH"
        )));
    }
    if who.is_empty() || path.is_empty() {
        return Err(ClientError::Usage(format!(
            "target {arg:?} needs both a minion id and a path: MINION:PATH, e.g. web-01:/var/log/syslog"
        )));
    }
    Ok(TailTarget {
        minion: who.to_owned(),
        path: path.to_owned(),
    })
}

/// `logview run` takes a minion, never a fleet target (yet).
pub fn check_run_minion(minion: &str) -> Result<(), ClientError> {
    if let Some(name) = minion.strip_prefix('@') {
        return Err(ClientError::Usage(format!(
            "fleet targets are not available in this version of logview (@{name}); \
             run the command on one minion"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minion_and_path_split_at_the_first_colon() {
        assert_eq!(
            parse_tail_target("web-01:/var/log/a:b.log").expect("parses"),
            TailTarget {
                minion: "web-01".into(),
                path: "/var/log/a:b.log".into()
            }
        );
    }

    #[test]
    fn fleet_targets_and_malformed_targets_are_usage_errors() {
        let e = parse_tail_target("@web:/var/log/nginx/error.log").expect_err("fleet");
        assert!(
            e.to_string().contains("fleet targets are not available"),
            "{e}"
        );
        assert_eq!(e.exit_code(), super::super::error::EXIT_USAGE);
        assert!(parse_tail_target("web-01").is_err());
        assert!(parse_tail_target(":/var/log/x").is_err());
        assert!(parse_tail_target("web-01:").is_err());
        assert!(check_run_minion("@web").is_err());
        assert!(check_run_minion("web-01").is_ok());
    }
}
