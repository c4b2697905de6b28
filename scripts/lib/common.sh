# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables below are used by the scripts that source this file
# Shared shell helpers of the stack scripts: messages, stage timing, paths and
# the per-profile port table. Sourced, never run.

# Repository root (scripts/lib/..).
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_ROOT="$REPO_ROOT/.stack"
# One Python venv with Salt, shared by every profile.
VENV="$STACK_ROOT/venv"
SALT_VERSION="3008.5"
LOGTAIL_MUSL="$REPO_ROOT/target/x86_64-unknown-linux-musl/release/logtail"

say() { printf '[stack] %s\n' "$*" >&2; }
warn() { printf '[stack] WARNING: %s\n' "$*" >&2; }
die() {
    printf '[stack] ERROR: %s\n' "$*" >&2
    exit 1
}

# Seconds since the epoch with milliseconds, for stage timings.
now_ms() { date +%s%3N; }

# stage_begin NAME / stage_end: prints how long the stage took.
stage_begin() {
    STAGE_NAME="$1"
    STAGE_T0="$(now_ms)"
    say "== $STAGE_NAME"
}
stage_end() {
    local t1
    t1="$(now_ms)"
    local ms=$((t1 - STAGE_T0))
    printf -v STAGE_SECS '%d.%01d' $((ms / 1000)) $(((ms % 1000) / 100))
    say "== $STAGE_NAME took ${STAGE_SECS} s"
    STAGE_TIMES+=("$STAGE_NAME ${STAGE_SECS}s")
}
STAGE_TIMES=()

# Random secret of 32 URL-safe characters (no ':' '@' '/' so it fits a URL as is).
random_secret() {
    head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32
}

# secret_get FILE: prints the secret stored in FILE, creating it (mode 0600) once.
secret_get() {
    local file="$1"
    if [[ ! -s "$file" ]]; then
        (
            umask 077
            random_secret >"$file.tmp"
            mv "$file.tmp" "$file"
        )
    fi
    chmod 600 "$file"
    cat "$file"
}

# write_private FILE: stdin to FILE with mode 0600, atomically.
write_private() {
    local file="$1"
    (
        umask 077
        cat >"$file.tmp"
        mv "$file.tmp" "$file"
    )
    chmod 600 "$file"
}

# Port table: default per profile, overridable by environment variables. The
# resolved ports are remembered in .stack/NAME/ports.env so down/status and the
# next up use the same ones. Env var names are the "setting" an error names.
# SLV_REDIS_CLUSTER_PORT_BASE: the --redis-cluster nodes listen on BASE+1..BASE+6
# (cluster bus BASE+11..BASE+16), scripts/lib/redis_cluster.sh.
# SLV_NGINX_PORT and SLV_LOGVIEW_REPLICA_PORT (replica i listens on it + i - 1)
# are used only by `up --replicas N`.
PORT_VARS=(SLV_REDIS_PORT SLV_SALT_PUBLISH_PORT SLV_SALT_RET_PORT SLV_SALT_API_PORT SLV_SALTGATE_PORT SLV_LOGVIEW_PORT SLV_PORTAL_PORT SLV_REDIS_CLUSTER_PORT_BASE SLV_NGINX_PORT SLV_LOGVIEW_REPLICA_PORT)

default_port() {
    local var="$1" base
    case "$PROFILE" in
    dev) base=1 ;;
    test) base=2 ;;
    *) base=3 ;;
    esac
    case "$var" in
    SLV_REDIS_PORT) echo "${base}6379" ;;
    SLV_SALT_PUBLISH_PORT) echo "${base}4505" ;;
    SLV_SALT_RET_PORT) echo "${base}4506" ;;
    SLV_SALT_API_PORT) echo "${base}8000" ;;
    SLV_SALTGATE_PORT) echo "${base}8001" ;;
    SLV_LOGVIEW_PORT) echo "${base}8080" ;;
    SLV_PORTAL_PORT) echo "${base}8090" ;;
    SLV_REDIS_CLUSTER_PORT_BASE) echo "${base}7000" ;;
    SLV_NGINX_PORT) echo "${base}8100" ;;
    SLV_LOGVIEW_REPLICA_PORT) echo "${base}8101" ;;
    esac
}

# resolve_ports: sets REDIS_PORT, SALT_PUBLISH_PORT, SALT_RET_PORT,
# SALT_API_PORT, SALTGATE_PORT, LOGVIEW_PORT, PORTAL_PORT, REDIS_CLUSTER_PORT_BASE,
# NGINX_PORT, LOGVIEW_REPLICA_PORT (env > remembered > default) and remembers them.
resolve_ports() {
    local saved="$PROFILE_DIR/ports.env" var value
    declare -A remembered=()
    if [[ -f "$saved" ]]; then
        while IFS='=' read -r var value; do
            [[ -n "$var" ]] && remembered[$var]="$value"
        done <"$saved"
    fi
    : >"$saved.tmp"
    for var in "${PORT_VARS[@]}"; do
        value="${!var:-${remembered[$var]:-$(default_port "$var")}}"
        [[ "$value" =~ ^[0-9]{2,5}$ ]] || die "$var=$value is not a port number"
        echo "$var=$value" >>"$saved.tmp"
        printf -v "${var#SLV_}" '%s' "$value"
    done
    mv "$saved.tmp" "$saved"
}

