//! The session orchestrator: turns a validated request into a running tailer
//! (or command run) and a viewer URL. For a file: validate → `file.file_exists`
//! → set the lease → `logtail stop` → note the stream's last id →
//! `cmd.run_bg logtail follow …` → wait for its `started` event → ticket. A
//! failure after the launch stops the tailer again: nothing half-started.

mod error;
pub mod status;
pub mod stream_control;

use std::sync::Arc;
use std::time::Duration;

use crate::commands;
use crate::local::LocalTailer;
use crate::salt_api::{lowstate, SaltApi, SaltError};
use crate::settings::Settings;
use crate::stream::EntryId;
use crate::target::{InputError, LineCount, LogPath, MinionId};
use crate::tickets::{TicketKind, TicketSigner};
use crate::wire;

pub use error::SessionError;
pub use status::{MinionStatus, Reachability};
pub use stream_control::{Confirmation, StreamControl};

/// A request to follow a file (the Django `POST /api/tail`, the ops page form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailRequest {
    /// Raw minion id (validated by [`Orchestrator::start_tail`]).
    pub minion_id: String,
    /// Raw absolute log path.
    pub log_path: String,
    /// Backlog lines; `None` = `tail.default_lines`.
    pub line_count: Option<u32>,
}

impl TailRequest {
    /// From raw form/JSON strings: `line_count` must be a whole number
    /// (`abc` and `-1` are refused here with the allowed range).
    pub fn from_raw(
        settings: &Settings,
        minion_id: &str,
        log_path: &str,
        line_count: Option<&str>,
    ) -> Result<TailRequest, InputError> {
        let lines = LineCount::parse(
            line_count,
            settings.tail.default_lines,
            settings.tail.max_lines,
        )?;
        let given = line_count
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .is_some();
        Ok(TailRequest {
            minion_id: minion_id.to_owned(),
            log_path: log_path.to_owned(),
            line_count: given.then_some(lines.get()),
        })
    }
}

/// A started session: where to watch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// `{public_url}view/{ticket}`.
    pub viewer_url: String,
    /// The signed ticket in that URL.
    pub ticket: String,
    /// The Redis stream the viewer reads.
    pub stream: String,
    /// File or command.
    pub kind: TicketKind,
    /// The minion (or local host id).
    pub minion: String,
    /// The path or the command name.
    pub target: String,
    /// Entry id of the tailer's `started` event: this session's entries are
    /// this one and everything after it.
    pub started_id: String,
    /// pid of the launched logtail (on the minion, or here in local mode).
    pub pid: u32,
}

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
}

