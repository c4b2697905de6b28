//! Unit tests of [`super::SaltCall`]: logview's chunks pass the gate's check
//! and come back as the same typed call (round trip), and every neighbour of a
//! legitimate chunk (one field changed) is refused, naming that field.

use std::path::Path;

use serde_json::{json, Value};

use super::*;

const T: CallTimeouts = CallTimeouts {
    timeout: 3,
    gather_job_timeout: 3,
};

fn settings() -> Settings {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
    Settings::load_with_env(&[file], []).expect("settings.toml loads")
}

fn minion() -> MinionId {
    MinionId::parse("web-01").expect("id")
}

fn path(s: &Settings) -> LogPath {
    LogPath::parse("/var/log/app/x.log", &s.tail.allowed_paths).expect("path")
}

/// One call of each shape, as logview builds them.
fn every_call(s: &Settings) -> Vec<SaltCall> {
    vec![
        SaltCall::Ping { minion: minion() },
        SaltCall::FileExists {
            minions: vec![minion()],
            path: path(s),
        },
        SaltCall::Stop {
            minions: vec![minion()],
            path: path(s),
            replacing: false,
        },
        SaltCall::Follow {
            minions: vec![minion()],
            path: path(s),
            lines: 0,
            max_duration_secs: s.tail.max_duration_secs,
            idle_exit_secs: s.tail.idle_exit_secs,
            resume_at: None,
        },
        SaltCall::Exec {
            minion: minion(),
            command: "disk".into(),
            run_id: "0123456789abcdef".into(),
        },
        SaltCall::Follow {
            minions: vec![minion()],
            path: path(s),
            lines: 10,
            max_duration_secs: s.tail.max_duration_secs,
            idle_exit_secs: s.tail.idle_exit_secs,
            resume_at: Some(crate::wire::FilePos {
                dev: 2049,
                inode: 131_074,
                offset: 8192,
            }),
        },
        SaltCall::Stop {
            minions: vec![minion()],
            path: path(s),
            replacing: true,
        },
    ]
}

fn chunk_of(call: &SaltCall, s: &Settings) -> Value {
    call.to_chunk(s, T).expect("logview builds it")
}

fn refused_field(chunk: &Value, s: &Settings) -> String {
    match SaltCall::from_chunk(chunk, s) {
        Ok(c) => panic!("accepted {chunk}: {c:?}"),
        Err(r) => r.field,
    }
}

#[test]
fn every_call_logview_builds_passes_the_gate_unchanged() {
    let s = settings();
    for call in every_call(&s) {
        let chunk = chunk_of(&call, &s);
        let (back, timeouts) = SaltCall::from_chunk(&chunk, &s).expect("the gate accepts it");
        assert_eq!(back, call);
        assert_eq!(timeouts, T);
        assert_eq!(
            chunk_of(&back, &s),
            chunk,
            "the forwarded chunk is the sent one"
        );
    }
}

#[test]
fn a_list_of_functions_is_refused_in_either_order() {
    let s = settings();
    let legit = chunk_of(&every_call(&s)[1], &s);
    for fun in [
        json!(["file.file_exists", "cmd.run"]),
        json!(["cmd.run", "file.file_exists"]),
        json!(["saltutil.find_job", "cmd.run"]),
        json!(["test.ping", "cmd.run"]),
    ] {
        let mut c = legit.clone();
        c["fun"] = fun;
        c["arg"] = json!([["/var/log/app/x.log"], ["id"]]);
        assert_eq!(refused_field(&c, &s), "fun");
    }
    let mut c = legit.clone();
    c["fun"] = json!("cmd.run");
    assert_eq!(refused_field(&c, &s), "fun");
}

#[test]
fn targets_other_than_literal_ids_are_refused() {
    let s = settings();
    let legit = chunk_of(&every_call(&s)[1], &s);
    for (tgt, tgt_type, field) in [
        (json!("*"), json!("glob"), "tgt_type"),
        (json!("*"), json!("list"), "tgt"),
        (json!(["*"]), json!("list"), "tgt[0]"),
        (json!(["web-*"]), json!("list"), "tgt[0]"),
        (json!(["web-01", "web-*"]), json!("list"), "tgt[1]"),
        (json!(["web-01", "web-01"]), json!("list"), "tgt[1]"),
        (json!(["web-01", 7]), json!("list"), "tgt[1]"),
        (json!("G@os:Debian or web-*"), json!("compound"), "tgt_type"),
        (json!("os:Debian"), json!("grain"), "tgt_type"),
        (json!([]), json!("list"), "tgt"),
        (json!(["web-01"]), json!("compound"), "tgt_type"),
    ] {
        let mut c = legit.clone();
        c["tgt"] = tgt.clone();
        c["tgt_type"] = tgt_type;
        assert_eq!(refused_field(&c, &s), field, "tgt {tgt}");
    }
}

