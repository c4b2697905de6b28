//! Replacing a stale tailer (docs/sharing.md, *Replacing a stale tailer*),
//! against the real stack: the new tailer continues at the `pos` of the
//! dead one's last entry (`logtail follow --resume-at`), so a viewer that was
//! attached all along gets every line appended before, during the gap and
//! after, exactly once and in order, and sees one `started` (resumed) and
//! no backlog again; one logtail process afterwards. A tailer of another
//! version is stopped with `replaced` first (one marker in the viewer).

use serde_json::json;

use crate::api_support::*;
use crate::support::stack::stack;
use crate::tail_sharing::{numbered, owner_value, the_tailer, Viewer, WAIT};

/// Reads until the line `last` has arrived.
async fn read_until(v: &mut Viewer, last: &str) {
    while v.lines.last().map(String::as_str) != Some(last) {
        let n = v.lines.len();
        v.read_lines(n + 1).await;
    }
}

/// `want` once each, in order: the stream holds no line twice.
async fn stream_holds_once(stream: &str, first: &[String], want: &[String]) {
    let got = lines_of(&entries(stream).await);
    let mut all = first.to_vec();
    all.extend_from_slice(want);
    assert_eq!(got, all, "every line in the stream exactly once");
}

/// The `started` events a viewer saw, as their `resumed` field.
fn starts(v: &Viewer) -> Vec<String> {
    v.starts
        .iter()
        .filter(|(e, _)| e == "started")
        .map(|(_, r)| r.clone())
        .collect()
}

#[tokio::test]
async fn a_killed_tailer_is_resumed_and_an_attached_viewer_gets_every_line_once() {
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("killed", 20);
    let path = file.to_string_lossy().into_owned();
    let first = app.tail(minion, &path, json!(4)).await;
    let stream = app.ticket_of(first.url()).stream;
    let mut a = Viewer::open(&app, first.url()).await;
    a.read_lines(4).await;
    let before = numbered("before", 1..=10);
    append(&file, &before);
    a.read_lines(14).await;

    let dead = the_tailer(&file).await;
    // Perhaps read, perhaps published, perhaps neither when it dies.
    let racing = numbered("racing", 1..=5);
    append(&file, &racing);
    let killed = std::process::Command::new("kill")
        .args(["-9", &dead.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    let gap = numbered("gap", 1..=30);
    append(&file, &gap);
    eventually(WAIT, async || {
        owner_value(&stream).await.is_none().then_some(())
    })
    .await
    .expect("the dead tailer's heartbeat lapses");

    let second = app.tail(minion, &path, json!(6)).await;
    let fresh = the_tailer(&file).await;
    assert_ne!(fresh, dead, "a new tailer replaced the dead one");
    let mut b = Viewer::open(&app, second.url()).await;
    let after = numbered("after", 1..=10);
    append(&file, &after);

    let mut want = numbered("killed", 17..=20);
    for part in [&before, &racing, &gap, &after] {
        want.extend_from_slice(part);
    }
    read_until(&mut a, "after-10").await;
    assert_eq!(a.lines, want, "A: every line once, in order");
    assert!(a.ids_increase(), "A: entry ids strictly increase");
    assert_eq!(
        starts(&a),
        ["", "1"],
        "A: its start, then one resumed start"
    );
    assert_eq!(a.saw("stopped"), 0, "A: {:?}", a.events);

    // B asked for 6: the last 6 lines of the stream when it was let in
    // (the gap may not all be published yet), then every line after them.
    read_until(&mut b, "after-10").await;
    assert!(b.lines.len() >= 6 + after.len(), "B: {:?}", b.lines);
    assert_eq!(
        b.lines[..],
        want[want.len() - b.lines.len()..],
        "B: a tail of the same sequence"
    );
    assert_eq!(b.saw("stopped"), 0, "B: {:?}", b.events);

    stream_holds_once(&stream, &numbered("killed", 1..=16), &want).await;
    assert_eq!(tailers_following(&file), [fresh], "one tailer afterwards");
}

#[tokio::test]
async fn a_tailer_of_another_logtail_version_is_replaced_where_it_stopped() {
    use redis::AsyncCommands;
    let app = spawn_app(&[]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("version", 20);
    let path = file.to_string_lossy().into_owned();
    let first = app.tail(minion, &path, json!(4)).await;
    let stream = app.ticket_of(first.url()).stream;
    let mut a = Viewer::open(&app, first.url()).await;
    a.read_lines(4).await;
    let old = the_tailer(&file).await;
    // As if the running tailer were an older build (a Salt upgrade since).
    let value = owner_value(&stream).await.expect("owner");
    let parsed = salt_logview::wire::OwnerValue::parse(&value).expect("owner value");
    let older = salt_logview::wire::OwnerValue {
        version: Some("0.0.0-older".into()),
        ..parsed
    };
    let mut admin = redis_admin().await;
    let key = salt_logview::wire::owner_key(&stream);
    let () = admin
        .set_ex(&key, older.to_value(), 30)
        .await
        .expect("SET owner");
    let during = numbered("during", 1..=5);
    append(&file, &during);

    let second = app.tail(minion, &path, json!(3)).await;
    let fresh = eventually(WAIT, async || match tailers_following(&file)[..] {
        [pid] if pid != old => Some(pid),
        _ => None,
    })
    .await
    .expect("one tailer, a new one");
    assert_ne!(fresh, old);
    let mut b = Viewer::open(&app, second.url()).await;
    let after = numbered("after", 1..=5);
    append(&file, &after);

    let mut want = numbered("version", 17..=20);
    want.extend_from_slice(&during);
    want.extend_from_slice(&after);
    read_until(&mut a, "after-5").await;
    assert_eq!(a.lines, want, "A: every line once, in order");
    assert!(a.ids_increase());
    // The old tailer says `replaced` (no marker line in the viewer,
    // static/js/events.js), its successor's resumed `started` is the one marker.
    assert_eq!(
        a.events[1..],
        [
            ("stopped".to_owned(), "replaced".to_owned()),
            ("started".to_owned(), String::new())
        ],
        "A: the old tailer's goodbye, then its successor"
    );
    assert_eq!(starts(&a), ["", "1"], "A: one resumed start");
    read_until(&mut b, "after-5").await;
    assert_eq!(b.lines[..], want[want.len() - b.lines.len()..]);
    assert!(b.lines.len() >= 3 + after.len(), "B: {:?}", b.lines);
    stream_holds_once(&stream, &numbered("version", 1..=16), &want).await;
    let now = owner_value(&stream).await.expect("the new heartbeat");
    assert!(
        salt_logview::wire::OwnerValue::parse(&now).is_some_and(|o| o.is_current_version()),
        "{now}"
    );
    assert_eq!(tailers_following(&file), [fresh]);
}
