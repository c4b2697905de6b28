//! `/healthz`, `/readyz` (Redis as the logview user; saltgate's `/readyz`, or
//! salt-api itself without a gate) and the token-protected `/metrics`.

use crate::stream_support::*;
use crate::support::ports::ReservedPort;
use crate::support::stack::stack;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_a_down_gate_a_down_salt_api_and_a_down_redis() {
    // Nothing listens on a reserved port: connections to it are refused.
    let no_salt_api = ReservedPort::new();
    let dead = format!("http://127.0.0.1:{}/", no_salt_api.port());
    let svc = start_service(&[("SALT__GATE_URL", &dead)]).await;
    let h = reqwest::get(svc.url("healthz")).await.expect("HTTP");
    assert_eq!(h.status().as_u16(), 200);
    let r = reqwest::get(svc.url("readyz")).await.expect("HTTP");
    assert_eq!(r.status().as_u16(), 503);
    let body: serde_json::Value = r.json().await.expect("JSON");
    assert_eq!(body["redis"], "ok", "{body}");
    let said = body["salt_api"].as_str().expect("str");
    assert!(
        said.contains("saltgate") && said.contains("cannot connect"),
        "{body}"
    );

    // Without a gate, logview probes salt-api itself.
    let direct = [
        ("SALT__GATE_URL", ""),
        ("SALT__PASSWORD", "x"),
        ("SALT__API_URL", dead.as_str()),
    ];
    let svc = start_service(&direct).await;
    let r = reqwest::get(svc.url("readyz")).await.expect("HTTP");
    assert_eq!(r.status().as_u16(), 503);
    let body: serde_json::Value = r.json().await.expect("JSON");
    let said = body["salt_api"].as_str().expect("str");
    assert!(
        !said.contains("saltgate") && said.contains("cannot connect"),
        "{body}"
    );

    let no_redis_port = ReservedPort::new();
    let no_redis = format!("redis://logview:x@127.0.0.1:{}/0", no_redis_port.port());
    let svc = start_service(&[("SALT__GATE_URL", &dead), ("REDIS__URL", &no_redis)]).await;
    let r = reqwest::get(svc.url("readyz")).await.expect("HTTP");
    assert_eq!(r.status().as_u16(), 503);
    let body: serde_json::Value = r.json().await.expect("JSON");
    assert!(
        body["redis"]
            .as_str()
            .expect("str")
            .contains("redis not reachable"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_ready_with_the_stack_redis_and_salt_api() {
    // Through the stack's saltgate (which reaches salt-api), and directly.
    let gate = stack().get("SALTGATE_URL").to_owned();
    let api = stack().get("SALT_API_URL").to_owned();
    let direct = [
        ("SALT__GATE_URL", ""),
        ("SALT__PASSWORD", "x"),
        ("SALT__API_URL", api.as_str()),
    ];
    for overrides in [&[("SALT__GATE_URL", gate.as_str())][..], &direct[..]] {
        let svc = start_service(overrides).await;
        let r = reqwest::get(svc.url("readyz")).await.expect("HTTP");
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.expect("JSON");
        assert_eq!(status, 200, "{overrides:?}: {body}");
        assert_eq!(body["ready"], true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_a_metrics_token_and_count_lines_sent() {
    let svc = start_service(&[]).await;
    let client = reqwest::Client::new();
    let none = client.get(svc.url("metrics")).send().await.expect("HTTP");
    assert_eq!(none.status().as_u16(), 401);
    let wrong = client
        .get(svc.url("metrics"))
        .bearer_auth("wrong-token-0123456789")
        .send()
        .await
        .expect("HTTP");
    assert_eq!(wrong.status().as_u16(), 401);
    let api = client
        .get(svc.url("metrics"))
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
        .expect("HTTP");
    assert_eq!(
        api.status().as_u16(),
        401,
        "an API token does not open /metrics"
    );

    let s = unique_stream();
    let mut redis = tailer().await;
    xadd(&mut redis, &s.key, &lines(&["one", "two", "three"])).await;
    let mut viewer = WsViewer::connect(&svc.ws_url(&svc.ticket(&s))).await;
    viewer.lines(3).await;
    let text = client
        .get(svc.url("metrics"))
        .bearer_auth(TEST_METRICS_TOKEN)
        .send()
        .await
        .expect("HTTP")
        .text()
        .await
        .expect("text");
    assert!(
        text.lines().any(|l| l == "logview_lines_out_total 3"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l == "logview_streams_active 1"),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "logview_viewers 1"), "{text}");
}