#[test]
fn kwargs_must_be_exactly_the_pins_with_json_types() {
    let s = settings();
    let legit = chunk_of(&every_call(&s)[2], &s);
    let mut extra = legit.clone();
    extra["kwarg"]["prepend_path"] = json!("/tmp/evil");
    let mut as_strings = legit.clone();
    for k in ["runas", "group", "env", "umask", "template"] {
        as_strings["kwarg"][k] = json!("None");
    }
    let mut false_string = legit.clone();
    false_string["kwarg"]["python_shell"] = json!("False");
    let mut missing = legit.clone();
    if let Some(m) = missing["kwarg"].as_object_mut() {
        m.remove("cwd");
    }
    let mut runas = legit.clone();
    runas["kwarg"]["runas"] = json!("root");
    for c in [extra, as_strings, false_string, missing, runas] {
        assert_eq!(refused_field(&c, &s), "kwarg", "{c}");
    }
    let mut on_file_exists = chunk_of(&every_call(&s)[1], &s);
    on_file_exists["kwarg"] = lowstate::pins();
    assert_eq!(refused_field(&on_file_exists, &s), "kwarg");
}

#[test]
fn other_clients_and_extra_keys_are_refused() {
    let s = settings();
    let legit = chunk_of(&every_call(&s)[1], &s);
    for client in ["local_async", "runner", "wheel", "ssh", "LOCAL"] {
        let mut c = legit.clone();
        c["client"] = json!(client);
        assert_eq!(refused_field(&c, &s), "client", "{client}");
    }
    for (key, value) in [
        ("username", json!("deploy")),
        ("password", json!("x")),
        ("eauth", json!("file")),
        ("token", json!("x")),
        ("ret", json!("smtp")),
        ("kwargs", json!({})),
    ] {
        let mut c = legit.clone();
        c[key] = value;
        assert_eq!(refused_field(&c, &s), key);
    }
    let mut c = legit.clone();
    c["full_return"] = json!("true");
    assert_eq!(refused_field(&c, &s), "full_return");
    let mut c = legit;
    c["timeout"] = json!(3600);
    assert_eq!(refused_field(&c, &s), "timeout");
}

#[test]
fn argv_neighbours_are_refused() {
    let s = settings();
    let calls = every_call(&s);
    let follow = chunk_of(&calls[3], &s);
    let exec = chunk_of(&calls[4], &s);
    let stop = chunk_of(&calls[2], &s);
    let edit = |c: &Value, i: usize, v: &str| {
        let mut c = c.clone();
        c["arg"][0][i] = json!(v);
        c
    };
    let last = follow["arg"][0].as_array().map(Vec::len).unwrap_or(0) - 1;
    for bad in [
        edit(&follow, 0, "/bin/sh"),
        edit(&follow, 3, "/tmp/other.toml"),
        edit(&follow, 4, "--stream"),
        edit(&follow, 5, "99999999"),
        edit(&follow, 5, "010"),
        edit(&follow, 7, "0"),
        edit(&follow, 9, "0"),
        edit(&follow, last, "/etc/shadow"),
        edit(&follow, last, "/var/log/../../etc/shadow"),
        edit(&stop, 1, "follow"),
        edit(&stop, 4, "/etc/passwd"),
        edit(&exec, 5, "logs:{bc}:web-01:cmd:disk:XYZ"),
        edit(&exec, 5, "logs:{b0}:web-01:cmd:rm:0123456789abcdef"),
        edit(&exec, 5, "logs:{b3}:web-02:cmd:disk:0123456789abcdef"),
        edit(&exec, 7, "99999"),
        edit(&exec, 9, "/bin/sh"),
    ] {
        assert_eq!(refused_field(&bad, &s), "arg", "{bad}");
    }
    let mut appended = exec.clone();
    if let Some(a) = appended["arg"][0].as_array_mut() {
        a.push(json!("-c"));
    }
    assert_eq!(refused_field(&appended, &s), "arg");
    let mut run_all_follow = follow;
    run_all_follow["fun"] = json!("cmd.run_all");
    assert_eq!(refused_field(&run_all_follow, &s), "arg");
    let mut two_args = stop;
    two_args["arg"] = json!([["a"], ["b"]]);
    assert_eq!(refused_field(&two_args, &s), "arg");
}

