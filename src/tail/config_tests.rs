//! The logtail config: defaults, errors that name the key, secrets kept out.
use super::*;

const MIN: &str = r#"
    redis_url = "redis://logtail:s3cret@127.0.0.1:6379/0"
    allowed_paths = ["/var/log/**"]
    lock_dir = "/run/logtail"
"#;

fn parse(text: &str) -> Result<Config> {
    Config::parse(Path::new("/etc/logtail.toml"), text)
}

#[test]
fn a_minimal_file_gets_the_documented_defaults() {
    let c = parse(MIN).expect("valid");
    assert_eq!(c.max_line_bytes, 65_536);
    assert_eq!(c.batch_max_bytes, 262_144);
    assert_eq!(c.stream_max_len, 100_000);
    assert_eq!(c.stream_expire_secs, 3_600);
    assert_eq!(c.stream_max_bytes, 64 * 1024 * 1024);
    assert_eq!(c.stream_max_age_secs, 3_600);
    assert_eq!(c.buffer_max_bytes, 8 * 1024 * 1024);
    assert_eq!(c.rate_limit_lines_per_sec, 0);
    assert_eq!(c.poll_interval_ms, 1_000);
    assert!(c.log_file.is_none());
}

#[test]
fn debug_output_hides_the_redis_password() {
    let c = parse(MIN).expect("valid");
    assert!(!format!("{c:?}").contains("s3cret"));
}

#[test]
fn bad_values_name_the_key() {
    for (extra, key) in [
        ("max_line_bytes = 1", "max_line_bytes"),
        ("poll_interval_ms = 5", "poll_interval_ms"),
        ("stream_max_bytes = 10", "stream_max_bytes"),
        ("stream_max_age_secs = 0", "stream_max_age_secs"),
        ("log_level = \"loud\"", "log_level"),
        ("redis_cluster_wait_ms = 60001", "redis_cluster_wait_ms"),
        ("bogus = 1", "bogus"),
    ] {
        let err = parse(&format!("{MIN}\n{extra}"))
            .expect_err(extra)
            .to_string();
        assert!(err.contains(key), "{err}");
    }
    let err = parse(&MIN.replace("redis://", "rediss://"))
        .expect_err("tls")
        .to_string();
    assert!(
        err.contains("redis_url") && !err.contains("s3cret"),
        "{err}"
    );
    let err = parse(&MIN.replace("/var/log/**", "var/log"))
        .expect_err("relative glob")
        .to_string();
    assert!(err.contains("allowed_paths"), "{err}");
}

#[test]
fn exactly_one_of_redis_url_and_redis_cluster_urls() {
    let cluster = r#"
        redis_cluster_urls = ["redis://logtail:s3cret@10.0.0.1:7001", "redis://logtail:s3cret@10.0.0.2:7002"]
        allowed_paths = ["/var/log/**"]
        lock_dir = "/run/logtail"
    "#;
    let c = parse(cluster).expect("valid");
    assert_eq!(c.redis_cluster_urls.len(), 2);
    assert!(c.redis_url.is_empty());
    assert!(!format!("{c:?}").contains("s3cret"));
    let both = format!("{MIN}\nredis_cluster_urls = [\"redis://u:s3cret@h:1\"]");
    let err = parse(&both).expect_err("both").to_string();
    assert!(
        err.contains("redis_cluster_urls") && !err.contains("s3cret"),
        "{err}"
    );
    let none = cluster.replace("redis_cluster_urls", "#");
    let err = parse(&none).expect_err("none").to_string();
    assert!(err.contains("redis_url"), "{err}");
    for bad in ["rediss://u:s3cret@h:1", "redis://u:s3cret@h:1/2"] {
        let text = cluster.replace("redis://logtail:s3cret@10.0.0.1:7001", bad);
        let err = parse(&text).expect_err(bad).to_string();
        assert!(
            err.contains("redis_cluster_urls") && !err.contains("s3cret"),
            "{err}"
        );
    }
}

#[test]
fn a_syntax_error_does_not_echo_the_password() {
    let err = parse("redis_url = \"redis://u:s3cret@h/0\" oops")
        .expect_err("syntax")
        .to_string();
    assert!(!err.contains("s3cret"), "{err}");
}
