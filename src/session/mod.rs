//! The session orchestrator: turns a validated request into a running tailer
//! (or command run) and a viewer URL. For a file: validate → `file.file_exists`
//! → set the lease → `logtail stop` → note the stream's last id →
//! `cmd.run_bg logtail follow …` → wait for its `started` event → ticket. A
//! failure after the launch stops the tailer again: nothing half-started.

mod error;
mod request;
pub(crate) mod status;
mod status_probe;
pub mod stream_control;

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{AuditLog, AuditRecord, Principal};
use crate::commands;
use crate::local::LocalTailer;
use crate::salt_api::{SaltApi, SaltCall, SaltError};
use crate::settings::Settings;
use crate::stream::EntryId;
use crate::target::{LogPath, MinionId};
use crate::tickets::{TicketKind, TicketSigner};
use crate::wire;

pub use error::SessionError;
pub use request::{Started, TailRequest};
pub use status::{MinionStatus, Reachability};
pub use stream_control::{Confirmation, StreamControl};

/// Starts tail and command sessions; cheap to clone.
#[derive(Clone)]
pub struct Orchestrator {
    inner: Arc<Inner>,
}

struct Inner {
    settings: Arc<Settings>,
    salt: SaltApi,
    streams: StreamControl,
    signer: TicketSigner,
    local: LocalTailer,
    status: status::StatusCache,
    audit: Arc<AuditLog>,
}

impl Orchestrator {
    /// An orchestrator driving `salt` and `streams`, signing with `signer`,
    /// recording every tail and run in `audit`.
    pub fn new(
        settings: Arc<Settings>,
        salt: SaltApi,
        streams: StreamControl,
        signer: TicketSigner,
        audit: Arc<AuditLog>,
    ) -> Orchestrator {
        let local = LocalTailer::new(&settings);
        Orchestrator {
            inner: Arc::new(Inner {
                settings,
                salt,
                streams,
                signer,
                local,
                status: status::StatusCache::default(),
                audit,
            }),
        }
    }

    /// The salt-api client (health checks use its `ping`).
    pub fn salt(&self) -> &SaltApi {
        &self.inner.salt
    }

    /// The audit trail (the `/audit` page).
    pub fn audit(&self) -> &AuditLog {
        &self.inner.audit
    }

    /// The audit trail, shared (viewer attach/detach records).
    pub fn audit_log(&self) -> Arc<AuditLog> {
        self.inner.audit.clone()
    }

    /// Records one action of `who` with its outcome (one record per request).
    async fn audit_outcome<T>(
        &self,
        action: &str,
        who: &Principal,
        on: (Option<&str>, Option<&str>, Option<&str>),
        result: &Result<T, SessionError>,
    ) {
        let outcome = match result {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("failed: {e}"),
        };
        let rec = AuditRecord::now("logview", action, who, &outcome).on(on.0, on.1, on.2);
        self.inner.audit.record(&rec).await;
    }

    fn is_local(&self, minion: &MinionId) -> bool {
        let l = &self.inner.settings.local;
        l.enabled && minion.as_str() == l.host_id
    }

    /// Follows a file for `who`; see the module doc for the steps. Leaves
    /// one audit record, whatever the outcome.
    pub async fn start_tail(
        &self,
        req: TailRequest,
        who: &Principal,
    ) -> Result<Started, SessionError> {
        let result = self.start_tail_steps(&req, who).await;
        let on = (
            Some(req.minion_id.as_str()),
            Some(req.log_path.as_str()),
            None,
        );
        self.audit_outcome("tail", who, on, &result).await;
        result
    }

    #[tracing::instrument(skip_all, fields(minion = ?req.minion_id, path = ?req.log_path, who = ?who.describe()), err(level = "info"))]
    async fn start_tail_steps(
        &self,
        req: &TailRequest,
        who: &Principal,
    ) -> Result<Started, SessionError> {
        let s = &self.inner.settings;
        let minion = MinionId::parse(&req.minion_id)?;
        let local = self.is_local(&minion);
        let allowed = if local {
            &s.local.allowed_paths
        } else {
            &s.tail.allowed_paths
        };
        let path = LogPath::parse(&req.log_path, allowed)?;
        let lines = req.line_count;
        let (m, p) = (minion.as_str(), path.as_str());

        let exists = if local {
            LocalTailer::file_exists(p).await
        } else {
            let call = SaltCall::FileExists {
                minion: minion.clone(),
                path: path.clone(),
            };
            self.salt_step(m, self.inner.salt.file_exists(&call, who))
                .await?
        };
        if !exists {
            return Err(SessionError::FileMissing {
                minion: m.to_owned(),
                path: p.to_owned(),
            });
        }

        let stream = wire::stream_key(&s.redis.prefix, m, p);
        self.inner.streams.set_lease(&stream).await?;
        self.stop_tailer(&minion, &path, local, who).await?;
        let after = self.inner.streams.last_id(&stream).await?;

        let pid = if local {
            self.inner
                .local
                .follow(
                    &stream,
                    lines.get(),
                    s.tail.max_duration_secs,
                    s.tail.idle_exit_secs,
                    p,
                )
                .map_err(|e| SessionError::Local(e.to_string()))?
        } else {
            let call = SaltCall::Follow {
                minion: minion.clone(),
                path: path.clone(),
                lines: lines.get(),
                max_duration_secs: s.tail.max_duration_secs,
                idle_exit_secs: s.tail.idle_exit_secs,
            };
            self.salt_step(m, self.inner.salt.run_bg(&call, who))
                .await?
        };

        let started_id = match self.confirm(&stream, &after, m, p).await {
            Ok(id) => id,
            Err(e) => {
                if let Err(stop) = self.stop_tailer(&minion, &path, local, who).await {
                    tracing::warn!(error = %stop, "cleanup: logtail stop after a failed start also failed");
                }
                return Err(e);
            }
        };
        tracing::info!(pid, %stream, "tailer started");
        Ok(self.started((TicketKind::File, m, p), stream, started_id, pid, who))
    }