#[test]
fn resume_at_neighbours_are_refused() {
    let s = settings();
    let resumed = chunk_of(&every_call(&s)[5], &s);
    assert_eq!(resumed["arg"][0][10], "--resume-at");
    assert_eq!(resumed["arg"][0][11], "2049:131074:8192");
    let edit = |i: usize, v: &str| {
        let mut c = resumed.clone();
        c["arg"][0][i] = json!(v);
        c
    };
    for bad in [
        edit(11, "1:2"),
        edit(11, "1:2:3:4"),
        edit(11, "-1:2:3"),
        edit(11, "1:2:03x"),
        edit(11, " 1:2:3"),
        edit(11, "1:2:99999999999999999999"),
        edit(11, "/var/log/app/x.log"),
        edit(10, "--resume"),
        edit(10, "--lines"),
    ] {
        assert_eq!(refused_field(&bad, &s), "arg", "{bad}");
    }
    let replacing = chunk_of(&every_call(&s)[6], &s);
    assert_eq!(replacing["arg"][0][4], "--replacing");
    let mut stop_edit = replacing.clone();
    stop_edit["arg"][0][4] = json!("--replace");
    assert_eq!(refused_field(&stop_edit, &s), "arg");
    let mut twice = replacing.clone();
    if let Some(a) = twice["arg"][0].as_array_mut() {
        a.insert(4, json!("--replacing"));
    }
    assert_eq!(refused_field(&twice, &s), "arg");
    // Leading zeros parse but do not rebuild the same chunk.
    assert_eq!(refused_field(&edit(11, "01:2:3"), &s), "arg");
    // The flag without its value, twice, or after the path.
    let mut argv: Vec<Value> = resumed["arg"][0].as_array().cloned().unwrap_or_default();
    let path = argv.pop().unwrap_or_default();
    for shape in [
        {
            let mut a = argv[..11].to_vec();
            a.push(path.clone());
            a
        },
        {
            let mut a = argv.clone();
            a.extend([json!("--resume-at"), json!("1:2:3"), path.clone()]);
            a
        },
        {
            let mut a = argv[..10].to_vec();
            a.extend([path.clone(), json!("--resume-at"), json!("1:2:3")]);
            a
        },
    ] {
        let mut c = resumed.clone();
        c["arg"][0] = Value::Array(shape);
        assert_eq!(refused_field(&c, &s), "arg", "{c}");
    }
}

#[test]
fn ping_takes_no_arguments() {
    let s = settings();
    let ping = chunk_of(&every_call(&s)[0], &s);
    assert_eq!(ping["fun"], "test.ping");
    assert_eq!(ping["arg"], json!([]));
    let mut with_arg = ping.clone();
    with_arg["arg"] = json!(["x"]);
    assert_eq!(refused_field(&with_arg, &s), "arg");
    let mut with_kwarg = ping.clone();
    with_kwarg["kwarg"] = lowstate::pins();
    assert_eq!(refused_field(&with_kwarg, &s), "kwarg");
    let mut glob = ping;
    glob["tgt"] = json!("*");
    glob["tgt_type"] = json!("glob");
    assert_eq!(refused_field(&glob, &s), "tgt_type");
}

/// The fleet's list calls: the same argv for 1 to `limits.max_fleet` ids,
/// rebuilt unchanged; everything that names one minion stays one.
#[test]
fn file_exists_stop_and_follow_take_a_list_of_ids() {
    let s = settings();
    let ids: Vec<MinionId> = ["web-01", "web-02", "web-03"]
        .iter()
        .map(|m| MinionId::parse(m).expect("id"))
        .collect();
    let calls = vec![
        SaltCall::FileExists {
            minions: ids.clone(),
            path: path(&s),
        },
        SaltCall::Stop {
            minions: ids.clone(),
            path: path(&s),
            replacing: false,
        },
        SaltCall::Follow {
            minions: ids.clone(),
            path: path(&s),
            lines: 10,
            max_duration_secs: s.tail.max_duration_secs,
            idle_exit_secs: s.tail.idle_exit_secs,
            resume_at: None,
        },
    ];
    for call in &calls {
        let chunk = chunk_of(call, &s);
        assert_eq!(chunk["tgt"], json!(["web-01", "web-02", "web-03"]));
        assert_eq!(chunk["tgt_type"], "list");
        let (back, _) = SaltCall::from_chunk(&chunk, &s).expect("the gate accepts it");
        assert_eq!(&back, call);
        assert_eq!(back.minion_list(), "web-01,web-02,web-03");
    }
    // The follow argv names no minion: one argv for the whole list.
    let single = chunk_of(&every_call(&s)[3], &s);
    let mut list = single.clone();
    list["tgt"] = json!(["web-01", "web-02", "web-03"]);
    assert_eq!(
        SaltCall::from_chunk(&list, &s)
            .expect("ok")
            .0
            .minions()
            .len(),
        3
    );
    // More ids than limits.max_fleet.
    let mut small = s.clone();
    small.limits.max_fleet = 2;
    assert_eq!(refused_field(&chunk_of(&calls[0], &s), &small), "tgt");
    // Ping, exec and a follow --resume-at target exactly one minion.
    for i in [0, 4, 5] {
        let mut c = chunk_of(&every_call(&s)[i], &s);
        c["tgt"] = json!(["web-01", "web-02"]);
        assert_eq!(refused_field(&c, &s), "tgt", "{c}");
    }
}
