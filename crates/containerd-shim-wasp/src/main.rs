//! The `containerd-shim-wasp-v1` binary: containerd runs it for containers
//! of the runtime `io.containerd.wasp.v1` (see the library's documentation).

use containerd_shim_wasm::shim::Cli;
use containerd_shim_wasp::WaspShim;

fn main() {
    WaspShim::run(None);
}
