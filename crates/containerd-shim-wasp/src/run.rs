//! Running one container's module with wasp: [`Launch`] says what to run
//! (taken from the OCI spec by the crate root), [`run`] runs it and returns
//! the [`Outcome`]: the exit status containerd reports and the message, if
//! any, that goes to the container's stderr.
//!
//! Exit statuses follow `wasp run` (RATIONALE.md, "Exit statuses"): the
//! guest's `proc_exit` status (0..=125; 0 when its entry function returns),
//! 134 when it ends abnormally (a trap, a refused `proc_exit`), 1 when wasp
//! cannot load, link or set up the module, and one more, proper to the shim:
//! 128 + n when signal n from containerd stopped it ([`crate::stop`]).

use crate::stop::{signal_name, Stop};
use std::net::TcpListener;
use std::path::PathBuf;
use wasp::{Engine, Linker, Module, Store, TrapCode, Val};
use wasp_wasi::{DirPerms, MemoryOutput, WasiCtx, WasiCtxBuilder};

/// Exit status after a trap or a refused `proc_exit`, as in `wasp run`.
pub const TRAP_EXIT: i32 = 134;

/// Exit status when wasp itself fails (load, link, set-up), as in `wasp run`.
pub const SETUP_EXIT: i32 = 1;

/// The statuses a guest can exit with (`proc_exit` refuses 126 and above).
const GUEST_STATUSES: std::ops::RangeInclusive<i32> = 0..=125;

/// Where the guest's standard streams go.
#[derive(Clone, Default)]
pub enum Stdio {
    /// The process's own stdin, stdout and stderr: in a container, the
    /// streams containerd set up (`ctr run` output, `kubectl logs`).
    #[default]
    Inherit,
    /// An empty stdin and in-memory stdout and stderr (for tests and
    /// embedders that collect the output).
    Memory {
        /// Receives what the guest writes to fd 1.
        stdout: MemoryOutput,
        /// Receives what the guest writes to fd 2.
        stderr: MemoryOutput,
    },
}

/// Everything [`run`] needs to know about one container's guest.
#[derive(Clone)]
pub struct Launch {
    /// The module: a wasm binary or WebAssembly text.
    pub module: Vec<u8>,
    /// The module's name in messages (the entrypoint's file name).
    pub name: String,
    /// The export to call: `_start` unless the entrypoint says `path#func`.
    pub func: String,
    /// The guest's arguments, its program name first.
    pub args: Vec<String>,
    /// The guest's environment, in order.
    pub envs: Vec<(String, String)>,
    /// The directory preopened as `/` (fd 3): the container's root.
    pub root: PathBuf,
    /// Addresses to listen on; each listener is preopened after the root
    /// (fd 4, 5, ...), for guests such as Go's `net.FileListener`.
    pub listen: Vec<String>,
    /// Print every WASI call to stderr (`WASP_TRACE_WASI`).
    pub trace: bool,
    /// The standard streams.
    pub stdio: Stdio,
}

impl std::fmt::Debug for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launch")
            .field("module_bytes", &self.module.len())
            .field("name", &self.name)
            .field("func", &self.func)
            .field("args", &self.args)
            .field("envs", &self.envs)
            .field("root", &self.root)
            .field("listen", &self.listen)
            .field("trace", &self.trace)
            .field(
                "stdio",
                &match self.stdio {
                    Stdio::Inherit => "inherit",
                    Stdio::Memory { .. } => "memory",
                },
            )
            .finish()
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit status containerd reports for the container.
    pub status: i32,
    /// What went wrong, for the container's stderr (`None` when the guest
    /// exited by itself).
    pub message: Option<String>,
}

impl Outcome {
    fn exited(status: i32) -> Outcome {
        Outcome {
            status,
            message: None,
        }
    }

    fn failed(status: i32, message: String) -> Outcome {
        Outcome {
            status,
            message: Some(message),
        }
    }
}

