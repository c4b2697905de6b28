//! The limits of `/api/*` applied to the ops page's form posts: at most
//! `limits.max_sessions_per_token` starts in progress per operator (as per
//! API token), and no start while this process already reads
//! `limits.max_streams` streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::api::stream_capacity;
use crate::http::error::ApiError;
use crate::http::AppState;

/// Per-operator semaphores (created on an operator's first post).
#[derive(Debug, Clone, Default)]
pub struct OperatorSlots {
    slots: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl OperatorSlots {
    /// A slot of `operator`, or 429 in words when all are taken.
    fn acquire(&self, operator: &str, limit: usize) -> Result<OwnedSemaphorePermit, ApiError> {
        let sem = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(
                slots
                    .entry(operator.to_owned())
                    .or_insert_with(|| Arc::new(Semaphore::new(limit))),
            )
        };
        sem.try_acquire_owned().map_err(|_| {
            ApiError::LimitReached(
                crate::i18n::Text::new("api.limit.operator_starts").arg("limit", limit),
            )
        })
    }
}

/// Checks both limits for `operator`; the slot is held until dropped.
pub fn admit(app: &AppState, operator: &str) -> Result<OwnedSemaphorePermit, ApiError> {
    stream_capacity(app)?;
    app.operators
        .acquire(operator, app.settings.limits.max_sessions_per_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operator_gets_at_most_its_limit_of_slots() {
        let slots = OperatorSlots::default();
        let a = slots.acquire("ops", 2).expect("first");
        let _b = slots.acquire("ops", 2).expect("second");
        let third = slots.acquire("ops", 2).expect_err("third");
        assert!(third.to_string().contains("limits.max_sessions_per_token"));
        assert!(slots.acquire("alice", 2).is_ok(), "per operator");
        drop(a);
        assert!(slots.acquire("ops", 2).is_ok());
    }
}
