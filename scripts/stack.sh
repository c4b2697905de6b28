#!/usr/bin/env bash
# Brings the whole local salt-logview stack up on 127.0.0.1, stops it, or shows
# it: Redis (ACL users), salt-master + salt-minions web-01 web-02 web-03 +
# salt-api, logtail deployed to the minions through salt-api, saltgate (the
# only client of
# salt-api), then logview; with --portal also the example Django portal
# (examples/django_portal); with --replicas N also N logview replicas behind
# nginx (docs/deploy.md). All state lives under
# .stack/NAME/ (profiles `dev`, the default, and `test` use different ports).
#
#   scripts/stack.sh up     [--name NAME] [--portal] [--replicas N] [--redis-cluster|--single-redis]
#                           install what is missing, start, wait until ready
#                           (--replicas is remembered per profile; --replicas 0 removes them;
#                            --redis-cluster: streams in a 3+3 node Redis Cluster, docs/redis-cluster.md;
#                            the choice is remembered per profile, --single-redis switches back)
#   scripts/stack.sh down   [--name NAME]   stop exactly what the stack started
#   scripts/stack.sh status [--name NAME]   what runs, where, and the URL
#   scripts/stack.sh minion stop|start ID [--name NAME]   make one minion unreachable / back
#
# Ports (remembered per profile in .stack/NAME/ports.env) can be changed with
# SLV_REDIS_PORT, SLV_SALT_PUBLISH_PORT, SLV_SALT_RET_PORT, SLV_SALT_API_PORT,
# SLV_SALTGATE_PORT, SLV_LOGVIEW_PORT, SLV_PORTAL_PORT, SLV_REDIS_CLUSTER_PORT_BASE,
# SLV_NGINX_PORT, SLV_LOGVIEW_REPLICA_PORT (replica i: + i - 1). SLV_LOGVIEW_BIN=path runs
# that logview binary (no build). LOGVIEW__SECTION__KEY variables reach logview.
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/install.sh
source "$REPO_ROOT/scripts/lib/install.sh"
# shellcheck source=scripts/lib/redis.sh
source "$REPO_ROOT/scripts/lib/redis.sh"
# shellcheck source=scripts/lib/redis_cluster.sh
source "$REPO_ROOT/scripts/lib/redis_cluster.sh"
# shellcheck source=scripts/lib/salt.sh
source "$REPO_ROOT/scripts/lib/salt.sh"
# shellcheck source=scripts/lib/minions.sh
source "$REPO_ROOT/scripts/lib/minions.sh"
# shellcheck source=scripts/lib/logview.sh
source "$REPO_ROOT/scripts/lib/logview.sh"
# shellcheck source=scripts/lib/nginx.sh
source "$REPO_ROOT/scripts/lib/nginx.sh"
# shellcheck source=scripts/lib/gate.sh
source "$REPO_ROOT/scripts/lib/gate.sh"
# shellcheck source=scripts/lib/portal.sh
source "$REPO_ROOT/scripts/lib/portal.sh"

usage() {
    sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

ACTION="${1:-}"
[[ -n "$ACTION" ]] || usage
shift
PROFILE="dev"
WITH_PORTAL=0
REDIS_CLUSTER=""
REPLICAS_ARG=""
MINION_ARGS=()
while (($#)); do
    case "$1" in
    --portal)
        WITH_PORTAL=1
        shift
        ;;
    --redis-cluster)
        REDIS_CLUSTER=1
        shift
        ;;
    --single-redis)
        REDIS_CLUSTER=0
        shift
        ;;
    --name)
        [[ $# -ge 2 ]] || die "--name needs a value"
        PROFILE="$2"
        shift 2
        ;;
    --name=*)
        PROFILE="${1#--name=}"
        shift
        ;;
    --replicas)
        [[ $# -ge 2 ]] || die "--replicas needs a number (0-9)"
        REPLICAS_ARG="$2"
        shift 2
        ;;
    --replicas=*)
        REPLICAS_ARG="${1#--replicas=}"
        shift
        ;;
    -h | --help) usage ;;
    [!-]*)
        # minion stop|start ID: the words after the action (checked by cmd_minion).
        [[ "$ACTION" == "minion" ]] || die "unknown argument '$1' (expected --name NAME, --portal, --replicas N, --redis-cluster or --single-redis)"
        MINION_ARGS+=("$1")
        shift
        ;;
    *) die "unknown argument '$1' (expected --name NAME, --portal, --replicas N, --redis-cluster or --single-redis)" ;;
    esac
