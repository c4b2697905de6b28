//! Redis Cluster (`scripts/stack.sh up --redis-cluster`): the ACL users on
//! every node, and the failover drill. Every test here skips with a message
//! unless the stack env says `REDIS_CLUSTER=1`.
//!
//! The drill: a viewer (WebSocket, through the real API) follows a file the
//! stack's logtail tails into the cluster; a writer appends numbered lines at a
//! steady rate; the master owning the stream's slot is killed with SIGKILL;
//! writing goes on for 15 s; then every written line must have arrived exactly
//! once and in order. It prints `written N received M duplicates D missing X
//! failover_s T`, and restarts the killed node (it rejoins as a replica).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use redis::Value;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::api_support::*;
use crate::support::stack::stack;

/// Lines written per second by the drill's writer.
const RATE: u64 = 20;

fn cluster_stack() -> bool {
    let on = stack().get_or("REDIS_CLUSTER", "0") == "1";
    if !on {
        eprintln!("SKIPPED: the stack is not a Redis Cluster (scripts/stack.sh up --name NAME --redis-cluster)");
    }
    on
}

fn ports() -> Vec<u16> {
    stack()
        .get("REDIS_CLUSTER_PORTS")
        .split_whitespace()
        .map(|p| p.parse().expect("port"))
        .collect()
}

/// A plain (non-cluster) connection to one node as the user of `urls_key`.
fn node(urls_key: &str, port: u16) -> redis::Connection {
    let url = stack()
        .get(urls_key)
        .split_whitespace()
        .find(|u| u.ends_with(&format!(":{port}")))
        .expect("a URL per node");
    redis::Client::open(url)
        .expect("url")
        .get_connection_with_timeout(Duration::from_secs(2))
        .expect("connect to the node")
}

fn run(c: &mut redis::Connection, args: &[&str]) -> redis::RedisResult<Value> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
}

#[test]
fn every_node_enforces_the_acl_users() {
    if !cluster_stack() {
        return;
    }
    let stream = salt_logview::wire::stream_key("logs", "acl-probe", "/var/log/x.log");
    for port in ports() {
        let mut t = node("REDIS_CLUSTER_URLS_TAILER", port);
        assert!(
            run(&mut t, &["CLUSTER", "SLOTS"]).is_ok(),
            "tailer CLUSTER SLOTS on {port}"
        );
        for denied in [
            vec!["FLUSHALL"],
            vec!["KEYS", "*"],
            vec!["CLUSTER", "NODES"],
            vec!["XRANGE", &stream, "-", "+"],
        ] {
            let e = run(&mut t, &denied).expect_err("refused");
            assert_eq!(e.code(), Some("NOPERM"), "tailer {denied:?} on {port}: {e}");
        }
        let mut v = node("REDIS_CLUSTER_URLS_LOGVIEW", port);
        assert!(
            run(&mut v, &["CLUSTER", "SLOTS"]).is_ok(),
            "logview CLUSTER SLOTS on {port}"
        );
        assert!(run(&mut v, &["PING"]).is_ok(), "logview PING on {port}");
        for denied in [vec!["XADD", &stream, "*", "k", "v"], vec!["FLUSHALL"]] {
            let e = run(&mut v, &denied).expect_err("refused");
            assert_eq!(
                e.code(),
                Some("NOPERM"),
                "logview {denied:?} on {port}: {e}"
            );
        }
        // No default user: a client without credentials gets nothing.
        let mut anon = redis::Client::open(format!("redis://127.0.0.1:{port}"))
            .expect("url")
            .get_connection_with_timeout(Duration::from_secs(2))
            .expect("tcp");
        let e = run(&mut anon, &["CLUSTER", "SLOTS"]).expect_err("no default user");
        assert!(
            matches!(e.code(), Some("NOAUTH") | Some("NOPERM")),
            "anonymous on {port}: {e}"
        );
    }
}

