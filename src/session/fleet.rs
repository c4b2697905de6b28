//! The start of a fleet view (docs/fleet.md): one path followed on a list of
//! minions, from a `[targets.NAME]` (resolved by saltgate) or an explicit
//! list of ids. One Salt call per step for the whole list, never one per
//! minion: resolve → ONE `file.file_exists` for the answering ids → per
//! stream, the owner check (a tailer of this version is shared: no Salt
//! call; a stale one is replaced by its own stop + follow, because
//! `--resume-at` is a position in that minion's file) → ONE `logtail stop`
//! for the rest → ONE `logtail follow` → every `started` awaited against one
//! deadline → a member that did not confirm is stopped again (one call).
//! Each minion ends with an outcome (`fleet_outcome.rs`); the view starts
//! for the members and the answer says why the others are not in it.

use super::fleet_outcome::{FleetReport, Outcome};
use super::{Orchestrator, SessionError};
use crate::audit::{AuditRecord, Principal};
use crate::i18n::Text;
use crate::salt_api::{SaltCall, SaltError};
use crate::target::{LineCount, LogPath, MinionId};
use crate::tickets::{FleetFailure, FleetMember, FleetTicket};
use crate::wire;

/// Which minions a fleet request covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetTarget {
    /// A `[targets.NAME]`, resolved to ids by saltgate.
    Named(String),
    /// Literal ids (validated: 1 to `limits.max_fleet`, distinct).
    Ids(Vec<MinionId>),
}

/// A validated fleet request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetRequest {
    /// The minions.
    pub target: FleetTarget,
    /// The path, inside `tail.allowed_paths`.
    pub path: LogPath,
    /// Backlog lines of each member.
    pub line_count: LineCount,
}

/// A started fleet view.
#[derive(Debug, Clone)]
pub struct FleetStarted {
    /// `{public_url}fleet/{ticket}`.
    pub url: String,
    /// The signed fleet ticket.
    pub ticket: String,
    /// Every minion's outcome.
    pub report: FleetReport,
}

/// A member whose tailer was launched and must confirm.
pub(super) struct Launched {
    pub(super) minion: MinionId,
    pub(super) stream: String,
    pub(super) after: String,
    pub(super) pid: u32,
}

impl Orchestrator {
    /// Starts the fleet view of `req` for `who`; one audit record (action
    /// `fleet`, the minions and their outcomes), whatever the outcome.
    pub async fn start_fleet(
        &self,
        req: FleetRequest,
        who: &Principal,
    ) -> Result<FleetStarted, SessionError> {
        let result = self.start_fleet_steps(&req, who).await;
        let (minions, outcome) = match &result {
            Ok(f) => (
                f.report.minion_list(),
                format!("ok: {}", f.report.summary()),
            ),
            Err(SessionError::FleetNoneStarted(r)) => {
                (r.minion_list(), format!("failed: {}", r.summary()))
            }
            Err(e) => (String::new(), format!("failed: {e}")),
        };
        let mut rec = AuditRecord::now("logview", "fleet", who, &outcome).on(
            Some(minions.as_str()).filter(|m| !m.is_empty()),
            Some(req.path.as_str()),
            None,
        );
        if let FleetTarget::Named(name) = &req.target {
            rec.target = Some(name.clone());
        }
        self.inner.audit.record(&rec).await;
        result
    }

