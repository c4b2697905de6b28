//! The one launcher abstraction of a tail: where a tailer runs — on a
//! minion through Salt (saltgate), or on logview's own host in local mode —
//! and the three things the orchestrator asks of it: does the file exist,
//! stop the tailer of a path, start `logtail follow`. Chosen once per
//! request ([`Launcher::for_minion`]); no other code branches on local.

use super::{Orchestrator, SessionError};
use crate::audit::Principal;
use crate::salt_api::SaltCall;
use crate::target::{LogPath, MinionId};

/// Where the tailer of a request runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Launcher {
    /// On the minion, through Salt.
    Salt,
    /// Here, by spawning the local logtail (`[local]`).
    Local,
}

/// What `logtail follow` is asked to do.
#[derive(Debug, Clone)]
pub(crate) struct FollowSpec<'a> {
    pub minion: &'a MinionId,
    pub path: &'a LogPath,
    /// Backlog lines written to the stream (`--lines`).
    pub lines: u32,
    /// Where the replaced tailer stopped (`--resume-at`), if known.
    pub resume_at: Option<crate::wire::FilePos>,
}

/// The backlog a newly started tailer writes: the request's own N, and at
/// least `tail.shared_backlog_lines` (capped at `tail.max_lines`) so that later
/// viewers sharing the tailer find theirs in the stream (docs/sharing.md).
pub fn backlog_depth(settings: &crate::settings::Settings, want: crate::target::LineCount) -> u32 {
    let t = &settings.tail;
    want.get().max(t.shared_backlog_lines.min(t.max_lines))
}

impl Launcher {
    /// Local when local mode is on and `minion` is its host id.
    pub fn for_minion(settings: &crate::settings::Settings, minion: &MinionId) -> Launcher {
        let l = &settings.local;
        if l.enabled && minion.as_str() == l.host_id {
            Launcher::Local
        } else {
            Launcher::Salt
        }
    }

    /// The path allow-list of where this launcher runs tailers.
    pub fn allowed_paths(self, settings: &crate::settings::Settings) -> &[String] {
        match self {
            Launcher::Local => &settings.local.allowed_paths,
            Launcher::Salt => &settings.tail.allowed_paths,
        }
    }
}

impl Orchestrator {
    /// `file.file_exists` on the minion (or a stat here).
    pub(crate) async fn file_exists(
        &self,
        launcher: Launcher,
        minion: &MinionId,
        path: &LogPath,
        who: &Principal,
    ) -> Result<bool, SessionError> {
        match launcher {
            Launcher::Local => Ok(crate::local::LocalTailer::file_exists(path.as_str()).await),
            Launcher::Salt => {
                let call = SaltCall::FileExists {
                    minions: vec![minion.clone()],
                    path: path.clone(),
                };
                self.salt_step(minion.as_str(), self.inner.salt.file_exists(&call, who))
                    .await
            }
        }
    }

    /// `logtail stop PATH` on the minion (or here); `replacing`: a
    /// successor follows, so a running tailer's `stopped` says `replaced`.
    pub(crate) async fn stop_tailer(
        &self,
        launcher: Launcher,
        minion: &MinionId,
        path: &LogPath,
        replacing: bool,
        who: &Principal,
    ) -> Result<(), SessionError> {
        let (m, p) = (minion.as_str(), path.as_str());
        let prepare = |reason: String| SessionError::Prepare {
            minion: m.to_owned(),
            path: p.to_owned(),
            reason,
        };
        if launcher == Launcher::Local {
            return self
                .inner
                .local
                .stop(p, replacing)
                .await
                .map_err(|e| prepare(e.to_string()));
        }
        let call = SaltCall::Stop {
            minions: vec![minion.clone()],
            path: path.clone(),
            replacing,
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

    /// Starts `logtail follow` (`cmd.run_bg` on the minion, a spawned
    /// process here); the pid it reports.
    pub(crate) async fn follow(
        &self,
        launcher: Launcher,
        spec: FollowSpec<'_>,
        who: &Principal,
    ) -> Result<u32, SessionError> {
        let s = &self.inner.settings;
        match launcher {
            Launcher::Local => self
                .inner
                .local
                .follow(
                    spec.lines,
                    s.tail.max_duration_secs,
                    s.tail.idle_exit_secs,
                    spec.resume_at,
                    spec.path.as_str(),
                )
                .map_err(|e| SessionError::Local(e.to_string())),
            Launcher::Salt => {
                let call = SaltCall::Follow {
                    minions: vec![spec.minion.clone()],
                    path: spec.path.clone(),
                    lines: spec.lines,
                    max_duration_secs: s.tail.max_duration_secs,
                    idle_exit_secs: s.tail.idle_exit_secs,
                    resume_at: spec.resume_at,
                };
                self.salt_step(spec.minion.as_str(), self.inner.salt.run_bg(&call, who))
                    .await
            }
        }
    }
}
