//! One tail start per stream at a time in this process: two requests for
//! the same file arriving together (two portal visitors loading the page)
//! must not both find no tailer and both start one — the second would
//! replace the first's, and its viewer would see a stop and the backlog
//! again. The second waits, then finds the first's tailer and shares it.
//! Entries are removed when nobody holds or awaits them, so the map is as
//! large as the number of starts in flight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Per-stream start locks.
#[derive(Debug, Default)]
pub(crate) struct StartLocks {
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Held while a start of `stream` runs.
pub(crate) struct StartGuard<'a> {
    locks: &'a StartLocks,
    stream: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl StartLocks {
    /// Waits until no other start of `stream` runs in this process.
    pub async fn lock(&self, stream: &str) -> StartGuard<'_> {
        let lock = {
            let mut map = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(stream.to_owned()).or_default())
        };
        let guard = lock.lock_owned().await;
        StartGuard {
            locks: self,
            stream: stream.to_owned(),
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.locks.lock().map(|m| m.len()).unwrap_or(0)
    }
}

impl Drop for StartGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut map = self.locks.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map holds it: nobody runs or waits for this stream.
        if map
            .get(&self.stream)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            map.remove(&self.stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn starts_of_one_stream_run_one_at_a_time_and_leave_nothing_behind() {
        let locks = Arc::new(StartLocks::default());
        let first = locks.lock("s").await;
        let other = locks.lock("t").await;
        let waiting = {
            let locks = Arc::clone(&locks);
            tokio::spawn(async move {
                let _g = locks.lock("s").await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the second start of s waits");
        drop(other);
        drop(first);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("it runs once the first is done")
            .expect("task");
        assert_eq!(locks.len(), 0, "no entry outlives its starts");
    }
}
