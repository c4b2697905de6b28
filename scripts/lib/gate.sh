# shellcheck shell=bash
# The saltgate part of the stack: deployed by the saltgate Salt state (salt/)
# through salt-api as `deploy` onto this host (the master's own minion), with
# locations from the minion config and secrets (salt-api password, logview's
# client token, the audit Redis URL) from pillar; then started from where the
# state installed it, and waited for on /readyz. saltgate is the only client
# of salt-api; logview's overlay holds no Salt password. Sourced by stack.sh
# (needs common.sh, the profile variables, LOGVIEW_BIN: saltgate is built beside it).

gate_paths() {
    # Where the saltgate state installs it on this host (set in the minion
    # config, as on a real master's own minion).
    SALTGATE_BIN="$MINION_ROOT/usr/local/bin/saltgate"
    SALTGATE_BASE_SETTINGS="$MINION_ROOT/etc/saltgate/settings.toml"
    SALTGATE_SETTINGS="$MINION_ROOT/etc/saltgate/saltgate.toml"
    SALTGATE_AUDIT="$MINION_ROOT/var/log/saltgate/audit.jsonl"
    SALTGATE_PID="$PROFILE_DIR/run/saltgate.pid"
    SALTGATE_LOG="$PROFILE_DIR/run/log/saltgate.log"
    SALTGATE_URL="http://127.0.0.1:$SALTGATE_PORT/"
}

# The `saltgate:` dict of the minion config: install locations and non-secret
# settings for the saltgate state (never from pillar). Printed into the
# minion config by write_salt_configs.
gate_minion_config() {
    cat <<CONF
saltgate:
  bin: $SALTGATE_BIN
  settings: $SALTGATE_BASE_SETTINGS
  config: $SALTGATE_SETTINGS
  audit_file: $SALTGATE_AUDIT
  user: root
  group: root
  manage_user: False
  manage_service: False
  unit: $MINION_ROOT/etc/systemd/system/saltgate.service
  bind: 127.0.0.1:$SALTGATE_PORT
  salt_api_url: $SALT_API_URL
  master_config_dir: $MINION_ROOT/etc/salt/master.d
  salt_api_port: $SALT_API_PORT
  salt_username: logview
  salt_eauth: $SALT_EAUTH
  minion_timeout_secs: 3
  gather_job_timeout_secs: 3
  request_timeout_secs: 15
  logtail_bin: $LOGTAIL_BIN
  logtail_config: $LOGTAIL_CONFIG
  allowed_paths:
    - /var/log/**
    - $LOG_DIR/**
$(stack_targets_yaml)
CONF
}

# The saltgate pillar: secrets only (salt-api password, client token, the
# Redis URL of the `saltgate` user that appends to the audit stream).
write_gate_pillar() {
    write_private "$PILLAR_ROOT/saltgate.sls" <<PILLAR
saltgate:
  salt_password: $(toml_str "$SALT_LOGVIEW_PASSWORD")
  clients:
    - name: logview
      token: $(toml_str "$GATE_TOKEN")
  audit_redis_url: $(toml_str "$REDIS_URL_SALTGATE")
PILLAR
}

# Puts a stripped copy of the saltgate binary built beside logview, its pinned
# sha256, and settings.toml into this profile's file_roots.
stage_saltgate_binary() {
    local built dist="$FILE_ROOT/saltgate/dist"
    built="$(dirname "$LOGVIEW_BIN")/saltgate"
    [[ -x "$built" ]] || die "$built is missing; build it: cargo build --bin saltgate"
    mkdir -p "$dist"
    strip -o "$dist/saltgate.tmp" "$built" || die "strip $built failed"
    if cmp -s "$dist/saltgate.tmp" "$dist/saltgate"; then rm -f "$dist/saltgate.tmp"; else mv "$dist/saltgate.tmp" "$dist/saltgate"; fi
    cp "$REPO_ROOT/settings.toml" "$dist/settings.toml"
    (cd "$dist" && sha256sum saltgate >saltgate.sha256.tmp && mv saltgate.sha256.tmp saltgate.sha256)
}

# Applies the saltgate state through salt-api as `deploy`, as an operator
# would on the master's own minion.
deploy_saltgate() { apply_state saltgate 60; }

saltgate_bin() { printf '%s' "$SALTGATE_BIN"; }

gate_fingerprint() {
    cat "$(saltgate_bin)" "$SALTGATE_BASE_SETTINGS" "$SALTGATE_SETTINGS" | sha256sum | cut -d' ' -f1
}

gate_running() {
    pid_alive "$SALTGATE_PID" && grep -qF "$SALTGATE_SETTINGS" "/proc/$(pid_of "$SALTGATE_PID")/cmdline" 2>/dev/null
}

start_gate() {
    local bin
    bin="$(saltgate_bin)"
    [[ -x "$bin" ]] || die "$bin is missing: the saltgate state did not install it"
    start_managed saltgate gate_running "$(gate_fingerprint)" \
        "$SALTGATE_PORT" "saltgate (setting gate.bind)" SLV_SALTGATE_PORT "$SALTGATE_PID" "$SALTGATE_LOG" -- \
        "$bin" --config "$SALTGATE_BASE_SETTINGS" --config "$SALTGATE_SETTINGS"
}

gate_ready() {
    gate_running || die "saltgate exited. Read $SALTGATE_LOG"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${SALTGATE_URL}readyz" 2>/dev/null)" == "200" ]]
}

wait_gate_ready() {
    wait_until 30 "saltgate answering GET ${SALTGATE_URL}readyz (salt-api reachable)" "$SALTGATE_LOG" gate_ready
}
