# shellcheck shell=bash
# shellcheck disable=SC2034 # the paths below are used by the scripts that source this file
# The stack's Django portal (examples/django_portal), started by
# `scripts/stack.sh up --portal`: its venv, database, user and runserver on
# SLV_PORTAL_PORT, pointed at this stack's logview with its API token.
# Sourced by stack.sh and test.sh (needs common.sh and the profile variables).

PORTAL_APP="$REPO_ROOT/examples/django_portal"
# One venv with Django, shared by every profile (like the Salt venv).
PORTAL_VENV="$STACK_ROOT/django-venv"

portal_paths() {
    PORTAL_PID="$PROFILE_DIR/run/portal.pid"
    PORTAL_LOG="$PROFILE_DIR/run/log/portal.log"
    PORTAL_DB="$PROFILE_DIR/portal.sqlite3"
    PORTAL_URL="http://127.0.0.1:$PORTAL_PORT/"
    # What logview's server.frame_ancestors must name for the portal to frame the viewer.
    PORTAL_ORIGIN="http://127.0.0.1:$PORTAL_PORT"
    PORTAL_USER="alice"
}

# Django from examples/django_portal/requirements.txt into $PORTAL_VENV, with
# the uv of the Salt venv; reinstalled only when requirements.txt changed.
install_portal_venv() {
    local marker="$PORTAL_VENV/.requirements.sha256" want log="$STACK_ROOT/django-venv-install.log"
    want="$(sha256sum <"$PORTAL_APP/requirements.txt" | cut -d' ' -f1)"
    if [[ -x "$PORTAL_VENV/bin/python" && "$(cat "$marker" 2>/dev/null)" == "$want" ]]; then
        return 0
    fi
    [[ -x "$VENV/bin/uv" ]] || install_salt_venv
    say "installing Django (examples/django_portal/requirements.txt) into $PORTAL_VENV (log: $log)"
    {
        rm -rf "$PORTAL_VENV"
        "$VENV/bin/uv" venv --no-python-downloads --python "$(command -v python3)" "$PORTAL_VENV" &&
            "$VENV/bin/uv" pip install --compile-bytecode --python "$PORTAL_VENV/bin/python" \
                -r "$PORTAL_APP/requirements.txt"
    } >"$log" 2>&1 || die "installing Django into $PORTAL_VENV failed. Read $log"
    echo "$want" >"$marker"
}

# portal_env CMD...: runs CMD in a subshell with the portal's environment. The
# secrets travel in the environment, never in argv.
portal_env() {
    (
        export DJANGO_SETTINGS_MODULE=portal.settings PYTHONUNBUFFERED=1 PORTAL_DB
        export DJANGO_SECRET_KEY="$PORTAL_SECRET_KEY" LOGVIEW_URL LOGVIEW_API_TOKEN="$API_TOKEN"
        "$@"
    )
}

portal_manage() {
    portal_env "$PORTAL_VENV/bin/python" "$PORTAL_APP/manage.py" "$@" >>"$PORTAL_LOG" 2>&1 ||
        die "the portal's manage.py $1 failed. Read $PORTAL_LOG"
}

portal_running() {
    pid_alive "$PORTAL_PID" && grep -qF "127.0.0.1:$PORTAL_PORT" "/proc/$(pid_of "$PORTAL_PID")/cmdline" 2>/dev/null
}

# What the portal runs with: its code, requirements and environment.
portal_fingerprint() {
    {
        find "$PORTAL_APP" -type f \( -name '*.py' -o -name '*.html' -o -name '*.txt' \) |
            LC_ALL=C sort | xargs cat
        printf '%s\n' "$LOGVIEW_URL" "$API_TOKEN" "$PORTAL_SECRET_KEY" "$PORTAL_DB"
    } | sha256sum | cut -d' ' -f1
}

# Database tables, the user PORTAL_USER (password from the environment), then
# runserver (left running when nothing changed).
start_portal() {
    portal_manage migrate --noinput
    (
        export PORTAL_USER_PASSWORD="$PORTAL_PASSWORD"
        portal_manage ensure_portal_user "$PORTAL_USER"
    )
    portal_env start_managed portal portal_running "$(portal_fingerprint)" \
        "$PORTAL_PORT" "the Django portal" SLV_PORTAL_PORT "$PORTAL_PID" "$PORTAL_LOG" -- \
        "$PORTAL_VENV/bin/python" "$PORTAL_APP/manage.py" runserver "127.0.0.1:$PORTAL_PORT" --noreload
}

portal_healthy() {
    portal_running || die "the portal exited. Read $PORTAL_LOG"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${PORTAL_URL}accounts/login/" 2>/dev/null)" == "200" ]]
}

wait_portal_ready() {
    wait_until 60 "the portal answering GET ${PORTAL_URL}accounts/login/" "$PORTAL_LOG" portal_healthy
}