impl Orchestrator {
    /// An orchestrator driving `salt` and `streams`, signing with `signer`.
    pub fn new(
        settings: Arc<Settings>,
        salt: SaltApi,
        streams: StreamControl,
        signer: TicketSigner,
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
            }),
        }
    }

    /// The salt-api client (health checks use its `ping`).
    pub fn salt(&self) -> &SaltApi {
        &self.inner.salt
    }

    fn is_local(&self, minion: &MinionId) -> bool {
        let l = &self.inner.settings.local;
        l.enabled && minion.as_str() == l.host_id
    }

    /// Follows a file; see the module doc for the steps.
    #[tracing::instrument(skip_all, fields(minion = ?req.minion_id, path = ?req.log_path), err(level = "info"))]
    pub async fn start_tail(&self, req: TailRequest) -> Result<Started, SessionError> {
        let s = &self.inner.settings;
        let minion = MinionId::parse(&req.minion_id)?;
        let local = self.is_local(&minion);
        let allowed = if local {
            &s.local.allowed_paths
        } else {
            &s.tail.allowed_paths
        };
        let path = LogPath::parse(&req.log_path, allowed)?;
        let raw_lines = req.line_count.map(|n| n.to_string());
        let lines = LineCount::parse(raw_lines.as_deref(), s.tail.default_lines, s.tail.max_lines)?;
        let (m, p) = (minion.as_str(), path.as_str());

        let exists = if local {
            LocalTailer::file_exists(p).await
        } else {
            self.salt_step(m, self.inner.salt.file_exists(m, p)).await?
        };
        if !exists {
            return Err(SessionError::FileMissing {
                minion: m.to_owned(),
                path: p.to_owned(),
            });
        }

        let stream = wire::stream_key(&s.redis.prefix, m, p);
        self.inner.streams.set_lease(&stream).await?;
        self.stop_tailer(m, p, local).await?;
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
            let argv = lowstate::follow_argv(
                &s.salt.logtail_bin,
                &s.salt.logtail_config,
                &stream,
                lines.get(),
                s.tail.max_duration_secs,
                s.tail.idle_exit_secs,
                p,
            );
            self.salt_step(m, self.inner.salt.run_bg(m, &argv)).await?
        };

        let started_id = match self.confirm(&stream, &after, m, p).await {
            Ok(id) => id,
            Err(e) => {
                if let Err(stop) = self.stop_tailer(m, p, local).await {
                    tracing::warn!(error = %stop, "cleanup: logtail stop after a failed start also failed");
                }
                return Err(e);
            }
        };
        tracing::info!(pid, %stream, "tailer started");
        Ok(self.started(TicketKind::File, m, p, stream, started_id, pid))
    }

    /// Runs the allow-listed command `command_name` on `minion_id` through `logtail exec`.
    #[tracing::instrument(skip_all, fields(minion = ?minion_id, command = ?command_name), err(level = "info"))]
    pub async fn run_command(
        &self,
        minion_id: &str,
        command_name: &str,
    ) -> Result<Started, SessionError> {
        let s = &self.inner.settings;
        let minion = MinionId::parse(minion_id)?;
        let cmd = commands::lookup(s, command_name)?;
        let m = minion.as_str();
        let run_id = commands::new_run_id();
        let stream = wire::command_stream_key(&s.redis.prefix, m, command_name, &run_id);
        self.inner.streams.set_lease(&stream).await?;
        let argv = lowstate::exec_argv(
            &s.salt.logtail_bin,
            &s.salt.logtail_config,
            &stream,
            cmd.timeout_secs,
            &cmd.argv,
        );
        let pid = self.salt_step(m, self.inner.salt.run_bg(m, &argv)).await?;
        let started_id = self.confirm(&stream, "0-0", m, command_name).await?;
        tracing::info!(pid, %stream, "command started");
        Ok(self.started(
            TicketKind::Command,
            m,
            command_name,
            stream,
            started_id,
            pid,
        ))
    }

    /// Whether `minion_id` answers, cached ~30 s (see [`status`]).
    pub async fn minion_status(&self, minion_id: &str) -> Result<MinionStatus, SessionError> {
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
            ));
        }
        let s = &self.inner.settings;
        let probe = s
            .tail
            .suggestions
            .iter()
            .find(|p| LogPath::parse(p, &s.tail.allowed_paths).is_ok());
        let Some(probe) = probe else {
            return Ok(self.inner.status.put(
                m,
                Reachability::NotChecked,
                "not checked: no tail.suggestions path to probe with".into(),
            ));
        };
        let result = self.inner.salt.file_exists(m, probe).await;
        Ok(match result {
            Ok(_) | Err(SaltError::FunctionFailed { .. }) => self.note_answer(m),
            Err(e) => self.note_failure(m, &e),
        })
    }

    fn note_answer(&self, minion: &str) -> MinionStatus {
        self.inner.status.put(
            minion,
            Reachability::Answers,
            format!("minion {minion} answers"),
        )
    }

    fn note_failure(&self, minion: &str, e: &SaltError) -> MinionStatus {
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
        )
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
    async fn stop_tailer(&self, m: &str, p: &str, local: bool) -> Result<(), SessionError> {
        let s = &self.inner.settings;
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
        let argv = lowstate::stop_argv(&s.salt.logtail_bin, &s.salt.logtail_config, p);
        let out = self.salt_step(m, self.inner.salt.run_all(m, &argv)).await?;
        if out.retcode == 0 {
            return Ok(());
        }
        let said = if out.stderr.trim().is_empty() {
            out.stdout.trim()
        } else {
            out.stderr.trim()
        };
        let said: String = said.chars().take(300).collect();
        Err(prepare(format!(
            "logtail stop exited with status {}: {said}",
            out.retcode
        )))
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

    fn started(
        &self,
        kind: TicketKind,
        minion: &str,
        target: &str,
        stream: String,
        started_id: String,
        pid: u32,
    ) -> Started {
        // The viewer starts at this session's `started` event, not at an
        // earlier session's lines still retained in the same stream.
        let start_after = started_id
            .parse::<EntryId>()
            .ok()
            .and_then(EntryId::predecessor)
            .map(|id| id.to_string())
            .unwrap_or_default();
        let ticket = self
            .inner
            .signer
            .issue_from(kind, minion, target, &stream, &start_after);
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
