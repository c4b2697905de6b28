//! Issue 9 item 7 (review finding 18): a stream's memory is bounded in bytes,
//! not only in entries. With a ring far larger than the burst, a viewer that
//! stops reading used to make logview hold every entry; with a byte budget
//! it is told, exactly, how many lines it missed.

use crate::stream_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_viewer_beyond_the_byte_budget_is_told_exactly_what_it_missed() {
    let svc = start_service(&[
        ("LIMITS__VIEWER_QUEUE", "65536"),
        ("LIMITS__STREAM_BUFFER_BYTES", "262144"),
    ])
    .await;
    let s = unique_stream();
    let mut redis = tailer().await;
    let url = svc.ws_url(&svc.ticket(&s));
    let mut fast = WsViewer::connect(&url).await;
    let mut slow = WsViewer::connect(&url).await;
    write_numbered(&mut redis, &s.key, "hello", 0..1).await;
    assert_eq!(fast.lines(1).await[0].1, "hello 0");
    assert_eq!(slow.lines(1).await[0].1, "hello 0");

    // The slow viewer stops reading: 24 MiB of 4 KiB lines overflow its
    // socket buffers and the 256 KiB budget, but never the 65536-entry ring.
    let pad = "x".repeat(4096);
    let total = 6000;
    for chunk in 0..(total / 100) {
        for i in chunk * 100..(chunk + 1) * 100 {
            xadd(&mut redis, &s.key, &lines(&[&format!("{i} {pad}")])).await;
        }
        // The fast viewer keeps up (the reader has published the chunk).
        // The budget is the stream's, not the slow viewer's: on a loaded
        // machine the fast viewer can briefly lag too and be told of a few
        // lines it missed; those count as accounted for.
        let mut got = 0;
        while got < 100 {
            let m = fast.next_message().await.expect("fast viewer connected");
            match m["type"].as_str() {
                Some("lines") => got += m["lines"].as_array().map_or(0, Vec::len),
                Some("dropped") => got += m["count"].as_u64().unwrap_or(0) as usize,
                _ => {}
            }
        }
    }
    let (mut received, mut dropped) = (Vec::new(), 0u64);
    while received.len() as u64 + dropped < total as u64 {
        let m = slow
            .next_message()
            .await
            .expect("slow viewer still connected");
        match m["type"].as_str() {
            Some("dropped") => dropped += m["count"].as_u64().expect("count"),
            Some("lines") => received.push(m["id"].as_str().expect("id").to_owned()),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(dropped > 0, "the slow viewer was told it dropped lines");
    assert_eq!(
        received.len() as u64 + dropped,
        total as u64,
        "every line is either received or counted as dropped"
    );
    assert_strictly_increasing(&received);
}
