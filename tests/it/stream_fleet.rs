//! A fleet view's merged stream against the real Redis (`/ws/fleet`,
//! `/sse/fleet`): every member's lines, tagged with the minion, in id order
//! across members for the backlog, in stream order per member, none twice;
//! a reconnect with the cursor (WebSocket `?after=`, SSE `Last-Event-ID`)
//! resumes every member after its own last id; bad cursors and the wrong
//! kind of ticket are refused.

use std::collections::BTreeMap;

use salt_logview::tickets::{FleetMember, FleetTicket};

use crate::stream_sse::SseReader;
use crate::stream_support::*;

/// Three streams of one path on three fresh minions.
fn fleet_streams() -> Vec<TestStream> {
    let path = format!("/var/log/fleet-{:08x}.log", rand::random::<u32>());
    (0..3)
        .map(|i| {
            let minion = format!("fl{i}-{:012x}", rand::random::<u64>());
            let key = salt_logview::wire::stream_key("logs", &minion, &path);
            TestStream {
                minion,
                path: path.clone(),
                key,
            }
        })
        .collect()
}

fn fleet_ticket(svc: &Service, streams: &[TestStream], floors: &[(&str, u64)]) -> String {
    svc.state.signer.issue_fleet(FleetTicket {
        path: streams[0].path.clone(),
        target: "test".into(),
        members: streams
            .iter()
            .enumerate()
            .map(|(i, s)| FleetMember {
                minion: s.minion.clone(),
                start_after: floors.get(i).map(|f| f.0.to_owned()).unwrap_or_default(),
                skip_lines: floors.get(i).map(|f| f.1).unwrap_or(0),
            })
            .collect(),
        failed: vec![],
        exp: 0,
        by: "fleet test".into(),
    })
}

/// Writes `per` numbered lines to each stream, interleaved (s0, s1, s2, s0…).
async fn write_interleaved(
    redis: &mut redis::aio::MultiplexedConnection,
    streams: &[TestStream],
    range: std::ops::Range<usize>,
) {
    for i in range {
        for (n, s) in streams.iter().enumerate() {
            xadd(redis, &s.key, &lines(&[&format!("m{n} {i}")])).await;
        }
    }
}

/// (minion, id, line) of the next `n` lines of a fleet WebSocket.
async fn fleet_lines(v: &mut WsViewer, n: usize) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    while out.len() < n {
        let m = v.next_message().await.expect("stream open");
        assert_eq!(m["type"], "lines", "{m}");
        let minion = m["minion"]
            .as_str()
            .expect("every message names its minion");
        for l in m["lines"].as_array().expect("lines") {
            out.push((
                minion.to_owned(),
                m["id"].as_str().expect("id").to_owned(),
                l.as_str().expect("line").to_owned(),
            ));
        }
    }
    out
}

/// Per minion, the numbers of its lines, in arrival order.
fn per_minion(got: &[(String, String, String)], streams: &[TestStream]) -> Vec<Vec<usize>> {
    streams
        .iter()
        .enumerate()
        .map(|(n, s)| {
            got.iter()
                .filter(|(m, _, _)| *m == s.minion)
                .map(|(_, _, l)| {
                    let (tag, i) = l.split_once(' ').expect("numbered");
                    assert_eq!(tag, format!("m{n}"), "a line of m{n} tagged {}", s.minion);
                    i.parse().expect("number")
                })
                .collect()
        })
        .collect()
}

fn parse_id(id: &str) -> (u64, u64) {
    let (ms, seq) = id.split_once('-').expect("entry id");
    (ms.parse().expect("ms"), seq.parse().expect("seq"))
}

