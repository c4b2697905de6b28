//! The lease refresher of a stream: `SET <stream>:lease <instance> EX ttl`
//! every third of the TTL while at least one viewer is attached (at once when
//! the first one attaches), so the tailer keeps running; nothing otherwise.

use std::sync::Arc;
use std::time::Duration;

use crate::wire;

use super::hub::{HubInner, StreamShared};
use super::redis_io;

/// Runs until the stream is reaped or the hub shuts down.
pub(crate) async fn run(hub: Arc<HubInner>, shared: Arc<StreamShared>) {
    let ttl = Duration::from_secs(hub.settings.redis.lease_ttl_secs);
    let period = ttl / 3;
    let lease_key = wire::lease_key(&shared.key);
    loop {
        if shared.state().viewers > 0 {
            let attempt = async {
                let mut conn = hub.shared_conn().await?;
                redis_io::set_lease(&mut conn, &lease_key, &hub.instance, ttl).await
            };
            let result = tokio::select! {
                _ = shared.cancel.cancelled() => return,
                r = attempt => r,
            };
            if let Err(e) = result {
                hub.metrics.redis_error("set_lease", e.kind());
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
