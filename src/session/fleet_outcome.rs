//! What a fleet start did on each minion ([`FleetReport`]): the members
//! (`started`, `shared`) with where their viewer starts, and the others
//! (`unreachable`, `missing`, `refused`, `not_started`) with why, in
//! catalogue words so the answer is told in the reader's language, plus the
//! one-line summary ("started on 1 of 3: web-02: … ; web-03: …").

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::share::Window;
use super::SessionError;
use crate::i18n::{Lang, Text};
use crate::salt_api::SaltError;
use crate::target::MinionId;

/// A minion's outcome code (the ticket's and the API's strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A tailer was started for this view.
    Started,
    /// A running tailer of this version is shared.
    Shared,
    /// The minion did not answer (or has no accepted key).
    Unreachable,
    /// The path is not a regular file there.
    Missing,
    /// The minion's logtail refused the path (its allow-list).
    Refused,
    /// logtail was launched (or stopping the old one failed) but did not confirm.
    NotStarted,
}

impl Outcome {
    /// `started`, `shared`, `unreachable`, `missing`, `refused`, `not_started`.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Started => "started",
            Outcome::Shared => "shared",
            Outcome::Unreachable => "unreachable",
            Outcome::Missing => "missing",
            Outcome::Refused => "refused",
            Outcome::NotStarted => "not_started",
        }
    }

    /// Whether the minion is in the view.
    pub fn is_member(self) -> bool {
        matches!(self, Outcome::Started | Outcome::Shared)
    }
}

/// One minion's line of the answer.
#[derive(Debug, Clone)]
pub struct MinionOutcome {
    /// The minion id.
    pub minion: String,
    /// Its outcome.
    pub outcome: Outcome,
    /// In words.
    pub message: Text,
}

/// Every minion's outcome of one fleet start, in minion id order.
#[derive(Debug, Clone)]
pub struct FleetReport {
    /// The followed path.
    pub path: String,
    /// Each minion's outcome, by id.
    pub outcomes: BTreeMap<String, MinionOutcome>,
    /// The members and where their viewer starts, by id.
    pub members: BTreeMap<String, Window>,
}

impl FleetReport {
    /// An empty report for `path`.
    pub fn new(path: &str) -> FleetReport {
        FleetReport {
            path: path.to_owned(),
            outcomes: BTreeMap::new(),
            members: BTreeMap::new(),
        }
    }

    fn set(&mut self, m: &MinionId, outcome: Outcome, message: Text) {
        let minion = m.as_str().to_owned();
        self.outcomes.insert(
            minion.clone(),
            MinionOutcome {
                minion,
                outcome,
                message,
            },
        );
    }

    /// `m` is in the view (started or shared), its viewer starting at `w`.
    pub fn member(&mut self, m: &MinionId, outcome: Outcome, message: Text, w: Window) {
        self.set(m, outcome, message);
        self.members.insert(m.as_str().to_owned(), w);
    }

    /// `m` is not in the view, for `message`.
    pub fn fail(&mut self, m: &MinionId, outcome: Outcome, message: Text) {
        self.members.remove(m.as_str());
        self.set(m, outcome, message);
    }

    /// `m`'s part of a list call failed.
    pub fn fail_salt(&mut self, m: &MinionId, e: SaltError) {
        let (outcome, text) = match e {
            SaltError::MinionUnreachable { waited_secs, .. } => (
                Outcome::Unreachable,
                Text::new("fleet.outcome.unreachable").arg("secs", waited_secs),
            ),
            SaltError::MinionUnknown { .. } => {
                (Outcome::Unreachable, Text::new("fleet.outcome.unknown"))
            }
            SaltError::FunctionFailed { message, .. } => (
                Outcome::NotStarted,
                Text::new("fleet.outcome.salt_error").arg("message", message),
            ),
            other => (
                Outcome::NotStarted,
                Text::new("fleet.outcome.not_started").arg("reason", other),
            ),
        };
        self.fail(m, outcome, text);
    }

    /// `m`'s own steps (replacing a stale tailer) failed.
    pub fn fail_session(&mut self, m: &MinionId, e: SessionError) {
        match e {
            SessionError::MinionTimeout { secs, .. } => self.fail(
                m,
                Outcome::Unreachable,
                Text::new("fleet.outcome.unreachable").arg("secs", secs),
            ),
            other => self.fail(
                m,
                Outcome::NotStarted,
                Text::new("fleet.outcome.not_started").arg("reason", other),
            ),
        }
    }