/// Builds the WASI context: arguments, environment, the root preopen, the
/// listeners and the standard streams.
fn wasi_ctx(launch: &Launch) -> Result<WasiCtx, String> {
    let mut b = WasiCtxBuilder::new();
    match &launch.stdio {
        Stdio::Inherit => {
            b.inherit_stdio();
        }
        Stdio::Memory { stdout, stderr } => {
            b.stdin(std::io::empty())
                .stdout(stdout.clone())
                .stderr(stderr.clone());
        }
    }
    b.trace(launch.trace);
    b.args(&launch.args);
    for (k, v) in &launch.envs {
        b.env(k, v);
    }
    b.preopened_dir(&launch.root, "/", DirPerms::ReadWrite)
        .map_err(|e| format!("cannot open the root {}: {e}", launch.root.display()))?;
    for addr in &launch.listen {
        let l = TcpListener::bind(addr)
            .map_err(|e| format!("WASP_LISTEN: cannot listen on {addr}: {e}"))?;
        b.preopened_listener(l)
            .map_err(|e| format!("WASP_LISTEN: {addr}: {e}"))?;
    }
    Ok(b.build())
}

/// What a failed guest call means: the guest's exit status, 128 + n when
/// signal n stopped it, or 134 for anything else that ended it.
fn outcome(e: wasp::Error, launch: &Launch, stop: &Stop) -> Outcome {
    if let Some(status) = e.exit_status().filter(|s| GUEST_STATUSES.contains(s)) {
        return Outcome::exited(status);
    }
    if e.trap_code() == Some(TrapCode::Interrupted) {
        if let Some(signal) = stop.requested() {
            return stopped(signal, launch);
        }
    }
    Outcome::failed(TRAP_EXIT, format!("wasp: {}: {e}", launch.name))
}

fn stopped(signal: i32, launch: &Launch) -> Outcome {
    Outcome::failed(
        128 + signal,
        format!("wasp: {}: stopped by {}", launch.name, signal_name(signal)),
    )
}

/// Host state of a run.
struct Host {
    wasi: WasiCtx,
}

/// Runs `launch` to its end, or until `stop` is requested.
pub fn run(launch: &Launch, stop: &Stop) -> Outcome {
    let setup = |msg: String| Outcome::failed(SETUP_EXIT, format!("wasp: {}: {msg}", launch.name));
    let engine = Engine::default();
    let module = match Module::new(&engine, &launch.module) {
        Ok(m) => m,
        Err(e) => return setup(e.to_string()),
    };
    let ctx = match wasi_ctx(launch) {
        Ok(c) => c,
        Err(e) => return setup(e),
    };
    let mut linker: Linker<Host> = Linker::new(&engine);
    if let Err(e) = wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi) {
        return setup(e.to_string());
    }
    let mut store = Store::new(&engine, Host { wasi: ctx });
    let watcher = stop.watch(store.interrupt_handle());
    if !watcher.is_running() {
        log::warn!("cannot start the stop watcher: signals will not stop the guest");
    }
    if let Some(signal) = stop.requested() {
        return stopped(signal, launch);
    }
    let result = call_entry(&linker, &mut store, &module, launch);
    store.data_mut().wasi.flush();
    drop(watcher);
    match result {
        Ok(()) => Outcome::exited(0),
        Err(Failure::Setup(msg)) => setup(msg),
        Err(Failure::Guest(e)) => outcome(e, launch, stop),
    }
}

/// Why [`call_entry`] failed.
enum Failure {
    /// wasp could not set the guest up (status 1).
    Setup(String),
    /// The guest ran and ended with this error.
    Guest(wasp::Error),
}

/// Instantiates the module and calls its entry function, `_initialize`
/// first when the entry is another export of a reactor (as `wasp run
/// --invoke`).
fn call_entry(
    linker: &Linker<Host>,
    store: &mut Store<Host>,
    module: &Module,
    launch: &Launch,
) -> Result<(), Failure> {
    let instance = match linker.instantiate(&mut *store, module) {
        Ok(i) => i,
        // The start function ran and trapped or exited.
        Err(e) if e.trap().is_some() || e.exit_status().is_some() => return Err(Failure::Guest(e)),
        Err(e) => return Err(Failure::Setup(e.to_string())),
    };
    let func_name = launch.func.as_str();
    if func_name != "_start" && func_name != "_initialize" {
        if let Some(init) = instance.get_func(&*store, "_initialize") {
            init.call(&mut *store, &[], &mut [])
                .map_err(Failure::Guest)?;
        }
    }
    let Some(func) = instance.get_func(&*store, func_name) else {
        return Err(Failure::Setup(format!(
            "the module exports no function `{func_name}`"
        )));
    };
    let ty = func.ty(&*store);
    if !ty.params().is_empty() {
        return Err(Failure::Setup(format!(
            "`{func_name}` takes parameters: an entrypoint takes none"
        )));
    }
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    func.call(&mut *store, &[], &mut results)
        .map_err(Failure::Guest)
}
