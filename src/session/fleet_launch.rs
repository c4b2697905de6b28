//! The launch half of a fleet start (`fleet.rs`): ONE `logtail stop` and
//! ONE `logtail follow` for the minions without a tailer, a stale tailer's
//! own replacement (its `--resume-at` is a position in that minion's file),
//! and the wait for every `started` against one deadline, stopping again
//! (one call) the members that did not confirm.

use std::time::Duration;

use super::fleet::{not_started, refused_text, FleetRequest, Launched};
use super::fleet_outcome::{FleetReport, Outcome};
use super::share::{self, Window};
use super::{launch, Confirmation, Orchestrator, SessionError};
use crate::audit::Principal;
use crate::i18n::Text;
use crate::salt_api::SaltCall;
use crate::target::{LineCount, LogPath, MinionId};

impl Orchestrator {
    /// ONE `logtail stop` and ONE `logtail follow` for the minions without
    /// a tailer; the launched ones, to confirm.
    pub(super) async fn start_fresh(
        &self,
        fresh: Vec<(MinionId, String)>,
        req: &FleetRequest,
        who: &Principal,
        report: &mut FleetReport,
    ) -> Result<Vec<Launched>, SessionError> {
        let path = &req.path;
        let stop = SaltCall::Stop {
            minions: fresh.iter().map(|(m, _)| m.clone()).collect(),
            path: path.clone(),
            replacing: false,
        };
        let stopped = self
            .fleet_call(self.inner.salt.run_all_each(&stop, who))
            .await?;
        let mut ready = Vec::new();
        for ((m, r), (_, stream)) in stopped.into_iter().zip(fresh) {
            match r {
                Ok(out) if out.retcode == 0 => ready.push((m, stream)),
                Ok(out) if out.retcode == i64::from(crate::tail::error::EXIT_NOT_ALLOWED) => {
                    report.fail(&m, Outcome::Refused, refused_text(path));
                }
                Ok(out) => {
                    let reason = crate::tail::error::stop_failed(out.retcode);
                    let t = Text::new("fleet.outcome.not_started").arg("reason", reason);
                    report.fail(&m, Outcome::NotStarted, t);
                }
                Err(e) => report.fail_salt(&m, e),
            }
        }
        if ready.is_empty() {
            return Ok(Vec::new());
        }
        let mut afters = Vec::with_capacity(ready.len());
        for (_, stream) in &ready {
            afters.push(self.inner.streams.last_id(stream).await?);
        }
        let t = &self.inner.settings.tail;
        let follow = SaltCall::Follow {
            minions: ready.iter().map(|(m, _)| m.clone()).collect(),
            path: path.clone(),
            lines: launch::backlog_depth(&self.inner.settings, req.line_count),
            max_duration_secs: t.max_duration_secs,
            idle_exit_secs: t.idle_exit_secs,
            resume_at: None,
        };
        let pids = self
            .fleet_call(self.inner.salt.run_bg_each(&follow, who))
            .await?;
        let mut launched = Vec::new();
        for (((m, r), (_, stream)), after) in pids.into_iter().zip(ready).zip(afters) {
            match r {
                Ok(pid) => launched.push(Launched {
                    minion: m,
                    stream,
                    after,
                    pid,
                }),
                Err(e) => report.fail_salt(&m, e),
            }
        }
        Ok(launched)
    }

    /// A tailer of another logtail version runs: its own stop --replacing
    /// and follow `--resume-at` its position (a per-minion value).
    pub(super) async fn replace_stale(
        &self,
        m: &MinionId,
        path: &LogPath,
        stream: &str,
        lines: LineCount,
        who: &Principal,
    ) -> Result<Launched, SessionError> {
        let launcher = launch::Launcher::Salt;
        self.stop_tailer(launcher, m, path, true, who).await?;
        let after = self.inner.streams.last_id(stream).await?;
        let resume_at = self.inner.streams.resume_position(stream).await?;
        let spec = launch::FollowSpec {
            minion: m,
            path,
            lines: launch::backlog_depth(&self.inner.settings, lines),
            resume_at,
        };
        let pid = self.follow(launcher, spec, who).await?;
        Ok(Launched {
            minion: m.clone(),
            stream: stream.to_owned(),
            after,
            pid,
        })
    }

    /// Waits for every launched member's `started` against ONE deadline
    /// (`salt.start_confirm_secs`); the silent and the failed are stopped
    /// again with one call and reported.
    pub(super) async fn confirm_all(
        &self,
        launched: Vec<Launched>,
        path: &LogPath,
        want: u64,
        who: &Principal,
        report: &mut FleetReport,
    ) -> Result<(), SessionError> {
        let wait = Duration::from_secs(self.inner.settings.salt.start_confirm_secs);
        let waits = launched
            .iter()
            .map(|l| self.inner.streams.wait_started(&l.stream, &l.after, wait));
        let confirmations = futures_util::future::join_all(waits).await;
        let mut cleanup = Vec::new();
        for (l, c) in launched.into_iter().zip(confirmations) {
            match c? {
                Confirmation::Started {
                    id,
                    backlog,
                    resumed,
                } => match id.parse::<crate::stream::EntryId>() {
                    Ok(id) => {
                        let w = self.window(&l, id, backlog, resumed, want).await?;
                        report.member(
                            &l.minion,
                            Outcome::Started,
                            Text::new("fleet.outcome.started"),
                            w,
                        );
                    }
                    Err(e) => {
                        let reason = format!("its `started` event has a bad id: {e}");
                        report.fail(&l.minion, Outcome::NotStarted, not_started(reason));
                        cleanup.push(l.minion);
                    }
                },
                Confirmation::Stopped { reason, message } => {
                    // logtail's own refusal of a path outside its allow-list.
                    if message.contains("allow-list") {
                        report.fail(&l.minion, Outcome::Refused, refused_text(path));
                    } else {
                        let why = format!("it stopped at once ({reason}): {message}");
                        report.fail(&l.minion, Outcome::NotStarted, not_started(why));
                    }
                }
                Confirmation::Silent => {
                    let why = format!("no `started` event within {} s", wait.as_secs());
                    report.fail(&l.minion, Outcome::NotStarted, not_started(why));
                    cleanup.push(l.minion);
                }
            }
        }
        if !cleanup.is_empty() {
            let stop = SaltCall::Stop {
                minions: cleanup,
                path: path.clone(),
                replacing: false,
            };
            if let Err(e) = self.inner.salt.run_all_each(&stop, who).await {
                tracing::warn!(error = %e, "cleanup: logtail stop of unconfirmed fleet members failed");
            }
        }
        Ok(())
    }

    /// Where a just-confirmed member's viewer starts.
    async fn window(
        &self,
        l: &Launched,
        started: crate::stream::EntryId,
        backlog: u64,
        resumed: bool,
        want: u64,
    ) -> Result<Window, SessionError> {
        if !resumed {
            return Ok(share::fresh(started, backlog, want));
        }
        let mut w = self
            .inner
            .streams
            .scan_window(&l.stream, want, true, l.pid)
            .await?;
        w.started = Some(started);
        Ok(w)
    }
}
