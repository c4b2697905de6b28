//! Builds the exact lowstate chunks the `logview` eauth ACL allows
//! (docs/salt-acl.md, "The calls the service makes"): `client=local`, a `tgt`
//! list of literal minion ids (one, or a fleet's list) with `tgt_type=list`, `full_return`, per-call timeouts, argv
//! lists, and the pinned keyword arguments.

use serde_json::{json, Map, Value};

use super::SaltError;
use crate::wire::FilePos;

/// Per-call Salt timeouts: `timeout` and `gather_job_timeout`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallTimeouts {
    /// Seconds the minion has to answer (`timeout`).
    pub timeout: u64,
    /// Seconds the master waits for `saltutil.find_job` (`gather_job_timeout`).
    pub gather_job_timeout: u64,
}

impl CallTimeouts {
    /// How long Salt blocks on a minion that is down: their sum.
    pub fn down_minion_wait(self) -> u64 {
        self.timeout + self.gather_job_timeout
    }
}

/// The keyword arguments every `cmd.*` call sends, exactly: the ACL requires
/// each to be present with this value (docs/salt-acl.md §3a), so `runas`, `cwd`, `env`,
/// `template`… cannot be chosen by anyone who gets hold of the token.
pub fn pins() -> Value {
    json!({
        "python_shell": false,
        "runas": null,
        "group": null,
        "cwd": "/",
        "env": null,
        "umask": null,
        "template": null,
    })
}

/// One `client=local` chunk for `function` on exactly the `minions` listed.
///
/// Positional string arguments that look like `key=value` would be turned
/// into keyword arguments by the minion (docs/salt-gotchas.md#g10); they are refused here, so such
/// values can only travel inside `kwarg` or an argv list.
pub fn chunk(
    minions: &[&str],
    function: &str,
    arg: Vec<Value>,
    kwarg: Option<Value>,
    timeouts: CallTimeouts,
) -> Result<Value, SaltError> {
    if let Some(bad) = arg
        .iter()
        .filter_map(Value::as_str)
        .find(|s| looks_like_kwarg(s))
    {
        return Err(SaltError::Unexpected {
            detail: format!("refusing to send positional argument {bad:?} to {function}: Salt would read it as a keyword argument"),
        });
    }
    let mut c = Map::new();
    c.insert("client".into(), json!("local"));
    c.insert("tgt".into(), json!(minions));
    c.insert("tgt_type".into(), json!("list"));
    c.insert("fun".into(), json!(function));
    c.insert("arg".into(), Value::Array(arg));
    if let Some(k) = kwarg {
        c.insert("kwarg".into(), k);
    }
    c.insert("full_return".into(), json!(true));
    c.insert("timeout".into(), json!(timeouts.timeout));
    c.insert(
        "gather_job_timeout".into(),
        json!(timeouts.gather_job_timeout),
    );
    Ok(Value::Object(c))
}

/// `key=value` where key is an identifier: what Salt's arg parser turns into a kwarg.
fn looks_like_kwarg(s: &str) -> bool {
    match s.split_once('=') {
        Some((k, _)) => {
            let mut chars = k.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// argv of `logtail follow`, every option in the pinned order, values as
/// strings; `--resume-at DEV:INODE:OFFSET` just before the path when given.
/// No stream key: logtail derives it from its config's `minion_id`, so the
/// argv is the same on every minion of a list (one Salt call for a fleet).
pub fn follow_argv(
    bin: &str,
    config: &str,
    lines: u32,
    max_duration_secs: u64,
    idle_exit_secs: u64,
    resume_at: Option<FilePos>,
    path: &str,
) -> Vec<String> {
    let resume = resume_at.map(|p| p.to_string());
    let resume: &[&str] = match &resume {
        Some(p) => &["--resume-at", p],
        None => &[],
    };
    [
        bin,
        "follow",
        "--config",
        config,
        "--lines",
        &lines.to_string(),
        "--max-duration",
        &max_duration_secs.to_string(),
        "--idle-exit",
        &idle_exit_secs.to_string(),
    ]
    .iter()
    .chain(resume)
    .chain(&[path])
    .map(|s| (*s).to_owned())
    .collect()
}

/// argv of `logtail stop`; `--replacing` before the path when a successor
/// follows (the tailer's `stopped` then says `replaced`).
pub fn stop_argv(bin: &str, config: &str, replacing: bool, path: &str) -> Vec<String> {
    let flag: &[&str] = if replacing { &["--replacing"] } else { &[] };
    [bin, "stop", "--config", config]
        .iter()
        .chain(flag)
        .chain(&[path])
        .map(|s| (*s).to_owned())
        .collect()
}

/// argv of `logtail exec` running `program` (an allow-listed command's argv).
pub fn exec_argv(
    bin: &str,
    config: &str,
    stream: &str,
    timeout_secs: u64,
    program: &[String],
) -> Vec<String> {
    let mut argv: Vec<String> = [
        bin,
        "exec",
        "--config",
        config,
        "--stream",
        stream,
        "--timeout",
        &timeout_secs.to_string(),
        "--",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    argv.extend(program.iter().cloned());
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: CallTimeouts = CallTimeouts {
        timeout: 1,
        gather_job_timeout: 1,
    };

    #[test]
    fn a_cmd_chunk_has_the_argv_list_and_exactly_the_pins() {
        let argv = stop_argv(
            "/usr/local/bin/logtail",
            "/etc/logtail/logtail.toml",
            false,
            "/var/log/a.log",
        );
        let c = chunk(
            &["web-01"],
            "cmd.run_all",
            vec![json!(argv)],
            Some(pins()),
            T,
        )
        .expect("chunk");
        assert_eq!(
            c,
            json!({
                "client": "local", "tgt": ["web-01"], "tgt_type": "list", "fun": "cmd.run_all",
                "arg": [["/usr/local/bin/logtail", "stop", "--config", "/etc/logtail/logtail.toml", "/var/log/a.log"]],
                "kwarg": {"python_shell": false, "runas": null, "group": null, "cwd": "/", "env": null, "umask": null, "template": null},
                "full_return": true, "timeout": 1, "gather_job_timeout": 1
            })
        );
    }

    #[test]
    fn follow_argv_sends_every_option_in_the_pinned_order() {
        let a = follow_argv("/b/logtail", "/c.toml", 100, 86400, 60, None, "/var/log/x");
        assert_eq!(
            a,
            [
                "/b/logtail",
                "follow",
                "--config",
                "/c.toml",
                "--lines",
                "100",
                "--max-duration",
                "86400",
                "--idle-exit",
                "60",
                "/var/log/x"
            ]
        );
        let e = exec_argv(
            "/b/logtail",
            "/c.toml",
            "logs:{b9}:m:cmd:disk:0123456789abcdef",
            20,
            &["/bin/df".into(), "-h".into()],
        );
        assert_eq!(e[6..], ["--timeout", "20", "--", "/bin/df", "-h"]);
    }

    #[test]
    fn positional_key_value_strings_are_refused() {
        assert!(chunk(
            &["m"],
            "file.file_exists",
            vec![json!("path=/etc/shadow")],
            None,
            T
        )
        .is_err());
        assert!(chunk(&["m"], "file.file_exists", vec![json!("/tmp/a=b")], None, T).is_ok());
        let c = chunk(
            &["m"],
            "file.file_exists",
            vec![json!("/var/log/x")],
            None,
            T,
        )
        .expect("ok");
        assert!(c.get("kwarg").is_none(), "file_exists sends no kwarg");
    }
}

#[cfg(test)]
#[path = "lowstate_argv_tests.rs"]
mod argv_tests;
