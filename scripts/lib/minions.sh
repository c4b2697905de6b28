# shellcheck shell=bash
# The stack's fleet of minions: web-01 (configured in salt.sh, hosts the gate)
# plus web-02 and web-03, each a salt-minion process of its own (config dir,
# id, pki/cache/sock dirs, log file, pid file) under .stack/NAME/minions/ID.
#
# Every minion sees the SAME install paths as web-01 (MINION_ROOT, where the
# logtail state installs) and the SAME log dir path (LOG_DIR), like real hosts
# that all have /usr/local/bin/logtail and /var/log: web-02 and web-03 run in
# a private mount namespace (unshare -m) where MINION_ROOT and LOG_DIR are bind
# mounts of minions/ID/root and minions/ID/logs. So logview's one logtail_bin
# and the master's eauth ACL fit all three, and a tail of LOG_DIR/app.log on
# web-02 reads web-02's own file (minions/web-02/logs/app.log on this host).
# Sourced by stack.sh (needs common.sh, salt.sh and the profile variables).

# shellcheck disable=SC2034 # MINION_IDS is read by stack.sh
EXTRA_MINION_IDS=(web-02 web-03)
MINION_IDS=("$MINION_ID" "${EXTRA_MINION_IDS[@]}")

# The stack's named targets (the fleet view), NAME|TYPE|EXPR|DESCRIPTION:
# written into logview's overlay (stack_targets_toml) and saltgate's minion
# config (stack_targets_yaml), which must agree. Every minion has the grain
# role: web (print_minion_config).
STACK_TARGETS=(
    "web|glob|web-*|Every web server of the stack (glob web-*)"
    "pair|list|web-01,web-02|web-01 and web-02 (a list)"
    "webrole|grain|role:web|Minions with the grain role:web"
)

stack_targets_toml() {
    local t name type expr desc
    for t in "${STACK_TARGETS[@]}"; do
        IFS='|' read -r name type expr desc <<<"$t"
        printf '\n[targets.%s]\nexpr = %s\ntype = %s\ndescription = %s\n' \
            "$name" "$(toml_str "$expr")" "$(toml_str "$type")" "$(toml_str "$desc")"
    done
}

stack_targets_yaml() {
    local t name type expr desc
    echo "  targets:"
    for t in "${STACK_TARGETS[@]}"; do
        IFS='|' read -r name type expr desc <<<"$t"
        printf "    %s: {expr: '%s', type: %s, description: '%s'}\n" "$name" "$expr" "$type" "$desc"
    done
}

minion_dir() { echo "$PROFILE_DIR/minions/$1"; }

# Config dir (salt-minion -c) of minion ID: web-01 shares the master's.
minion_etc() {
    if [[ "$1" == "$MINION_ID" ]]; then echo "$SALT_ETC"; else echo "$(minion_dir "$1")/etc"; fi
}

# shellcheck disable=SC2153 # MINION_PID is set by salt_paths (salt.sh)
minion_pidfile() {
    if [[ "$1" == "$MINION_ID" ]]; then echo "$MINION_PID"; else echo "$(minion_dir "$1")/run/salt-minion.pid"; fi
}

minion_logfile() {
    if [[ "$1" == "$MINION_ID" ]]; then echo "$SALT_LOGS/minion.log"; else echo "$(minion_dir "$1")/run/log/minion.log"; fi
}

# Where minion ID's log dir is on this host (the minion itself sees it as LOG_DIR).
minion_log_dir() {
    if [[ "$1" == "$MINION_ID" ]]; then echo "$LOG_DIR"; else echo "$(minion_dir "$1")/logs"; fi
}

# is_minion_id ID: ID is one of the stack's minions.
is_minion_id() {
    local id
    for id in "${MINION_IDS[@]}"; do [[ "$id" == "$1" ]] && return 0; done
    return 1
}

# The config of an extra minion: web-01's, with its own id and dirs and
# without the saltgate part (the gate lives on web-01 only).
write_extra_minion_configs() {
    local id dir
    for id in "${EXTRA_MINION_IDS[@]}"; do
        dir="$(minion_dir "$id")"
        # The bind mounts need their mount points on this host too.
        mkdir -p "$dir/etc" "$dir/run/log" "$dir/root" "$dir/logs" "$MINION_ROOT" "$LOG_DIR"
        chmod 700 "$dir/etc" "$dir/run"
        print_minion_config "$id" "$dir/run" "$(minion_pidfile "$id")" "$(minion_logfile "$id")" >"$dir/etc/minion.tmp"
        mv "$dir/etc/minion.tmp" "$dir/etc/minion"
    done
}

# A demo app.log per minion whose first line names the minion.
seed_minion_logs() {
    local id log
    for id in "${MINION_IDS[@]}"; do
        log="$(minion_log_dir "$id")/app.log"
        mkdir -p "${log%/*}"
        [[ -s "$log" ]] || printf '%s demo: salt-logview stack %s is up, minion %s\n' "$(date -u +%FT%TZ)" "$PROFILE" "$id" >"$log"
    done
}

minion_running() { salt_daemon_running "$(minion_pidfile "$1")" "$(minion_etc "$1")"; }

