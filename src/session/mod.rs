//! The session orchestrator: turns a validated request into a running tailer
//! (or command run) and a viewer URL. For a file: validate → `file.file_exists`
//! → set the lease → a healthy tailer of this logtail version already follows
//! the file (its owner heartbeat is in Redis)? Share it: the ticket starts at
//! the viewer's last N lines of its stream (`share.rs`), no Salt call more.
//! Otherwise → `logtail stop` → note the stream's last id → `cmd.run_bg
//! logtail follow …` (a backlog of at least `tail.shared_backlog_lines`) →
//! wait for its `started` event → ticket. A failure after the launch stops
//! the tailer again: nothing half-started. Where the tailer runs (Salt or
//! local mode) is `launch.rs`.

mod error;
mod fleet;
mod fleet_launch;
mod fleet_outcome;
mod launch;
mod request;
mod resume;
mod share;
mod start_claim;
mod start_locks;
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
use crate::target::MinionId;
use crate::tickets::{TicketKind, TicketSigner};
use crate::wire;

use launch::{FollowSpec, Launcher};

pub use error::SessionError;
pub use fleet::{FleetRequest, FleetStarted, FleetTarget};
pub use fleet_outcome::{FleetReport, MinionOutcome, Outcome};
pub use launch::backlog_depth;
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
    starts: start_locks::StartLocks,
    claims: start_claim::StartClaims,
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
        let claims = start_claim::StartClaims::new(&settings, streams.connection());
        Orchestrator {
            inner: Arc::new(Inner {
                settings,
                salt,
                streams,
                signer,
                local,
                status: status::StatusCache::default(),
                audit,
                starts: start_locks::StartLocks::default(),
                claims,
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
        Launcher::for_minion(&self.inner.settings, minion) == Launcher::Local
    }

    /// A tail request refused at input validation ([`TailRequest::from_raw`]):
    /// logged (fields escaped) and audited like a failed tail, as before the
    /// request was validated ahead of the orchestrator. Returns `err`.
    pub async fn tail_refused(
        &self,
        raw: (&str, &str),
        who: &Principal,
        err: crate::target::InputError,
    ) -> crate::target::InputError {
        let (minion, path) = raw;
        tracing::info!(minion = ?minion, path = ?path, who = ?who.describe(), error = %err, "tail refused");
        let result: Result<(), SessionError> = Err(SessionError::Input(err.clone()));
        self.audit_outcome("tail", who, (Some(minion), Some(path), None), &result)
            .await;
        err
    }

    /// Follows a file for `who`; see the module doc for the steps. Leaves
    /// one audit record, whatever the outcome.
    pub async fn start_tail(
        &self,
        req: TailRequest,
        who: &Principal,
    ) -> Result<Started, SessionError> {
        let result = self.start_tail_steps(&req, who).await;
        let on = (Some(req.minion.as_str()), Some(req.path.as_str()), None);
        self.audit_outcome("tail", who, on, &result).await;
        result
    }

    #[tracing::instrument(skip_all, fields(minion = ?req.minion.as_str(), path = ?req.path.as_str(), who = ?who.describe()), err(level = "info"))]
    async fn start_tail_steps(
        &self,
        req: &TailRequest,
        who: &Principal,
    ) -> Result<Started, SessionError> {
        let s = &self.inner.settings;
        let (minion, path) = (&req.minion, &req.path);
        let launcher = Launcher::for_minion(s, minion);
        let (m, p) = (minion.as_str(), path.as_str());

        // Asked even when a tailer already runs: a deleted file is reported
        // the same way to every viewer (docs/sharing.md).
        if !self.file_exists(launcher, minion, path, who).await? {
            return Err(SessionError::FileMissing {
                minion: m.to_owned(),
                path: p.to_owned(),
            });
        }

        let stream = wire::stream_key(&s.redis.prefix, m, p);
        // A concurrent request for this file waits, then shares what this
        // one starts: in this process, then across replicas (start_claim.rs).
        let _start = self.inner.starts.lock(&stream).await;
        let waited = std::time::Instant::now();
        let Some(claim) = self.inner.claims.acquire(&stream).await? else {
            return Err(SessionError::StartBusy {
                minion: m.to_owned(),
                path: p.to_owned(),
                secs: waited.elapsed().as_secs(),
            });
        };
        let result = self.start_claimed(req, who, launcher, stream).await;
        claim.release().await;
        result
    }

    /// The steps of [`Self::start_tail`] while this replica holds the
    /// stream's start claim: share the running tailer, or start one.
    async fn start_claimed(
        &self,
        req: &TailRequest,
        who: &Principal,
        launcher: Launcher,
        stream: String,
    ) -> Result<Started, SessionError> {
        let s = &self.inner.settings;
        let (minion, path) = (&req.minion, &req.path);
        let want = req.line_count.get();
        let (m, p) = (minion.as_str(), path.as_str());
        // The lease first: a shared tailer must not go idle meanwhile.
        self.inner.streams.set_lease(&stream).await?;
        let owner = self.inner.streams.owner(&stream).await?;
        if let Some(owner) = &owner {
            if owner.is_current_version() {
                let window = self
                    .inner
                    .streams
                    .share_window(&stream, u64::from(want), owner)
                    .await?;
                if window.short_by > 0 {
                    tracing::info!(%stream, short_by = window.short_by, "retention trimmed part of the requested backlog");
                }
                tracing::info!(pid = owner.pid, %stream, "sharing the running tailer");
                let what = (TicketKind::File, m, p);
                return Ok(self.started(what, stream, window, (owner.pid, true), who));
            }
            tracing::info!(%stream, version = ?owner.version, "replacing a tailer of another logtail version");
        }

        // A tailer of another version still runs: it says `replaced`, not
        // `stop-command` (the viewers' one marker is the resumed `started`
        // that follows). Without an owner there is nobody to say goodbye,
        // and an older logtail on the minion is not sent the new flag.
        let replacing = owner.is_some();
        self.stop_tailer(launcher, minion, path, replacing, who)
            .await?;
        let after = self.inner.streams.last_id(&stream).await?;
        // A stale tailer's successor continues where it stopped (docs/sharing.md).
        let resume_at = self.inner.streams.resume_position(&stream).await?;
        // Deeper than this viewer's N, so later viewers find theirs in the stream.
        let depth = launch::backlog_depth(s, req.line_count);
        let spec = FollowSpec {
            minion,
            path,
            lines: depth,
            resume_at,
        };
        let pid = self.follow(launcher, spec, who).await?;

        let (started_id, backlog, resumed) = match self.confirm(&stream, &after, m, p).await {
            Ok(started) => started,
            Err(e) => {
                if let Err(stop) = self.stop_tailer(launcher, minion, path, false, who).await {
                    tracing::warn!(error = %stop, "cleanup: logtail stop after a failed start also failed");
                }
                return Err(e);
            }
        };
        tracing::info!(pid, %stream, resumed, "tailer started");
        let window = if resumed {
            // No backlog: the N lines are the stream's last, across the
            // replaced tailer's session (the scan goes past a resumed start).
            let mut w = self
                .inner
                .streams
                .scan_window(&stream, u64::from(want), true, pid)
                .await?;
            w.started = Some(started_id);
            w
        } else {
            share::fresh(started_id, backlog, u64::from(want))
        };
        Ok(self.started((TicketKind::File, m, p), stream, window, (pid, false), who))
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
        let (started_id, _, _) = self.confirm(&stream, "0-0", m, command_name).await?;
        tracing::info!(pid, %stream, "command started");
        Ok(self.started(
            (TicketKind::Command, m, command_name),
            stream,
            share::fresh(started_id, 0, 0),
            (pid, false),
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

    /// Waits for the `started` event after `after`: its id, backlog line
    /// count and whether it resumed a replaced tailer's position.
    async fn confirm(
        &self,
        stream: &str,
        after: &str,
        m: &str,
        what: &str,
    ) -> Result<(EntryId, u64, bool), SessionError> {
        let secs = self.inner.settings.salt.start_confirm_secs;
        let not_started = |reason: String| SessionError::NotStarted {
            minion: m.to_owned(),
            what: what.to_owned(),
            reason,
        };
        match self.inner.streams.wait_started(stream, after, Duration::from_secs(secs)).await? {
            Confirmation::Started { id, backlog, resumed } => id
                .parse::<EntryId>()
                .map(|id| (id, backlog, resumed))
                .map_err(|e| not_started(format!("its `started` event has a bad id: {e}"))),
            Confirmation::Stopped { reason, message } => Err(not_started(format!("it stopped at once ({reason}): {message}"))),
            Confirmation::Silent => Err(not_started(format!(
                "no `started` event within {secs} s (is logtail installed at salt.logtail_bin and can it reach Redis?)"
            ))),
        }
    }
}
