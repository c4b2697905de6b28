//! Unit tests of `Settings`: the shipped file, layering, environment
//! overrides, and validation that names the key.

use super::*;
use secrecy::ExposeSecret;

fn repo_settings() -> Vec<PathBuf> {
    vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml")]
}

#[test]
fn the_shipped_settings_file_loads_and_validates() {
    let s = Settings::load_with_env(&repo_settings(), []).expect("settings.toml loads");
    assert!(s.tail.max_lines >= s.tail.default_lines);
    assert!(s.public_base().ends_with('/'));
}

#[test]
fn environment_overrides_win_over_the_file() {
    let env = [
        ("LOGVIEW__TAIL__MAX_LINES".to_owned(), "777".to_owned()),
        (
            "LOGVIEW__SERVER__BIND".to_owned(),
            "127.0.0.1:9999".to_owned(),
        ),
    ];
    let s = Settings::load_with_env(&repo_settings(), env).expect("loads");
    assert_eq!(s.tail.max_lines, 777);
    assert_eq!(s.server.bind.to_string(), "127.0.0.1:9999");
}

#[test]
fn an_invalid_value_names_its_key() {
    let env = [(
        "LOGVIEW__TAIL__DEFAULT_LINES".to_owned(),
        "5000000".to_owned(),
    )];
    let err = Settings::load_with_env(&repo_settings(), env)
        .expect_err("must fail")
        .to_string();
    assert!(err.contains("tail.default_lines"), "{err}");
}

#[test]
fn frame_ancestors_takes_space_separated_sources_and_names_itself_otherwise() {
    let with = |value: &str| {
        let env = [(
            "LOGVIEW__SERVER__FRAME_ANCESTORS".to_owned(),
            value.to_owned(),
        )];
        Settings::load_with_env(&repo_settings(), env)
    };
    let s = with("'self' http://127.0.0.1:8000 https://*.example.com").expect("loads");
    assert_eq!(
        s.server.frame_ancestors,
        "'self' http://127.0.0.1:8000 https://*.example.com"
    );
    for bad in [
        "'self', http://127.0.0.1:8000",
        "'self'; script-src *",
        "  ",
    ] {
        let err = with(bad).expect_err(bad).to_string();
        assert!(err.contains("server.frame_ancestors"), "{bad:?}: {err}");
        assert!(err.contains("'self' https://portal.example.com"), "{err}");
    }
}

#[test]
fn control_plane_keys_are_checked_and_named() {
    for (key, value, needle) in [
        (
            "LOGVIEW__SALT__REQUEST_TIMEOUT_SECS",
            "2",
            "salt.request_timeout_secs",
        ),
        (
            "LOGVIEW__TAIL__SUGGESTIONS",
            "/etc/passwd",
            "tail.suggestions",
        ),
        ("LOGVIEW__TAIL__IDLE_EXIT_SECS", "0", "tail.idle_exit_secs"),
        (
            "LOGVIEW__TAIL__MAX_DURATION_SECS",
            "31536001",
            "at most 31536000",
        ),
        ("LOGVIEW__TAIL__MAX_LINES", "1000001", "at most 1000000"),
        (
            "LOGVIEW__COMMANDS__DISK__TIMEOUT_SECS",
            "31536001",
            "commands.disk.timeout_secs",
        ),
        (
            "LOGVIEW__SERVER__ALLOWED_ORIGINS",
            "https://x.example/path",
            "server.allowed_origins",
        ),
        (
            "LOGVIEW__AUTH__TRUSTED_USER_HEADER",
            "X User",
            "auth.trusted_user_header",
        ),
        ("LOGVIEW__SALT__USERNAME", " ", "salt.username"),
        ("LOGVIEW__SERVER__BIND", "nowhere", "server.bind"),
        (
            "LOGVIEW__SERVER__PUBLIC_URL",
            "ftp://x",
            "server.public_url",
        ),
        (
            "LOGVIEW__SERVER__PUBLIC_URL",
            "https://x.example/?a=1",
            "server.public_url",
        ),
        ("LOGVIEW__SALT__API_URL", "127.0.0.1:8000", "salt.api_url"),
    ] {
        let env = [(key.to_owned(), value.to_owned())];
        let err = Settings::load_with_env(&repo_settings(), env)
            .expect_err(key)
            .to_string();
        assert!(err.contains(needle), "{key}={value}: {err}");
    }
    let env = [
        ("LOGVIEW__LOCAL__ENABLED".to_owned(), "true".to_owned()),
        ("LOGVIEW__LOCAL__HOST_ID".to_owned(), "my host".to_owned()),
    ];
    let err = Settings::load_with_env(&repo_settings(), env)
        .expect_err("host id")
        .to_string();
    assert!(err.contains("local.host_id"), "{err}");
}