# port_in_use PORT: true when something listens on 127.0.0.1:PORT (or any address).
port_in_use() {
    local port="$1"
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# require_free_port PORT WHAT VAR: dies with a message naming the port and the
# variable that changes it.
require_free_port() {
    local port="$1" what="$2" var="$3"
    if port_in_use "$port"; then
        die "port $port on 127.0.0.1 (for $what) is already taken by another process.
        Free it, or pick another port: $var=<port> scripts/stack.sh up --name $PROFILE
        (the choice is remembered in $PROFILE_DIR/ports.env)."
    fi
}

# Pid-file helpers. pid_running PID: the process exists and is not a zombie
# (a killed daemon stays <defunct> until init reaps it, docs/salt-gotchas.md#g8).
pid_running() {
    local state
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ -n "$state" && "$state" != "Z" ]]
}
pid_of() { [[ -r "$1" ]] && tr -dc '0-9' 2>/dev/null <"$1"; }
# pid_alive FILE: the pid in FILE runs.
pid_alive() {
    local pid
    pid="$(pid_of "$1")" && [[ -n "$pid" ]] && pid_running "$pid"
}

# stop_pids TIMEOUT_S NAME=PID...: SIGTERM each, wait until all are gone,
# SIGKILL what is left after TIMEOUT_S.
stop_pids() {
    local timeout="$1" entry pid waited=0 left
    shift
    for entry in "$@"; do
        say "stopping ${entry%=*} (pid ${entry##*=})"
        kill -TERM "${entry##*=}" 2>/dev/null || true
    done
    while :; do
        left=()
        for entry in "$@"; do
            pid_running "${entry##*=}" && left+=("$entry")
        done
        ((${#left[@]})) || return 0
        if ((waited >= timeout * 10)); then
            for entry in "${left[@]}"; do
                warn "${entry%=*} (pid ${entry##*=}) did not exit within ${timeout}s; SIGKILL"
                kill -KILL "${entry##*=}" 2>/dev/null || true
            done
            return 0
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
}

# stop_pidfiles TIMEOUT_S FILE|NAME...: stop_pids for the live pids of the
# pid files (stopped in parallel), then remove the files.
stop_pidfiles() {
    local timeout="$1" entry file targets=()
    shift
    for entry in "$@"; do
        file="${entry%%|*}"
        if pid_alive "$file"; then
            targets+=("${entry#*|}=$(pid_of "$file")")
        fi
    done
    ((${#targets[@]} == 0)) || stop_pids "$timeout" "${targets[@]}"
    for entry in "$@"; do
        rm -f "${entry%%|*}"
    done
}

# start_managed NAME RUNNING_FN FINGERPRINT PORT PORT_WHAT PORT_VAR PIDFILE LOG -- CMD...:
# leaves NAME running if RUNNING_FN says it runs with the same FINGERPRINT
# (binary + settings), else restarts it; starts CMD in its own session from
# the repository root, output to LOG, pid in PIDFILE.
start_managed() {
    local name="$1" running="$2" fp="$3" port="$4" what="$5" var="$6" pidfile="$7" log="$8"
    local fpfile="$PROFILE_DIR/run/$name.fingerprint"
    shift 8
    [[ "${1:-}" == "--" ]] && shift
    if "$running"; then
        if [[ "$(cat "$fpfile" 2>/dev/null)" == "$fp" ]]; then
            say "$name already running (pid $(pid_of "$pidfile"))"
            return 0
        fi
        say "$name binary or settings changed: restarting it"
        stop_pidfiles 10 "$pidfile|$name"
    fi
    require_free_port "$port" "$what" "$var"
    (
        cd "$REPO_ROOT" || exit 1
        exec setsid "$@" </dev/null >>"$log" 2>&1
    ) &
    echo $! >"$pidfile"
    echo "$fp" >"$fpfile"
    say "started $name (pid $!, log $log)"
}

# wait_until TIMEOUT_S DESCRIPTION LOGFILE CMD...: polls CMD every 0.5 s.
wait_until() {
    local timeout="$1" what="$2" log="$3"
    shift 3
    local t0 deadline=$(($(date +%s) + timeout))
    t0="$(now_ms)"
    until "$@"; do
        if (($(date +%s) >= deadline)); then
            die "$what did not happen within ${timeout}s. Read $log"
        fi
        sleep 0.5
    done
    local ms=$(($(now_ms) - t0))
    say "  ok after $((ms / 1000)).$(((ms % 1000) / 100)) s: $what"
}