# start_minion ID: starts salt-minion ID (daemonized) unless it runs; returns
# at once (the caller waits): 0 started, 1 already running, 2 failed to start.
# Extra minions get their mount namespace here.
start_minion() {
    local id="$1" etc log
    etc="$(minion_etc "$id")"
    log="$(minion_logfile "$id")"
    minion_running "$id" && return 1
    if [[ "$id" == "$MINION_ID" ]]; then
        "$VENV/bin/salt-minion" -c "$etc" -d >>"${log%.log}.out" 2>&1 || return 2
        return 0
    fi
    local dir
    dir="$(minion_dir "$id")"
    # Arguments, not a script built from them: sh runs a fixed text with $1..$6.
    # shellcheck disable=SC2016 # expanded by that sh, not here
    unshare --mount --propagation private -- /bin/sh -c \
        'mount --bind "$1" "$2" && mount --bind "$3" "$4" && exec "$5" -c "$6" -d' \
        sh "$dir/root" "$MINION_ROOT" "$dir/logs" "$LOG_DIR" "$VENV/bin/salt-minion" "$etc" \
        >>"${log%.log}.out" 2>&1 || return 2
}

# start_minions: every minion not running yet, in parallel (each -d imports
# Salt for ~1.5 s before it forks). Prints the ids it started.
start_minions() {
    local id started=() pids=() i
    for id in "${MINION_IDS[@]}"; do
        minion_running "$id" && continue
        started+=("$id")
        start_minion "$id" &
        pids+=("$!")
    done
    for i in "${!pids[@]}"; do
        # e.g. no CAP_SYS_ADMIN for unshare/mount: say so now, not after a 180 s wait.
        wait "${pids[$i]}" || die "starting salt-minion ${started[$i]} failed. Read $(minion_logfile "${started[$i]}" | sed 's/\.log$/.out/')"
    done
    ((${#started[@]} == 0)) || echo "salt-minion ${started[*]}"
}

# Pid-file entries (FILE|NAME) of every minion, for stop_pidfiles.
minion_pidfile_entries() {
    local id
    for id in "${MINION_IDS[@]}"; do echo "$(minion_pidfile "$id")|salt-minion $id"; done
}

# The status lines of the minions.
show_minions() {
    local id
    for id in "${MINION_IDS[@]}"; do
        show "$(minion_pidfile "$id")" "minion $id" "salt-minion, log dir $(minion_log_dir "$id")"
    done
}

# minion_log_says_ready LOG OFFSET: the minion logged its ready line after OFFSET.
minion_log_says_ready() {
    tail -c "+$(($2 + 1))" "$1" 2>/dev/null | grep -qF "Minion is ready to receive requests"
}

# note_minion_log_offsets: for each minion about to be started, where its log
# ends now (wait_minions_say_ready looks for its ready line after that).
declare -A MINION_LOG_OFFSET=()
note_minion_log_offsets() {
    local id log
    for id in "${MINION_IDS[@]}"; do
        minion_running "$id" && continue
        log="$(minion_logfile "$id")"
        MINION_LOG_OFFSET[$id]="$(stat -c %s "$log" 2>/dev/null || echo 0)"
    done
}

# A test.ping published before a minion is connected waits out its whole
# timeout (~20 s): first wait for the minions just started to say they are ready.
wait_minions_say_ready() {
    local id log
    for id in "${!MINION_LOG_OFFSET[@]}"; do
        log="$(minion_logfile "$id")"
        wait_until 120 "minion $id ready to receive requests" "$log" minion_log_says_ready "$log" "${MINION_LOG_OFFSET[$id]}"
    done
}

# scripts/stack.sh minion stop|start ID: makes one minion unreachable (its
# salt-minion process stops: Salt then gets no return from it) and back.
cmd_minion() {
    local verb="${MINION_ARGS[0]:-}" id="${MINION_ARGS[1]:-}"
    [[ "$verb" == "stop" || "$verb" == "start" ]] || die "minion: expected 'minion stop ID' or 'minion start ID', got '${MINION_ARGS[*]}'"
    [[ -n "$id" ]] || die "minion $verb: which minion? one of: ${MINION_IDS[*]}"
    ((${#MINION_ARGS[@]} == 2)) || die "minion $verb $id: unexpected extra arguments '${MINION_ARGS[*]:2}'"
    is_minion_id "$id" || die "minion $verb: '$id' is not a minion of this stack; one of: ${MINION_IDS[*]}"
    [[ -f "$PROFILE_DIR/ports.env" ]] || die "stack '$PROFILE' was never started: scripts/stack.sh up --name $PROFILE"
    load_profile
    if [[ "$verb" == "stop" ]]; then
        if ! minion_running "$id"; then
            say "salt-minion $id is not running (no live pid in $(minion_pidfile "$id"))"
            return 0
        fi
        stop_pidfiles 30 "$(minion_pidfile "$id")|salt-minion $id"
        say "minion $id stopped: Salt gets no return from it until scripts/stack.sh minion start $id --name $PROFILE"
        return 0
    fi
    salt_daemon_running "$MASTER_PID" || die "salt-master of stack '$PROFILE' is not running: scripts/stack.sh up --name $PROFILE"
    local log size
    log="$(minion_logfile "$id")"
    size="$(stat -c %s "$log" 2>/dev/null || echo 0)"
    local rc=0
    start_minion "$id" || rc=$?
    ((rc != 2)) || die "starting salt-minion $id failed. Read ${log%.log}.out"
    if ((rc == 0)); then
        say "started salt-minion $id"
        # A test.ping published before the minion is connected waits out its
        # whole timeout (~20 s): first wait for the minion to say it is ready.
        wait_until 120 "minion $id ready to receive requests" "$log" minion_log_says_ready "$log" "$size"
    else
        say "salt-minion $id already running"
    fi
    wait_until 180 "minion $id answering test.ping through salt-api" "$(minion_logfile "$id")" minion_answers "$id"
}
