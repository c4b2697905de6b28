# shellcheck shell=bash
# The Redis part of the stack: Debian's redis-server with this profile's own
# config (port, no persistence, ACL file), ACL users of docs/redis-acl.md §1.
# Sourced by stack.sh (needs common.sh and the profile variables).

redis_paths() {
    REDIS_DIR="$PROFILE_DIR/redis"
    REDIS_CONF="$REDIS_DIR/redis.conf"
    REDIS_ACL_FILE="$REDIS_DIR/users.acl"
    REDIS_PID="$PROFILE_DIR/run/redis.pid"
    REDIS_LOG="$PROFILE_DIR/run/log/redis.log"
}

# The stream key prefix of settings.toml ([redis] prefix), which the ACL patterns use.
redis_prefix() {
    "$VENV/bin/python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb")).get("redis", {}).get("prefix", "logs"))' \
        "$REPO_ROOT/settings.toml"
}

# --- The Redis ACL users: ONE definition -----------------------------------
# Used for the stack's users.acl (write_redis_configs), the production example
# salt/redis/users.acl.example (print_production_redis_acl; a test checks that
# the shipped file is its output) and the tests' private redis-server
# (tests/it/support/redis_server.rs sources this file). Needs Redis >= 7.0
# (selectors). What each user may do follows what the code calls:
#   logtail (src/tail/publish.rs, keys.rs): XADD, XTRIM (retention) and
#     EXPIRE on its streams, EXISTS + PTTL (+ GET) on their :lease keys (read
#     only: logview sets them), SET/GET/DEL only on their :owner keys. It cannot SET over a stream, store values under other
#     names, read streams except XREVRANGE (below), or touch another minion's keys (per-minion users).
#   logview (src/session, src/stream): read streams and (GET) the :owner
#     heartbeats of running tailers (src/session/stream_control.rs), write
#     only :lease keys, and claim the start of a stream across replicas
#     (src/session/start_claim.rs: SET NX PX, and EVAL of a compare-and-delete
#     script that runs GET + DEL, on :start keys only).
#   Both may run CLUSTER SLOTS (no key; where a slot lives, docs/redis-cluster.md);
#   on a single Redis it is refused as "cluster support disabled", harmless.
#   In a cluster the tailer also runs WAIT 1 <ms> after each pipeline and, after
#   a reconnect, XREVRANGE <its stream> + - COUNT 1 (what the new master already
#   holds: src/tail/publish/replication.rs), so it may read its own streams.
#   logview also PING: the redis crate's cluster client sends it on every new
#   node connection and to check connections (redis 1.8.1,
#   cluster_handling/async_connection/mod.rs).

# redis_tailer_acl USER PASSWORD KEYBASE: a tailer user whose keys all match
# the glob KEYBASE* ("logs:{b?}:web-01:" per minion in production: any of the
# 16 hash-tag buckets of src/wire.rs, then the minion; "logs:" for the
# stack's one shared user).
redis_tailer_acl() {
    local user="$1" pass="$2" base="$3"
    printf 'user %s on >%s resetchannels resetkeys -@all +xadd +xtrim +expire +xrevrange +wait +cluster|slots ~%s* (+exists +pttl +get %%R~%s*:lease) (+set +get +del ~%s*:owner)\n' \
        "$user" "$pass" "$base" "$base" "$base"
}

# redis_logview_acl PASSWORD PREFIX AUDIT_KEY: logview reads streams and
# owner keys (GET is a read: %R~), writes only leases, (a selector) sets and
# deletes only start claims (SET NX PX; EVAL of the release script, whose DEL
# the selector allows on :start keys alone), and (a selector) appends to and
# reads the audit stream.
# %R~/%W~ split read and write key patterns, so it cannot overwrite a stream
# with SET, nor read a lease with SET ... GET, nor DEL anything but a claim.
redis_logview_acl() {
    printf 'user logview on >%s resetchannels -@all +xread +xrange +xrevrange +get +set +cluster|slots +ping %%R~%s:* %%W~%s:*:lease (+set +eval +del ~%s:*:start) (+xadd +xrevrange ~%s)\n' \
        "$1" "$2" "$2" "$2" "$3"
}

# redis_saltgate_acl PASSWORD AUDIT_KEY: saltgate may only append to the audit stream.
redis_saltgate_acl() {
    printf 'user saltgate on >%s resetchannels resetkeys -@all +xadd ~%s\n' "$1" "$2"
}

# The audit stream key of settings.toml ([audit] stream; default salt-logview:audit).
audit_stream() {
    local settings="${REPO_ROOT:-$(dirname "${BASH_SOURCE[0]}")/../..}/settings.toml"
    "$VENV/bin/python" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["audit"]["stream"])' "$settings"
}

# The default user, disabled: every client must log in as one of these.
redis_default_acl() {
    printf 'user default off resetpass resetkeys resetchannels -@all\n'
}