done
[[ -z "$REPLICAS_ARG" || "$REPLICAS_ARG" =~ ^[0-9]$ ]] || die "--replicas '$REPLICAS_ARG': use a number 0-9 (0 = no replicas, no nginx)"
[[ -z "$REPLICAS_ARG" || "$ACTION" == "up" ]] || die "--replicas is an option of up (down and status act on what runs)"
[[ "$PROFILE" =~ ^[a-z0-9][a-z0-9_-]{0,31}$ ]] || die "--name '$PROFILE': use 1-32 characters of a-z 0-9 _ - (e.g. dev, test)"

PROFILE_DIR="$STACK_ROOT/$PROFILE"
SECRETS="$PROFILE_DIR/secrets"
LOG_DIR="$PROFILE_DIR/logs"
STACK_ENV="$PROFILE_DIR/stack.env"
# Single Redis or Redis Cluster: the flag, else what this profile's last up chose
# (so a plain `up`, e.g. a test restarting logview, keeps the streams where they are).
REDIS_MODE_FILE="$PROFILE_DIR/redis-mode"
if [[ -z "$REDIS_CLUSTER" ]]; then
    REDIS_CLUSTER=0
    if [[ "$(cat "$REDIS_MODE_FILE" 2>/dev/null)" == "cluster" ]]; then REDIS_CLUSTER=1; fi
fi

# Every variable the parts need: ports, paths, secrets (generated once, reused).
# Ports and paths only (what down and status need).
load_paths() {
    resolve_ports
    redis_paths
    redis_cluster_paths
    salt_paths
    logview_paths
    nginx_paths
    gate_paths
    portal_paths
}

load_profile() {
    mkdir -p "$PROFILE_DIR/run/log" "$SECRETS" "$LOG_DIR"
    chmod 700 "$SECRETS"
    load_paths
    resolve_replicas
    REDIS_ADMIN_PASSWORD="$(secret_get "$SECRETS/redis-admin.password")"
    REDIS_TAILER_PASSWORD="$(secret_get "$SECRETS/redis-logtail.password")"
    REDIS_LOGVIEW_PASSWORD="$(secret_get "$SECRETS/redis-logview.password")"
    SALT_LOGVIEW_PASSWORD="$(secret_get "$SECRETS/salt-logview.password")"
    SALT_DEPLOY_PASSWORD="$(secret_get "$SECRETS/salt-deploy.password")"
    REDIS_SALTGATE_PASSWORD="$(secret_get "$SECRETS/redis-saltgate.password")"
    GATE_TOKEN="$(secret_get "$SECRETS/gate.token")"
    API_TOKEN="$(secret_get "$SECRETS/api.token")"
    METRICS_TOKEN="$(secret_get "$SECRETS/metrics.token")"
    PORTAL_SECRET_KEY="$(secret_get "$SECRETS/portal-django.key")"
    PORTAL_PASSWORD="$(secret_get "$SECRETS/portal-user.password")"
    TICKET_KEY="$(secret_get "$SECRETS/ticket.key")$(secret_get "$SECRETS/ticket.key2")"
    OPS_USER="ops"
    OPS_PASSWORD="$(secret_get "$SECRETS/ops.password")"
    REDIS_URL_ADMIN="redis://admin:$REDIS_ADMIN_PASSWORD@127.0.0.1:$REDIS_PORT/0"
    REDIS_URL_TAILER="redis://logtail:$REDIS_TAILER_PASSWORD@127.0.0.1:$REDIS_PORT/0"
    REDIS_URL_LOGVIEW="redis://logview:$REDIS_LOGVIEW_PASSWORD@127.0.0.1:$REDIS_PORT/0"
    REDIS_URL_SALTGATE="redis://saltgate:$REDIS_SALTGATE_PASSWORD@127.0.0.1:$REDIS_PORT/0"
    # --redis-cluster: the streams' seed URLs (space-separated); empty = the single Redis.
    REDIS_CLUSTER_URLS_ADMIN="" REDIS_CLUSTER_URLS_LOGVIEW="" REDIS_CLUSTER_URLS_TAILER=""
    if ((REDIS_CLUSTER)); then
        REDIS_CLUSTER_URLS_ADMIN="$(rc_urls admin "$REDIS_ADMIN_PASSWORD")"
        REDIS_CLUSTER_URLS_LOGVIEW="$(rc_urls logview "$REDIS_LOGVIEW_PASSWORD")"
        REDIS_CLUSTER_URLS_TAILER="$(rc_urls logtail "$REDIS_TAILER_PASSWORD")"
    fi
}

