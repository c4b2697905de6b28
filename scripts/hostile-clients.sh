#!/usr/bin/env bash
# Reruns the hostile-client attacks of the security review against a running
# logview and prints what each cost it (CPU seconds, RSS, open descriptors) and
# what the attacker got. Numbers, not assertions: the pass/fail versions are
# the tests in src/http/hostile_tests.rs, src/http/login.rs and tests/it/.
#
#   scripts/hostile-clients.sh [--name NAME] [--url URL --pid PID] [ATTACK...]
#
# ATTACK: passwords (200 wrong HTTP Basic passwords, 32 at a time), bodies
# (an anonymous 1.9 MB form post), slowloris (2,000 sockets dripping header
# lines for 20 s while a real client polls /healthz). Default: all three.
# --name picks the stack profile (default dev: URL, ops user and logview's pid
# from .stack/NAME); --url/--pid aim at any other logview (e.g. an old build).
# Limits and what a client gets: docs/hardening-logview.md.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROFILE="dev"
URL=""
PID=""
ATTACKS=()
while (($#)); do
    case "$1" in
    --name) PROFILE="$2"; shift 2 ;;
    --url) URL="$2"; shift 2 ;;
    --pid) PID="$2"; shift 2 ;;
    passwords | bodies | slowloris) ATTACKS+=("$1"); shift ;;
    *) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
((${#ATTACKS[@]})) || ATTACKS=(passwords bodies slowloris)
STACK_DIR="$REPO_ROOT/.stack/$PROFILE"
if [[ -z "$URL" ]]; then
    URL="$(sed -n 's/^LOGVIEW_URL=//p' "$STACK_DIR/stack.env")"
fi
if [[ -z "$PID" ]]; then
    PID="$(cat "$STACK_DIR/run/logview.pid")"
fi
OPS_USER="$(sed -n 's/^OPS_USER=//p' "$STACK_DIR/stack.env" 2>/dev/null || true)"
OPS_USER="${OPS_USER:-ops}"
URL="${URL%/}"
[[ -d "/proc/$PID" ]] || { echo "logview pid $PID is not running" >&2; exit 1; }

cpu_secs() { # utime + stime of $PID, in seconds
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$PID/stat"
}
# RSS, and its anonymous part (heap, stacks): the rest is the binary's pages.
rss_mib() {
    awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } END { printf "%.1f (heap and stacks %.1f)", r / 1024, a / 1024 }' \
        "/proc/$PID/status"
}
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$PID/status"; }
fds() { find "/proc/$PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
report() { # label cpu_before
    printf '  logview: CPU +%.2f s, RSS %s MiB (peak so far %s MiB), %s open fds\n' \
        "$(awk -v a="$(cpu_secs)" -v b="$2" 'BEGIN { print a - b }')" "$(rss_mib)" "$(hwm_mib)" "$(fds)"
}

echo "logview $URL (pid $PID): RSS $(rss_mib) MiB, $(fds) open fds"

attack_passwords() {
    echo "== passwords: 200 wrong HTTP Basic passwords for $OPS_USER, 32 in parallel"
    local before
    before="$(cpu_secs)"
    local start=$SECONDS
    seq 200 | xargs -P 32 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
        -u "$OPS_USER:wrong-password-{}" "$URL/minions/web-01" | sort | uniq -c |
        sed 's/^/  answers: /'
    echo "  took $((SECONDS - start)) s"
    report passwords "$before"
    echo "  then 50 attempts as unknown users from the same address:"
    before="$(cpu_secs)"
    seq 50 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
        -u "nobody-{}:x" "$URL/minions/web-01" | sort | uniq -c | sed 's/^/  answers: /'
    report unknown "$before"
    sleep 5
    echo "  5 s later: RSS $(rss_mib) MiB"
}

attack_bodies() {
    echo "== bodies: anonymous 1.9 MB form post to /minions/web-01/tail"
    local before
    before="$(cpu_secs)"
    head -c 1900000 /dev/zero | tr '\0' 'a' | sed 's/^/log_path=/' >"${TMPDIR:-/tmp}/slv-body.$$"
    curl -s -o /dev/null -w '  answer %{http_code} after uploading %{size_upload} bytes\n' \
        -H 'Content-Type: application/x-www-form-urlencoded' \
        --data-binary "@${TMPDIR:-/tmp}/slv-body.$$" "$URL/minions/web-01/tail" || true
    rm -f "${TMPDIR:-/tmp}/slv-body.$$"
    report bodies "$before"
}

attack_slowloris() {
    echo "== slowloris: 2000 sockets, one header line every 2 s for 20 s; a real client polls /healthz"
    local before
    before="$(cpu_secs)"
    python3 - "$URL" "$PID" <<'PY'
import os, socket, sys, time, urllib.request
url, pid = sys.argv[1], sys.argv[2]
host, port = url.split("//", 1)[1].split("/")[0].rsplit(":", 1)
socks, refused = [], 0
for _ in range(2000):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.connect((host, int(port)))
        s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        s.setblocking(False)
        socks.append(s)
    except OSError:
        refused += 1
        s.close()
print(f"  {len(socks)} slow sockets connected ({refused} could not connect)")
worst, served, failed, peak_fds = 0.0, 0, 0, 0
end = time.time() + 20
while time.time() < end:
    for s in socks:
        try:
            s.send(b"X-a: b\r\n")
        except OSError:
            pass
    t = time.time()
    try:
        urllib.request.urlopen(url + "/healthz", timeout=10).read()
        served += 1
        worst = max(worst, time.time() - t)
    except Exception:
        failed += 1
    peak_fds = max(peak_fds, len(os.listdir(f"/proc/{pid}/fd")))
    time.sleep(2)
closed = 0
for s in socks:
    try:
        s.setblocking(True)
        s.settimeout(0.05)
        s.recv(1)  # EOF, or a 408 answer before the close
        closed += 1
    except TimeoutError:
        pass  # still held open
    except ConnectionError:
        closed += 1  # reset by logview
    s.close()
print(f"  /healthz: {served} served (slowest {worst:.2f} s), {failed} failed")
print(f"  slow sockets closed by logview after 20 s: {closed} of {len(socks)}")
print(f"  logview open fds at most {peak_fds}")
PY
    report slowloris "$before"
}

for a in "${ATTACKS[@]}"; do
    "attack_$a"
done
