//! Minion reachability for the ops page, cached ~30 s: "answers" when the
//! last call to the minion got an answer (any answer, even `false`), probed
//! with `test.ping` (one of saltgate's call shapes) when nothing recent is known.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::salt_api::SaltError;

/// How long a known state is reused before probing again.
pub const STATUS_TTL: Duration = Duration::from_secs(30);
/// Entries kept at most; stale ones are dropped beyond this.
const MAX_ENTRIES: usize = 4096;

/// What is known about a minion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// The last call got an answer from the minion.
    Answers,
    /// The key is accepted but the minion did not answer in time.
    NoAnswer,
    /// The master has no accepted key for this id.
    Unknown,
    /// salt-api could not be asked.
    SaltUnavailable,
    /// Could not be checked (no probe path, or the call was refused).
    NotChecked,
}

/// A minion's reachability with a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MinionStatus {
    /// The minion id.
    pub minion: String,
    /// The state.
    pub reachability: Reachability,
    /// A sentence in English (logs, JSON).
    pub message: String,
    /// The Salt failure behind a state other than `Answers`, which the ops
    /// page words in the reader's language.
    #[serde(skip)]
    pub cause: Option<SaltError>,
    /// Seconds since this was learnt.
    pub checked_secs_ago: u64,
}

/// What is cached per minion: when, the state, the sentence, the cause.
type Entry = (Instant, Reachability, String, Option<SaltError>);

/// The per-minion cache.
#[derive(Debug, Default)]
pub struct StatusCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl StatusCache {
    /// A fresh (younger than [`STATUS_TTL`]) entry for `minion`.
    pub fn fresh(&self, minion: &str) -> Option<MinionStatus> {
        let map = self.entries.lock().ok()?;
        let (at, reach, msg, cause) = map.get(minion)?;
        let age = at.elapsed();
        (age < STATUS_TTL).then(|| MinionStatus {
            minion: minion.to_owned(),
            reachability: *reach,
            message: msg.clone(),
            cause: cause.clone(),
            checked_secs_ago: age.as_secs(),
        })
    }

    /// Records what was just learnt about `minion` and returns it.
    pub fn put(
        &self,
        minion: &str,
        reach: Reachability,
        message: String,
        cause: Option<SaltError>,
    ) -> MinionStatus {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (at, _, _, _)| at.elapsed() < STATUS_TTL);
            }
            if map.len() < MAX_ENTRIES {
                let entry = (Instant::now(), reach, message.clone(), cause.clone());
                map.insert(minion.to_owned(), entry);
            }
        }
        MinionStatus {
            minion: minion.to_owned(),
            reachability: reach,
            message,
            cause,
            checked_secs_ago: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_state_is_served_from_the_cache() {
        let c = StatusCache::default();
        assert!(c.fresh("web-01").is_none());
        c.put("web-01", Reachability::Answers, "answers".into(), None);
        let s = c.fresh("web-01").expect("cached");
        assert_eq!(s.reachability, Reachability::Answers);
        assert!(c.fresh("web-02").is_none());
    }
}
