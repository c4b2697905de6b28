//! The path rule shared by logview and logtail (and mirrored by the eauth
//! ACL's regex): allow-list globs (`tail.allowed_paths`, `local.allowed_paths`,
//! logtail's `allowed_paths`) where `*` matches within one segment and `**` as
//! a whole segment matches one or more segments; and the segment rule
//! `[A-Za-z0-9_][A-Za-z0-9_.-]*` that applies below a glob's literal root
//! (the root itself is the operator's choice and may contain e.g. `.stack`).

/// Whether absolute `path` matches absolute glob `glob`: `*` for any run of
/// characters within one segment, `**` as a whole segment for one or more
/// segments (so `/var/log/**` matches files below `/var/log`, not the
/// directory itself).
pub fn glob_matches(glob: &str, path: &str) -> bool {
    let g: Vec<&str> = glob.trim_start_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match_segments(&g, &p)
}

fn match_segments(g: &[&str], p: &[&str]) -> bool {
    match g.split_first() {
        None => p.is_empty(),
        Some((&"**", rest)) => (1..=p.len()).any(|skip| match_segments(rest, &p[skip..])),
        Some((first, rest)) => match p.split_first() {
            Some((seg, prest)) => {
                wildcard(first.as_bytes(), seg.as_bytes()) && match_segments(rest, prest)
            }
            None => false,
        },
    }
}

/// `*` matches any run of bytes within a segment.
fn wildcard(pat: &[u8], s: &[u8]) -> bool {
    match pat.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| wildcard(rest, &s[i..])),
        Some((c, rest)) => s.first() == Some(c) && wildcard(rest, &s[1..]),
    }
}

/// How many leading segments of `glob` are literal (contain no `*`).
pub fn literal_prefix_len(glob: &str) -> usize {
    glob.trim_start_matches('/')
        .split('/')
        .take_while(|seg| !seg.contains('*'))
        .count()
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]*`: the eauth ACL's segment rule (no hidden
/// files, no `.`/`..`, no spaces or shell characters).
pub fn segment_is_allowed(seg: &str) -> bool {
    let mut chars = seg.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The first segment of absolute `path` below the literal root of `glob`
/// that breaks [`segment_is_allowed`], if any.
pub fn bad_segment_below_root<'a>(glob: &str, path: &'a str) -> Option<&'a str> {
    path.trim_start_matches('/')
        .split('/')
        .skip(literal_prefix_len(glob))
        .find(|seg| !segment_is_allowed(seg))
}

/// The one path rule: whether absolute `path` is allowed by `globs` — matched
/// by a glob, and every segment below that glob's literal root follows
/// [`segment_is_allowed`] (the root itself is the operator's choice).
pub fn path_is_allowed(globs: &[String], path: &str) -> bool {
    globs
        .iter()
        .any(|g| glob_matches(g, path) && bad_segment_below_root(g, path).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_one_segment_per_star_and_any_depth_for_double_star() {
        assert!(glob_matches("/var/log/*", "/var/log/a"));
        assert!(!glob_matches("/var/log/*", "/var/log/a/b"));
        assert!(glob_matches("/var/log/**", "/var/log/a/b/c"));
        assert!(glob_matches("/var/**/x.log", "/var/a/b/x.log"));
        assert!(glob_matches("/var/log/*.log", "/var/log/app.log"));
        assert!(!glob_matches("/var/log/*.log", "/var/log/app.txt"));
        assert!(glob_matches("/var/log/syslog", "/var/log/syslog"));
        assert!(!glob_matches("/var/log/syslog", "/var/log/syslog2"));
    }

    #[test]
    fn the_literal_root_ends_at_the_first_wildcard() {
        assert_eq!(literal_prefix_len("/var/log/**"), 2);
        assert_eq!(literal_prefix_len("/srv/app/*/logs/*.log"), 2);
        assert_eq!(literal_prefix_len("/var/log/syslog"), 3);
    }

    #[test]
    fn the_segment_rule_applies_below_the_literal_root_only() {
        assert_eq!(
            bad_segment_below_root("/srv/.stack/logs/**", "/srv/.stack/logs/app.log"),
            None
        );
        assert_eq!(
            bad_segment_below_root("/var/log/**", "/var/log/.hidden"),
            Some(".hidden")
        );
        assert_eq!(
            bad_segment_below_root("/var/log/**", "/var/log/a b"),
            Some("a b")
        );
        assert_eq!(
            bad_segment_below_root("/var/log/**", "/var/log/x;rm"),
            Some("x;rm")
        );
        assert!(segment_is_allowed("app-1.log") && segment_is_allowed("_x"));
        assert!(!segment_is_allowed("") && !segment_is_allowed("..") && !segment_is_allowed("-x"));
    }

    #[test]
    fn a_path_is_allowed_by_a_matching_glob_with_plain_segments_below_its_root() {
        let globs = vec![
            "/srv/.stack/logs/**".to_owned(),
            "/var/log/*.log".to_owned(),
        ];
        assert!(path_is_allowed(&globs, "/srv/.stack/logs/a/b.log"));
        assert!(path_is_allowed(&globs, "/var/log/app.log"));
        assert!(!path_is_allowed(&globs, "/var/log/.x.log"));
        assert!(!path_is_allowed(&globs, "/var/log/app.log (deleted)"));
        assert!(!path_is_allowed(&globs, "/etc/shadow"));
        assert!(!path_is_allowed(&[], "/var/log/app.log"));
    }
}
