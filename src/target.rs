//! Validated request inputs: a literal minion id, an allow-listed absolute log
//! path, and a backlog line count. Each error names the field and says what is
//! allowed, so a person can fix the request without reading logs.
//!
//! The path rule is the Salt eauth ACL's rule (`docs/salt-acl.md` §3): absolute,
//! no `.`/`..` segments, inside an allowed root, and every segment below the
//! root's literal part `[A-Za-z0-9_][A-Za-z0-9_.-]*` (which excludes hidden
//! files). Checking it here turns what would be a Salt 401 into a message
//! that says what is wrong.

use std::fmt;

use crate::i18n::Text;
use crate::path_glob::{bad_segment_below_root, glob_matches};

/// Longest minion id accepted.
pub const MINION_ID_MAX: usize = 64;
/// Longest log path accepted, in bytes.
pub const LOG_PATH_MAX: usize = 4096;

/// A request field that is missing or has a value that is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InputError {
    /// The request field (`minion_id`, `log_path`, `line_count`, `command`).
    pub field: &'static str,
    /// What is wrong and what is allowed, for people (English).
    pub message: String,
    /// The same words as a catalogue entry, told in the reader's language.
    pub text: Text,
}

impl InputError {
    /// An error about `field`, in the words of `text`.
    pub fn new(field: &'static str, text: Text) -> Self {
        InputError {
            field,
            message: text.to_string(),
            text,
        }
    }
}

/// A minion id that can only ever name one minion: `[A-Za-z0-9._-]{1,64}`.
/// No glob, list or compound syntax can pass, and calls target it with
/// `tgt_type=list` on top.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MinionId(String);

impl MinionId {
    /// Field name in requests.
    pub const FIELD: &'static str = "minion_id";

