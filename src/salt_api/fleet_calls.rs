//! The fleet's Salt calls: one list call answered per minion ([`Each`]), and
//! the resolution of a `[targets.NAME]` to literal ids ([`Resolved`]).
//!
//! A name is resolved where its expression lives: saltgate's
//! `POST /v1/resolve` (logview sends only the NAME, the gate looks up ITS
//! `[targets.*]`), or, without a gate, logview's own `[targets.*]`. Either way
//! it is one `test.ping` with the expression as `tgt` and its type as
//! `tgt_type`, the short per-call timeouts and `full_return`. Salt answers
//! every matched minion: `true` when it answered, a "Minion did not return"
//! string (or `out: no_return`) when it is down; ids that match no accepted
//! key are absent (docs/fleet.md, "What Salt answers").

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{outcome, RunAll, SaltApi, SaltCall, SaltError};
use crate::audit::Principal;
use crate::settings::{Settings, TargetSettings};
use crate::target::MinionId;

/// One minion's part of a list call's answer.
pub type Each<T> = Vec<(MinionId, Result<T, SaltError>)>;

/// What a target name resolved to: each matched minion and whether it
/// answered `test.ping` (`false` = did not return within the timeouts).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolved {
    /// Minion id → answered.
    pub minions: BTreeMap<String, bool>,
    /// The `timeout` + `gather_job_timeout` the resolution waited.
    pub waited_secs: u64,
}

impl Resolved {
    /// The JSON of `POST /v1/resolve`'s answer.
    pub fn to_json(&self, target: &str) -> Value {
        let minions: serde_json::Map<String, Value> = self
            .minions
            .iter()
            .map(|(m, ok)| (m.clone(), json!(if *ok { "answered" } else { "no_return" })))
            .collect();
        json!({"target": target, "minions": minions, "waited_secs": self.waited_secs})
    }

    /// Reads `POST /v1/resolve`'s answer.
    pub fn from_json(v: &Value) -> Result<Resolved, SaltError> {
        let bad = || {
            SaltError::Unexpected {
            detail: "saltgate's /v1/resolve answer is not {\"minions\": {ID: \"answered\"|\"no_return\"}}".into(),
        }
        };
        let obj = v
            .get("minions")
            .and_then(Value::as_object)
            .ok_or_else(bad)?;
        let mut minions = BTreeMap::new();
        for (id, state) in obj {
            let ok = match state.as_str() {
                Some("answered") => true,
                Some("no_return") => false,
                _ => return Err(bad()),
            };
            minions.insert(id.clone(), ok);
        }
        let waited_secs = v.get("waited_secs").and_then(Value::as_u64).unwrap_or(0);
        Ok(Resolved {
            minions,
            waited_secs,
        })
    }
}

/// The `test.ping` chunk of a named target: its expression and type.
pub fn resolve_chunk(t: &TargetSettings, timeout: u64, gather: u64) -> Value {
    json!({
        "client": "local",
        "tgt": t.tgt(),
        "tgt_type": t.kind,
        "fun": "test.ping",
        "arg": [],
        "full_return": true,
        "timeout": timeout,
        "gather_job_timeout": gather,
    })
}

/// Salt's answer to a resolving `test.ping` → [`Resolved`].
pub fn parse_resolution(body: &Value, waited_secs: u64) -> Result<Resolved, SaltError> {
    let per_minion = body
        .get("return")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_object)
        .ok_or_else(|| SaltError::Unexpected {
            detail: "test.ping answer has no \"return\" object".into(),
        })?;
    let mut minions = BTreeMap::new();
    for id in per_minion.keys() {
        let answered = outcome::minion_return(body, "test.ping", id, waited_secs)
            .ok()
            .and_then(|r| outcome::boolean(r, "test.ping", id).ok())
            == Some(true);
        minions.insert(id.clone(), answered);
    }
    Ok(Resolved {
        minions,
        waited_secs,
    })
}

/// The `[targets.NAME]` of `settings`, or a refusal naming the field.
pub fn named_target<'a>(settings: &'a Settings, name: &str) -> Option<&'a TargetSettings> {
    settings.targets.get(name)
}

impl SaltApi {
    /// Resolves the target `name` to minion ids (through saltgate when
    /// configured: the gate's own `[targets.*]` decides the expression).
    pub async fn resolve(&self, name: &str, who: &Principal) -> Result<Resolved, SaltError> {
        match &self.inner.gate {
            Some(token) => {
                let body = json!({"principal": who, "target": name});
                let v = self
                    .post_gate_body(token, "v1/resolve", body, "test.ping")
                    .await?;
                Resolved::from_json(&v)
            }
            None => self.resolve_direct(name).await,
        }
    }

