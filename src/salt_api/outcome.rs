//! Parses Salt's polymorphic `client=local` answers (docs/salt-gotchas.md#g4) into typed results:
//! `{}` = minion unknown, "Minion did not return" / `out: no_return` =
//! unreachable, retcode ≠ 0 or a string in place of a value = function
//! failed, and the typed returns of the three functions logview calls.

use serde_json::Value;

use super::SaltError;

/// One minion's full return (`full_return: true`): `ret` and `retcode`.
#[derive(Debug, Clone, PartialEq)]
pub struct MinionReturn {
    /// The function's return value.
    pub ret: Value,
    /// Salt's retcode (0 ok).
    pub retcode: i64,
}

/// What `cmd.run_all` reports about a finished command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunAll {
    /// Exit status of the command.
    pub retcode: i64,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// Extracts `minion`'s return from a 200 body `{"return": [{MINION: …}]}`.
/// `waited_secs` is what the caller allowed (for the unreachable message).
pub fn minion_return(
    body: &Value,
    function: &str,
    minion: &str,
    waited_secs: u64,
) -> Result<MinionReturn, SaltError> {
    let unexpected = |what: &str| SaltError::Unexpected {
        detail: format!("{function} answer {what}"),
    };
    let first = body
        .get("return")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .ok_or_else(|| unexpected("has no \"return\" list"))?;
    let per_minion = first
        .as_object()
        .ok_or_else(|| unexpected("\"return\" holds no object"))?;
    let value = match per_minion.get(minion) {
        Some(v) => v,
        None => {
            return Err(SaltError::MinionUnknown {
                minion: minion.to_owned(),
            })
        }
    };
    let unreachable = || SaltError::MinionUnreachable {
        minion: minion.to_owned(),
        waited_secs,
    };
    let failed = |retcode: i64, message: String| SaltError::FunctionFailed {
        function: function.to_owned(),
        minion: minion.to_owned(),
        retcode,
        message,
    };
    match value {
        Value::String(s) if s.starts_with("Minion did not return") => Err(unreachable()),
        Value::String(s) => Err(failed(1, first_line(s))),
        Value::Object(o) if o.get("out").and_then(Value::as_str) == Some("no_return") => {
            Err(unreachable())
        }
        Value::Object(o) if o.contains_key("retcode") && o.contains_key("ret") => {
            let retcode = o.get("retcode").and_then(Value::as_i64).unwrap_or(1);
            let ret = o.get("ret").cloned().unwrap_or(Value::Null);
            if let Value::String(s) = &ret {
                if s.starts_with("Minion did not return") {
                    return Err(unreachable());
                }
            }
            Ok(MinionReturn { ret, retcode })
        }
        _ => Err(unexpected("is not a full return (no ret/retcode)")),
    }
}

/// `file.file_exists`, `test.ping`: `true` / `false`, anything else is a failure.
pub fn boolean(r: MinionReturn, function: &str, minion: &str) -> Result<bool, SaltError> {
    match (&r.ret, r.retcode) {
        (Value::Bool(b), 0) => Ok(*b),
        _ => Err(function_failed(function, minion, r)),
    }
}

/// `cmd.run_bg`: `{"pid": N}`; an "ERROR: Unable to run command…" string is a failure.
pub fn run_bg_pid(r: MinionReturn, minion: &str) -> Result<u32, SaltError> {
    match r.ret.get("pid").and_then(Value::as_u64) {
        Some(pid) if r.retcode == 0 => u32::try_from(pid).map_err(|_| SaltError::Unexpected {
            detail: format!("cmd.run_bg returned pid {pid}"),
        }),
        _ => Err(function_failed("cmd.run_bg", minion, r)),
    }
}

/// `cmd.run_all`: `{"pid", "retcode", "stdout", "stderr"}` whatever the outer
/// retcode (a failing command sets both); a string in its place is a failure.
pub fn run_all(r: MinionReturn, minion: &str) -> Result<RunAll, SaltError> {
    let o = match r.ret.as_object() {
        Some(o) if o.contains_key("retcode") => o,
        _ => return Err(function_failed("cmd.run_all", minion, r)),
    };
    let text = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Ok(RunAll {
        retcode: o.get("retcode").and_then(Value::as_i64).unwrap_or(1),
        stdout: text("stdout"),
        stderr: text("stderr"),
    })
}

fn function_failed(function: &str, minion: &str, r: MinionReturn) -> SaltError {
    let message = match &r.ret {
        Value::String(s) => first_line(s),
        other => {
            let mut s = other.to_string();
            s.truncate(300);
            s
        }
    };
    SaltError::FunctionFailed {
        function: function.to_owned(),
        minion: minion.to_owned(),
        retcode: if r.retcode == 0 { 1 } else { r.retcode },
        message,
    }
}

