//! Which paths `logtail` may follow: the path syntax rule, the `allowed_paths`
//! glob matcher (`*` = one segment or part of one, `**` = any depth), symlink
//! resolution and the check that `--stream` belongs to the path.

use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// Checks one `allowed_paths` glob: absolute, no empty/`.`/`..` segments,
/// `**` only as a whole segment.
pub fn validate_glob(glob: &str) -> std::result::Result<(), String> {
    let rest = glob
        .strip_prefix('/')
        .ok_or_else(|| "must be absolute (start with /)".to_owned())?;
    for seg in rest.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(format!("segment {seg:?} is not allowed"));
        }
        if seg.contains("**") && seg != "**" {
            return Err("** must be a whole path segment".into());
        }
        if seg.chars().any(|c| c.is_control() || c == '?' || c == '[') {
            return Err(format!("segment {seg:?} holds an unsupported character"));
        }
    }
    Ok(())
}

/// Whether the absolute `path` matches `glob`.
pub fn glob_matches(glob: &str, path: &str) -> bool {
    let (Some(g), Some(p)) = (glob.strip_prefix('/'), path.strip_prefix('/')) else {
        return false;
    };
    let g: Vec<&str> = g.split('/').collect();
    let p: Vec<&str> = p.split('/').collect();
    match_segments(&g, &p)
}

fn match_segments(g: &[&str], p: &[&str]) -> bool {
    match g.split_first() {
        None => p.is_empty(),
        Some((&"**", rest)) => (0..=p.len()).any(|skip| match_segments(rest, &p[skip..])),
        Some((seg, rest)) => match p.split_first() {
            Some((first, prest)) => {
                match_segment(seg.as_bytes(), first.as_bytes()) && match_segments(rest, prest)
            }
            None => false,
        },
    }
}

/// Wildcard match of one segment, where `*` matches any run of bytes.
fn match_segment(pat: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < pat.len() && pat[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if pi < pat.len() && pat[pi] == s[si] {
            pi += 1;
            si += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    pat[pi..].iter().all(|&b| b == b'*')
}

/// The path rule shared with the Salt ACL and logview: absolute, every
/// segment matches `[A-Za-z0-9_][A-Za-z0-9_.-]*`.
pub fn check_path_syntax(path: &str) -> std::result::Result<(), String> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| "must be an absolute path".to_owned())?;
    for seg in rest.split('/') {
        let mut bytes = seg.bytes();
        let first_ok = bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err(format!(
                "segment {seg:?} does not match [A-Za-z0-9_][A-Za-z0-9_.-]*"
            ));
        }
    }
    Ok(())
}

/// A path to follow, as given and with symlinks resolved.
#[derive(Debug, Clone)]
pub struct Target {
    /// The path as given on the command line.
    pub given: PathBuf,
    /// The path with symlinks resolved: what is followed and locked.
    pub canonical: PathBuf,
}

/// Checks `path` for `follow`: syntax, allow-list (as given and resolved), existence.
pub fn resolve_follow(path: &Path, allowed: &[String]) -> Result<Target> {
    let given = check_given(path, allowed)?;
    let canonical = std::fs::canonicalize(path).map_err(|source| Error::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    check_allowed(path, &canonical, allowed)?;
    Ok(Target {
        given: given.into(),
        canonical,
    })
}

/// Resolves `path` for `stop`: like follow, but a missing file is fine (its
/// tailer may be waiting for it), so the parent or the path itself is used.
pub fn resolve_stop(path: &Path, allowed: &[String]) -> Result<Target> {
    let given = check_given(path, allowed)?;
    let canonical = std::fs::canonicalize(path)
        .or_else(|_| {
            let parent = path.parent().unwrap_or(Path::new("/"));
            let name = path.file_name().unwrap_or_default();
            std::fs::canonicalize(parent).map(|p| p.join(name))
        })
        .unwrap_or_else(|_| path.to_owned());
    check_allowed(path, &canonical, allowed)?;
    Ok(Target {
        given: given.into(),
        canonical,
    })
}

fn check_given<'a>(path: &'a Path, allowed: &[String]) -> Result<&'a str> {
    let text = path.to_str().ok_or_else(|| Error::Usage {
        arg: "PATH",
        reason: "is not valid UTF-8".into(),
    })?;
    check_path_syntax(text).map_err(|reason| Error::Usage {
        arg: "PATH",
        reason: format!("{text:?} {reason}"),
    })?;
    check_allowed(path, path, allowed)?;
    Ok(text)
}