    /// Resolves `name` with this process's `[targets.*]` against salt-api
    /// itself (saltgate, and logview without a gate).
    pub async fn resolve_direct(&self, name: &str) -> Result<Resolved, SaltError> {
        let t = named_target(&self.inner.settings, name).ok_or_else(|| SaltError::GateRefused {
            function: "test.ping".into(),
            reason: format!("target: {name:?} is not a [targets.*] name of this configuration"),
        })?;
        let to = self.inner.timeouts;
        let chunk = resolve_chunk(t, to.timeout, to.gather_job_timeout);
        let answer = self.post_direct(json!([chunk]), "test.ping", None).await?;
        parse_resolution(&answer, to.down_minion_wait())
    }

    /// Sends one list call and splits Salt's answer per targeted minion, in
    /// the order of `tgt`. An error for the whole call (gate, salt-api,
    /// transport) is the outer `Err`.
    async fn call_each(
        &self,
        call: &SaltCall,
        who: &Principal,
    ) -> Result<Each<outcome::MinionReturn>, SaltError> {
        let started = std::time::Instant::now();
        let sent = self.send_call(call, who).await;
        if let Some(o) = &self.inner.observer {
            let label = sent.as_ref().map_or_else(SaltError::label, |_| "ok");
            o.record_salt_call(call.function(), label, started.elapsed());
        }
        tracing::debug!(function = call.function(), minions = %call.minion_list(), ok = sent.is_ok(), elapsed_ms = started.elapsed().as_millis() as u64, "salt list call");
        let answer = sent?;
        let wait = self.inner.timeouts.down_minion_wait();
        Ok(call
            .minions()
            .iter()
            .map(|m| {
                let r = outcome::minion_return(&answer, call.function(), m.as_str(), wait);
                (m.clone(), r)
            })
            .collect())
    }

    /// `file.file_exists` on a list: per minion, regular file or not.
    pub async fn file_exists_each(
        &self,
        call: &SaltCall,
        who: &Principal,
    ) -> Result<Each<bool>, SaltError> {
        let f = call.function();
        Ok(self
            .call_each(call, who)
            .await?
            .into_iter()
            .map(|(m, r)| {
                let b = r.and_then(|r| outcome::boolean(r, f, m.as_str()));
                (m, b)
            })
            .collect())
    }

    /// `logtail stop` on a list: per minion, the command's status and output.
    pub async fn run_all_each(
        &self,
        call: &SaltCall,
        who: &Principal,
    ) -> Result<Each<RunAll>, SaltError> {
        Ok(self
            .call_each(call, who)
            .await?
            .into_iter()
            .map(|(m, r)| {
                let o = r.and_then(|r| outcome::run_all(r, m.as_str()));
                (m, o)
            })
            .collect())
    }

    /// `logtail follow` on a list: per minion, the launched pid.
    pub async fn run_bg_each(
        &self,
        call: &SaltCall,
        who: &Principal,
    ) -> Result<Each<u32>, SaltError> {
        Ok(self
            .call_each(call, who)
            .await?
            .into_iter()
            .map(|(m, r)| {
                let o = r.and_then(|r| outcome::run_bg_pid(r, m.as_str()));
                (m, o)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolution_answer_splits_answered_and_down_minions() {
        let body = json!({"return": [{
            "web-01": {"ret": true, "retcode": 0, "jid": "1"},
            "web-02": {"ret": true, "retcode": 0, "jid": "1"},
            "web-03": "Minion did not return. [No response]\nThe minions may not have all finished running",
        }]});
        let r = parse_resolution(&body, 2).expect("parsed");
        assert_eq!(
            r.minions.into_iter().collect::<Vec<_>>(),
            [
                ("web-01".to_owned(), true),
                ("web-02".to_owned(), true),
                ("web-03".to_owned(), false)
            ]
        );
        let none = parse_resolution(&json!({"return": [{}]}), 2).expect("parsed");
        assert!(none.minions.is_empty());
    }

    #[test]
    fn the_gate_answer_round_trips_and_odd_states_are_refused() {
        let mut r = Resolved {
            waited_secs: 6,
            ..Resolved::default()
        };
        r.minions.insert("web-01".into(), true);
        r.minions.insert("web-03".into(), false);
        let v = r.to_json("web");
        assert_eq!(v["minions"]["web-03"], "no_return");
        assert_eq!(Resolved::from_json(&v).expect("back"), r);
        let odd = json!({"minions": {"web-01": "maybe"}});
        assert!(Resolved::from_json(&odd).is_err());
    }

    #[test]
    fn a_list_target_sends_its_ids_as_a_list() {
        let t = TargetSettings {
            expr: "web-01, web-02".into(),
            kind: "list".into(),
            description: String::new(),
        };
        let c = resolve_chunk(&t, 1, 1);
        assert_eq!(c["tgt"], json!(["web-01", "web-02"]));
        assert_eq!(c["tgt_type"], "list");
        assert_eq!(c["fun"], "test.ping");
        let g = TargetSettings {
            expr: "role:web".into(),
            kind: "grain".into(),
            description: String::new(),
        };
        assert_eq!(resolve_chunk(&g, 1, 1)["tgt"], "role:web");
    }
}
