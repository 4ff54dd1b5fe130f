#!/usr/bin/env bash
# Builds and tests the containerd shim (crates/containerd-shim-wasp, its own
# workspace, built into target/shim so the engine's build is untouched):
# formatting, one `cargo test` build for the unit tests, the end-to-end tests
# and the shim binary they register, then every test with a private
# containerd running the shim as runtime io.containerd.wasp.v1.
#
# The private containerd (Debian's package) has its own config, root, state
# and sockets under target/shim-e2e/, is started here in the background and
# stopped on exit. If this machine cannot run containers at all (no root, no
# namespaces, no cgroups, no overlayfs), the probe below says which call
# failed and the end-to-end tests are skipped with a loud message; the unit
# tests still run. WASP_SHIM_E2E=0 skips them on purpose; SHIM_TEST_ARGS adds
# arguments to the `cargo test` run (e.g. SHIM_TEST_ARGS="--test e2e sigterm").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/shim-deps.sh

export CARGO_TARGET_DIR="$root/target/shim"
manifest="$root/crates/containerd-shim-wasp/Cargo.toml"
cargo fmt --manifest-path "$manifest" -- --check
cargo test --manifest-path "$manifest" --no-run -q
shim_dir="$CARGO_TARGET_DIR/debug"
[ -x "$shim_dir/containerd-shim-wasp-v1" ] || { echo "shim-test: no shim binary in $shim_dir" >&2; exit 1; }

e2e="$root/target/shim-e2e"
mkdir -p "$e2e"
probe_log="$e2e/probe.log"

# What the container sandbox needs from the kernel, each tried for real.
probe() {
    : >"$probe_log"
    local t
    t=$(mktemp -d "$e2e/probe.XXXXXX")
    local ok=0
    try() {
        echo "\$ $*" >>"$probe_log"
        if ! "$@" >>"$probe_log" 2>&1; then
            echo "FAILED: $*" >>"$probe_log"
            ok=1
        fi
    }
    try test "$(id -u)" -eq 0
    try unshare --mount --pid --net --ipc --uts --fork true
    mkdir -p "$t/lower" "$t/upper" "$t/work" "$t/merged"
    try unshare --mount sh -c "mount -t overlay overlay -o lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work $t/merged && umount $t/merged"
    local cg=/sys/fs/cgroup
    [ -d /sys/fs/cgroup/pids ] && cg=/sys/fs/cgroup/pids
    try sh -c "mkdir $cg/wasp-shim-probe-$$ && rmdir $cg/wasp-shim-probe-$$"
    rm -rf "$t"
    if [ $ok -ne 0 ]; then
        {
            echo "--- /proc/self/status (capabilities, seccomp)"
            grep -E '^(Cap|Seccomp|NoNewPrivs)' /proc/self/status
            echo "--- cgroup mounts"
            grep cgroup /proc/self/mounts
            echo "--- /proc/filesystems (overlay)"
            grep overlay /proc/filesystems || echo "no overlay"
        } >>"$probe_log" 2>&1
    fi
    return $ok
}

containerd_pid=
sock="$e2e/containerd.sock"
# A Unix socket path has at most 107 bytes (and ".ttrpc" is appended).
if [ ${#sock} -gt 96 ]; then
    sock="$(mktemp -d /tmp/wasp-shim-e2e.XXXXXX)/containerd.sock"
fi
cleanup() {
    if [ -n "$containerd_pid" ]; then
        # Containers left by a failed test: force-delete their tasks, then
        # the containers (their shims exit), then stop containerd.
        local c=(ctr --address "$sock" -n wasp-e2e) id
        for id in $("${c[@]}" task ls -q 2>/dev/null); do
            "${c[@]}" task rm -f "$id" >/dev/null 2>&1 || true
        done
        for id in $("${c[@]}" container ls -q 2>/dev/null); do
            "${c[@]}" container rm "$id" >/dev/null 2>&1 || true
        done
        kill "$containerd_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$containerd_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$containerd_pid" 2>/dev/null || true
    fi
    # Shims of this private containerd still running (their command line
    # names its socket): end them by pid.
    local p
    for p in /proc/[0-9]*; do
        if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- " -address $sock "; then
            kill -9 "${p#/proc/}" 2>/dev/null || true
        fi
    done
    unmount_state
    # The shim's own per-namespace state (youki's container directories).
    rm -rf /run/containerd/wasp/wasp-e2e
}

# Container mounts left below the private state directory by a killed run.
unmount_state() {
    local m
    for m in $(grep -o " $e2e/state/[^ ]*" /proc/self/mounts 2>/dev/null | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}
trap cleanup EXIT

start_containerd() {
    unmount_state
    rm -rf "$e2e/state"
    mkdir -p "$e2e/root" "$e2e/state"
    cat >"$e2e/config.toml" <<EOF
version = 2
root = "$e2e/root"
state = "$e2e/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$sock"

[ttrpc]
  address = "$sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$e2e/opt"
EOF
    # The shim is found on containerd's PATH as containerd-shim-wasp-v1.
    PATH="$shim_dir:$PATH" containerd --config "$e2e/config.toml" --log-level info \
        >"$e2e/containerd.log" 2>&1 &
    containerd_pid=$!
    for _ in $(seq 150); do
        if ctr --address "$sock" version >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$containerd_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "shim-test: containerd did not start; its log:" >&2
    tail -n 30 "$e2e/containerd.log" >&2
    return 1
}

skip() {
    echo "" >&2
    echo "##########################################################################" >&2
    echo "shim-test: SKIPPING the containerd end-to-end tests: $1" >&2
    [ -s "$probe_log" ] && sed 's/^/shim-test:   /' "$probe_log" >&2
    echo "##########################################################################" >&2
    echo "" >&2
}

run_e2e=1
if [ "${WASP_SHIM_E2E:-1}" = 0 ]; then
    skip "WASP_SHIM_E2E=0"
    run_e2e=0
elif ! probe; then
    skip "this machine cannot run containers (see which call failed)"
    run_e2e=0
elif ! start_containerd; then
    skip "containerd cannot run here (log above)"
    run_e2e=0
fi

status=0
if [ $run_e2e = 1 ]; then
    # Images whose layer is the module itself (not a tar) need containerd
    # 1.6.25+, 1.7.7+ or 2.0+: older ones refuse to unpack them, and that
    # one test says it was skipped.
    server=$(ctr --address "$sock" version 2>/dev/null | sed -n '/^Server:/,$s/^ *Version: *v\{0,1\}//p')
    if ! printf '%s\n' "$server" | grep -Eq '^(1\.6\.(2[5-9]|[3-9][0-9])|1\.7\.([7-9]|[1-9][0-9])|1\.([89]|[1-9][0-9])\.|[2-9]\.)'; then
        echo "shim-test: NOTE: containerd $server cannot import images with wasm layers (needs 1.6.25+, 1.7.7+ or 2.0+): the wasm-layer test is skipped" >&2
    fi
    WASP_SHIM_E2E_ADDRESS="$sock" cargo test --manifest-path "$manifest" ${SHIM_TEST_ARGS:-} || status=$?
    if [ $status -ne 0 ]; then
        echo "shim-test: containerd's log (with the shim's) ends:" >&2
        tail -n 40 "$e2e/containerd.log" >&2
    fi
else
    cargo test --manifest-path "$manifest" ${SHIM_TEST_ARGS:-} || status=$?
fi
exit $status