write_stack_env() {
    write_private "$STACK_ENV" <<ENV
STACK_DIR=$PROFILE_DIR
REDIS_URL_ADMIN=$REDIS_URL_ADMIN
REDIS_URL_LOGVIEW=$REDIS_URL_LOGVIEW
REDIS_URL_TAILER=$REDIS_URL_TAILER
REDIS_PORT=$REDIS_PORT
REDIS_ACL_FILE=$REDIS_ACL_FILE
REDIS_CLUSTER=$REDIS_CLUSTER
REDIS_CLUSTER_PORTS=${RC_PORTS[*]}
REDIS_CLUSTER_DIR=$RC_DIR
REDIS_CLUSTER_URLS_ADMIN=$REDIS_CLUSTER_URLS_ADMIN
REDIS_CLUSTER_URLS_LOGVIEW=$REDIS_CLUSTER_URLS_LOGVIEW
REDIS_CLUSTER_URLS_TAILER=$REDIS_CLUSTER_URLS_TAILER
SALT_API_URL=$SALT_API_URL
SALT_EAUTH=$SALT_EAUTH
SALT_LOGVIEW_USER=logview
SALT_LOGVIEW_PASSWORD=$SALT_LOGVIEW_PASSWORD
SALT_DEPLOY_USER=deploy
SALT_DEPLOY_PASSWORD=$SALT_DEPLOY_PASSWORD
MINION_ID=$MINION_ID
MINION_IDS=${MINION_IDS[*]}
$(for id in "${MINION_IDS[@]}"; do echo "LOG_DIR_$id=$(minion_log_dir "$id")"; done)
LOGTAIL_BIN=$LOGTAIL_BIN
LOGTAIL_CONFIG=$LOGTAIL_CONFIG
LOGTAIL_MUSL=$LOGTAIL_MUSL
LOG_DIR=$LOG_DIR
LOGVIEW_SETTINGS=$LOGVIEW_SETTINGS
LOGVIEW_AUDIT=$LOGVIEW_AUDIT
SALTGATE_URL=$SALTGATE_URL
SALTGATE_SETTINGS=$SALTGATE_SETTINGS
SALTGATE_AUDIT=$SALTGATE_AUDIT
GATE_TOKEN=$GATE_TOKEN
LOGVIEW_URL=$LOGVIEW_URL
API_TOKEN=$API_TOKEN
METRICS_TOKEN=$METRICS_TOKEN
OPS_USER=$OPS_USER
OPS_PASSWORD=$OPS_PASSWORD
PORTAL_URL=$PORTAL_URL
PORTAL_USER=$PORTAL_USER
PORTAL_PASSWORD=$PORTAL_PASSWORD
REPLICAS=$REPLICAS
$(replica_stack_env)
ENV
}

build_logtail_musl() {
    say "cargo build --release --target x86_64-unknown-linux-musl --no-default-features --bin logtail"
    (cd "$REPO_ROOT" && cargo build --release --target x86_64-unknown-linux-musl --no-default-features --bin logtail) \
        >"$PROFILE_DIR/run/log/logtail-build.log" 2>&1 ||
        die "building the musl logtail failed. Read $PROFILE_DIR/run/log/logtail-build.log"
}

# Every port a part that is not running yet will need, checked before anything
# starts, so a taken port leaves nothing half-started.
check_ports() {
    redis_running || require_free_port "$REDIS_PORT" "redis-server" SLV_REDIS_PORT
    if ! salt_daemon_running "$MASTER_PID"; then
        require_free_port "$SALT_PUBLISH_PORT" "salt-master publish" SLV_SALT_PUBLISH_PORT
        require_free_port "$SALT_RET_PORT" "salt-master ret" SLV_SALT_RET_PORT
    fi
    salt_daemon_running "$API_PID" || require_free_port "$SALT_API_PORT" "salt-api" SLV_SALT_API_PORT
    if ! gate_running; then
        # A saltgate of this profile started with other settings paths: replace it.
        stop_pidfiles 10 "$SALTGATE_PID|saltgate (old settings)"
        require_free_port "$SALTGATE_PORT" "saltgate, setting gate.bind" SLV_SALTGATE_PORT
    fi
    logview_running || require_free_port "$LOGVIEW_PORT" "logview, setting server.bind" SLV_LOGVIEW_PORT
    if ((WITH_PORTAL)) && ! portal_running; then
        require_free_port "$PORTAL_PORT" "the Django portal" SLV_PORTAL_PORT
    fi
    check_replica_ports
}

