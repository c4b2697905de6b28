//! The lease refresher of a stream: `SET <stream>:lease <instance> EX ttl`
//! every third of the TTL while at least one viewer is attached (at once when
//! the first one attaches), so the tailer keeps running; nothing otherwise.

use std::sync::Arc;
use std::time::Duration;

use crate::wire;

use super::redis_io;
use super::shared::{StreamIo, StreamShared};

/// What this process writes in a stream's lease key, and for how long.
pub(crate) struct Lease {
    /// Which logview holds the lease.
    pub instance: String,
    /// `redis.lease_ttl_secs`.
    pub ttl: Duration,
}

/// Runs until the stream is reaped or the hub shuts down.
pub(crate) async fn run(io: Arc<StreamIo>, lease: Lease, shared: Arc<StreamShared>) {
    let Lease { instance, ttl } = lease;
    let period = ttl / 3;
    let lease_key = wire::lease_key(&shared.key);
    loop {
        if shared.state().viewers > 0 {
            let attempt = async {
                let mut conn = io.shared_conn().await?;
                redis_io::set_lease(&mut conn, &lease_key, &instance, ttl).await
            };
            let result = tokio::select! {
                _ = shared.cancel.cancelled() => return,
                r = attempt => r,
            };
            if let Err(e) = result {
                io.metrics.redis_error("set_lease", e.kind());
                tracing::warn!(stream = %shared.key, error = %e, "cannot refresh the viewer lease");
            }
        }
        tokio::select! {
            _ = shared.cancel.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
            _ = shared.attached.notified() => {}
        }
    }
}
