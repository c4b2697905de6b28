//! Who may watch a fleet view: turns the `{ticket}` of `/ws/fleet/` and
//! `/sse/fleet/` plus the resume cursor into the checked list of member
//! streams and where each starts. The cursor (`MINION=ID,MINION=ID`) is the
//! fleet form of a resume id: one entry id per member (docs/fleet.md).

use std::collections::{BTreeMap, HashSet};

use crate::settings::Settings;
use crate::target::MinionId;
use crate::tickets::{FleetFailure, TicketSigner};
use crate::wire::{self, EntryId};

use super::access::{resume_id, AccessError, CursorProblem};
use super::ledger::ViewStart;

/// Most members one fleet ticket may name (well above any `limits.max_fleet`
/// a URL can carry; a bound on what a signed ticket can make one request open).
pub const MAX_MEMBERS: usize = 500;

/// One member stream a fleet ticket grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetMemberGrant {
    /// The minion id.
    pub minion: String,
    /// Its stream key (`wire::stream_key` of the minion and the ticket's path).
    pub stream: String,
    /// The member's session starts strictly after this id.
    pub floor: Option<EntryId>,
    /// Lines after `floor` this viewer does not get.
    pub skip_lines: u64,
}

impl FleetMemberGrant {
    /// Where this member's viewer starts, given the cursor's id for it.
    pub fn view_start(&self, resume: Option<EntryId>) -> ViewStart {
        ViewStart {
            after: resume.max(self.floor),
            floor: self.floor,
            skip_lines: self.skip_lines,
        }
    }
}

/// What a verified fleet ticket grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetGrant {
    /// The followed path.
    pub path: String,
    /// The named target, or empty.
    pub target: String,
    /// The member streams, in the ticket's order.
    pub members: Vec<FleetMemberGrant>,
    /// Minions of the target that are not in the view.
    pub failed: Vec<FleetFailure>,
    /// Who the session was issued for.
    pub by: String,
}

impl FleetGrant {
    /// The members' minion ids joined by `,` (the audit trail's minion field).
    pub fn minion_list(&self) -> String {
        let ids: Vec<&str> = self.members.iter().map(|m| m.minion.as_str()).collect();
        ids.join(",")
    }

    /// Records this viewer's attach now (one record naming every member),
    /// and its detach when the guard drops.
    pub fn audit_viewer(
        &self,
        log: std::sync::Arc<crate::audit::AuditLog>,
        transport: &str,
    ) -> crate::audit::ViewerAudit {
        crate::audit::ViewerAudit::attach(
            log,
            &self.by,
            &self.minion_list(),
            Some(&self.path),
            None,
            transport,
        )
    }
}

/// Verifies a fleet `ticket`: signature, expiry, every member a valid minion
/// id (once), at least one and at most [`MAX_MEMBERS`], an absolute path.
pub fn fleet_grant_for_ticket(
    settings: &Settings,
    signer: &TicketSigner,
    ticket: &str,
) -> Result<FleetGrant, AccessError> {
    let t = signer.verify_fleet(ticket)?;
    let prefix = settings.redis.prefix.as_str();
    if t.members.is_empty() || t.members.len() > MAX_MEMBERS || !t.path.starts_with('/') {
        return Err(AccessError::ForeignStream);
    }
    let mut seen = HashSet::new();
    let mut members = Vec::with_capacity(t.members.len());
    for m in t.members {
        if MinionId::parse(&m.minion).is_err() || !seen.insert(m.minion.clone()) {
            return Err(AccessError::ForeignStream);
        }
        members.push(FleetMemberGrant {
            stream: wire::stream_key(prefix, &m.minion, &t.path),
            floor: resume_id(Some(&m.start_after))?,
            skip_lines: m.skip_lines,
            minion: m.minion,
        });
    }
    Ok(FleetGrant {
        path: t.path,
        target: t.target,
        members,
        failed: t.failed,
        by: t.by,
    })
}

/// A fleet resume cursor: the last entry id a client got from each member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetCursor(BTreeMap<String, EntryId>);

impl FleetCursor {
    /// Parses `MINION=ID,MINION=ID` (empty = no resume). Every minion must be
    /// a member of `grant`, each at most once.
    pub fn parse(raw: Option<&str>, grant: &FleetGrant) -> Result<FleetCursor, AccessError> {
        let mut ids = BTreeMap::new();
        let raw = raw.map(str::trim).unwrap_or("");
        for pair in raw.split(',').filter(|p| !p.is_empty()) {
            let bad = |problem| AccessError::BadCursor {
                part: pair.chars().take(100).collect(),
                problem,
            };
            let (minion, id) = pair
                .split_once('=')
                .filter(|(_, id)| !id.trim().is_empty())
                .ok_or_else(|| bad(CursorProblem::NotAPair))?;
            if !grant.members.iter().any(|m| m.minion == minion) {
                return Err(bad(CursorProblem::NotAMember));
            }
            let id = resume_id(Some(id))?.ok_or_else(|| bad(CursorProblem::NotAPair))?;
            if ids.insert(minion.to_owned(), id).is_some() {
                return Err(bad(CursorProblem::Twice));
            }
        }
        Ok(FleetCursor(ids))
    }

    /// The id the client last got from `minion`.
    pub fn get(&self, minion: &str) -> Option<EntryId> {
        self.0.get(minion).copied()
    }

    /// Records that the client now has `id` from `minion`.
    pub fn advance(&mut self, minion: &str, id: EntryId) {
        match self.0.get_mut(minion) {
            Some(last) => *last = id.max(*last),
            None => {
                self.0.insert(minion.to_owned(), id);
            }
        }
    }
}

impl std::fmt::Display for FleetCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (minion, id)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{minion}={id}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "fleet_access_tests.rs"]
mod tests;
