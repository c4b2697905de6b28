//! `[targets.NAME]`: named Salt targets (the fleet view). Users pick a target
//! by its NAME; the Salt expression stays in the configuration of logview
//! and of saltgate, which resolves a name, never a free expression
//! (docs/fleet.md). `limits.max_fleet` bounds what one name may resolve to.
//!
//! Only four target types are accepted: `glob`, `grain`, `nodegroup` and
//! `list`. `compound` is refused because one compound expression can mix
//! every matcher (pillar, subnet, `not`…), which makes the minion set of a
//! reviewed name hard to predict; `pcre` because a regular expression over
//! minion ids is easy to get wider than meant (`web.*` also matches
//! `webhook-db`) and runs on the master for every call.

use serde::Deserialize;

use super::{invalid, Settings, SettingsError};
use crate::target::MinionId;

/// The target types a `[targets.*]` entry may have.
pub const TARGET_TYPES: [&str; 4] = ["glob", "grain", "nodegroup", "list"];
/// Longest accepted target expression.
const MAX_EXPR_LEN: usize = 1024;
/// Longest target name.
const MAX_NAME_LEN: usize = 64;

/// `[targets.NAME]`: one named Salt target.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSettings {
    /// The Salt expression, e.g. `web-*` or `role:web`.
    pub expr: String,
    /// Its type: one of [`TARGET_TYPES`].
    #[serde(rename = "type")]
    pub kind: String,
    /// What it selects, for people (the ops page, `GET /api/targets`).
    #[serde(default)]
    pub description: String,
}

impl TargetSettings {
    /// The Salt `tgt` of a call to this target: the expression, or the list
    /// of ids for a `list` target (a JSON list, as Salt's list matcher accepts).
    pub fn tgt(&self) -> serde_json::Value {
        if self.kind == "list" {
            serde_json::json!(self.list_ids())
        } else {
            serde_json::json!(self.expr)
        }
    }

    fn list_ids(&self) -> Vec<&str> {
        self.expr
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// Whether `name` is a valid target name: `[a-z0-9_-]{1,64}`.
pub fn is_target_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Settings {
    /// Checks `limits.max_fleet` and every `[targets.*]` entry, naming the key.
    pub(super) fn validate_targets(&self) -> Result<(), SettingsError> {
        if !(1..=500).contains(&self.limits.max_fleet) {
            return Err(invalid(
                "limits.max_fleet",
                format!(
                    "{} is not allowed (allowed: 1 to 500)",
                    self.limits.max_fleet
                ),
            ));
        }
        for (name, t) in &self.targets {
            if !is_target_name(name) {
                return Err(invalid(
                    format!("targets.{name}"),
                    "a target name must be 1 to 64 characters of a-z, 0-9, '_' and '-'",
                ));
            }
            check_target(&format!("targets.{name}"), t, self.limits.max_fleet)?;
        }
        Ok(())
    }
}

fn check_target(key: &str, t: &TargetSettings, max_fleet: usize) -> Result<(), SettingsError> {
    if !TARGET_TYPES.contains(&t.kind.as_str()) {
        return Err(invalid(
            format!("{key}.type"),
            format!(
                "{:?} is not allowed (allowed: {}; compound and pcre are refused, see settings.toml)",
                t.kind,
                TARGET_TYPES.join(", ")
            ),
        ));
    }
    let expr_key = format!("{key}.expr");
    if t.expr.trim().is_empty() || t.expr.len() > MAX_EXPR_LEN {
        return Err(invalid(
            expr_key,
            format!("must be 1 to {MAX_EXPR_LEN} characters"),
        ));
    }
    if t.expr.chars().any(|c| c.is_control() || c.is_whitespace()) && t.kind != "list" {
        return Err(invalid(
            expr_key,
            "must not contain spaces or control characters",
        ));
    }
    let ok_chars = |extra: &str| {
        t.expr
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c) || extra.contains(c))
    };
    match t.kind.as_str() {
        "glob" if !ok_chars("*?[]!") => Err(invalid(
            expr_key,
            "a glob may hold letters, digits, '.', '_', '-' and the glob characters * ? [ ] !",
        )),
        "grain" if !t.expr.contains(':') || !ok_chars(":*?") => Err(invalid(
            expr_key,
            "a grain target is GRAIN:VALUE (e.g. role:web) of letters, digits, '.', '_', '-', ':', '*', '?'",
        )),
        "nodegroup" if !ok_chars("") => Err(invalid(
            expr_key,
            "a nodegroup target is the name of a nodegroup of the master (letters, digits, '.', '_', '-')",
        )),
        "list" => {
            let ids = t.list_ids();
            if ids.is_empty() || ids.len() > max_fleet {
                return Err(invalid(
                    expr_key,
                    format!("a list target names 1 to limits.max_fleet ({max_fleet}) minion ids, separated by ','"),
                ));
            }
            for id in &ids {
                MinionId::parse(id).map_err(|e| {
                    invalid(expr_key.clone(), format!("{id:?}: {}", e.message))
                })?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(expr: &str, kind: &str) -> TargetSettings {
        TargetSettings {
            expr: expr.into(),
            kind: kind.into(),
            description: String::new(),
        }
    }

    fn key_of(r: Result<(), SettingsError>) -> String {
        match r {
            Err(SettingsError::Invalid { key, .. }) => key,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn the_four_types_with_plain_expressions_pass() {
        for (expr, kind) in [
            ("web-*", "glob"),
            ("role:web", "grain"),
            ("webservers", "nodegroup"),
            ("web-01,web-02", "list"),
        ] {
            assert!(
                check_target("targets.x", &t(expr, kind), 50).is_ok(),
                "{kind}"
            );
        }
    }

    #[test]
    fn other_types_and_odd_expressions_are_refused_naming_the_key() {
        assert_eq!(
            key_of(check_target("targets.x", &t("G@role:web", "compound"), 50)),
            "targets.x.type"
        );
        assert_eq!(
            key_of(check_target("targets.x", &t("web.*", "pcre"), 50)),
            "targets.x.type"
        );
        for (expr, kind) in [
            ("web-* or db", "glob"),
            ("web;01", "glob"),
            ("roleweb", "grain"),
            ("a,b@c", "list"),
            ("", "glob"),
            ("group one", "nodegroup"),
        ] {
            assert_eq!(
                key_of(check_target("targets.x", &t(expr, kind), 50)),
                "targets.x.expr",
                "{expr:?} {kind}"
            );
        }
        assert_eq!(
            key_of(check_target("targets.x", &t("a,b,c", "list"), 2)),
            "targets.x.expr"
        );
    }

    #[test]
    fn names_are_lowercase_words() {
        assert!(is_target_name("web"));
        assert!(is_target_name("web_eu-2"));
        for bad in ["", "Web", "a b", "a.b", &"x".repeat(65)] {
            assert!(!is_target_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_shipped_settings_validate_and_a_bad_name_is_refused() {
        let mut s = Settings::shipped();
        assert!(s.limits.max_fleet >= 1);
        s.targets.insert("Web".into(), t("web-*", "glob"));
        assert_eq!(key_of(s.validate_targets()), "targets.Web");
        s.targets.clear();
        s.limits.max_fleet = 0;
        assert_eq!(key_of(s.validate_targets()), "limits.max_fleet");
    }
}
