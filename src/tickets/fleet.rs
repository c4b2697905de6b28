//! Fleet tickets: one signed, expiring token that binds a merged viewer to
//! the resolved list of minions following ONE path (issue: the fleet view).
//! Signed like a single ticket (`TicketSigner`), but a different payload:
//! neither kind decodes as the other, so a fleet ticket never opens a
//! single-stream route and the reverse (each requires fields the other lacks,
//! and unknown fields are refused).
//!
//! Stream keys are not stored: they derive from each member's minion and the
//! path (`wire::stream_key`), which keeps a 50-minion ticket short enough for
//! a URL (about 2.5 KiB) and means a ticket can only name streams of its path.

use serde::{Deserialize, Serialize};

use super::{check_expiry, TicketError, TicketSigner};

/// The signed content of a fleet ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetTicket {
    /// The followed path, the same on every member.
    pub path: String,
    /// The `[targets.NAME]` the list was resolved from; empty for an explicit list.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// The minions whose tailer runs (started or shared), in display order.
    pub members: Vec<FleetMember>,
    /// The minions of the target that are not in the view, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FleetFailure>,
    /// Expiry, unix seconds.
    pub exp: u64,
    /// Who the session was started for (as in a single ticket's `by`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
}

/// One minion of a fleet view and where its session starts (as a single
/// ticket's `start_after` + `skip_lines`, per stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetMember {
    /// The minion id.
    #[serde(rename = "m")]
    pub minion: String,
    /// Entry id just before this member's session (empty = whole stream).
    #[serde(rename = "a", default, skip_serializing_if = "String::is_empty")]
    pub start_after: String,
    /// Lines after `start_after` this viewer does not get.
    #[serde(rename = "s", default, skip_serializing_if = "is_zero")]
    pub skip_lines: u64,
}

/// A minion of the target that is not in the view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetFailure {
    /// The minion id.
    #[serde(rename = "m")]
    pub minion: String,
    /// Why, as an outcome code (`unreachable`, `missing`, `refused`, `not_started`).
    #[serde(rename = "o")]
    pub outcome: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TicketSigner {
    /// Signs `ticket` with its expiry set to the signer's TTL from now.
    pub fn issue_fleet(&self, mut ticket: FleetTicket) -> String {
        ticket.exp = self.expiry();
        self.sign_payload(&ticket)
    }

    /// Checks the signature and expiry of a fleet ticket and returns it.
    pub fn verify_fleet(&self, token: &str) -> Result<FleetTicket, TicketError> {
        let ticket: FleetTicket = self.verify_payload(token)?;
        check_expiry(ticket.exp)?;
        Ok(ticket)
    }

    /// Signs an explicit fleet ticket as is (tests make expired ones).
    pub fn sign_fleet(&self, ticket: &FleetTicket) -> String {
        self.sign_payload(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::TicketKind;
    use secrecy::SecretString;

    fn signer() -> TicketSigner {
        TicketSigner::new(SecretString::from("k".repeat(32)), 60)
    }

    fn fleet(n: usize) -> FleetTicket {
        FleetTicket {
            path: "/var/log/nginx/error.log".into(),
            target: "web".into(),
            members: (0..n)
                .map(|i| FleetMember {
                    minion: format!("web-{i:02}.example.com"),
                    start_after: "1795276199254-12".into(),
                    skip_lines: 9_000,
                })
                .collect(),
            failed: vec![FleetFailure {
                minion: "web-99".into(),
                outcome: "unreachable".into(),
            }],
            exp: 0,
            by: "api_token token-3f2a9c1b for alice".into(),
        }
    }

    #[test]
    fn a_fleet_ticket_round_trips() {
        let s = signer();
        let t = s.issue_fleet(fleet(3));
        let got = s.verify_fleet(&t).expect("valid");
        assert_eq!(got.members.len(), 3);
        assert_eq!(got.members[2].minion, "web-02.example.com");
        assert_eq!(got.failed[0].outcome, "unreachable");
        assert!(got.exp > 0);
    }

    #[test]
    fn fifty_minions_fit_a_url() {
        let t = signer().issue_fleet(fleet(50));
        // nginx's default large_client_header_buffers is 8 KiB for the request line.
        assert!(t.len() < 6_000, "{} bytes", t.len());
    }

    #[test]
    fn neither_kind_opens_the_other() {
        let s = signer();
        let single = s.issue(
            TicketKind::File,
            "web-01",
            "/var/log/app.log",
            "logs:web-01:/var/log/app.log",
        );
        assert_eq!(s.verify_fleet(&single), Err(TicketError::Malformed));
        let fleet = s.issue_fleet(fleet(2));
        assert_eq!(s.verify(&fleet), Err(TicketError::Malformed));
    }

    #[test]
    fn expired_and_foreign_fleet_tickets_are_refused() {
        let s = signer();
        let mut t = fleet(1);
        t.exp = 1;
        assert_eq!(s.verify_fleet(&s.sign_fleet(&t)), Err(TicketError::Expired));
        let other = TicketSigner::new(SecretString::from("z".repeat(32)), 60);
        assert_eq!(
            other.verify_fleet(&s.issue_fleet(fleet(1))),
            Err(TicketError::BadSignature)
        );
    }
}
