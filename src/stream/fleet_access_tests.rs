use super::*;
use crate::tickets::{FleetMember, FleetTicket};

fn settings() -> Settings {
    Settings::shipped()
}

fn signer() -> TicketSigner {
    TicketSigner::new("k".repeat(32).into(), 60)
}

fn ticket(minions: &[&str]) -> FleetTicket {
    FleetTicket {
        path: "/var/log/app.log".into(),
        target: "web".into(),
        members: minions
            .iter()
            .map(|m| FleetMember {
                minion: (*m).into(),
                start_after: "100-1".into(),
                skip_lines: 3,
            })
            .collect(),
        failed: vec![],
        exp: 0,
        by: String::new(),
    }
}

#[test]
fn a_fleet_ticket_grants_the_stream_of_each_member_and_path() {
    let s = settings();
    let signer = signer();
    let g = fleet_grant_for_ticket(
        &s,
        &signer,
        &signer.issue_fleet(ticket(&["web-01", "web-02"])),
    )
    .expect("valid");
    assert_eq!(g.members.len(), 2);
    assert_eq!(
        g.members[1].stream,
        wire::stream_key(&s.redis.prefix, "web-02", "/var/log/app.log")
    );
    assert_eq!(g.members[0].floor, Some(EntryId { ms: 100, seq: 1 }));
    assert_eq!(g.minion_list(), "web-01,web-02");
}

#[test]
fn members_must_be_valid_unique_and_present() {
    let s = settings();
    let signer = signer();
    for bad in [
        ticket(&[]),
        ticket(&["web-01", "web-01"]),
        ticket(&["web:01"]),
        ticket(&["../x"]),
        FleetTicket {
            path: "relative.log".into(),
            ..ticket(&["web-01"])
        },
    ] {
        assert_eq!(
            fleet_grant_for_ticket(&s, &signer, &signer.issue_fleet(bad.clone())),
            Err(AccessError::ForeignStream),
            "{bad:?}"
        );
    }
}

#[test]
fn a_cursor_round_trips_and_refuses_strangers() {
    let s = settings();
    let signer = signer();
    let g = fleet_grant_for_ticket(
        &s,
        &signer,
        &signer.issue_fleet(ticket(&["web-01", "web-02"])),
    )
    .expect("valid");
    let c = FleetCursor::parse(Some("web-02=7-0,web-01=5-3"), &g).expect("cursor");
    assert_eq!(c.get("web-01"), Some(EntryId { ms: 5, seq: 3 }));
    assert_eq!(c.to_string(), "web-01=5-3,web-02=7-0");
    assert_eq!(FleetCursor::parse(Some(""), &g), Ok(FleetCursor::default()));
    assert_eq!(FleetCursor::parse(None, &g), Ok(FleetCursor::default()));
    for bad in [
        "web-03=1-0",
        "web-01",
        "web-01=x",
        "web-01=1-0,web-01=2-0",
        "web-01=",
    ] {
        assert!(FleetCursor::parse(Some(bad), &g).is_err(), "{bad}");
    }
    // The view of a member starts after the later of its cursor id and its floor.
    let start = g.members[0].view_start(c.get("web-01"));
    assert_eq!(start.after, Some(EntryId { ms: 100, seq: 1 }));
    let start = g.members[0].view_start(Some(EntryId { ms: 200, seq: 0 }));
    assert_eq!(start.after, Some(EntryId { ms: 200, seq: 0 }));
    assert_eq!(start.skip_lines, 3);
}

#[test]
fn advancing_keeps_the_highest_id() {
    let mut c = FleetCursor::default();
    c.advance("web-01", EntryId { ms: 5, seq: 0 });
    c.advance("web-01", EntryId { ms: 4, seq: 0 });
    c.advance("web-02", EntryId { ms: 1, seq: 0 });
    assert_eq!(c.to_string(), "web-01=5-0,web-02=1-0");
}
