//! # wasp-wasi
//!
//! The WASI preview 1 (`wasi_snapshot_preview1`) host for the
//! [wasp] WebAssembly runtime: all 46 functions, a capability-based
//! filesystem sandbox, clocks, randomness, `poll_oneoff`, non-blocking I/O
//! and preopened TCP listeners — what Go's `GOOS=wasip1` programs (and
//! wasi-libc or Rust `wasm32-wasip1` programs) need from their host.
//!
//! ```no_run
//! use wasp::{Engine, Linker, Module, Store};
//! use wasp_wasi::{DirPerms, WasiCtx, WasiCtxBuilder};
//!
//! let engine = Engine::default();
//! let module = Module::from_file(&engine, "hello.wasm").unwrap();
//! let mut linker: Linker<WasiCtx> = Linker::new(&engine);
//! wasp_wasi::add_to_linker(&mut linker, |ctx| ctx).unwrap();
//! let mut b = WasiCtxBuilder::new();
//! b.arg("hello").inherit_stdio();
//! b.preopened_dir(".", "/", DirPerms::ReadOnly).unwrap();
//! let mut store = Store::new(&engine, b.build());
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
//! match start.call(&mut store, ()) {
//!     Ok(()) => {}
//!     Err(e) if e.exit_status().is_some() => std::process::exit(e.exit_status().unwrap()),
//!     Err(e) => panic!("{e}"),
//! }
//! ```
//!
//! ## Layout
//!
//! One module per WASI group — [`args`], `environ`, `clock`, `fd`, `path`,
//! `poll`, `proc`, `random`, `sched`, `sock` — each function documented
//! with its parameters, memory layout and errnos; `ctx` (builder and
//! context), `table` (fd table), `stdio` (standard streams), [`mem`]
//! (bounds-checked guest memory: every bad pointer is `EFAULT`), [`errno`]
//! (error numbers and the mapping from host errors), [`types`] (constants
//! and record layouts), `funcs` (the function table and linker glue).
//!
//! ## Denying functions
//!
//! [`WasiCtxBuilder::deny`] makes a function return `ENOSYS` without doing
//! anything (for sandbox profiles); the import still links. A denied
//! `proc_exit` traps, as it cannot return. [`profile`] computes the denied
//! set from named profiles (`minimal`, `stdio`, `fs-read`, `fs`, `net`,
//! `full`) and allow/deny lists.

#![warn(missing_docs)]

pub mod args;
pub mod clock;
mod ctx;
pub mod environ;
pub mod errno;
pub mod fd;
mod funcs;
pub mod mem;
pub mod path;
pub mod poll;
pub mod proc;
pub mod profile;
pub mod random;
pub mod sched;
pub mod sock;
mod stdio;
mod table;
pub mod types;

pub use ctx::{DirPerms, UnknownFunction, WasiCtx, WasiCtxBuilder};
pub use errno::Errno;
pub use funcs::{MODULE, WASI_FUNCTIONS};
pub use profile::{Profile, ProfileError};
pub use stdio::MemoryOutput;

/// Defines all 46 `wasi_snapshot_preview1` functions in `linker`.
///
/// `get` finds the [`WasiCtx`] inside the store's data. Each function reads
/// and writes the calling instance's exported `memory`.
pub fn add_to_linker<T: 'static>(
    linker: &mut wasp::Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Copy + Send + Sync + 'static,
) -> wasp::Result<()> {
    funcs::define_all(linker, get)
}

impl WasiCtx {
    /// Calls the WASI function `name` directly, with raw wasm arguments (an
    /// `i32` as its `u32` bits, an `i64` as `u64`) against the guest memory
    /// `memory`. Returns the errno the guest would see (`Err` for
    /// `proc_exit`, a wrong argument count or an unknown name).
    ///
    /// This is the same code the linker runs; it lets tools and tests drive
    /// the host without an instance.
    pub fn call(&mut self, memory: &mut [u8], name: &str, args: &[u64]) -> wasp::Result<i32> {
        funcs::call_raw(self, memory, name, args)
    }
}
