//! The Redis ACL users come from one definition (`scripts/lib/redis.sh`):
//! the shipped production example is its output, and on a real redis-server
//! the tailer user may append to its streams and touch only its own lease
//! (read) and owner keys — no SET over a stream, no values under other names,
//! no other minion's keys.

use redis::{Connection, RedisResult, Value};

use crate::support::redis_server::{redis_sh, test_acl, RedisServer};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/salt/redis/users.acl.example");

fn connect(url: &str) -> Connection {
    redis::Client::open(url)
        .expect("url")
        .get_connection()
        .expect("connect")
}

fn run(con: &mut Connection, args: &[&[u8]]) -> RedisResult<Value> {
    let mut cmd = redis::cmd(std::str::from_utf8(args[0]).expect("name"));
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con)
}

fn allowed(con: &mut Connection, args: &[&[u8]]) {
    if let Err(e) = run(con, args) {
        panic!("{:?} refused: {e}", String::from_utf8_lossy(args[0]));
    }
}

fn refused(con: &mut Connection, args: &[&[u8]]) {
    match run(con, args) {
        Err(e) if e.code() == Some("NOPERM") || e.to_string().contains("NoPerm") => {}
        other => panic!(
            "{} {} should be refused (NOPERM): {other:?}",
            String::from_utf8_lossy(args[0]),
            String::from_utf8_lossy(args[1])
        ),
    }
}

#[test]
fn the_shipped_production_example_is_generated_from_the_one_definition() {
    let shipped = std::fs::read_to_string(EXAMPLE).expect("read the example");
    assert!(
        shipped == redis_sh("print_production_redis_acl"),
        "salt/redis/users.acl.example is stale: regenerate it with\n  \
         bash -c 'source scripts/lib/redis.sh; print_production_redis_acl' > salt/redis/users.acl.example"
    );
}

#[test]
fn the_tailer_appends_to_streams_and_touches_only_its_own_lease_and_owner_keys() {
    let redis = RedisServer::start();
    let mut admin = redis.admin();
    allowed(
        &mut admin,
        &[b"XADD", b"logs:{b1}:m:/var/log/a.log", b"*", b"k", b"v"],
    );
    let mut t = connect(&redis.tailer_url());
    let stream: &[u8] = b"logs:{b1}:m:/var/log/a.log";
    allowed(
        &mut t,
        &[
            b"XADD", stream, b"MAXLEN", b"~", b"10", b"*", b"kind", b"lines",
        ],
    );
    allowed(&mut t, &[b"XTRIM", stream, b"MINID", b"0-1"]);
    allowed(&mut t, &[b"EXPIRE", stream, b"600"]);
    allowed(&mut t, &[b"EXISTS", b"logs:{b1}:m:/var/log/a.log:lease"]);
    allowed(&mut t, &[b"PTTL", b"logs:{b1}:m:/var/log/a.log:lease"]);
    let owner: &[u8] = b"logs:{b1}:m:/var/log/a.log:owner";
    allowed(&mut t, &[b"SET", owner, b"host 1 2", b"EX", b"600"]);
    allowed(&mut t, &[b"GET", owner]);
    allowed(&mut t, &[b"DEL", owner]);

    // A stream cannot be turned into a string, nor deleted or read other
    // than newest-first (what a new master holds after a failover), and the
    // tailer may wait for replicas (Redis Cluster, docs/redis-cluster.md).
    refused(&mut t, &[b"SET", stream, b"logs:{b0}:m:/var/log/b.log"]);
    refused(&mut t, &[b"DEL", stream]);
    refused(&mut t, &[b"XRANGE", stream, b"-", b"+"]);
    refused(&mut t, &[b"XREAD", b"STREAMS", stream, b"0"]);
    allowed(&mut t, &[b"XREVRANGE", stream, b"+", b"-", b"COUNT", b"1"]);
    allowed(&mut t, &[b"WAIT", b"0", b"0"]);
    refused(&mut t, &[b"XREVRANGE", b"other:/x", b"+", b"-"]);
    let kind: String = redis::cmd("TYPE")
        .arg(stream)
        .query(&mut admin)
        .expect("TYPE");
    assert_eq!(kind, "stream");
    // No values under any other name, whatever their size.
    let big = vec![b'x'; 10 << 20];
    refused(&mut t, &[b"SET", b"logs:m:junk", &big]);
    refused(&mut t, &[b"SET", b"logs:{b1}:m:/var/log/a.log:junk", b"x"]);
    // The lease is logview's to set.
    refused(&mut t, &[b"SET", b"logs:{b1}:m:/var/log/a.log:lease", b"x"]);
    // Nothing outside the prefix.
    refused(&mut t, &[b"XADD", b"other:/x", b"*", b"k", b"v"]);
}

