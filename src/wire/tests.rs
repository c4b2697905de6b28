//! Round trips and malformed input of the wire format.
use super::*;

fn roundtrip(e: &Entry) -> Entry {
    let fields = e.to_fields();
    Entry::from_fields(fields.iter().map(|(k, v)| (k.as_str(), v.as_bytes()))).expect("decodes")
}

#[test]
fn keys_follow_the_documented_layout() {
    // fnv1a32("web-01:/var/log/app.log") % 16 = 12 = 0xc (checked in Python too)
    let s = stream_key("logs", "web-01", "/var/log/app.log");
    assert_eq!(s, "logs:{bc}:web-01:/var/log/app.log");
    assert_eq!(lease_key(&s), "logs:{bc}:web-01:/var/log/app.log:lease");
    assert_eq!(owner_key(&s), "logs:{bc}:web-01:/var/log/app.log:owner");
    assert_eq!(
        start_claim_key(&s),
        "logs:{bc}:web-01:/var/log/app.log:start"
    );
    assert_eq!(
        command_stream_key("logs", "web-01", "disk", "ab12"),
        "logs:{bc}:web-01:cmd:disk:ab12"
    );
    assert_eq!(
        command_stream_key("logs", "web-01", "disk", ""),
        "logs:{bc}:web-01:cmd:disk:",
        "the bucket does not depend on the run"
    );
}

#[test]
fn command_stream_keys_parse_back_only_with_their_own_bucket() {
    let k = command_stream_key("logs", "web-01", "disk", "0123456789abcdef");
    assert_eq!(
        parse_command_stream_key("logs", "web-01", &k),
        Some(("disk", "0123456789abcdef"))
    );
    assert_eq!(parse_command_stream_key("logs", "web-02", &k), None);
    assert_eq!(parse_command_stream_key("other", "web-01", &k), None);
    let wrong_bucket = k.replace("{bc}", "{b0}");
    assert_eq!(
        parse_command_stream_key("logs", "web-01", &wrong_bucket),
        None
    );
    assert_eq!(
        parse_command_stream_key("logs", "web-01", "logs:web-01:cmd:disk:0123456789abcdef"),
        None,
        "the untagged format of older versions"
    );
}

#[test]
fn a_stream_its_lease_and_its_owner_share_a_cluster_slot() {
    for (m, p) in [("web-01", "/var/log/app.log"), ("db-7", "/var/log/x/y.log")] {
        let s = stream_key("logs", m, p);
        let slot = key_slot(s.as_bytes());
        assert_eq!(key_slot(lease_key(&s).as_bytes()), slot);
        assert_eq!(key_slot(owner_key(&s).as_bytes()), slot);
        let tag = hash_tag(s.as_bytes()).expect("tagged");
        assert_eq!(tag.len(), 2, "b + one hex digit: {s}");
    }
}

#[test]
fn streams_spread_over_every_bucket() {
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let s = stream_key("logs", &format!("web-{i:02}"), "/var/log/syslog");
        seen.insert(hash_tag(s.as_bytes()).expect("tagged").to_vec());
    }
    assert_eq!(seen.len() as u32, STREAM_BUCKETS);
}

#[test]
fn lines_entries_round_trip_with_fd_and_cut() {
    let e = Entry::Lines {
        lines: vec!["a".into(), "".into(), "c d".into()],
        fd: Some(2),
        cut: 1,
        pos: None,
    };
    assert_eq!(roundtrip(&e), e);
    let plain = Entry::Lines {
        lines: vec!["only".into()],
        fd: None,
        cut: 0,
        pos: None,
    };
    assert_eq!(
        plain.to_fields().len(),
        2,
        "no fd/cut/pos fields when unused"
    );
    assert_eq!(roundtrip(&plain), plain);
}

#[test]
fn lines_entries_round_trip_with_a_file_position() {
    let pos = crate::wire::FilePos {
        dev: 64769,
        inode: 1_048_577,
        offset: 123_456,
    };
    let e = Entry::Lines {
        lines: vec!["a".into(), "b".into()],
        fd: None,
        cut: 0,
        pos: Some(pos),
    };
    let fields = e.to_fields();
    assert!(fields.contains(&("pos".to_owned(), "64769:1048577:123456".to_owned())));
    assert_eq!(roundtrip(&e), e);
    let bad = [("kind", "lines"), ("lines", "x"), ("pos", "1:2")];
    assert_eq!(
        Entry::from_fields(bad.iter().map(|(k, v)| (*k, v.as_bytes()))),
        Err(crate::wire::WireError::BadPos("1:2".into()))
    );
}

#[test]
fn every_event_kind_round_trips() {
    for kind in EventKind::ALL {
        let e = Entry::Event(Event::new(kind, "msg").with("count", 3).with("reason", "x"));
        assert_eq!(roundtrip(&e), e, "{kind}");
    }
}

#[test]
fn malformed_entries_are_errors_not_panics() {
    let none: [(&str, &[u8]); 0] = [];
    assert_eq!(
        Entry::from_fields(none),
        Err(WireError::MissingField("kind"))
    );
    assert!(matches!(
        Entry::from_fields([("kind", b"zzz".as_slice())]),
        Err(WireError::UnknownKind(_))
    ));
    assert!(matches!(
        Entry::from_fields([("kind", b"event".as_slice()), ("event", b"boom".as_slice())]),
        Err(WireError::UnknownEvent(_))
    ));
    assert!(matches!(
        Entry::from_fields([
            ("kind", b"lines".as_slice()),
            ("lines", b"x".as_slice()),
            ("fd", b"x".as_slice())
        ]),
        Err(WireError::BadNumber { field: "fd", .. })
    ));
}
