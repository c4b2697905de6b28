//! The terminal client's fleet stream (`client::stream::follow` with a fleet
//! position) against logview's real `/sse/fleet/` and Redis: the connection
//! is dropped again and again (an idle limit shorter than the keep-alive) and
//! lines are written between connections; the client resumes each minion
//! after its own last id (the cursor it sends must be one logview accepts:
//! a refused cursor is a final error), and delivers every line once, in each
//! minion's order.

use std::time::Duration;

use salt_logview::client::stream::{follow, Flow, Reconnect};
use salt_logview::stream::message::Message;
use salt_logview::tickets::{FleetMember, FleetTicket};
use tokio::sync::mpsc;

use crate::stream_support::*;

/// A generous bound against a hung test (not a timing assertion).
const HANG: Duration = Duration::from_secs(120);

enum Got {
    Line(String, String),
    Retry,
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Got>) -> Got {
    tokio::time::timeout(HANG, rx.recv())
        .await
        .expect("the client delivers")
        .expect("the client runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_fleet_stream_resumes_every_minion_after_its_own_id_across_drops() {
    let svc = start_service(&[]).await;
    let path = format!("/var/log/cli-fleet-{:08x}.log", rand::random::<u32>());
    let minions: Vec<String> = (0..3)
        .map(|i| format!("cf{i}-{:012x}", rand::random::<u64>()))
        .collect();
    let keys: Vec<String> = minions
        .iter()
        .map(|m| salt_logview::wire::stream_key("logs", m, &path))
        .collect();
    let redis = tailer().await;
    let write = |range: std::ops::Range<usize>| {
        let keys = keys.clone();
        let mut redis = redis.clone();
        async move {
            for i in range {
                for (n, key) in keys.iter().enumerate() {
                    xadd(&mut redis, key, &lines(&[&format!("m{n} {i}")])).await;
                }
            }
        }
    };
    write(0..10).await;
    let ticket = svc.state.signer.issue_fleet(FleetTicket {
        path: path.clone(),
        target: String::new(),
        members: minions
            .iter()
            .map(|m| FleetMember {
                minion: m.clone(),
                start_after: String::new(),
                skip_lines: 0,
            })
            .collect(),
        failed: vec![],
        exp: 0,
        by: "cli fleet test".into(),
    });
    let url = svc.url(&format!("sse/fleet/{ticket}"));
    let (tx, mut rx) = mpsc::unbounded_channel();
    let retry_tx = tx.clone();
    let http = reqwest::Client::new();
    let policy = Reconnect {
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_attempts: 10_000,
        // Far below the keep-alive: every quiet moment drops the connection.
        idle: Duration::from_millis(300),
    };
    let mut on_message = |minion: Option<String>, m: Message<'static>| {
        if let Message::Lines { lines, .. } = m {
            for l in lines.iter() {
                let _ = tx.send(Got::Line(minion.clone().unwrap_or_default(), l.clone()));
            }
        }
        Ok(Flow::Continue)
    };
    let mut on_retry = |_: u32, _: Duration, _: &str| {
        let _ = retry_tx.send(Got::Retry);
        Ok(())
    };
    let client = follow(&http, &url, true, &policy, &mut on_message, &mut on_retry);
    let driver = async {
        let mut got = Vec::new();
        let mut retries = 0;
        // The backlog, then a drop, then lines written meanwhile; three times.
        for round in 1..=3 {
            while got.len() < 30 * round || retries < round {
                match next(&mut rx).await {
                    Got::Line(m, l) => got.push((m, l)),
                    Got::Retry => retries += 1,
                }
            }
            write(10 * round..10 * (round + 1)).await;
        }
        while got.len() < 120 {
            match next(&mut rx).await {
                Got::Line(m, l) => got.push((m, l)),
                Got::Retry => retries += 1,
            }
        }
        (got, retries)
    };
    let (got, retries) = tokio::select! {
        end = client => panic!("the client stopped following: {end:?}"),
        got = driver => got,
    };
    for (n, minion) in minions.iter().enumerate() {
        let mine: Vec<String> = got
            .iter()
            .filter(|(m, _)| m == minion)
            .map(|(_, l)| l.clone())
            .collect();
        let want: Vec<String> = (0..40).map(|i| format!("m{n} {i}")).collect();
        assert_eq!(mine, want, "{minion}: every line once, in its order");
    }
    assert_eq!(got.len(), 120, "no line of another minion, none twice");
    assert!(
        retries >= 3,
        "the connection was dropped and resumed: {retries}"
    );
}
