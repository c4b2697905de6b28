//! Issue 9 item 8: after Redis restarts (or `ACL LOAD`, which every
//! `scripts/stack.sh up` runs), the next control-plane command failed with
//! `broken pipe` (503 "the stream store (Redis) is not reachable") although
//! Redis answered. On a private redis-server, restarted between two calls.

use std::path::Path;
use std::sync::Arc;

use salt_logview::metrics::Metrics;
use salt_logview::session::StreamControl;
use salt_logview::settings::Settings;
use salt_logview::stream::Hub;

use crate::support::redis_server::RedisServer;

fn settings(redis: &RedisServer) -> Arc<Settings> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
    let env = [("LOGVIEW__REDIS__URL".to_owned(), redis.logview_url())];
    Arc::new(Settings::load_with_env(&[file], env).expect("settings load"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_command_after_a_redis_restart_succeeds() {
    let mut redis = RedisServer::start();
    let settings = settings(&redis);
    let control = StreamControl::new(&settings).expect("stream control");
    let hub = Hub::new(settings.clone(), Arc::new(Metrics::new()));
    let stream = "logs:{bc}:web-01:/var/log/restart.log";
    control
        .set_lease(stream)
        .await
        .expect("lease before the restart");
    control
        .last_id(stream)
        .await
        .expect("last id before the restart");
    hub.check_redis()
        .await
        .expect("readiness before the restart");
    for round in 0..2 {
        redis.restart();
        control
            .set_lease(stream)
            .await
            .unwrap_or_else(|e| panic!("lease after restart {round}: {e}"));
        redis.restart();
        control
            .last_id(stream)
            .await
            .unwrap_or_else(|e| panic!("last id after restart {round}: {e}"));
        redis.restart();
        hub.check_redis()
            .await
            .unwrap_or_else(|e| panic!("readiness after restart {round}: {e}"));
    }
}
