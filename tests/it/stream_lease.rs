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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_lives_while_a_viewer_is_attached_and_lapses_after() {
    // TTL 3 s: refreshed every second while watched.
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
    // Longer than the TTL: only refreshing keeps it.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            lease(&mut redis, &s.key).await.is_some(),
            "lease refreshed while watched"
        );
    }
    viewer.close().await;
    let mut gone = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if lease(&mut redis, &s.key).await.is_none() {
            gone = true;
            break;
        }
    }
    assert!(
        gone,
        "the lease is no longer refreshed once the last viewer left"
    );
}