fn cursor_of(got: &[(String, String, String)]) -> String {
    let mut last = BTreeMap::new();
    for (m, id, _) in got {
        last.insert(m.clone(), id.clone());
    }
    last.iter()
        .map(|(m, id)| format!("{m}={id}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_websocket_merges_members_in_id_order_and_resumes_each() {
    let svc = start_service(&[]).await;
    let streams = fleet_streams();
    let mut redis = tailer().await;
    write_interleaved(&mut redis, &streams, 0..20).await;
    let ticket = fleet_ticket(&svc, &streams, &[]);
    let url = format!("ws://127.0.0.1:{}/ws/fleet/{ticket}", svc.port);

    let mut v = WsViewer::connect(&url).await;
    let backlog = fleet_lines(&mut v, 60).await;
    // Interleaved writes: exact id order across the three streams (ids of
    // different streams can be equal: each stream numbers its own).
    let ids: Vec<(u64, u64)> = backlog.iter().map(|(_, id, _)| parse_id(id)).collect();
    assert!(
        ids.windows(2).all(|w| w[0] <= w[1]),
        "backlog out of id order: {ids:?}"
    );
    write_interleaved(&mut redis, &streams, 20..30).await;
    let live = fleet_lines(&mut v, 15).await;
    v.close().await;

    // Reconnect with the cursor: every member continues after its own last id.
    let seen: Vec<_> = backlog.into_iter().chain(live).collect();
    write_interleaved(&mut redis, &streams, 30..40).await;
    let mut again = WsViewer::connect(&format!("{url}?after={}", cursor_of(&seen))).await;
    let rest = fleet_lines(&mut again, 120 - seen.len()).await;
    again.close().await;
    let all: Vec<_> = seen.into_iter().chain(rest).collect();
    for (n, got) in per_minion(&all, &streams).into_iter().enumerate() {
        assert_eq!(
            got,
            (0..40).collect::<Vec<_>>(),
            "m{n}: all, in order, once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_member_starts_at_its_session_and_sse_resumes_with_the_cursor() {
    let svc = start_service(&[]).await;
    let streams = fleet_streams();
    let mut redis = tailer().await;
    // m0's session starts after its 3rd entry and skips 2 more lines.
    let mut floor = String::new();
    for i in 0..5 {
        let id = xadd(&mut redis, &streams[0].key, &lines(&[&format!("m0 {i}")])).await;
        if i == 2 {
            floor = id;
        }
    }
    for (n, s) in streams.iter().enumerate().skip(1) {
        for i in 0..5 {
            xadd(&mut redis, &s.key, &lines(&[&format!("m{n} {i}")])).await;
        }
    }
    let ticket = fleet_ticket(&svc, &streams, &[(&floor, 1)]);
    let url = svc.url(&format!("sse/fleet/{ticket}"));
    let mut a = SseReader::open(&url, None).await;
    let mut got = Vec::new();
    let mut last_id = String::new();
    while got.len() < 11 {
        let (id, m) = a.next_event().await;
        assert_eq!(m["type"], "lines", "{m}");
        last_id = id.expect("an id: on every lines event");
        for l in m["lines"].as_array().expect("lines") {
            let minion = m["minion"].as_str().expect("minion").to_owned();
            got.push((minion, String::new(), l.as_str().expect("line").to_owned()));
        }
    }
    drop(a);
    // The SSE id is the whole cursor: one pair per member seen so far.
    assert_eq!(last_id.split(',').count(), 3, "{last_id}");
    write_interleaved(&mut redis, &streams, 5..8).await;
    let mut b = SseReader::open(&url, Some(&last_id)).await;
    while got.len() < 20 {
        let (_, m) = b.next_event().await;
        for l in m["lines"].as_array().expect("lines") {
            let minion = m["minion"].as_str().expect("minion").to_owned();
            got.push((minion, String::new(), l.as_str().expect("line").to_owned()));
        }
    }
    let per = per_minion(&got, &streams);
    assert_eq!(
        per[0],
        vec![4, 5, 6, 7],
        "m0: after its floor, less 1 skipped line"
    );
    assert_eq!(per[1], (0..8).collect::<Vec<_>>());
    assert_eq!(per[2], (0..8).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_routes_refuse_bad_cursors_and_the_other_kind_of_ticket() {
    let svc = start_service(&[]).await;
    let streams = fleet_streams();
    let fleet = fleet_ticket(&svc, &streams, &[]);
    let single = svc.ticket(&streams[0]);
    let client = reqwest::Client::new();
    let status_body = |url: String| {
        let client = client.clone();
        async move {
            let r = client.get(url).send().await.expect("request");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let (code, body) = status_body(svc.url(&format!("sse/fleet/{fleet}?after=ghost=1-0"))).await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("not in this fleet view"), "{body}");
    let (code, body) =
        status_body(svc.url(&format!("sse/fleet/{fleet}?after={}", streams[0].minion))).await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("MINION=ENTRYID"), "{body}");
    let (code, _) = status_body(svc.url(&format!("sse/fleet/{single}"))).await;
    assert_eq!(code, 401, "a single ticket does not open a fleet view");
    let (code, _) = status_body(svc.url(&format!("sse/{fleet}"))).await;
    assert_eq!(code, 401, "a fleet ticket does not open a single stream");
    let (code, _) =
        WsViewer::refused(&format!("ws://127.0.0.1:{}/ws/fleet/{single}", svc.port)).await;
    assert_eq!(code, 401);
}
