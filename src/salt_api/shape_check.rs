//! The gate's side of [`SaltCall`]: [`SaltCall::from_chunk`] checks an
//! incoming lowstate chunk against the five shapes and returns the typed call
//! (or a [`Refusal`] naming the field); the chunk is then rebuilt with
//! [`SaltCall::to_chunk`] and must equal what was sent.

use serde_json::{json, Map, Value};

use super::lowstate::{self, CallTimeouts};
use super::shape::{refuse, Refusal, SaltCall, FUNCTIONS, KEYS, MAX_CALL_TIMEOUT_SECS};
use crate::settings::Settings;
use crate::target::{LogPath, MinionId};
use crate::wire::{self, FilePos};

impl SaltCall {
    /// Checks `chunk` against every shape above; the typed call and its timeouts, or why not.
    pub fn from_chunk(chunk: &Value, s: &Settings) -> Result<(SaltCall, CallTimeouts), Refusal> {
        let c = chunk
            .as_object()
            .ok_or_else(|| refuse("lowstate[0]", "each chunk must be a JSON object"))?;
        if let Some(k) = c.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(refuse(
                k.clone(),
                format!(
                    "the key {k:?} is not allowed (allowed: {})",
                    KEYS.join(", ")
                ),
            ));
        }
        exact_str(c, "client", "local")?;
        let fun = match c.get("fun") {
            Some(Value::String(f)) if FUNCTIONS.contains(&f.as_str()) => f.as_str(),
            Some(Value::String(f)) => {
                return Err(refuse(
                    "fun",
                    format!(
                        "the function {f:?} is not allowed (allowed: {})",
                        FUNCTIONS.join(", ")
                    ),
                ))
            }
            Some(Value::Array(_)) => {
                return Err(refuse(
                    "fun",
                    "must be one function name as a string; a list of functions is refused (Salt authorises a list as soon as one of its functions is allowed)",
                ))
            }
            _ => return Err(refuse("fun", "must be one function name as a string")),
        };
        exact_str(c, "tgt_type", "list")?;
        let minions = target_list(c, s.limits.max_fleet)?;
        if c.get("full_return") != Some(&Value::Bool(true)) {
            return Err(refuse("full_return", "must be the JSON boolean true"));
        }
        let timeouts = CallTimeouts {
            timeout: bounded_int(c, "timeout")?,
            gather_job_timeout: bounded_int(c, "gather_job_timeout")?,
        };
        let call = if fun == "test.ping" {
            if c.contains_key("kwarg") {
                return Err(refuse("kwarg", "test.ping takes no keyword arguments"));
            }
            if c.get("arg") != Some(&json!([])) {
                return Err(refuse(
                    "arg",
                    "test.ping takes no arguments: arg must be []",
                ));
            }
            SaltCall::Ping {
                minion: only_one(minions, "test.ping")?,
            }
        } else {
            Self::checked_arg_call(c, fun, minions, s)?
        };
        // The typed call must rebuild exactly the chunk that was sent.
        if &call.to_chunk(s, timeouts)? != chunk {
            return Err(refuse(
                "arg",
                "the argv is not exactly the one logview builds for this call",
            ));
        }
        Ok((call, timeouts))
    }

    /// The file and logtail calls: one argument (a path or an argv list).
    fn checked_arg_call(
        c: &Map<String, Value>,
        fun: &str,
        minions: Vec<MinionId>,
        s: &Settings,
    ) -> Result<SaltCall, Refusal> {
        let arg = match c.get("arg") {
            Some(Value::Array(a)) if a.len() == 1 => &a[0],
            _ => return Err(refuse("arg", "must be a list of exactly one argument")),
        };
        Ok(if fun == "file.file_exists" {
            if c.contains_key("kwarg") {
                return Err(refuse(
                    "kwarg",
                    "file.file_exists takes no keyword arguments",
                ));
            }
            let path = arg
                .as_str()
                .ok_or_else(|| refuse("arg", "file.file_exists takes one path string"))?;
            SaltCall::FileExists {
                minions,
                path: allowed_path(path, s)?,
            }
        } else {
            if c.get("kwarg") != Some(&lowstate::pins()) {
                return Err(refuse(
                    "kwarg",
                    format!(
                        "must be exactly {} (same keys, same JSON types)",
                        lowstate::pins()
                    ),
                ));
            }
            let argv = string_list(arg)?;
            parse_argv(fun, minions, &argv, s)?
        })
    }
}

/// `tgt`: a list of 1 to `max` distinct literal minion ids.
fn target_list(c: &Map<String, Value>, max: usize) -> Result<Vec<MinionId>, Refusal> {
    let ids = match c.get("tgt") {
        Some(Value::Array(ids)) if !ids.is_empty() && ids.len() <= max => ids,
        Some(Value::Array(ids)) => {
            return Err(refuse(
                "tgt",
                format!(
                    "must list 1 to {max} literal minion ids (limits.max_fleet), not {}",
                    ids.len()
                ),
            ))
        }
        _ => {
            return Err(refuse(
                "tgt",
                "must be a list of literal minion ids (no glob, grain or compound expression)",
            ))
        }
    };
    let mut out: Vec<MinionId> = Vec::with_capacity(ids.len());
    for (i, v) in ids.iter().enumerate() {
        let field = format!("tgt[{i}]");
        let id = v
            .as_str()
            .ok_or_else(|| refuse(field.clone(), "the minion id must be a string"))?;
        let id = MinionId::parse(id).map_err(|e| refuse(field.clone(), e.message.clone()))?;
        if out.contains(&id) {
            return Err(refuse(field, format!("{:?} is listed twice", id.as_str())));
        }
        out.push(id);
    }
    Ok(out)
}

