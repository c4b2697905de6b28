//! The viewer lease: set and refreshed in Redis while a viewer is attached,
//! no longer refreshed once it left (so the tailer can exit).

use std::time::Duration;

use crate::stream_support::*;

async fn lease(redis: &mut redis::aio::MultiplexedConnection, key: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(salt_logview::wire::lease_key(key))
        .query_async(redis)
        .await
        .expect("GET lease as the tailer")
}

/// Milliseconds the lease has left (negative when there is none), as the
/// tailer reads it.
async fn lease_pttl(redis: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(salt_logview::wire::lease_key(key))
        .query_async(redis)
        .await
        .expect("PTTL lease as the tailer")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_lives_while_a_viewer_is_attached_and_lapses_after() {
    let svc = start_service(&[("REDIS__LEASE_TTL_SECS", "3")]).await;
    let s = unique_stream();
    let mut redis = tailer().await;
    write_numbered(&mut redis, &s.key, "x", 0..1).await;
    let mut viewer = WsViewer::connect(&svc.ws_url(&svc.ticket(&s))).await;
    viewer.lines(1).await;
    let holder = lease(&mut redis, &s.key)
        .await
        .expect("lease set once a viewer is attached");
    assert!(holder.starts_with("logview@"), "{holder}");

    // Refreshed while watched: the lease's remaining time goes *up* while it
    // is still alive, which only a new SET … EX does. Wait for two such
    // refreshes, however long the machine takes (PATIENCE only guards
    // against hanging).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut refreshes = 0;
    let mut before = lease_pttl(&mut redis, &s.key).await;
    while refreshes < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lease was refreshed {refreshes} time(s) while a viewer was attached; expected 2"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = lease_pttl(&mut redis, &s.key).await;
        if before > 0 && now > before {
            refreshes += 1;
        }
        before = now;
    }

    // Not refreshed once the last viewer left: the lease runs out.
    viewer.close().await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while lease(&mut redis, &s.key).await.is_some() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the lease is no longer refreshed once the last viewer left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
