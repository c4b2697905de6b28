//! Viewer attach and detach records: one guard per WebSocket or SSE
//! connection, recording `attach` when made and `detach` when dropped.

use std::sync::Arc;

use super::{rfc3339_now, AuditLog, AuditRecord, Principal};

/// A viewer's presence on a stream: records `attach` when made and `detach`
/// when dropped (the WebSocket or SSE response ended, however it ended).
pub struct ViewerAudit {
    log: Arc<AuditLog>,
    detach: Option<AuditRecord>,
}

impl ViewerAudit {
    /// Records that a viewer of the session issued for `by` (the ticket's
    /// principal in words) attached over `transport` (`ws` or `sse`).
    pub fn attach(
        log: Arc<AuditLog>,
        by: &str,
        minion: &str,
        path: Option<&str>,
        command: Option<&str>,
        transport: &str,
    ) -> ViewerAudit {
        let who = Principal {
            kind: "viewer".into(),
            name: if by.is_empty() {
                "unknown".into()
            } else {
                by.to_owned()
            },
            on_behalf_of: None,
        };
        let on = |action: &str, outcome: &str| {
            AuditRecord::now("logview", action, &who, outcome).on(Some(minion), path, command)
        };
        let attach = on("attach", &format!("attached over {transport}"));
        let detach = on("detach", &format!("detached ({transport})"));
        let writer = log.clone();
        spawn_record(writer, attach);
        ViewerAudit {
            log,
            detach: Some(detach),
        }
    }
}

impl Drop for ViewerAudit {
    fn drop(&mut self) {
        if let Some(mut rec) = self.detach.take() {
            rec.time = rfc3339_now();
            spawn_record(self.log.clone(), rec);
        }
    }
}

/// Writes `rec` on the current Tokio runtime without waiting for it.
fn spawn_record(log: Arc<AuditLog>, rec: AuditRecord) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(async move { log.record(&rec).await });
        }
        Err(_) => tracing::error!(action = %rec.action, "audit record dropped: no runtime"),
    }
}
