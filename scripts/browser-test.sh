#!/usr/bin/env bash
# Runs the browser tests (tests/browser/*.test.js) in Debian's headless
# Chromium against a running test stack: installs what is missing first
# (apt: chromium, chromium-driver; npm: playwright-core from package-lock.json),
# then `node --test`. scripts/test.sh calls it with SLV_STACK_ENV set and the
# test stack up; by hand:
#
#   scripts/stack.sh up --name test --portal     (--portal: for django_portal.test.js)
#   SLV_STACK_ENV=.stack/test/stack.env scripts/browser-test.sh
#
# Screenshots land in target/screenshots/.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

say() { printf '[browser-test] %s\n' "$*" >&2; }
die() {
    printf '[browser-test] ERROR: %s\n' "$*" >&2
    exit 1
}

[[ -n "${SLV_STACK_ENV:-}" ]] || die "SLV_STACK_ENV is not set: run scripts/test.sh, or bring up a stack and pass its stack.env (see the top of this script)"
[[ -r "$SLV_STACK_ENV" ]] || die "SLV_STACK_ENV=$SLV_STACK_ENV is not a readable file"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null ||
        die "apt-get install chromium chromium-driver failed"
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "installing Debian's nodejs and npm"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null || die "apt-get install nodejs npm failed"
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "node $(node --version) is too old: the browser tests need node >= 20"

if [[ ! -d node_modules/playwright-core ]]; then
    say "installing playwright-core (npm ci, from package-lock.json; no browser download)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2 ||
        die "npm ci failed"
fi

say "chromium: $(chromium --version 2>/dev/null || echo unknown); node $(node --version)"
# One test file at a time (--test-concurrency=1): viewer_restart.test.js stops
# the stack's logview for a while, which a file running beside it would see.
# The order does not matter: each file launches its own browser and starts its
# own tails, and viewer_restart.test.js starts logview again in a `finally`.
exec node --test --test-concurrency=1 tests/browser/
