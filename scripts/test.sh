#!/usr/bin/env bash
# THE test command: installs what is missing, checks format and lints, builds
# the static logtail, runs the example Django portal's own tests, brings up the
# real test stack (profile `test`, with the portal and 3 logview replicas
# behind nginx for the drills), runs every cargo test
# against it (SLV_STACK_ENV), runs the browser tests, then the Redis Cluster
# drill on a second stack (profile `cluster`, `--redis-cluster`), and always
# stops the stacks again (trap), pass or fail.
#
#   scripts/test.sh            everything
#   scripts/test.sh -- ARGS    extra arguments for `cargo test` (e.g. -- stack_deploy)
set -euo pipefail

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/install.sh
source "$REPO_ROOT/scripts/lib/install.sh"
# shellcheck source=scripts/lib/salt.sh
source "$REPO_ROOT/scripts/lib/salt.sh"
# shellcheck source=scripts/lib/portal.sh
source "$REPO_ROOT/scripts/lib/portal.sh"
cd "$REPO_ROOT"

CARGO_TEST_ARGS=()
if [[ "${1:-}" == "--" ]]; then
    shift
    CARGO_TEST_ARGS=("$@")
fi

STAGE_T0_ALL="$(now_ms)"
CARGO_TEST_LOG="$STACK_ROOT/cargo-test.log"
BROWSER_TEST_LOG="$STACK_ROOT/browser-test.log"
PORTAL_TEST_LOG="$STACK_ROOT/portal-test.log"
stop_stack() {
    local rc=$?
    "$REPO_ROOT/scripts/stack.sh" down --name test || rc=1
    if [[ -d "$STACK_ROOT/cluster" ]]; then
        "$REPO_ROOT/scripts/stack.sh" down --name cluster || rc=1
    fi
    local ms=$(($(now_ms) - STAGE_T0_ALL))
    say "test stage times: ${STAGE_TIMES[*]:-none}; total $((ms / 1000)) s; exit $rc"
    # One closing line over every cargo test binary (the last binary cargo
    # prints is the doc-tests, often 0 tests, which would hide the real count).
    local cp=0 cf=0 bp=0 bf=0 dp=0 df=0
    if [[ -f "$CARGO_TEST_LOG" ]]; then
        read -r cp cf < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' "$CARGO_TEST_LOG")
        say "cargo test: $cp passed, $cf failed"
    fi
    if [[ -f "$BROWSER_TEST_LOG" ]]; then
        read -r bp bf < <(awk '/^# pass / { p = $3 } /^# fail / { f = $3 } END { print p + 0, f + 0 }' "$BROWSER_TEST_LOG")
        say "browser tests (node --test, headless Chromium): $bp passed, $bf failed"
    fi
    if [[ -f "$PORTAL_TEST_LOG" ]]; then
        # Django's runner: "Ran N tests", then "OK" or "FAILED (failures=F, errors=E)".
        read -r dp df < <(awk '/^Ran [0-9]+ test/ { n = $2 }
            /^FAILED \(/ {
                if (match($0, /failures=[0-9]+/)) f += substr($0, RSTART + 9, RLENGTH - 9)
                if (match($0, /errors=[0-9]+/)) f += substr($0, RSTART + 7, RLENGTH - 7)
            }
            END { print n - f, f + 0 }' "$PORTAL_TEST_LOG")
        say "Django portal tests (manage.py test): $dp passed, $df failed"
    fi
    # The one closing line over every runner.
    echo "tests: $((cp + bp + dp)) passed, $((cf + bf + df)) failed"
    exit "$rc"
}

stage_begin "install prerequisites"
install_stack_prerequisites
install_portal_venv
# Chromium, chromium-driver and playwright-core are installed by
# scripts/browser-test.sh itself (so it also works on its own).
stage_end

stage_begin "cargo fmt --check"
cargo fmt --all -- --check
stage_end

stage_begin "salt/acl/master.d/logview-eauth.conf matches settings.toml"
if ! diff -u salt/acl/master.d/logview-eauth.conf <(print_production_acl) >&2; then
    die "salt/acl/master.d/logview-eauth.conf is stale: regenerate it with
    bash -c 'source scripts/lib/common.sh; source scripts/lib/salt.sh; print_production_acl' > salt/acl/master.d/logview-eauth.conf"
fi
stage_end

stage_begin "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
stage_end

stage_begin "build the static musl logtail and the test binaries"
cargo build --release --target x86_64-unknown-linux-musl --no-default-features --bin logtail
# Builds the debug logview too (the integration tests need it): the stack runs that one.
cargo test --no-run
stage_end

trap stop_stack EXIT
stage_begin "Django portal tests (examples/django_portal, against a stand-in logview)"
rm -f "$PORTAL_TEST_LOG"
(
    cd "$PORTAL_APP"
    # Throw-away values: these tests never reach a real logview.
    DJANGO_SECRET_KEY="portal-unit-tests" LOGVIEW_URL="http://127.0.0.1:9/" LOGVIEW_API_TOKEN="portal-unit-tests-token" \
        PORTAL_DB="$STACK_ROOT/portal-test.sqlite3" "$PORTAL_VENV/bin/python" manage.py test logs --noinput
) 2>&1 | tee "$PORTAL_TEST_LOG"
stage_end

stage_begin "stack up (profile test, with the Django portal and 3 logview replicas behind nginx)"
# --replicas 3: the drills (tests/it/drill_*.rs) kill a replica and restart
# nginx under viewers; three more debug logview processes cost seconds.
SLV_LOGVIEW_BIN="$REPO_ROOT/target/debug/logview" "$REPO_ROOT/scripts/stack.sh" up --name test --portal --replicas 3
stage_end

export SLV_STACK_ENV="$STACK_ROOT/test/stack.env"
stage_begin "cargo test"
rm -f "$CARGO_TEST_LOG"
cargo test "${CARGO_TEST_ARGS[@]}" 2>&1 | tee "$CARGO_TEST_LOG"
stage_end

stage_begin "browser tests (headless Chromium)"
rm -f "$BROWSER_TEST_LOG"
"$REPO_ROOT/scripts/browser-test.sh" 2>&1 | tee "$BROWSER_TEST_LOG"
stage_end

# The Redis Cluster drill needs the streams in a cluster: a second stack
# (profile `cluster`, its own ports) in cluster mode, after the first is down
# (the machine runs one stack at a time). Its results count with cargo test's.
if [[ ${#CARGO_TEST_ARGS[@]} -eq 0 ]]; then
    stage_begin "Redis Cluster drill (profile cluster: 3 masters + 3 replicas, a master killed mid-stream)"
    "$REPO_ROOT/scripts/stack.sh" down --name test
    SLV_LOGVIEW_BIN="$REPO_ROOT/target/debug/logview" "$REPO_ROOT/scripts/stack.sh" up --name cluster --redis-cluster
    SLV_STACK_ENV="$STACK_ROOT/cluster/stack.env" cargo test --test it drill_redis_failover -- --nocapture 2>&1 |
        tee -a "$CARGO_TEST_LOG"
    stage_end
fi
