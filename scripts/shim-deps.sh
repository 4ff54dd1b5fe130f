#!/usr/bin/env bash
# Installs what the containerd shim (crates/containerd-shim-wasp) needs to
# build and to be tested end to end, from Debian's packages: protoc (the
# shim's ttrpc code generation), libseccomp (the container sandbox's seccomp
# filters) and containerd (with ctr and runc, for the end-to-end test).
# Idempotent and quiet: when everything is there it only checks and returns.
set -euo pipefail

want=(protobuf-compiler libseccomp-dev containerd)
missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "shim-deps: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing or stale on a fresh machine: refresh once
# if the first attempt cannot find a package.
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -qq >/dev/null
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
