#!/usr/bin/env bash
# THE test command: installs what is missing, checks format and lints, builds
# the static logtail, brings up the real test stack (profile `test`), runs every
# cargo test against it (SLV_STACK_ENV), runs the browser tests, and always
# stops the stack again (trap), pass or fail.
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
cd "$REPO_ROOT"

CARGO_TEST_ARGS=()
if [[ "${1:-}" == "--" ]]; then
    shift
    CARGO_TEST_ARGS=("$@")
fi

STAGE_T0_ALL="$(now_ms)"
CARGO_TEST_LOG="$STACK_ROOT/cargo-test.log"
stop_stack() {
    local rc=$?
    "$REPO_ROOT/scripts/stack.sh" down --name test || rc=1
    local ms=$(($(now_ms) - STAGE_T0_ALL))
    say "test stage times: ${STAGE_TIMES[*]:-none}; total $((ms / 1000)) s; exit $rc"
    # One closing line over every cargo test binary (the last binary cargo
    # prints is the doc-tests, often 0 tests, which would hide the real count).
    if [[ -f "$CARGO_TEST_LOG" ]]; then
        awk '/^test result:/ { p += $4; f += $6 } END { printf "cargo: %d passed, %d failed\n", p, f }' "$CARGO_TEST_LOG"
    fi
    exit "$rc"
}

stage_begin "install prerequisites"
install_stack_prerequisites
# --- hook: browser-test prerequisites (frontend engineer) ---------------------
# Install Debian's chromium + chromium-driver and the Node deps of the browser
# tests here, e.g. `apt_ensure chromium=chromium chromium-driver=chromedriver`.
# -----------------------------------------------------------------------------
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
stage_begin "stack up (profile test)"
SLV_LOGVIEW_BIN="$REPO_ROOT/target/debug/logview" "$REPO_ROOT/scripts/stack.sh" up --name test
stage_end

export SLV_STACK_ENV="$STACK_ROOT/test/stack.env"
stage_begin "cargo test"
rm -f "$CARGO_TEST_LOG"
cargo test "${CARGO_TEST_ARGS[@]}" 2>&1 | tee "$CARGO_TEST_LOG"
stage_end

# --- hook: browser tests (frontend engineer) -----------------------------------
# Run the headless-Chromium tests against the test stack here (they read
# SLV_STACK_ENV for LOGVIEW_URL, API_TOKEN, OPS_USER/OPS_PASSWORD, LOG_DIR).
# -----------------------------------------------------------------------------