#[test]
fn logview_reads_owner_heartbeats_but_writes_only_leases() {
    let redis = RedisServer::start();
    let mut v = connect(&redis.logview_url());
    let owner: &[u8] = b"logs:{b1}:m:/var/log/a.log:owner";
    // Whether a running tailer can be shared is read from its heartbeat.
    allowed(&mut v, &[b"GET", owner]);
    refused(&mut v, &[b"SET", owner, b"forged"]);
    refused(&mut v, &[b"DEL", owner]);
    allowed(
        &mut v,
        &[
            b"SET",
            b"logs:{b1}:m:/var/log/a.log:lease",
            b"x",
            b"EX",
            b"5",
        ],
    );
    refused(&mut v, &[b"GET", b"other:key"]);
}

#[test]
fn logview_claims_starts_and_deletes_nothing_but_its_claims() {
    let redis = RedisServer::start();
    let mut admin = redis.admin();
    let stream: &[u8] = b"logs:m:/var/log/a.log";
    allowed(&mut admin, &[b"XADD", stream, b"*", b"k", b"v"]);
    let mut v = connect(&redis.logview_url());
    let claim: &[u8] = b"logs:m:/var/log/a.log:start";
    // What session/start_claim.rs runs: SET NX PX, GET, the release script.
    allowed(&mut v, &[b"SET", claim, b"tok", b"NX", b"PX", b"60000"]);
    allowed(&mut v, &[b"GET", claim]);
    let release: &[u8] = b"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
    allowed(&mut v, &[b"EVAL", release, b"1", claim, b"tok"]);
    let left: Option<String> = redis::cmd("GET").arg(claim).query(&mut admin).expect("GET");
    assert_eq!(left, None, "the release script deleted the claim");
    // DEL and EVAL reach no other key: not a stream, lease, owner or audit.
    let lease: &[u8] = b"logs:m:/var/log/a.log:lease";
    let owner: &[u8] = b"logs:m:/var/log/a.log:owner";
    for key in [stream, lease, owner, b"salt-logview:audit".as_slice()] {
        refused(&mut v, &[b"DEL", key]);
        refused(
            &mut v,
            &[b"EVAL", b"return redis.call('DEL', KEYS[1])", b"1", key],
        );
    }
    // A script declaring a claim key still cannot delete anything else.
    assert!(
        run(
            &mut v,
            &[
                b"EVAL",
                b"return redis.call('DEL', ARGV[1])",
                b"1",
                claim,
                stream
            ]
        )
        .is_err(),
        "a script must not delete a stream through an undeclared key"
    );
    let kind: String = redis::cmd("TYPE")
        .arg(stream)
        .query(&mut admin)
        .expect("TYPE");
    assert_eq!(kind, "stream", "the stream is still there");
    // SET reaches claims and leases only: not streams, owners, other names.
    refused(&mut v, &[b"SET", stream, b"x"]);
    refused(&mut v, &[b"SET", owner, b"x"]);
    refused(&mut v, &[b"SET", b"logs:m:junk", b"x"]);
    refused(&mut v, &[b"SET", b"other:x:start", b"x"]);
}

#[test]
fn a_production_minion_user_cannot_touch_another_minions_keys() {
    // The example exactly as shipped (an aclfile takes `user` lines only),
    // plus the admin user the fixture awaits the server with.
    let shipped = std::fs::read_to_string(EXAMPLE).expect("read the example");
    let acl = format!("{shipped}user admin on >{} ~* &* +@all\n", admin_password());
    let redis = RedisServer::start_with_acl(&acl);
    let url = format!(
        "redis://logtail-web-01:WEB01_PASSWORD@127.0.0.1:{}/0",
        redis.port()
    );
    let mut t = connect(&url);
    allowed(
        &mut t,
        &[
            b"XADD",
            b"logs:{bc}:web-01:/var/log/a.log",
            b"*",
            b"k",
            b"v",
        ],
    );
    allowed(
        &mut t,
        &[b"SET", b"logs:{bc}:web-01:/var/log/a.log:owner", b"me"],
    );
    refused(
        &mut t,
        &[
            b"XADD",
            b"logs:{bb}:web-02:/var/log/a.log",
            b"*",
            b"k",
            b"v",
        ],
    );
    refused(
        &mut t,
        &[b"SET", b"logs:{bb}:web-02:/var/log/a.log:owner", b"me"],
    );
    refused(
        &mut t,
        &[b"SET", b"logs:web-01:junk", &vec![b'x'; 10 << 20]],
    );
    refused(&mut t, &[b"SET", b"logs:{bc}:web-01:/var/log/a.log", b"x"]);
}

/// The admin password of the test ACL (the production example has none).
fn admin_password() -> String {
    let acl = test_acl();
    let line = acl
        .lines()
        .find(|l| l.starts_with("user admin "))
        .expect("admin user");
    line.split_whitespace()
        .find_map(|w| w.strip_prefix('>'))
        .expect("admin password")
        .to_owned()
}