# On a failed up: say what is left running and how to stop it.
up_failed() {
    local rc=$?
    ((rc == 0)) && return 0
    say "up failed; parts already started keep running so their logs can be read:"
    say "  scripts/stack.sh status --name $PROFILE   /   scripts/stack.sh down --name $PROFILE"
}

cmd_up() {
    local t0
    trap up_failed EXIT
    t0="$(now_ms)"
    stage_begin "install (packages, Salt venv, musl target, builds)"
    install_stack_prerequisites
    load_profile
    if ((REDIS_CLUSTER)); then echo cluster >"$REDIS_MODE_FILE"; else echo single >"$REDIS_MODE_FILE"; fi
    ((REPLICAS == 0)) || install_nginx
    check_ports
    build_logtail_musl
    build_logview
    ((WITH_PORTAL == 0)) || install_portal_venv
    stage_end

    stage_begin "start (redis, salt-master/minion/api)"
    write_redis_configs
    write_salt_configs
    stage_logtail_binary
    stage_saltgate_binary
    seed_minion_logs
    start_redis
    if ((REDIS_CLUSTER)); then
        write_redis_cluster_configs
        start_redis_cluster
    else
        stop_redis_cluster
    fi
    start_salt
    stage_end

    stage_begin "ready (redis PING, minions test.ping via salt-api, deploy logtail, saltgate /readyz, logview /healthz)"
    wait_redis_ready
    ((REDIS_CLUSTER == 0)) || wait_redis_cluster_ready
    wait_salt_ready
    deploy_logtail
    deploy_saltgate
    start_gate
    wait_gate_ready
    write_logview_settings
    write_stack_env
    start_logview
    wait_logview_ready
    if ((WITH_PORTAL)); then
        start_portal
        wait_portal_ready
    fi
    # Replicas above the asked number (or all, and nginx, for 0) stop.
    stop_replicas_from $((REPLICAS + 1))
    if ((REPLICAS > 0)); then
        write_replica_settings
        start_replicas
        wait_replicas_ready
        write_nginx_config
        start_nginx
        wait_nginx_ready
    else
        stop_pidfiles 10 "$NGINX_PID|nginx"
    fi
    stage_end

    # With replicas, the one URL to open is the load balancer's.
    OPEN_URL="$LOGVIEW_URL"
    ((REPLICAS == 0)) || OPEN_URL="$LB_URL"
    local total=$(($(now_ms) - t0))
    say "stage times: ${STAGE_TIMES[*]}; total $((total / 1000)).$(((total % 1000) / 100)) s"
    cat >&2 <<MSG

  salt-logview stack '$PROFILE' is up.
    Open:      ${OPEN_URL}minions/$MINION_ID
    Log in as: $OPS_USER / $OPS_PASSWORD      (HTTP Basic)
    API token: $API_TOKEN   (POST ${OPEN_URL}api/tail, Authorization: Bearer ...)
    Tail e.g.: $LOG_DIR/app.log   (on each of ${MINION_IDS[*]}; each has its own)
    Minions:   scripts/stack.sh minion stop|start ID --name $PROFILE   (unreachable / back)
    Everything (ports, passwords, paths): $STACK_ENV
    Stop:      scripts/stack.sh down --name $PROFILE

  Embedding the viewer in another site (an iframe): logview's server.frame_ancestors
  must name that site's origin (scheme://host:port; another port is another origin).
    Now:       $(effective_frame_ancestors)
    Change it: LOGVIEW__SERVER__FRAME_ANCESTORS="'self' http://127.0.0.1:8000" scripts/stack.sh up --name $PROFILE
               (in your own settings: [server] frame_ancestors = "'self' https://portal.example.com")
MSG
    if ((REPLICAS > 0)); then
        cat >&2 <<MSG
    Replicas:  $REPLICAS logview processes behind nginx at $LB_URL (ports $(replica_port 1)-$(replica_port "$REPLICAS"),
               run/logview-replica-N.pid); the plain logview still answers on $LOGVIEW_URL
               (scripts/stack.sh up --name $PROFILE --replicas 0 removes the replicas and nginx)
MSG
    fi
    if portal_running; then
        cat >&2 <<MSG
    Portal:    ${PORTAL_URL}logs/$MINION_ID/?path=$LOG_DIR/app.log
               sign in as $PORTAL_USER / $PORTAL_PASSWORD   (examples/django_portal, docs/django.md)

MSG
    else
        cat >&2 <<MSG
    Portal:    not started; scripts/stack.sh up --name $PROFILE --portal starts the example
               Django portal (examples/django_portal) on $PORTAL_URL

MSG
    fi
}

