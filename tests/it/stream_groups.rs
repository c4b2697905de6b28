//! Issues 11/12: one blocking Redis read serves many streams. Streams are
//! read in groups (`wire::read_group`, at most 16 without hash tags), one
//! multi-key XREAD and one blocking connection per group, so 40 streams hold
//! at most 16 blocking connections, not 40. On a private redis-server, so
//! `CLIENT LIST` sees only this test's logview.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use redis::aio::MultiplexedConnection;
use salt_logview::metrics::Metrics;
use salt_logview::settings::Settings;
use salt_logview::stream::{EntryId, Hub, Subscription};
use serde_json::Value;

use crate::stream_support::{lines, xadd, PATIENCE};
use crate::support::redis_server::RedisServer;

fn hub(redis: &RedisServer) -> (Hub, Arc<Metrics>) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
    let env = [("LOGVIEW__REDIS__URL".to_owned(), redis.logview_url())];
    let settings = Arc::new(Settings::load_with_env(&[file], env).expect("settings load"));
    let metrics = Arc::new(Metrics::new());
    (Hub::new(settings, Arc::clone(&metrics)), metrics)
}

async fn tailer(redis: &RedisServer) -> MultiplexedConnection {
    redis::Client::open(redis.tailer_url())
        .expect("tailer url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect as the tailer")
}

/// The next `n` lines a subscription gets (only `lines` messages expected).
async fn next_lines(sub: &mut Subscription, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < n {
        let msg = tokio::time::timeout(PATIENCE, sub.next())
            .await
            .unwrap_or_else(|_| panic!("{}: no message within PATIENCE", sub.stream()))
            .expect("stream open");
        let v: Value = serde_json::from_str(msg.json.as_str()).expect("JSON");
        assert_eq!(v["type"], "lines", "{}: unexpected {v}", sub.stream());
        for l in v["lines"].as_array().expect("lines") {
            out.push(l.as_str().expect("line").to_owned());
        }
    }
    out
}

/// `(connections of the logview user, those blocked in XREAD)` per `CLIENT LIST`.
fn logview_connections(redis: &RedisServer) -> (usize, usize) {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut redis.admin())
        .expect("CLIENT LIST as admin");
    let logview: Vec<&str> = list
        .lines()
        .filter(|l| l.split(' ').any(|f| f == "user=logview"))
        .collect();
    let xread = logview
        .iter()
        .filter(|l| l.split(' ').any(|f| f == "cmd=xread"))
        .count();
    (logview.len(), xread)
}