/// The one minion of a call that targets exactly one.
fn only_one(mut minions: Vec<MinionId>, what: &str) -> Result<MinionId, Refusal> {
    match minions.len() {
        1 => Ok(minions.remove(0)),
        n => Err(refuse(
            "tgt",
            format!("{what} targets exactly one minion id, not {n}"),
        )),
    }
}

fn exact_str(c: &Map<String, Value>, key: &str, want: &str) -> Result<(), Refusal> {
    match c.get(key) {
        Some(Value::String(v)) if v == want => Ok(()),
        _ => Err(refuse(key, format!("must be the string {want:?}"))),
    }
}

fn bounded_int(c: &Map<String, Value>, key: &str) -> Result<u64, Refusal> {
    match c.get(key).and_then(Value::as_u64) {
        Some(n) if (1..=MAX_CALL_TIMEOUT_SECS).contains(&n) => Ok(n),
        _ => Err(refuse(
            key,
            format!("must be a JSON integer from 1 to {MAX_CALL_TIMEOUT_SECS}"),
        )),
    }
}

fn string_list(arg: &Value) -> Result<Vec<String>, Refusal> {
    let items = arg
        .as_array()
        .ok_or_else(|| refuse("arg", "cmd.* takes one argv list of strings"))?;
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| refuse("arg", "every argv element must be a string"))
        })
        .collect()
}

fn allowed_path(raw: &str, s: &Settings) -> Result<LogPath, Refusal> {
    LogPath::parse(raw, &s.tail.allowed_paths).map_err(|e| refuse("arg", e.message))
}

fn number(argv: &[String], i: usize, name: &str, max: u64, min: u64) -> Result<u64, Refusal> {
    let raw = argv.get(i).map(String::as_str).unwrap_or_default();
    match raw.parse::<u64>() {
        Ok(n) if n >= min && n <= max && n.to_string() == raw => Ok(n),
        _ => Err(refuse(
            "arg",
            format!("{name} must be a whole number from {min} to {max}"),
        )),
    }
}

/// The optional `--resume-at DEV:INODE:OFFSET` of a follow argv (elements
/// 10 and 11 of 13): strictly three decimal numbers; anything else around it
/// is refused when the rebuilt chunk is compared.
fn resume_at(argv: &[String]) -> Result<Option<FilePos>, Refusal> {
    if argv.get(10).map(String::as_str) != Some("--resume-at") {
        return Ok(None);
    }
    let raw = argv.get(11).map(String::as_str).unwrap_or_default();
    raw.parse::<FilePos>().map(Some).map_err(|_| {
        refuse(
            "arg",
            "--resume-at must be DEV:INODE:OFFSET (three decimal numbers separated by ':')",
        )
    })
}

/// The typed call for a `cmd.*` argv; `from_chunk` then compares the rebuilt chunk.
fn parse_argv(
    fun: &str,
    minions: Vec<MinionId>,
    argv: &[String],
    s: &Settings,
) -> Result<SaltCall, Refusal> {
    if argv.first().map(String::as_str) != Some(s.salt.logtail_bin.as_str()) {
        return Err(refuse(
            "arg",
            format!("argv[0] must be the logtail binary {}", s.salt.logtail_bin),
        ));
    }
    match (fun, argv.get(1).map(String::as_str)) {
        ("cmd.run_all", Some("stop")) => Ok(SaltCall::Stop {
            minions,
            path: allowed_path(argv.last().map(String::as_str).unwrap_or_default(), s)?,
            // Anything else there is refused when the rebuilt chunk is compared.
            replacing: argv.len() == 6 && argv[4] == "--replacing",
        }),
        ("cmd.run_bg", Some("follow")) => {
            let resume_at = resume_at(argv)?;
            if resume_at.is_some() && minions.len() != 1 {
                return Err(refuse(
                    "tgt",
                    "--resume-at is a position in one minion's file: a follow with it targets exactly one minion id",
                ));
            }
            Ok(SaltCall::Follow {
                minions,
                path: allowed_path(argv.last().map(String::as_str).unwrap_or_default(), s)?,
                lines: number(argv, 5, "--lines", u64::from(s.tail.max_lines), 0)? as u32,
                max_duration_secs: number(argv, 7, "--max-duration", s.tail.max_duration_secs, 1)?,
                idle_exit_secs: number(argv, 9, "--idle-exit", s.tail.idle_exit_secs, 1)?,
                resume_at,
            })
        }
        ("cmd.run_bg", Some("exec")) => {
            let minion = only_one(minions, "logtail exec")?;
            let stream = argv.get(5).map(String::as_str).unwrap_or_default();
            let (command, run_id) =
                wire::parse_command_stream_key(&s.redis.prefix, minion.as_str(), stream)
                    .ok_or_else(|| {
                        let want =
                            wire::command_stream_key_pattern(&s.redis.prefix, minion.as_str());
                        refuse("arg", format!("--stream must be {want}"))
                    })?;
            if run_id.len() != 16
                || !run_id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Err(refuse(
                    "arg",
                    "the run id must be 16 lowercase hex characters",
                ));
            }
            if !s.commands.contains_key(command) {
                let names: Vec<&str> = s.commands.keys().map(String::as_str).collect();
                return Err(refuse(
                    "arg",
                    format!(
                        "{command:?} is not an allowed command (allowed: {})",
                        names.join(", ")
                    ),
                ));
            }
            Ok(SaltCall::Exec {
                minion,
                command: command.to_owned(),
                run_id: run_id.to_owned(),
            })
        }
        (f, sub) => Err(refuse(
            "arg",
            format!(
                "{f} may only run logtail {}; got {:?}",
                if f == "cmd.run_all" {
                    "stop"
                } else {
                    "follow or exec"
                },
                sub.unwrap_or("nothing")
            ),
        )),
    }
}
