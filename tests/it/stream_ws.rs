//! The viewer WebSocket against the real Redis: backlog then live in order,
//! identical fan-out, resume with `?after=`, slow viewers, tickets, Origin,
//! limits.

use salt_logview::tickets::{Ticket, TicketKind, TicketSigner};
use salt_logview::wire::{Entry, Event, EventKind};

use crate::stream_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_then_live_lines_arrive_in_order_exactly_once() {
    let svc = start_service(&[]).await;
    let s = unique_stream();
    let mut redis = tailer().await;
    let mut ids = write_numbered(&mut redis, &s.key, "backlog", 0..5).await;
    let rotated = Entry::Event(Event::new(EventKind::Rotated, "file rotated").with("inode", 7));
    ids.push(xadd(&mut redis, &s.key, &rotated).await);
    let multi = xadd(&mut redis, &s.key, &lines(&["a <b>", "", "c"])).await;
    ids.push(multi.clone());

    let mut viewer = WsViewer::connect(&svc.ws_url(&svc.ticket(&s))).await;
    let mut got = Vec::new();
    for _ in 0..7 {
        got.push(viewer.next_message().await.expect("backlog message"));
    }
    assert_eq!(got[0]["lines"], serde_json::json!(["backlog 0"]));
    assert_eq!(got[5]["type"], "event");
    assert_eq!(got[5]["event"], "rotated");
    assert_eq!(got[5]["fields"]["inode"], "7");
    assert_eq!(
        got[6],
        serde_json::json!({"type":"lines","id":multi,"lines":["a <b>","","c"]})
    );

    ids.extend(write_numbered(&mut redis, &s.key, "live", 0..20).await);
    let live = viewer.lines(20).await;
    assert_eq!(
        live.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        (0..20).map(|i| format!("live {i}")).collect::<Vec<_>>()
    );
    let mut seen: Vec<String> = got
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect();
    seen.extend(live.into_iter().map(|(id, _)| id));
    assert_eq!(seen, ids, "exactly the written entries, in order");
    assert_strictly_increasing(&seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_viewers_see_identical_lines_from_one_reader() {
    let svc = start_service(&[]).await;
    let s = unique_stream();
    let mut redis = tailer().await;
    write_numbered(&mut redis, &s.key, "old", 0..3).await;
    let url = svc.ws_url(&svc.ticket(&s));
    let mut a = WsViewer::connect(&url).await;
    let mut b = WsViewer::connect(&url).await;
    let mut c = WsViewer::connect(&url).await;
    write_numbered(&mut redis, &s.key, "new", 0..40).await;
    let la = a.lines(43).await;
    let lb = b.lines(43).await;
    let lc = c.lines(43).await;
    assert_eq!(la, lb);
    assert_eq!(la, lc);
    assert_eq!(la[0].1, "old 0");
    assert_eq!(la[42].1, "new 39");
    assert_eq!(
        svc.state.hub.active_streams(),
        1,
        "one reader whatever the number of viewers"
    );
    assert!(svc
        .state
        .metrics
        .render()
        .lines()
        .any(|l| l == "logview_viewers 3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_with_the_last_id_misses_nothing_and_repeats_nothing() {
    let svc = start_service(&[]).await;
    let s = unique_stream();
    let mut redis = tailer().await;
    let mut ids = write_numbered(&mut redis, &s.key, "l", 0..10).await;
    let url = svc.ws_url(&svc.ticket(&s));
    let mut v = WsViewer::connect(&url).await;
    ids.extend(write_numbered(&mut redis, &s.key, "l", 10..20).await);
    let first = v.lines(13).await;
    let last_id = first.last().expect("some").0.clone();
    v.close().await;
    // Written while the viewer is away.
    ids.extend(write_numbered(&mut redis, &s.key, "l", 20..30).await);

    let mut again = WsViewer::connect(&format!("{url}?after={last_id}")).await;
    ids.extend(write_numbered(&mut redis, &s.key, "l", 30..35).await);
    let rest = again.lines(35 - 13).await;
    let all: Vec<(String, String)> = first.into_iter().chain(rest).collect();
    assert_eq!(
        all.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        ids
    );
    assert_eq!(
        all.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        (0..35).map(|i| format!("l {i}")).collect::<Vec<_>>()
    );

    // Resuming past everything gets only what comes next.
    let mut tail = WsViewer::connect(&format!("{url}?after={}", ids[34])).await;
    let next = write_numbered(&mut redis, &s.key, "l", 35..36).await;
    assert_eq!(
        tail.lines(1).await,
        vec![(next[0].clone(), "l 35".to_owned())]
    );

    let (status, body) = WsViewer::refused(&format!("{url}?after=not-an-id")).await;
    assert_eq!(status, 400);
    assert!(body.contains("not a stream entry id"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_viewer_gets_dropped_while_a_fast_one_gets_everything() {
    let svc = start_service(&[("LIMITS__VIEWER_QUEUE", "256")]).await;
    let s = unique_stream();
    let mut redis = tailer().await;
    let url = svc.ws_url(&svc.ticket(&s));
    let mut fast = WsViewer::connect(&url).await;
    let mut slow = WsViewer::connect(&url).await;
    write_numbered(&mut redis, &s.key, "hello", 0..1).await;
    assert_eq!(fast.lines(1).await[0].1, "hello 0");
    assert_eq!(slow.lines(1).await[0].1, "hello 0");

    // The slow viewer stops reading; 4 KiB lines overflow its socket buffers and its queue.
    let pad = "x".repeat(4096);
    let total = 6000;
    let mut fast_lines = Vec::new();
    for chunk in 0..(total / 100) {
        for i in chunk * 100..(chunk + 1) * 100 {
            xadd(&mut redis, &s.key, &lines(&[&format!("{i} {pad}")])).await;
        }
        fast_lines.extend(fast.lines(100).await);
    }
    let numbers: Vec<usize> = fast_lines
        .iter()
        .map(|(_, l)| {
            l.split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("numbered")
        })
        .collect();
    assert_eq!(
        numbers,
        (0..total).collect::<Vec<_>>(),
        "the fast viewer got every line, in order"
    );

    let (mut received, mut dropped, mut drop_messages) = (Vec::new(), 0u64, 0);
    while received.len() as u64 + dropped < total as u64 {
        let m = slow
            .next_message()
            .await
            .expect("slow viewer still connected");
        match m["type"].as_str() {
            Some("dropped") => {
                assert_eq!(m["reason"], "slow client");
                dropped += m["count"].as_u64().expect("count");
                drop_messages += 1;
            }
            Some("lines") => received.push(m["id"].as_str().expect("id").to_owned()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        drop_messages > 0 && dropped > 0,
        "the slow viewer was told it dropped lines"
    );
    assert_eq!(
        received.len() as u64 + dropped,
        total as u64,
        "every line is either received or counted as dropped"
    );
    assert_strictly_increasing(&received);
    assert!(svc
        .state
        .metrics
        .render()
        .lines()
        .any(|l| l == format!("logview_dropped_lines_total {dropped}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_expired_and_foreign_tickets_are_refused_before_the_upgrade() {
    let svc = start_service(&[]).await;
    let s = unique_stream();
    let good = svc.ticket(&s);
    let (payload, mac) = good.split_once('.').expect("payload.mac");
    let mut flipped: Vec<char> = payload.chars().collect();
    flipped[3] = if flipped[3] == 'A' { 'B' } else { 'A' };
    let tampered = format!("{}.{mac}", flipped.into_iter().collect::<String>());
    let expired = svc.state.signer.sign(&Ticket {
        kind: TicketKind::File,
        minion: s.minion.clone(),
        target: s.path.clone(),
        stream: s.key.clone(),
        exp: 1,
        start_after: String::new(),
        skip_lines: 0,
        by: String::new(),
    });
    let other_key = TicketSigner::new("another-key-that-is-32-chars-long!!".to_owned().into(), 60)
        .issue(TicketKind::File, &s.minion, &s.path, &s.key);
    let other_stream = svc.state.signer.sign(&Ticket {
        kind: TicketKind::File,
        minion: s.minion.clone(),
        target: s.path.clone(),
        stream: "logs:{b8}:other-minion:/var/log/secret.log".into(),
        exp: u64::MAX / 4,
        start_after: String::new(),
        skip_lines: 0,
        by: String::new(),
    });
    for (ticket, expect) in [
        (tampered, "signature"),
        (expired, "expired"),
        (other_key, "signature"),
        (other_stream, "does not grant"),
        ("garbage".to_owned(), "malformed"),
    ] {
        let (status, body) = WsViewer::refused(&svc.ws_url(&ticket)).await;
        assert_eq!(status, 401, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
        assert_eq!(json["success"], false);
        assert!(
            json["message"].as_str().expect("message").contains(expect),
            "{body}"
        );
        // SSE refuses the same way.
        let r = reqwest::get(svc.url(&format!("sse/{ticket}")))
            .await
            .expect("HTTP");
        assert_eq!(r.status().as_u16(), 401);
    }
    assert_eq!(
        svc.state.hub.active_streams(),
        0,
        "nothing started for refused viewers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_from_a_foreign_origin_is_refused() {
    let svc = start_service(&[]).await;
    let s = unique_stream();
    let url = svc.ws_url(&svc.ticket(&s));
    let (status, body) = WsViewer::connect_with_origin(&url, "https://evil.example")
        .await
        .err()
        .expect("refused");
    assert_eq!(status, 403);
    assert!(body.contains("allowed_origins"), "{body}");
    let own = format!("http://127.0.0.1:{}", svc.port);
    let ok = WsViewer::connect_with_origin(&url, &own).await;
    assert!(ok.is_ok(), "the public_url origin is allowed");

    let listed = start_service(&[("SERVER__ALLOWED_ORIGINS", "https://cmdb.example.com")]).await;
    let url = listed.ws_url(&listed.ticket(&s));
    assert!(
        WsViewer::connect_with_origin(&url, "https://cmdb.example.com")
            .await
            .is_ok()
    );
    let own = format!("http://127.0.0.1:{}", listed.port);
    assert_eq!(
        WsViewer::connect_with_origin(&url, &own)
            .await
            .err()
            .map(|e| e.0),
        Some(403),
        "only the listed origins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewer_and_stream_limits_are_answered_clearly() {
    let svc = start_service(&[
        ("LIMITS__MAX_VIEWERS_PER_STREAM", "2"),
        ("LIMITS__MAX_STREAMS", "1"),
    ])
    .await;
    let s = unique_stream();
    let url = svc.ws_url(&svc.ticket(&s));
    let mut redis = tailer().await;
    let mut a = WsViewer::connect(&url).await;
    let _b = WsViewer::connect(&url).await;
    let mut third = WsViewer::connect(&url).await;
    let (code, reason) = third.close_frame().await.expect("a close frame");
    assert_eq!(code, 1013);
    assert!(reason.contains("maximum of 2 viewers"), "{reason}");

    let other = unique_stream();
    let r = reqwest::get(svc.url(&format!("sse/{}", svc.ticket(&other))))
        .await
        .expect("HTTP");
    assert_eq!(r.status().as_u16(), 429);
    let body: serde_json::Value = r.json().await.expect("JSON");
    assert_eq!(body["success"], false);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("maximum of 1 streams"),
        "{body}"
    );

    // The refused ones did not disturb the admitted viewer.
    write_numbered(&mut redis, &s.key, "ok", 0..1).await;
    assert_eq!(a.lines(1).await[0].1, "ok 0");
}