    /// Runs the allow-listed command `command_name` on `minion_id` through
    /// `logtail exec` for `who`. Leaves one audit record.
    pub async fn run_command(
        &self,
        minion_id: &str,
        command_name: &str,
        who: &Principal,
    ) -> Result<Started, SessionError> {
        let result = self.run_command_steps(minion_id, command_name, who).await;
        let on = (Some(minion_id), None, Some(command_name));
        self.audit_outcome("run", who, on, &result).await;
        result
    }

    #[tracing::instrument(skip_all, fields(minion = ?minion_id, command = ?command_name, who = ?who.describe()), err(level = "info"))]
    async fn run_command_steps(
        &self,
        minion_id: &str,
        command_name: &str,
        who: &Principal,
    ) -> Result<Started, SessionError> {
        let s = &self.inner.settings;
        let minion = MinionId::parse(minion_id)?;
        commands::lookup(s, command_name)?;
        let m = minion.as_str();
        let run_id = commands::new_run_id();
        let stream = wire::command_stream_key(&s.redis.prefix, m, command_name, &run_id);
        self.inner.streams.set_lease(&stream).await?;
        let call = SaltCall::Exec {
            minion: minion.clone(),
            command: command_name.to_owned(),
            run_id,
        };
        let pid = self
            .salt_step(m, self.inner.salt.run_bg(&call, who))
            .await?;
        let started_id = self.confirm(&stream, "0-0", m, command_name).await?;
        tracing::info!(pid, %stream, "command started");
        Ok(self.started(
            (TicketKind::Command, m, command_name),
            stream,
            started_id,
            pid,
            who,
        ))
    }

    /// Awaits one salt call, keeping the reachability cache current.
    async fn salt_step<T>(
        &self,
        minion: &str,
        call: impl std::future::Future<Output = Result<T, SaltError>>,
    ) -> Result<T, SessionError> {
        match call.await {
            Ok(v) => {
                self.note_answer(minion);
                Ok(v)
            }
            Err(e) => {
                if !matches!(e, SaltError::FunctionFailed { .. }) {
                    self.note_failure(minion, &e);
                }
                Err(SessionError::from_salt(e, minion))
            }
        }
    }

    /// `logtail stop PATH` on the minion (or here).
    async fn stop_tailer(
        &self,
        minion: &MinionId,
        path: &LogPath,
        local: bool,
        who: &Principal,
    ) -> Result<(), SessionError> {
        let (m, p) = (minion.as_str(), path.as_str());
        let prepare = |reason: String| SessionError::Prepare {
            minion: m.to_owned(),
            path: p.to_owned(),
            reason,
        };
        if local {
            return self
                .inner
                .local
                .stop(p)
                .await
                .map_err(|e| prepare(e.to_string()));
        }
        let call = SaltCall::Stop {
            minion: minion.clone(),
            path: path.clone(),
        };
        let out = self
            .salt_step(m, self.inner.salt.run_all(&call, who))
            .await?;
        if out.retcode == 0 {
            return Ok(());
        }
        let said = if out.stderr.trim().is_empty() {
            out.stdout.trim()
        } else {
            out.stderr.trim()
        };
        // logtail's words (resolved paths, allow-list) go to our log only, escaped.
        tracing::warn!(minion = ?m, path = ?p, status = out.retcode, said = ?said, "logtail stop failed");
        Err(prepare(crate::tail::error::stop_failed(out.retcode)))
    }

    /// Waits for the `started` event after `after`.
    async fn confirm(
        &self,
        stream: &str,
        after: &str,
        m: &str,
        what: &str,
    ) -> Result<String, SessionError> {
        let secs = self.inner.settings.salt.start_confirm_secs;
        let not_started = |reason: String| SessionError::NotStarted {
            minion: m.to_owned(),
            what: what.to_owned(),
            reason,
        };
        match self.inner.streams.wait_started(stream, after, Duration::from_secs(secs)).await? {
            Confirmation::Started { id } => Ok(id),
            Confirmation::Stopped { reason, message } => Err(not_started(format!("it stopped at once ({reason}): {message}"))),
            Confirmation::Silent => Err(not_started(format!(
                "no `started` event within {secs} s (is logtail installed at salt.logtail_bin and can it reach Redis?)"
            ))),
        }
    }

    /// The viewer URL and ticket of a confirmed session of `what` = (kind, minion, target).
    fn started(
        &self,
        what: (TicketKind, &str, &str),
        stream: String,
        started_id: String,
        pid: u32,
        who: &Principal,
    ) -> Started {
        let (kind, minion, target) = what;
        // The viewer starts at this session's `started` event, not at an
        // earlier session's lines still retained in the same stream.
        let start_after = started_id
            .parse::<EntryId>()
            .ok()
            .and_then(EntryId::predecessor)
            .map(|id| id.to_string())
            .unwrap_or_default();
        let ticket = self.inner.signer.issue_for(
            kind,
            minion,
            target,
            &stream,
            &start_after,
            &who.describe(),
        );
        Started {
            viewer_url: format!("{}view/{ticket}", self.inner.settings.public_base()),
            ticket,
            stream,
            kind,
            minion: minion.to_owned(),
            target: target.to_owned(),
            started_id,
            pid,
        }
    }
}
