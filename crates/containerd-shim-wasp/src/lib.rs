//! `containerd-shim-wasp-v1`: a containerd shim that runs WASI preview 1
//! containers (Go `GOOS=wasip1` programs and others) on wasp.
//!
//! Built on runwasi's `containerd-shim-wasm` crate: containerd starts the
//! shim, which creates the container with youki's libcontainer (namespaces,
//! cgroups, the image's root filesystem as `/`, stdio from containerd) and
//! then, inside it, calls [`WaspSandbox`]'s `run_wasi` instead of executing a
//! Linux binary. That turns the OCI process spec into a [`run::Launch`]
//! ([`launch_from_context`]) and runs it with wasp ([`run::run`]):
//!
//! - the module: the image's wasm layer (an OCI artifact whose layer has one
//!   of [`LAYER_TYPES`]), else the file the entrypoint (`args[0]`) names in
//!   the root filesystem (`path#func` calls `func` instead of `_start`);
//! - arguments and environment from the spec, the entrypoint's path as
//!   `argv[0]`; `PWD` set to the container's working directory when the
//!   image does not set it (Go's wasip1 port resolves relative paths with it);
//! - the root filesystem preopened as `/` (fd 3), read-write (a read-only
//!   rootfs is enforced by its mount);
//! - `WASP_LISTEN=ADDR[,ADDR...]` in the environment: wasp listens on each
//!   TCP address (in the container's network namespace) and preopens the
//!   listeners as fd 4, 5, ... (WASI preview 1 has no `bind`);
//!   `WASP_TRACE_WASI=1` prints every WASI call to the container's stderr;
//! - stdio inherited (containerd's FIFOs), the exit status passed back, and
//!   SIGTERM/SIGINT/SIGQUIT from containerd stopping the guest ([`stop`]).
//!
//! docs/kubernetes.md shows the containerd configuration, a RuntimeClass, a
//! Pod and how to build an image.

#![warn(missing_docs)]

use anyhow::Context as _;
use containerd_shim_wasm::sandbox::context::{Entrypoint, RuntimeContext, Source};
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::shim::{version, Shim, Version};
use std::path::{Path, PathBuf};

pub mod run;
pub mod stop;

/// The OCI layer media types whose content the shim runs as the module:
/// runwasi's two defaults and the CNCF wasm artifact type.
pub const LAYER_TYPES: &[&str] = &[
    "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
    "application/wasm",
    "application/vnd.wasm.content.layer.v1+wasm",
];

/// The environment variable that asks for TCP listeners (comma-separated).
pub const LISTEN_ENV: &str = "WASP_LISTEN";

/// The environment variable that turns on the WASI call trace.
pub const TRACE_ENV: &str = "WASP_TRACE_WASI";

/// The shim: its name (`wasp`, so the runtime is `io.containerd.wasp.v1`
/// and the binary `containerd-shim-wasp-v1`), version and layer types.
pub struct WaspShim;

impl Shim for WaspShim {
    fn name() -> &'static str {
        "wasp"
    }

    fn version() -> Version {
        version!()
    }

    type Sandbox = WaspSandbox;

    fn supported_layers_types() -> &'static [&'static str] {
        LAYER_TYPES
    }
}

/// Runs a container's module with wasp (see the crate documentation).
#[derive(Default)]
pub struct WaspSandbox;

impl Sandbox for WaspSandbox {
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> anyhow::Result<i32> {
        // Catch stop signals first: until a handler is installed, the
        // container's init process ignores SIGTERM.
        let stop = stop::Stop::new();
        let _signals = match stop::SignalWatch::start(&stop) {
            Ok(w) => Some(w),
            Err(e) => {
                log::warn!("cannot catch stop signals: {e}");
                None
            }
        };
        let cwd = std::env::current_dir().ok();
        let launch = match launch_from_context(ctx, Path::new("/"), cwd.as_deref()) {
            Ok(l) => l,
            Err(e) => {
                // As for every set-up failure: the reason on the container's
                // stderr, status 1 (runwasi would report 137 and log it only
                // in the shim's log).
                eprintln!("wasp: {e:#}");
                return Ok(run::SETUP_EXIT);
            }
        };
        let outcome = run::run(&launch, &stop);
        if let Some(msg) = &outcome.message {
            // The container's stderr: `ctr run` and `kubectl logs` show it.
            eprintln!("{msg}");
        }
        Ok(outcome.status)
    }
}

/// Splits `NAME=VALUE` environment entries; entries without `=` (which the
/// OCI spec does not allow) are left out.
fn split_envs(envs: &[String]) -> Vec<(String, String)> {
    envs.iter()
        .filter_map(|e| match e.split_once('=') {
            Some((k, v)) if !k.is_empty() => Some((k.to_string(), v.to_string())),
            _ => {
                log::warn!("ignoring environment entry {e:?}: not NAME=VALUE");
                None
            }
        })
        .collect()
}

/// The addresses of `WASP_LISTEN` (the last setting wins, as for a shell).
fn listen_addrs(envs: &[(String, String)]) -> Vec<String> {
    envs.iter()
        .rev()
        .find(|(k, _)| k == LISTEN_ENV)
        .map(|(_, v)| {
            v.split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Turns the container's runtime context into a [`run::Launch`], with `root`
/// preopened as `/` and `cwd` (the container's working directory) as `PWD`
/// unless the environment sets one.
pub fn launch_from_context(
    ctx: &impl RuntimeContext,
    root: &Path,
    cwd: Option<&Path>,
) -> anyhow::Result<run::Launch> {
    let Entrypoint {
        func, name, source, ..
    } = ctx.entrypoint();
    let args = ctx.args();
    let arg0 = args
        .first()
        .context("the container has no entrypoint (process.args is empty)")?;
    let path = arg0.split_once('#').map_or(arg0.as_str(), |(p, _)| p);
    let module = match &source {
        Source::File(p) if p.as_os_str().is_empty() => {
            anyhow::bail!("the entrypoint {arg0:?} names no module")
        }
        Source::File(p) => source
            .as_bytes()
            .with_context(|| format!("cannot read the module {}", p.display()))?
            .into_owned(),
        Source::Oci(_) => source
            .as_bytes()
            .context("cannot use the image's wasm layers")?
            .into_owned(),
    };
    let mut guest_args = vec![path.to_string()];
    guest_args.extend(args[1..].iter().cloned());
    let mut envs = split_envs(ctx.envs());
    if let Some(cwd) = cwd.and_then(Path::to_str) {
        if cwd != "/" && !envs.iter().any(|(k, _)| k == "PWD") {
            envs.push(("PWD".to_string(), cwd.to_string()));
        }
    }
    let listen = listen_addrs(&envs);
    let trace = envs
        .iter()
        .rev()
        .find(|(k, _)| k == TRACE_ENV)
        .is_some_and(|(_, v)| !v.is_empty() && v != "0");
    Ok(run::Launch {
        module,
        name: name.unwrap_or_else(|| path.to_string()),
        func,
        args: guest_args,
        envs,
        root: PathBuf::from(root),
        listen,
        trace,
        stdio: run::Stdio::Inherit,
    })
}