    #[tracing::instrument(skip_all, fields(path = ?req.path.as_str(), who = ?who.describe()), err(level = "info"))]
    async fn start_fleet_steps(
        &self,
        req: &FleetRequest,
        who: &Principal,
    ) -> Result<FleetStarted, SessionError> {
        let s = &self.inner.settings;
        let path = &req.path;
        let want = u64::from(req.line_count.get());
        let mut report = FleetReport::new(path.as_str());
        let candidates = self.resolve_fleet(req, who, &mut report).await?;

        // ONE file.file_exists for every answering minion.
        let present = if candidates.is_empty() {
            Vec::new()
        } else {
            let call = SaltCall::FileExists {
                minions: candidates,
                path: path.clone(),
            };
            let each = self
                .fleet_call(self.inner.salt.file_exists_each(&call, who))
                .await?;
            let mut present = Vec::new();
            for (m, r) in each {
                match r {
                    Ok(true) => present.push(m),
                    Ok(false) => report.fail(&m, Outcome::Missing, missing_text(path)),
                    Err(e) => report.fail_salt(&m, e),
                }
            }
            present
        };
        // Sorted: two fleet starts over the same minions take their locks in
        // the same order (an explicit list comes in the caller's order).
        let mut present = present;
        present.sort();

        // One start per stream at a time in this process, taken in id order.
        let mut locks = Vec::with_capacity(present.len());
        for m in &present {
            let stream = wire::stream_key(&s.redis.prefix, m.as_str(), path.as_str());
            locks.push(self.inner.starts.lock(&stream).await);
        }
        let mut fresh = Vec::new();
        let mut launched = Vec::new();
        for m in present {
            let stream = wire::stream_key(&s.redis.prefix, m.as_str(), path.as_str());
            self.inner.streams.set_lease(&stream).await?;
            match self.inner.streams.owner(&stream).await? {
                Some(owner) if owner.is_current_version() => {
                    let w = self
                        .inner
                        .streams
                        .share_window(&stream, want, &owner)
                        .await?;
                    report.member(&m, Outcome::Shared, Text::new("fleet.outcome.shared"), w);
                }
                Some(_) => match self
                    .replace_stale(&m, path, &stream, req.line_count, who)
                    .await
                {
                    Ok(l) => launched.push(l),
                    Err(e) => report.fail_session(&m, e),
                },
                None => fresh.push((m, stream)),
            }
        }

        if !fresh.is_empty() {
            launched.extend(self.start_fresh(fresh, req, who, &mut report).await?);
        }
        self.confirm_all(launched, path, want, who, &mut report)
            .await?;
        drop(locks);

        if report.members.is_empty() {
            return Err(SessionError::FleetNoneStarted(Box::new(report)));
        }
        let target = match &req.target {
            FleetTarget::Named(n) => n.clone(),
            FleetTarget::Ids(_) => String::new(),
        };
        let ticket = self.inner.signer.issue_fleet(FleetTicket {
            path: path.as_str().to_owned(),
            target,
            members: report
                .members
                .iter()
                .map(|(m, w)| FleetMember {
                    minion: m.clone(),
                    start_after: w.floor.map(|id| id.to_string()).unwrap_or_default(),
                    skip_lines: w.skip_lines,
                })
                .collect(),
            failed: report
                .failed()
                .map(|o| FleetFailure {
                    minion: o.minion.clone(),
                    outcome: o.outcome.code().to_owned(),
                })
                .collect(),
            by: who.describe(),
            exp: 0,
        });
        tracing::info!(summary = %report.summary(), "fleet view started");
        Ok(FleetStarted {
            url: format!("{}fleet/{ticket}", s.public_base()),
            ticket,
            report,
        })
    }

    /// The ids to start on: a target's answering minions (the silent ones
    /// are reported `unreachable`), or the explicit list.
    async fn resolve_fleet(
        &self,
        req: &FleetRequest,
        who: &Principal,
        report: &mut FleetReport,
    ) -> Result<Vec<MinionId>, SessionError> {
        let max = self.inner.settings.limits.max_fleet;
        let name = match &req.target {
            FleetTarget::Ids(ids) => return Ok(ids.clone()),
            FleetTarget::Named(name) => name,
        };
        if !self.inner.settings.targets.contains_key(name) {
            return Err(SessionError::UnknownTarget { name: name.clone() });
        }
        let r = self.fleet_call(self.inner.salt.resolve(name, who)).await?;
        if r.minions.len() > max {
            return Err(SessionError::FleetTooLarge {
                field: "target",
                count: r.minions.len(),
                max,
            });
        }
        if r.minions.is_empty() {
            return Err(SessionError::TargetEmpty { name: name.clone() });
        }
        let mut answering = Vec::new();
        for (id, answered) in r.minions {
            let Ok(m) = MinionId::parse(&id) else {
                tracing::warn!(id = ?id, "a resolved minion id is not a valid id; skipped");
                continue;
            };
            if answered {
                answering.push(m);
            } else {
                let text = Text::new("fleet.outcome.unreachable").arg("secs", r.waited_secs);
                report.fail(&m, Outcome::Unreachable, text);
            }
        }
        Ok(answering)
    }

    /// A whole-list Salt call: an error of the call itself (gate, salt-api)
    /// fails the start; per-minion errors are in its answer.
    pub(super) async fn fleet_call<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, SaltError>>,
    ) -> Result<T, SessionError> {
        call.await
            .map_err(|e| SessionError::from_salt(e, "(fleet)"))
    }
}

fn missing_text(path: &LogPath) -> Text {
    Text::new("fleet.outcome.missing").arg("path", path.as_str())
}

pub(super) fn refused_text(path: &LogPath) -> Text {
    Text::new("fleet.outcome.refused").arg("path", path.as_str())
}

pub(super) fn not_started(reason: String) -> Text {
    Text::new("fleet.outcome.not_started").arg("reason", reason)
}