#[test]
fn a_config_file_with_two_keys_is_an_overlay_on_the_built_in_defaults_from_any_cwd() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A `settings.toml` in the working directory must not be read.
    std::fs::write(dir.path().join("settings.toml"), "not [ toml").expect("write");
    let overlay = dir.path().join("production.toml");
    std::fs::write(
        &overlay,
        "[server]\nbind = \"127.0.0.1:9090\"\n\n\
         [auth]\napi_tokens = [\"production-token-0123456789\"]\n",
    )
    .expect("write");
    let cwd = std::env::current_dir().expect("cwd");
    std::env::set_current_dir(dir.path()).expect("cd to the temporary directory");
    let loaded = Settings::load_with_env(std::slice::from_ref(&overlay), []);
    let defaults = Settings::load_with_env(&[], []);
    std::env::set_current_dir(cwd).expect("cd back");

    let s = loaded.expect("an overlay with two keys loads");
    let defaults = defaults.expect("the built-in defaults alone load");
    assert_eq!(s.server.bind.to_string(), "127.0.0.1:9090");
    // A list in the overlay replaces the default list, it is not merged into it.
    let tokens: Vec<&str> = s
        .auth
        .api_tokens
        .iter()
        .map(|t| t.expose_secret())
        .collect();
    assert_eq!(tokens, ["production-token-0123456789"]);
    // Every other key keeps its default.
    assert_eq!(s.server.public_url, defaults.server.public_url);
    assert_eq!(format!("{:?}", s.tail), format!("{:?}", defaults.tail));
    assert_eq!(format!("{:?}", s.salt), format!("{:?}", defaults.salt));
    assert_eq!(format!("{:?}", s.limits), format!("{:?}", defaults.limits));
    assert_eq!(
        s.commands.keys().collect::<Vec<_>>(),
        defaults.commands.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        s.tail.max_lines, 10000,
        "the value of the shipped settings.toml"
    );
}

#[test]
fn commands_of_a_config_file_add_to_the_built_in_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let overlay = dir.path().join("commands.toml");
    std::fs::write(
        &overlay,
        "[commands.date]\nargv = [\"/bin/date\"]\ndescription = \"Date\"\ntimeout_secs = 5\n\n\
         [commands.disk]\ntimeout_secs = 7\n",
    )
    .expect("write");
    let s = Settings::load_with_env(&[overlay], []).expect("loads");
    assert_eq!(s.commands["date"].argv, ["/bin/date"]);
    assert_eq!(s.commands["disk"].timeout_secs, 7);
    assert_eq!(
        s.commands["disk"].argv,
        ["/bin/df", "-h"],
        "the rest of disk is kept"
    );
    assert!(s.commands.contains_key("uptime"));
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let s = Settings::load_with_env(&repo_settings(), []).expect("loads");
    let dbg = format!("{s:?}");
    assert!(
        !dbg.contains(s.auth.ticket_key.expose_secret()),
        "ticket key leaked into Debug"
    );
    assert!(
        !dbg.contains(s.salt.gate_token.expose_secret()),
        "gate token leaked into Debug"
    );
}

#[test]
fn redis_cluster_urls_are_optional_listed_and_checked() {
    let s = Settings::load_with_env(&repo_settings(), []).expect("loads");
    assert!(
        s.redis.cluster_urls.is_empty(),
        "a single Redis is the default"
    );
    let two = "redis://logview:pw1@10.0.0.1:7001,redis://logview:pw1@10.0.0.2:7002";
    let env = [("LOGVIEW__REDIS__CLUSTER_URLS".to_owned(), two.to_owned())];
    let s = Settings::load_with_env(&repo_settings(), env).expect("two seeds");
    assert_eq!(s.redis.cluster_urls.len(), 2);
    assert!(
        !format!("{s:?}").contains("pw1"),
        "the passwords stay secret"
    );
    for bad in ["rediss://u:pw1@h:1", "redis://u:pw1@h:1/3", "http://h:1"] {
        let env = [("LOGVIEW__REDIS__CLUSTER_URLS".to_owned(), bad.to_owned())];
        let err = Settings::load_with_env(&repo_settings(), env)
            .expect_err(bad)
            .to_string();
        assert!(
            err.contains("redis.cluster_urls") && !err.contains("pw1"),
            "{err}"
        );
    }
}
