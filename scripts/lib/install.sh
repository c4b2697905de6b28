# shellcheck shell=bash
# Installs what the stack and the tests need on a fresh Debian machine of the
# project's kind, and nothing that is already there. Sourced by stack.sh and
# test.sh (needs common.sh).

# apt_install PACKAGE...: `apt-get update` then install (only called when
# something is missing).
apt_install() {
    say "installing Debian packages: $*"
    local log="$STACK_ROOT/apt.log"
    mkdir -p "$STACK_ROOT"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"; } >>"$log" 2>&1; then
        die "installing $* failed. Read $log"
    fi
}

# apt_ensure PACKAGE=COMMAND...: installs the packages whose command is missing.
apt_ensure() {
    local missing=() pair
    for pair in "$@"; do
        command -v "${pair#*=}" >/dev/null 2>&1 || missing+=("${pair%%=*}")
    done
    ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

# The Debian packages the stack runs on.
install_stack_packages() {
    apt_ensure redis-server=redis-server redis-tools=redis-cli file=file curl=curl
}

# nginx (the load balancer of `stack.sh up --replicas N`), only when missing.
# The stack runs it as the user with its own config; the package's own
# service must not start: where no policy-rc.d forbids starting services
# (a container image usually has one), one is put in place for the install.
install_nginx() {
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] && return 0
    local policy=/usr/sbin/policy-rc.d placed=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\n# placed by salt-logview scripts/lib/install.sh during apt-get install nginx\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        placed=1
    fi
    local rc=0
    (apt_install nginx) || rc=$?
    ((placed == 0)) || rm -f "$policy"
    ((rc == 0)) || die "installing nginx failed. Read $STACK_ROOT/apt.log"
}

# Salt from PyPI into $VENV (route A of docs/salt-gotchas.md): salt 3008.5 pins
# certifi>=2026.10.23, newer than any certifi the registry has, so uv installs
# it with an override `certifi>=2026.1.4` (certifi only carries CA roots; the
# stack talks to salt-api over plain HTTP on 127.0.0.1). Reused when present.
install_salt_venv() {
    local marker="$VENV/.salt-$SALT_VERSION-installed"
    if [[ -f "$marker" && -x "$VENV/bin/salt-master" && -x "$VENV/bin/salt-api" ]]; then
        return 0
    fi
    local log="$STACK_ROOT/venv-install.log"
    mkdir -p "$STACK_ROOT"
    say "installing salt $SALT_VERSION into $VENV (about 30-60 s; log: $log)"
    command -v python3 >/dev/null || apt_install python3 python3-venv
    python3 -c 'import venv, ensurepip' 2>/dev/null || apt_install python3-venv
    {
        rm -rf "$VENV"
        python3 -m venv "$VENV" &&
            "$VENV/bin/pip" install --disable-pip-version-check --quiet uv &&
            printf 'certifi>=2026.1.4\n' >"$VENV/overrides.txt" &&
            "$VENV/bin/uv" pip install --compile-bytecode --python "$VENV/bin/python" --override "$VENV/overrides.txt" \
                "salt==$SALT_VERSION" cherrypy
    } >"$log" 2>&1 || die "installing salt into $VENV failed. Read $log"
    "$VENV/bin/salt-master" --version >>"$log" 2>&1 || die "salt-master does not run after install. Read $log"
    touch "$marker"
}

# The static build target of logtail.
install_musl_target() {
    if ! rustup target list --installed 2>/dev/null | grep -qx 'x86_64-unknown-linux-musl'; then
        say "adding the Rust target x86_64-unknown-linux-musl"
        rustup target add x86_64-unknown-linux-musl >&2 || die "rustup target add x86_64-unknown-linux-musl failed"
    fi
}

# Everything `scripts/stack.sh up` needs.
install_stack_prerequisites() {
    install_stack_packages
    install_salt_venv
    install_musl_target
}