# The frame-ancestors logview runs with: the environment's, else the overlay's.
effective_frame_ancestors() {
    if [[ -n "${LOGVIEW__SERVER__FRAME_ANCESTORS:-}" ]]; then
        echo "${LOGVIEW__SERVER__FRAME_ANCESTORS}   (from LOGVIEW__SERVER__FRAME_ANCESTORS)"
    else
        echo "$(logview_frame_ancestors)   (server.frame_ancestors in $LOGVIEW_SETTINGS; $PORTAL_PORT = SLV_PORTAL_PORT)"
    fi
}

stop_logtails() {
    local pids p targets=()
    mapfile -t pids < <(logtail_pids)
    ((${#pids[@]})) || return 0
    for p in "${pids[@]}"; do targets+=("logtail=$p"); done
    say "logtail processes the minion launched from $LOGTAIL_BIN: ${pids[*]}"
    stop_pids 5 "${targets[@]}"
}

cmd_down() {
    [[ -d "$PROFILE_DIR" ]] || {
        say "no stack '$PROFILE' ($PROFILE_DIR does not exist)"
        return 0
    }
    stage_begin "down"
    load_paths
    # logview first (no new tailers, leases lapse), then the tailers while
    # Redis still takes their final `stopped` event, then Salt, then Redis.
    stop_pidfiles 10 "$PORTAL_PID|portal"
    stop_pidfiles 10 "$NGINX_PID|nginx"
    stop_replicas_from 1
    stop_pidfiles 10 "$LOGVIEW_PID|logview"
    stop_pidfiles 10 "$SALTGATE_PID|saltgate"
    stop_logtails
    local minions
    mapfile -t minions < <(minion_pidfile_entries)
    stop_pidfiles 30 "$API_PID|salt-api" "${minions[@]}" "$MASTER_PID|salt-master"
    stop_pidfiles 10 "$REDIS_PID|redis-server"
    stop_redis_cluster
    # Anything still running from this profile's directory was not started by
    # this stack's pid files: say so, leave it alone.
    local p left=()
    while IFS=/ read -r _ _ p _; do
        [[ "$p" != "$$" ]] && pid_running "$p" && left+=("$p")
    done < <(grep -lsF "$PROFILE_DIR/" /proc/[0-9]*/cmdline 2>/dev/null || true)
    ((${#left[@]} == 0)) || warn "processes still mention $PROFILE_DIR (left alone): ${left[*]}"
    stage_end
}

show() {
    local file="$1" what="$2" where="$3"
    if pid_alive "$file"; then
        printf '  %-12s running  pid %-7s %s\n' "$what" "$(pid_of "$file")" "$where"
    else
        printf '  %-12s stopped\n' "$what"
        STATUS_DOWN=1
    fi
}

cmd_status() {
    [[ -f "$PROFILE_DIR/ports.env" ]] || {
        echo "stack '$PROFILE': never started ($PROFILE_DIR/ports.env missing)"
        return 3
    }
    load_paths
    STATUS_DOWN=0
    echo "stack '$PROFILE' ($PROFILE_DIR):"
    show "$REDIS_PID" redis-server "127.0.0.1:$REDIS_PORT"
    local i
    for ((i = 1; i <= REDIS_CLUSTER_NODES; i++)); do
        if pid_alive "$(rc_pidfile "$i")"; then
            show "$(rc_pidfile "$i")" "redis-node$i" "127.0.0.1:${RC_PORTS[$((i - 1))]} (cluster)"
        fi
    done
    show "$MASTER_PID" salt-master "127.0.0.1:$SALT_PUBLISH_PORT,$SALT_RET_PORT"
    show_minions
    show "$API_PID" salt-api "$SALT_API_URL"
    show "$SALTGATE_PID" saltgate "$SALTGATE_URL"
    show "$LOGVIEW_PID" logview "${LOGVIEW_URL}minions/$MINION_ID"
    show_replicas
    if pid_alive "$PORTAL_PID"; then
        show "$PORTAL_PID" portal "$PORTAL_URL"
    else
        echo "  portal       not started (up --portal starts it)"
    fi
    local tails
    tails="$(logtail_pids | tr '\n' ' ')"
    echo "  logtail      ${tails:-none running}"
    echo "  stack.env    $STACK_ENV"
    return "$STATUS_DOWN"
}

case "$ACTION" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
minion) cmd_minion ;;
*) usage ;;
esac