    /// Checks `raw` (surrounding whitespace is not trimmed: it is an error).
    pub fn parse(raw: &str) -> Result<MinionId, InputError> {
        if raw.is_empty() {
            return Err(InputError::new(
                Self::FIELD,
                Text::new("input.minion_id.required"),
            ));
        }
        if raw.len() > MINION_ID_MAX {
            return Err(InputError::new(
                Self::FIELD,
                Text::new("input.minion_id.too_long").arg("count", raw.chars().count()),
            ));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            return Err(InputError::new(
                Self::FIELD,
                describe_char(bad).arg("value", quote(raw)),
            ));
        }
        Ok(MinionId(raw.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MinionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An absolute, normalised log path that matches one of the allow-list globs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogPath(String);

impl LogPath {
    /// Field name in requests.
    pub const FIELD: &'static str = "log_path";

    /// Checks `raw` against the segment rule and the `allowed` globs
    /// (`*` = within one segment, `**` = any number of segments).
    pub fn parse(raw: &str, allowed: &[String]) -> Result<LogPath, InputError> {
        let f = Self::FIELD;
        if raw.is_empty() {
            return Err(InputError::new(f, Text::new("input.log_path.required")));
        }
        if raw.len() > LOG_PATH_MAX {
            return Err(InputError::new(
                f,
                Text::new("input.log_path.too_long").arg("max", LOG_PATH_MAX),
            ));
        }
        if let Some(c) = raw.chars().find(|c| c.is_control()) {
            return Err(InputError::new(
                f,
                Text::new("input.log_path.control")
                    .arg("value", quote(raw))
                    .arg("code", format!("U+{:04X}", c as u32)),
            ));
        }
        if !raw.starts_with('/') {
            return Err(InputError::new(
                f,
                Text::new("input.log_path.relative").arg("value", quote(raw)),
            ));
        }
        let segments: Vec<&str> = raw[1..].split('/').collect();
        for seg in &segments {
            if seg.is_empty() {
                return Err(InputError::new(
                    f,
                    Text::new("input.log_path.empty_segment").arg("value", quote(raw)),
                ));
            }
            if *seg == "." || *seg == ".." {
                return Err(InputError::new(
                    f,
                    Text::new("input.log_path.dot_segment")
                        .arg("value", quote(raw))
                        .arg("segment", seg),
                ));
            }
        }
        let matching: Vec<&String> = allowed.iter().filter(|g| glob_matches(g, raw)).collect();
        if matching.is_empty() {
            return Err(InputError::new(
                f,
                if allowed.is_empty() {
                    Text::new("input.log_path.none_allowed").arg("value", quote(raw))
                } else {
                    Text::new("input.log_path.outside")
                        .arg("value", quote(raw))
                        .arg("allowed", allowed.join(", "))
                },
            ));
        }
        // The eauth ACL spells each allowed root literally and checks the
        // segments below it; so does this.
        let mut first_bad = None;
        for glob in matching {
            match bad_segment_below_root(glob, raw) {
                None => return Ok(LogPath(raw.to_owned())),
                Some(bad) => first_bad = first_bad.or(Some(bad)),
            }
        }
        let bad = first_bad.unwrap_or_default();
        Err(InputError::new(
            f,
            Text::new("input.log_path.bad_segment").arg("segment", quote(bad)),
        ))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many backlog lines to send first: `0..=max` (0 = no backlog, only
/// new lines). The one rule for the API, the ops page form (`0 to max`) and
/// logtail's `--lines`, which accepts 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCount(u32);

impl LineCount {
    /// Field name in requests.
    pub const FIELD: &'static str = "line_count";

    /// Parses `raw` (absent or blank = `default`, capped at `max`) and checks `0..=max`.
    pub fn parse(raw: Option<&str>, default: u32, max: u32) -> Result<LineCount, InputError> {
        let raw = match raw.map(str::trim) {
            None | Some("") => return Ok(LineCount(default.min(max))),
            Some(r) => r,
        };
        let above = |n: &str| {
            InputError::new(
                Self::FIELD,
                Text::new("input.line_count.above")
                    .arg("value", n)
                    .arg("max", max),
            )
        };
        match raw.parse::<i64>() {
            Ok(n) if (0..=i64::from(max)).contains(&n) => Ok(LineCount(n as u32)),
            Ok(n) if n > i64::from(max) => Err(above(&n.to_string())),
            Ok(n) => Err(InputError::new(
                Self::FIELD,
                Text::new("input.line_count.below")
                    .arg("value", n)
                    .arg("max", max),
            )),
            Err(_) if raw.len() <= 20 && raw.bytes().all(|b| b.is_ascii_digit()) => Err(above(raw)),
            Err(_) => Err(InputError::new(
                Self::FIELD,
                Text::new("input.line_count.not_a_number")
                    .arg("value", quote(raw))
                    .arg("max", max),
            )),
        }
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// The words for a minion id holding the character `c` (`{value}` still to set).
fn describe_char(c: char) -> Text {
    match c {
        ' ' => Text::new("input.minion_id.space"),
        '*' | '?' | '[' | ']' => Text::new("input.minion_id.glob").arg("char", format!("{c:?}")),
        ',' => Text::new("input.minion_id.comma"),
        c if c.is_control() => {
            Text::new("input.minion_id.control").arg("code", format!("U+{:04X}", c as u32))
        }
        c => Text::new("input.minion_id.char").arg("char", format!("{c:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["/var/log/**".into(), "/srv/app/*/logs/*.log".into()]
    }

    #[test]
    fn literal_minion_ids_pass() {
        for id in ["web-01", "db.example.com", "a", "X_9"] {
            assert_eq!(MinionId::parse(id).expect(id).as_str(), id);
        }
    }

    #[test]
    fn globs_lists_spaces_and_long_ids_are_refused_with_the_rule() {
        for (id, needle) in [
            ("*", "glob"),
            ("web-*", "glob"),
            ("a,b", "comma"),
            ("web 01", "space"),
            (" web-01", "space"),
            ("", "required"),
            ("L@host", "'@'"),
        ] {
            let e = MinionId::parse(id).expect_err(id);
            assert_eq!(e.field, "minion_id");
            assert!(e.message.contains(needle), "{id:?}: {}", e.message);
            assert!(e.message.contains("A-Z a-z 0-9 . _ -"), "{}", e.message);
        }
        let long = "a".repeat(65);
        assert!(MinionId::parse(&long)
            .expect_err("long")
            .message
            .contains("65 characters"));
        assert!(MinionId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn paths_inside_the_allow_list_pass() {
        for p in [
            "/var/log/syslog",
            "/var/log/nginx/error.log",
            "/srv/app/x/logs/a.log",
        ] {
            assert_eq!(LogPath::parse(p, &allowed()).expect(p).as_str(), p);
        }
    }

    #[test]
    fn bad_paths_are_refused_with_a_specific_message() {
        for (p, needle) in [
            ("var/log/syslog", "relative"),
            ("/var/log/../../etc/shadow", "'..'"),
            ("/var/log/./syslog", "'.'"),
            ("/var/log/a\nb", "control"),
            ("/var/log//syslog", "empty segment"),
            ("/var/log/", "empty segment"),
            ("/var/log/.hidden", "segment"),
            ("/var/log/a b", "segment"),
            ("/etc/shadow", "outside the allowed paths (/var/log/**"),
            ("/var/log", "outside"),
            ("/srv/app/x/logs/a.txt", "outside"),
            ("/srv/app/x/y/logs/a.log", "outside"),
            ("", "required"),
        ] {
            let e = LogPath::parse(p, &allowed()).expect_err(p);
            assert_eq!(e.field, "log_path");
            assert!(e.message.contains(needle), "{p:?}: {}", e.message);
        }
    }

    #[test]
    fn literal_roots_of_the_allow_list_may_break_the_segment_rule_below_them_not() {
        let allowed = vec!["/srv/.stack/test/logs/**".to_owned()];
        assert!(LogPath::parse("/srv/.stack/test/logs/app.log", &allowed).is_ok());
        let e = LogPath::parse("/srv/.stack/test/logs/.secret", &allowed).expect_err("hidden");
        assert!(e.message.contains("\".secret\""), "{}", e.message);
    }

    #[test]
    fn line_counts_outside_the_range_name_the_range() {
        assert_eq!(
            LineCount::parse(None, 200, 1000).expect("default").get(),
            200
        );
        assert_eq!(
            LineCount::parse(Some(""), 200, 1000).expect("blank").get(),
            200
        );
        assert_eq!(
            LineCount::parse(Some("1000"), 200, 1000)
                .expect("max")
                .get(),
            1000
        );
        assert_eq!(
            LineCount::parse(Some(" 5 "), 200, 1000).expect("5").get(),
            5
        );
        assert_eq!(
            LineCount::parse(Some("0"), 200, 1000)
                .expect("0 = no backlog")
                .get(),
            0
        );
        for (raw, needle) in [
            ("-1", "too small"),
            ("abc", "not a number"),
            ("1001", "above the maximum of 1000"),
            ("99999999999999999999", "above the maximum"),
            ("1.5", "not a number"),
        ] {
            let e = LineCount::parse(Some(raw), 200, 1000).expect_err(raw);
            assert_eq!(e.field, "line_count");
            assert!(e.message.contains(needle), "{raw}: {}", e.message);
            assert!(e.message.contains("from 0 to 1000"), "{}", e.message);
        }
    }
}