/// The (port of the) master that owns `key`'s slot, asked of any live node.
fn master_of_key(key: &str, avoid: Option<u16>) -> Option<u16> {
    let slot = salt_logview::wire::key_slot(key.as_bytes());
    for port in ports().into_iter().filter(|p| Some(*p) != avoid) {
        let Ok(client) = redis::Client::open(
            stack()
                .get("REDIS_CLUSTER_URLS_ADMIN")
                .split_whitespace()
                .find(|u| u.ends_with(&format!(":{port}")))
                .unwrap_or_default(),
        ) else {
            continue;
        };
        let Ok(mut c) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
            continue;
        };
        let Ok(slots) = run(&mut c, &["CLUSTER", "SLOTS"]) else {
            continue;
        };
        let Value::Array(ranges) = slots else {
            continue;
        };
        for r in ranges {
            let Value::Array(parts) = r else { continue };
            if let (Some(Value::Int(a)), Some(Value::Int(b)), Some(Value::Array(n))) =
                (parts.first(), parts.get(1), parts.get(2))
            {
                if (*a..=*b).contains(&i64::from(slot)) {
                    if let Some(Value::Int(p)) = n.get(1) {
                        return u16::try_from(*p).ok();
                    }
                }
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_master_loses_no_acknowledged_line_and_the_viewer_resumes() {
    if !cluster_stack() {
        return;
    }
    let app = spawn_app(&[("LOGVIEW__TAIL__IDLE_EXIT_SECS", "30")]).await;
    let minion = stack().get("MINION_ID");
    let file = log_file("drill", 0);
    let key = app.stream_of(minion, &file.to_string_lossy());
    let answer = app.tail(minion, &file.to_string_lossy(), json!(0)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let ticket = answer.url().rsplit('/').next().expect("ticket").to_owned();
    let ws_url = format!("{}ws/{ticket}", app.base.replacen("http://", "ws://", 1));
    let mut req = ws_url.into_client_request().expect("ws request");
    let origin = app.base.trim_end_matches('/').to_owned();
    req.headers_mut()
        .insert("Origin", origin.parse().expect("origin"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("the WebSocket opens");

    // The writer: `drill-N` at RATE lines/s for 3 s, the kill, then 15 s more.
    let master = master_of_key(&key, None).expect("the stream's slot has a master");
    let idx = ports()
        .iter()
        .position(|p| *p == master)
        .expect("a stack node")
        + 1;
    let pidfile = stack()
        .path("STACK_DIR")
        .join(format!("run/redis-cluster-{idx}.pid"));
    let writer_file = file.clone();
    let (kill_tx, kill_rx) = std::sync::mpsc::channel::<Instant>();
    let writer = std::thread::spawn(move || {
        let total = RATE * 18;
        let started = Instant::now();
        for i in 1..=total {
            append(&writer_file, &[format!("drill-{i}")]);
            if i == RATE * 3 {
                let pid = std::fs::read_to_string(&pidfile).expect("pid file");
                let pid: i32 = pid.trim().parse().expect("pid");
                // SAFETY: kill(2) on the pid of the stack's own redis node.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                let _ = kill_tx.send(Instant::now());
            }
            let next = started + Duration::from_millis(i * 1000 / RATE);
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
        total
    });

    // The watcher: from the kill until CLUSTER SLOTS names another master.
    let watch_key = key.clone();
    let watcher = std::thread::spawn(move || {
        let killed_at = kill_rx.recv().ok()?;
        while killed_at.elapsed() < Duration::from_secs(60) {
            match master_of_key(&watch_key, Some(master)) {
                Some(p) if p != master => return Some(killed_at.elapsed().as_secs_f64()),
                _ => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        None
    });

    let mut received: Vec<u64> = Vec::new();
    let mut events: Vec<String> = Vec::new();
    let read = async {
        while let Some(msg) = ws.next().await {
            let Ok(Message::Text(text)) = msg else {
                continue;
            };
            let m: serde_json::Value = serde_json::from_str(&text).expect("JSON message");
            if m["type"] == "lines" {
                for l in m["lines"].as_array().expect("lines") {
                    let n = l.as_str().and_then(|s| s.strip_prefix("drill-"));
                    received.push(n.and_then(|n| n.parse().ok()).expect("a drill line"));
                }
            } else if let Some(t) = m["type"].as_str() {
                events.push(format!(
                    "{t}: {}",
                    m["message"].as_str().unwrap_or_default()
                ));
            }
            if received.last() == Some(&(RATE * 18)) {
                break;
            }
        }
    };
    // Generous: the writer needs 18 s; the failover and the backoffs come on top.
    let finished = tokio::time::timeout(Duration::from_secs(90), read)
        .await
        .is_ok();
    let written = writer.join().expect("writer");
    let failover_s = watcher.join().expect("watcher").unwrap_or(f64::NAN);
    // Bring the killed node back (it rejoins as a replica of the new master).
    let conf = stack()
        .path("REDIS_CLUSTER_DIR")
        .join(format!("node{idx}/redis.conf"));
    let restarted = std::process::Command::new("redis-server")
        .arg(&conf)
        .status();

    let mut seen = HashSet::new();
    let duplicates = received.iter().filter(|n| !seen.insert(**n)).count();
    let missing = (1..=written).filter(|n| !seen.contains(n)).count();
    println!(
        "drill: written {written} received {} duplicates {duplicates} missing {missing} failover_s {:.1} (master 127.0.0.1:{master} killed; events: {events:?})",
        received.len(),
        failover_s,
    );
    assert!(
        restarted.is_ok_and(|s| s.success()),
        "the killed node restarts"
    );
    assert!(
        finished,
        "every line arrived (got {} of {written})",
        received.len()
    );
    assert_eq!(duplicates, 0, "no line twice");
    assert_eq!(missing, 0, "no line lost");
    assert_eq!(received, (1..=written).collect::<Vec<_>>(), "in order");
}