fn check_allowed(given: &Path, canonical: &Path, allowed: &[String]) -> Result<()> {
    let ok = canonical
        .to_str()
        .is_some_and(|c| allowed.iter().any(|g| glob_matches(g, c)));
    if ok {
        Ok(())
    } else {
        Err(Error::NotAllowed {
            path: given.to_owned(),
            canonical: canonical.to_owned(),
            allowed: allowed.to_vec(),
        })
    }
}

/// Checks that `stream` is a plausible key that ends with `:` + the path as
/// given or as resolved (logview names the stream after the requested path).
pub fn check_stream_for_path(stream: &str, target: &Target) -> Result<()> {
    check_stream_syntax(stream)?;
    let ends = |p: &Path| {
        p.to_str().is_some_and(|p| {
            stream
                .strip_suffix(p)
                .is_some_and(|head| head.len() > 1 && head.ends_with(':'))
        })
    };
    if ends(&target.given) || ends(&target.canonical) {
        Ok(())
    } else {
        Err(Error::Usage {
            arg: "--stream",
            reason: format!(
                "{stream:?} must end with \":{}\" (the path being followed)",
                target.given.display()
            ),
        })
    }
}

/// Checks a stream key: 1..=1024 printable bytes, no spaces.
pub fn check_stream_syntax(stream: &str) -> Result<()> {
    if stream.is_empty()
        || stream.len() > 1024
        || stream.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(Error::Usage {
            arg: "--stream",
            reason: format!(
                "{stream:?} must be 1..=1024 characters without spaces or control characters"
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_star_matches_one_segment_only() {
        assert!(glob_matches("/var/log/*", "/var/log/syslog"));
        assert!(!glob_matches("/var/log/*", "/var/log/nginx/access.log"));
        assert!(glob_matches("/var/log/*.log", "/var/log/app.log"));
        assert!(!glob_matches("/var/log/*.log", "/var/log/app.txt"));
        assert!(glob_matches("/var/log/a*b*c", "/var/log/aXbYbZc"));
        assert!(!glob_matches("/var/log/*", "/var/log"));
    }

    #[test]
    fn a_double_star_matches_any_depth() {
        assert!(glob_matches("/var/log/**", "/var/log/a"));
        assert!(glob_matches("/var/log/**", "/var/log/a/b/c.log"));
        assert!(glob_matches("/var/**/x.log", "/var/x.log"));
        assert!(glob_matches("/var/**/x.log", "/var/a/b/x.log"));
        assert!(!glob_matches("/var/log/**", "/var/lib/x"));
        assert!(!glob_matches("/var/log/**", "/etc/shadow"));
    }

    #[test]
    fn globs_are_validated() {
        assert!(validate_glob("/var/log/**").is_ok());
        assert!(validate_glob("var/log").is_err());
        assert!(validate_glob("/var/../etc").is_err());
        assert!(validate_glob("/var//log").is_err());
        assert!(validate_glob("/var/a**").is_err());
    }

    #[test]
    fn the_path_rule_matches_the_salt_acl() {
        assert!(check_path_syntax("/var/log/app-1.log").is_ok());
        assert!(check_path_syntax("var/log").is_err());
        assert!(check_path_syntax("/var/../etc/shadow").is_err());
        assert!(check_path_syntax("/var/log/.hidden").is_err());
        assert!(check_path_syntax("/var/log/a b").is_err());
        assert!(check_path_syntax("/var/log/").is_err());
        assert!(check_path_syntax("/var/log/x;rm").is_err());
    }

    #[test]
    fn the_stream_must_name_the_path() {
        let t = Target {
            given: "/var/log/app.log".into(),
            canonical: "/srv/app/current.log".into(),
        };
        assert!(check_stream_for_path("logs:web-01:/var/log/app.log", &t).is_ok());
        assert!(check_stream_for_path("logs:web-01:/srv/app/current.log", &t).is_ok());
        assert!(check_stream_for_path("logs:web-01:/var/log/other.log", &t).is_err());
        assert!(check_stream_for_path(":/var/log/app.log", &t).is_err());
        assert!(check_stream_for_path("logs:web 01:/var/log/app.log", &t).is_err());
    }
}
