//! The ops page's minion status: a `test.ping` through saltgate when the
//! cache ([`super::status`]) knows nothing recent, and what each Salt answer
//! means for reachability.

use super::status::Reachability;
use super::{MinionStatus, Orchestrator, SessionError};
use crate::audit::Principal;
use crate::salt_api::{SaltCall, SaltError};
use crate::target::MinionId;

impl Orchestrator {
    /// Whether `minion_id` answers, cached ~30 s (see [`status`]); a probe is made as `who`.
    pub async fn minion_status(
        &self,
        minion_id: &str,
        who: &Principal,
    ) -> Result<MinionStatus, SessionError> {
        let minion = MinionId::parse(minion_id)?;
        let m = minion.as_str();
        if let Some(known) = self.inner.status.fresh(m) {
            return Ok(known);
        }
        if self.is_local(&minion) {
            return Ok(self.inner.status.put(
                m,
                Reachability::Answers,
                "this is logview's own host".into(),
                None,
            ));
        }
        let call = SaltCall::Ping {
            minion: minion.clone(),
        };
        let result = self.inner.salt.test_ping(&call, who).await;
        Ok(match result {
            Ok(_) | Err(SaltError::FunctionFailed { .. }) => self.note_answer(m),
            Err(e) => self.note_failure(m, &e),
        })
    }

    pub(super) fn note_answer(&self, minion: &str) -> MinionStatus {
        self.inner.status.put(
            minion,
            Reachability::Answers,
            format!("minion {minion} answers"),
            None,
        )
    }

    pub(super) fn note_failure(&self, minion: &str, e: &SaltError) -> MinionStatus {
        let reach = match e {
            SaltError::MinionUnknown { .. } => Reachability::Unknown,
            SaltError::MinionUnreachable { .. } => Reachability::NoAnswer,
            SaltError::Unavailable { .. } => Reachability::SaltUnavailable,
            _ => Reachability::NotChecked,
        };
        self.inner.status.put(
            minion,
            reach,
            SessionError::from_salt(e.clone(), minion).to_string(),
            Some(e.clone()),
        )
    }
}
