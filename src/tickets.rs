//! Viewer tickets: HMAC-SHA256-signed, expiring tokens that bind a viewer URL
//! to one stream (kind, minion, path or command, stream key). A ticket is
//! `base64url(json payload) "." base64url(mac)`; it carries no secret and no
//! credential, only what the viewer is allowed to watch.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

mod fleet;
pub use fleet::{FleetFailure, FleetMember, FleetTicket};

type HmacSha256 = Hmac<Sha256>;

/// What a viewer may watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketKind {
    /// A followed file.
    File,
    /// The output of one run of a named command.
    Command,
}

/// The signed content of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// File or command.
    pub kind: TicketKind,
    /// Minion id (or the local host id for local streams).
    pub minion: String,
    /// The log path (file) or the command name (command).
    pub target: String,
    /// The Redis stream key the viewer reads.
    pub stream: String,
    /// Expiry, unix seconds.
    pub exp: u64,
    /// Entry id just before this session's first entry (the tailer's
    /// `started` event): a viewer never reads below it, so a second tail of
    /// the same file does not replay the previous session. Empty = from the
    /// start of what the stream retains.
    #[serde(default)]
    pub start_after: String,
    /// Lines after `start_after` this viewer does not get (events are not
    /// counted): a viewer sharing a running tailer gets exactly its own
    /// `line_count` of backlog, line-exact within a stream entry of many
    /// lines (docs/sharing.md). 0 = every line after `start_after`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skip_lines: u64,
    /// Who the session was started for (an audit principal in words, e.g.
    /// `api_token token-3f2a9c1b for alice`), so viewer attach and detach can
    /// be audited. Names only, never a credential. Empty = unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub by: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Why a ticket was refused. Messages are safe to show to the viewer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// Not of the form `payload.mac`, or not base64/JSON.
    #[error("the viewer link is malformed; ask for a new one")]
    Malformed,
    /// The MAC does not match: tampered, or signed with another key.
    #[error("the viewer link is not valid (signature mismatch); ask for a new one")]
    BadSignature,
    /// Past its expiry.
    #[error("the viewer link has expired; start the tail again for a new one")]
    Expired,
}

/// Issues and verifies tickets with one key.
#[derive(Clone)]
pub struct TicketSigner {
    key: SecretString,
    ttl_secs: u64,
}

impl std::fmt::Debug for TicketSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TicketSigner")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TicketSigner {
    /// A signer with `key` whose tickets live `ttl_secs`.
    pub fn new(key: SecretString, ttl_secs: u64) -> Self {
        TicketSigner { key, ttl_secs }
    }

    fn mac(&self, payload_b64: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(self.key.expose_secret().as_bytes())
            .expect("HMAC-SHA256 accepts keys of any length");
        mac.update(payload_b64.as_bytes());
        mac
    }

    /// Signs a ticket for the whole retained `stream` that expires `ttl_secs` from now.
    pub fn issue(&self, kind: TicketKind, minion: &str, target: &str, stream: &str) -> String {
        self.issue_from(kind, minion, target, stream, "")
    }

    /// Like [`TicketSigner::issue`], for a session whose entries come strictly
    /// after the entry id `start_after`.
    pub fn issue_from(
        &self,
        kind: TicketKind,
        minion: &str,
        target: &str,
        stream: &str,
        start_after: &str,
    ) -> String {
        self.issue_for(kind, minion, target, stream, start_after, "")
    }

    /// Like [`TicketSigner::issue_from`], naming who the session is for (`by`).
    pub fn issue_for(
        &self,
        kind: TicketKind,
        minion: &str,
        target: &str,
        stream: &str,
        start_after: &str,
        by: &str,
    ) -> String {
        let ticket = Ticket {
            kind,
            minion: minion.to_owned(),
            target: target.to_owned(),
            stream: stream.to_owned(),
            exp: self.expiry(),
            start_after: start_after.to_owned(),
            skip_lines: 0,
            by: by.to_owned(),
        };
        self.sign(&ticket)
    }

    /// Signs `ticket` with its expiry set to `ttl_secs` from now.
    pub fn issue_ticket(&self, mut ticket: Ticket) -> String {
        ticket.exp = self.expiry();
        self.sign(&ticket)
    }

    /// Signs an explicit ticket (tests use it to make expired ones).
    pub fn sign(&self, ticket: &Ticket) -> String {
        self.sign_payload(ticket)
    }

    /// Checks the signature (constant time) and the expiry, and returns the content.
    pub fn verify(&self, token: &str) -> Result<Ticket, TicketError> {
        let ticket: Ticket = self.verify_payload(token)?;
        check_expiry(ticket.exp)?;
        Ok(ticket)
    }

    /// Signs any ticket payload: `base64url(json) "." base64url(mac)`.
    pub(crate) fn sign_payload<T: Serialize>(&self, ticket: &T) -> String {
        let json = serde_json::to_vec(ticket).expect("a ticket always serialises");
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = URL_SAFE_NO_PAD.encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    /// Checks the signature (constant time) and decodes the payload as `T`
    /// (a payload of another ticket type does not decode: `Malformed`).
    pub(crate) fn verify_payload<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, TicketError> {
        let (payload, tag) = token.split_once('.').ok_or(TicketError::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| TicketError::Malformed)?;
        self.mac(payload)
            .verify_slice(&tag)
            .map_err(|_| TicketError::BadSignature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TicketError::Malformed)?;
        serde_json::from_slice(&json).map_err(|_| TicketError::Malformed)
    }

    /// Unix time `ttl_secs` from now: a new ticket's expiry.
    pub(crate) fn expiry(&self) -> u64 {
        now_unix() + self.ttl_secs
    }
}