/// Salt's messages put the gist on the first line and a docstring below.
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    line.chars().take(400).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: &str) -> Result<MinionReturn, SaltError> {
        let v: Value = serde_json::from_str(body).expect("json");
        minion_return(&v, "file.file_exists", "lab-minion", 2)
    }

    #[test]
    fn an_existing_and_a_missing_file_are_true_and_false() {
        let ok = parse(
            r#"{"return": [{"lab-minion": {"ret": true, "retcode": 0, "jid": "20261121145152716109"}}]}"#,
        );
        assert_eq!(
            boolean(ok.expect("ok"), "file.file_exists", "lab-minion"),
            Ok(true)
        );
        let missing =
            parse(r#"{"return": [{"lab-minion": {"ret": false, "retcode": 0, "jid": "1"}}]}"#);
        assert_eq!(
            boolean(missing.expect("ok"), "file.file_exists", "lab-minion"),
            Ok(false)
        );
    }

    #[test]
    fn an_empty_return_means_the_minion_is_unknown() {
        assert_eq!(
            parse(r#"{"return": [{}]}"#),
            Err(SaltError::MinionUnknown {
                minion: "lab-minion".into()
            })
        );
    }

    #[test]
    fn no_return_in_both_shapes_means_unreachable() {
        let full = r#"{"return": [{"lab-minion": {"out": "no_return", "ret": "Minion did not return. [No response]\nThe minions may not have all finished running and any remaining minions will return upon completion. To look up the return data for this job later, run the following command:\n\nsalt-run jobs.lookup_jid 20261121145213669928", "retcode": 1}}]}"#;
        let bare = r#"{"return": [{"lab-minion": "Minion did not return. [No response]\nThe minions may not have all finished running and any remaining minions will return upon completion. To look up the return data for this job later, run the following command:\n\nsalt-run jobs.lookup_jid 20261121145213669928"}]}"#;
        for body in [full, bare] {
            assert_eq!(
                parse(body),
                Err(SaltError::MinionUnreachable {
                    minion: "lab-minion".into(),
                    waited_secs: 2
                })
            );
        }
    }

    #[test]
    fn a_function_error_keeps_salts_first_line() {
        let body = r#"{"return": [{"lab-minion": {"ret": "Passed invalid arguments to file.file_exists: file_exists() missing 1 required positional argument: 'path'\n\n    Tests to see ...", "out": "nested", "retcode": 1, "jid": "x"}}]}"#;
        match boolean(
            parse(body).expect("parsed"),
            "file.file_exists",
            "lab-minion",
        ) {
            Err(SaltError::FunctionFailed {
                retcode: 1,
                message,
                ..
            }) => {
                assert_eq!(message, "Passed invalid arguments to file.file_exists: file_exists() missing 1 required positional argument: 'path'");
            }
            other => panic!("{other:?}"),
        }
        let unavailable = r#"{"return": [{"lab-minion": {"ret": "'file.no_such_fn' is not available.", "out": "nested", "retcode": 1, "jid": "x"}}]}"#;
        assert!(matches!(
            boolean(parse(unavailable).expect("parsed"), "file.file_exists", "lab-minion"),
            Err(SaltError::FunctionFailed { message, .. }) if message.contains("is not available")
        ));
    }

    #[test]
    fn run_bg_gives_the_pid_or_the_error_string() {
        let ok = parse(
            r#"{"return": [{"lab-minion": {"ret": {"pid": 10603}, "retcode": 0, "jid": "20261121145337384330"}}]}"#,
        );
        assert_eq!(run_bg_pid(ok.expect("ok"), "lab-minion"), Ok(10603));
        let missing = parse(
            r#"{"return": [{"lab-minion": {"ret": "ERROR: Unable to run command '['/lab/bin/does-not-exist', '--x']' with the context '{'cwd': '/root', 'shell': False}', reason: [Errno 2] No such file or directory: '/lab/bin/does-not-exist'", "out": "nested", "retcode": 1, "jid": "x"}}]}"#,
        );
        assert!(matches!(
            run_bg_pid(missing.expect("parsed"), "lab-minion"),
            Err(SaltError::FunctionFailed { message, .. }) if message.contains("No such file or directory")
        ));
    }

    #[test]
    fn run_all_reports_the_commands_status_and_output() {
        let ok = parse(
            r#"{"return": [{"lab-minion": {"ret": {"pid": 12389, "retcode": 0, "stdout": "stopped", "stderr": ""}, "retcode": 0, "jid": "x"}}]}"#,
        );
        assert_eq!(
            run_all(ok.expect("ok"), "lab-minion"),
            Ok(RunAll {
                retcode: 0,
                stdout: "stopped".into(),
                stderr: "".into()
            })
        );
        let failed = parse(
            r#"{"return": [{"lab-minion": {"ret": {"pid": 12184, "retcode": 3, "stdout": "", "stderr": "path not allowed"}, "retcode": 3, "jid": "x"}}]}"#,
        );
        assert_eq!(
            run_all(failed.expect("ok"), "lab-minion")
                .expect("parsed")
                .retcode,
            3
        );
    }

    #[test]
    fn bodies_that_are_not_salt_answers_are_unexpected_not_panics() {
        for body in [
            json!({}),
            json!({"return": []}),
            json!({"return": ["x"]}),
            json!({"return": [{"lab-minion": 5}]}),
        ] {
            assert!(
                matches!(
                    minion_return(&body, "f", "lab-minion", 2),
                    Err(SaltError::Unexpected { .. })
                ),
                "{body}"
            );
        }
    }
}