fn metric(metrics: &Metrics, name: &str) -> i64 {
    let text = metrics.render();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_streams_are_read_over_at_most_sixteen_blocking_connections() {
    let redis = RedisServer::start();
    let (hub, metrics) = hub(&redis);
    let mut tail = tailer(&redis).await;
    let keys: Vec<String> = (0..40)
        .map(|i| salt_logview::wire::stream_key("logs", &format!("m{i}"), "/var/log/x.log"))
        .collect();
    let groups: BTreeSet<String> = keys
        .iter()
        .map(|k| salt_logview::wire::read_group(k))
        .collect();
    assert!(groups.len() <= 16, "{groups:?}");

    // One line of backlog each, then a viewer each, then three live lines each.
    for (i, key) in keys.iter().enumerate() {
        xadd(&mut tail, key, &lines(&[&format!("{i} before")])).await;
    }
    let mut subs: Vec<Subscription> = keys
        .iter()
        .map(|k| hub.subscribe(k, None::<EntryId>).expect("subscribe"))
        .collect();
    for (i, sub) in subs.iter_mut().enumerate() {
        assert_eq!(next_lines(sub, 1).await, [format!("{i} before")]);
    }
    for round in 0..3 {
        for (i, key) in keys.iter().enumerate() {
            xadd(&mut tail, key, &lines(&[&format!("{i} live {round}")])).await;
        }
    }
    for (i, sub) in subs.iter_mut().enumerate() {
        let want: Vec<String> = (0..3).map(|r| format!("{i} live {r}")).collect();
        assert_eq!(next_lines(sub, 3).await, want, "{}", keys[i]);
    }

    // Every stream is live: each group blocks in one XREAD on one connection.
    // (A connection a group just dropped may still be listed for a moment.)
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let (total, xread) = loop {
        let (total, xread) = logview_connections(&redis);
        if xread == groups.len() || tokio::time::Instant::now() > deadline {
            break (total, xread);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(
        xread,
        groups.len(),
        "40 streams in {} read groups: one blocked XREAD per group, not per stream",
        groups.len()
    );
    // Plus the shared connection for short commands (backlog, lease).
    assert!(total <= groups.len() + 2, "{total} logview connections");
    assert_eq!(metric(&metrics, "logview_read_groups"), groups.len() as i64);
    assert_eq!(
        metric(&metrics, "logview_redis_blocking_connections"),
        groups.len() as i64
    );
    assert_eq!(metric(&metrics, "logview_streams_active"), 40);

    hub.shutdown();
    drop(subs);
    hub.closed().await;
    assert_eq!(metric(&metrics, "logview_read_groups"), 0);
    assert_eq!(metric(&metrics, "logview_redis_blocking_connections"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_that_is_not_a_stream_does_not_stall_its_read_group() {
    let redis = RedisServer::start();
    let (hub, metrics) = hub(&redis);
    let mut tail = tailer(&redis).await;
    // One hash tag: both keys are in read group `t`, read by one XREAD.
    let good = "logs:{t}:/var/log/good.log";
    let bad = "logs:{t}:/var/log/bad.log";
    assert_eq!(salt_logview::wire::read_group(good), "t");
    assert_eq!(salt_logview::wire::read_group(bad), "t");
    xadd(&mut tail, bad, &lines(&["bad first"])).await;
    let mut bad_sub = hub.subscribe(bad, None::<EntryId>).expect("subscribe");
    let mut good_sub = hub.subscribe(good, None::<EntryId>).expect("subscribe");
    assert_eq!(next_lines(&mut bad_sub, 1).await, ["bad first"]);
    xadd(&mut tail, good, &lines(&["good 0"])).await;
    assert_eq!(next_lines(&mut good_sub, 1).await, ["good 0"]);

    // The bad key stops being a stream: XREAD on it is WRONGTYPE.
    let mut admin = redis.admin();
    let _: () = redis::cmd("DEL").arg(bad).query(&mut admin).expect("DEL");
    let _: () = redis::cmd("SET")
        .arg(bad)
        .arg("not a stream")
        .query(&mut admin)
        .expect("SET");
    for i in 1..4 {
        xadd(&mut tail, good, &lines(&[&format!("good {i}")])).await;
        assert_eq!(next_lines(&mut good_sub, 1).await, [format!("good {i}")]);
    }
    let text = metrics.render();
    assert!(
        text.lines()
            .any(|l| l.starts_with("logview_redis_errors_total{op=\"xread\",kind=\"server\"}")),
        "the refused key is counted:\n{text}"
    );
    assert_eq!(
        metric(&metrics, "logview_reader_restarts_total"),
        0,
        "one refused key does not restart its group"
    );

    // It becomes a stream again: read alone until Redis accepts it, then rejoins.
    let _: () = redis::cmd("DEL").arg(bad).query(&mut admin).expect("DEL");
    xadd(&mut tail, bad, &lines(&["bad back"])).await;
    assert_eq!(next_lines(&mut bad_sub, 1).await, ["bad back"]);
    xadd(&mut tail, good, &lines(&["good 4"])).await;
    assert_eq!(next_lines(&mut good_sub, 1).await, ["good 4"]);
    hub.shutdown();
}

/// An XREAD entry: id and fields.
type StreamEntry = (String, Vec<String>);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xread_count_limits_each_stream_so_a_flood_cannot_starve_its_group() {
    // What the group reader's fairness rests on: COUNT applies per stream.
    let redis = RedisServer::start();
    let mut tail = tailer(&redis).await;
    let (flood, quiet) = ("logs:{f}:/var/log/flood.log", "logs:{f}:/var/log/quiet.log");
    for i in 0..10 {
        xadd(&mut tail, flood, &lines(&[&format!("flood {i}")])).await;
    }
    xadd(&mut tail, quiet, &lines(&["quiet"])).await;
    let reply: Vec<(String, Vec<StreamEntry>)> = redis::cmd("XREAD")
        .arg("COUNT")
        .arg(3)
        .arg("STREAMS")
        .arg(flood)
        .arg(quiet)
        .arg("0-0")
        .arg("0-0")
        .query(&mut redis.admin())
        .expect("XREAD");
    let counts: Vec<(&str, usize)> = reply.iter().map(|(k, e)| (k.as_str(), e.len())).collect();
    assert_eq!(counts, [(flood, 3), (quiet, 1)]);
}