/// `Expired` when `exp` (unix seconds) is not in the future.
pub(crate) fn check_expiry(exp: u64) -> Result<(), TicketError> {
    if exp <= now_unix() {
        return Err(TicketError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> TicketSigner {
        TicketSigner::new(SecretString::from("k".repeat(32)), 60)
    }

    #[test]
    fn an_issued_ticket_verifies_to_its_content() {
        let s = signer();
        let t = s.issue(
            TicketKind::File,
            "web-01",
            "/var/log/app.log",
            "logs:{bc}:web-01:/var/log/app.log",
        );
        let got = s.verify(&t).expect("valid");
        assert_eq!(got.minion, "web-01");
        assert_eq!(got.stream, "logs:{bc}:web-01:/var/log/app.log");
        assert_eq!(got.kind, TicketKind::File);
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let s = signer();
        let t = s.issue(
            TicketKind::File,
            "web-01",
            "/var/log/a.log",
            "logs:{bc}:web-01:/var/log/a.log",
        );
        let other = s.issue(
            TicketKind::File,
            "web-01",
            "/var/log/b.log",
            "logs:{bd}:web-01:/var/log/b.log",
        );
        let forged = format!(
            "{}.{}",
            other.split('.').next().unwrap_or(""),
            t.split('.').nth(1).unwrap_or("")
        );
        assert_eq!(s.verify(&forged), Err(TicketError::BadSignature));
        assert_eq!(s.verify("garbage"), Err(TicketError::Malformed));
    }

    #[test]
    fn another_key_and_expiry_are_refused() {
        let s = signer();
        let t = s.issue(
            TicketKind::Command,
            "web-01",
            "disk",
            "logs:{bc}:web-01:cmd:disk:0123456789abcdef",
        );
        let other = TicketSigner::new(SecretString::from("z".repeat(32)), 60);
        assert_eq!(other.verify(&t), Err(TicketError::BadSignature));
        let expired = Ticket {
            kind: TicketKind::File,
            minion: "m".into(),
            target: "/var/log/x".into(),
            stream: "logs:{be}:m:/var/log/x".into(),
            exp: now_unix() - 1,
            start_after: String::new(),
            skip_lines: 0,
            by: String::new(),
        };
        assert_eq!(s.verify(&s.sign(&expired)), Err(TicketError::Expired));
    }
}