# redis_acl_users PREFIX ADMIN_PASSWORD TAILER_PASSWORD LOGVIEW_PASSWORD
# [SALTGATE_PASSWORD [AUDIT_KEY]]: the stack's (and the tests') users.acl:
# admin (tests only), one shared tailer user `logtail` (one minion), logview,
# saltgate.
redis_acl_users() {
    local prefix="$1" audit="${6:-salt-logview:audit}"
    redis_default_acl
    printf 'user admin on >%s ~* &* +@all\n' "$2"
    redis_tailer_acl logtail "$3" "$prefix:"
    redis_logview_acl "$4" "$prefix" "$audit"
    redis_saltgate_acl "${5:-$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')}" "$audit"
}

# The production example (salt/redis/users.acl.example): logview and one
# tailer user per minion (logtail-<minion>, keys logs:{b?}:<minion>:*), with
# placeholder passwords to replace. Redis' aclfile holds `user` lines only
# (a comment line makes redis-server refuse to start), so the explanations
# live here and in docs/hardening-logtail.md. Each minion's pillar gets its
# own URL (logtail:redis_url = redis://logtail-web-01:PASSWORD@redis:6379/0):
# a minion that is taken over can then write only its own streams. A
# database other than 0 in a URL needs +select as well.
print_production_redis_acl() {
    redis_default_acl
    redis_logview_acl LOGVIEW_PASSWORD logs salt-logview:audit
    redis_saltgate_acl SALTGATE_PASSWORD salt-logview:audit
    redis_tailer_acl logtail-web-01 WEB01_PASSWORD 'logs:{b?}:web-01:'
    redis_tailer_acl logtail-web-02 WEB02_PASSWORD 'logs:{b?}:web-02:'
}

# The stack's memory bound (SLV_REDIS_MAXMEMORY, default 1gb). Sizing rule
# (docs/hardening-logtail.md): maxmemory >= streams written at once x 1.5 x
# stream_max_bytes + 64 MiB. noeviction: Redis refuses writes when full
# instead of evicting acknowledged lines; logtail counts what it drops.
redis_maxmemory() {
    local m="${SLV_REDIS_MAXMEMORY:-1gb}"
    [[ "$m" =~ ^[0-9]+(kb|mb|gb)?$ ]] || die "SLV_REDIS_MAXMEMORY '$m' must be a size like 512mb or 2gb"
    printf '%s\n' "$m"
}

write_redis_configs() {
    local prefix maxmemory audit
    prefix="$(redis_prefix)"
    audit="$(audit_stream)"
    [[ "$audit" =~ ^[A-Za-z0-9_:.-]+$ ]] || die "settings.toml [audit] stream '$audit' must match [A-Za-z0-9_:.-]+"
    [[ "$prefix" =~ ^[A-Za-z0-9_-]+$ ]] || die "settings.toml [redis] prefix '$prefix' must match [A-Za-z0-9_-]+"
    maxmemory="$(redis_maxmemory)" || exit 1
    mkdir -p "$REDIS_DIR" "$PROFILE_DIR/run/log"
    chmod 700 "$REDIS_DIR"
    redis_acl_users "$prefix" "$REDIS_ADMIN_PASSWORD" "$REDIS_TAILER_PASSWORD" "$REDIS_LOGVIEW_PASSWORD" "$REDIS_SALTGATE_PASSWORD" "$audit" |
        write_private "$REDIS_ACL_FILE"
    write_private "$REDIS_CONF" <<CONF
# redis-server of the salt-logview stack '$PROFILE' (generated by scripts/stack.sh).
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize yes
pidfile $REDIS_PID
logfile $REDIS_LOG
dir $REDIS_DIR
# No persistence: streams are transient by design.
save ""
appendonly no
aclfile $REDIS_ACL_FILE
# Bounded: refuse writes when full, never evict (logtail reports refusals).
maxmemory $maxmemory
maxmemory-policy noeviction
CONF
}

redis_running() {
    pid_alive "$REDIS_PID" && grep -qF "$REDIS_PORT" "/proc/$(pid_of "$REDIS_PID")/cmdline" 2>/dev/null
}

start_redis() {
    if redis_running; then
        # Same users and passwords as the file: reload it (cheap, keeps data).
        printf 'AUTH admin %s\nACL LOAD\nCONFIG SET maxmemory %s\nCONFIG SET maxmemory-policy noeviction\n' \
            "$REDIS_ADMIN_PASSWORD" "$(redis_maxmemory)" | redis-cli -p "$REDIS_PORT" >/dev/null 2>&1 || true
        say "redis-server already running (pid $(pid_of "$REDIS_PID"))"
        return 0
    fi
    # A redis of this profile on another port (the port was changed): replace it.
    stop_pidfiles 10 "$REDIS_PID|redis-server (old port)"
    require_free_port "$REDIS_PORT" "redis-server" SLV_REDIS_PORT
    redis-server "$REDIS_CONF" >>"$REDIS_LOG" 2>&1 || die "redis-server did not start. Read $REDIS_LOG"
    say "started redis-server on 127.0.0.1:$REDIS_PORT"
}

# PING as the admin user; the password goes through stdin, never argv.
redis_answers() {
    [[ "$(printf 'AUTH admin %s\nPING\n' "$REDIS_ADMIN_PASSWORD" | redis-cli -p "$REDIS_PORT" 2>/dev/null | tail -n1)" == "PONG" ]]
}

wait_redis_ready() {
    wait_until 20 "redis-server answering PING on 127.0.0.1:$REDIS_PORT" "$REDIS_LOG" redis_answers
}