    /// The minions not in the view.
    pub fn failed(&self) -> impl Iterator<Item = &MinionOutcome> {
        self.outcomes.values().filter(|o| !o.outcome.is_member())
    }

    /// Every minion, joined with `,` (the audit record).
    pub fn minion_list(&self) -> String {
        let ids: Vec<&str> = self.outcomes.keys().map(String::as_str).collect();
        ids.join(",")
    }

    /// "started on K of N[: M1: why; M2: why]" in `lang`.
    pub fn summary_in(&self, lang: Lang) -> String {
        let (k, n) = (self.members.len(), self.outcomes.len());
        let parts: Vec<String> = self
            .failed()
            .map(|o| {
                Text::new("fleet.part")
                    .arg("minion", &o.minion)
                    .arg("message", o.message.render(lang))
                    .render(lang)
            })
            .collect();
        if parts.is_empty() {
            Text::new("fleet.summary")
                .arg("started", k)
                .arg("of", n)
                .render(lang)
        } else {
            Text::new("fleet.summary_failures")
                .arg("started", k)
                .arg("of", n)
                .arg("failures", parts.join("; "))
                .render(lang)
        }
    }

    /// The summary in English (logs, the audit trail).
    pub fn summary(&self) -> String {
        self.summary_in(Lang::En)
    }

    /// `"started"`, `"of"`, `"minions": [{minion, outcome, message}]` and
    /// `"message"`, in `lang`.
    pub fn to_json(&self, lang: Lang) -> Value {
        let minions: Vec<Value> = self
            .outcomes
            .values()
            .map(|o| {
                json!({
                    "minion": o.minion,
                    "outcome": o.outcome.code(),
                    "message": o.message.render(lang),
                })
            })
            .collect();
        json!({
            "started": self.members.len(),
            "of": self.outcomes.len(),
            "minions": minions,
            "message": self.summary_in(lang),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> MinionId {
        MinionId::parse(s).expect("id")
    }

    fn window() -> Window {
        Window {
            floor: None,
            skip_lines: 0,
            short_by: 0,
            started: None,
        }
    }

    #[test]
    fn the_summary_names_each_failure_in_minion_order() {
        let mut r = FleetReport::new("/var/log/app.log");
        r.fail_salt(
            &id("web-03"),
            SaltError::MinionUnreachable {
                minion: "web-03".into(),
                waited_secs: 2,
            },
        );
        r.member(
            &id("web-01"),
            Outcome::Started,
            Text::new("fleet.outcome.started"),
            window(),
        );
        r.fail(
            &id("web-02"),
            Outcome::Missing,
            Text::new("fleet.outcome.missing").arg("path", "/var/log/app.log"),
        );
        assert_eq!(
            r.summary(),
            "started on 1 of 3: web-02: /var/log/app.log is missing or not a regular file; web-03: did not answer within 2 s"
        );
        let v = r.to_json(Lang::En);
        assert_eq!(v["started"], 1);
        assert_eq!(v["of"], 3);
        let codes: Vec<&str> = v["minions"]
            .as_array()
            .expect("list")
            .iter()
            .map(|m| m["outcome"].as_str().expect("code"))
            .collect();
        assert_eq!(codes, ["started", "missing", "unreachable"]);
        assert_eq!(r.failed().count(), 2);
        assert_eq!(r.minion_list(), "web-01,web-02,web-03");
        let zh = r.to_json(Lang::ZhCn);
        assert_ne!(zh["message"], v["message"], "told in Chinese too");
    }

    #[test]
    fn a_failed_member_leaves_the_view() {
        let mut r = FleetReport::new("/p");
        r.member(
            &id("a"),
            Outcome::Started,
            Text::new("fleet.outcome.started"),
            window(),
        );
        r.fail(
            &id("a"),
            Outcome::NotStarted,
            Text::new("fleet.outcome.unknown"),
        );
        assert!(r.members.is_empty());
        assert_eq!(
            r.summary(),
            "started on 0 of 1: a: is not known to the Salt master"
        );
    }
}
