//! # wasp
//!
//! A fast WebAssembly interpreter built to run WASI preview 1 programs, first of
//! all those of Go's `GOOS=wasip1` port.
//!
//! Modules are validated when loaded and each function is translated, on its
//! first call, into a register-based IR that a tight interpreter loop executes.
//! The embedding API follows the shape of wasmtime and wasmi: an [`Engine`]
//! compiles [`Module`]s, a [`Store`] owns instances and host state, a [`Linker`]
//! resolves imports (including host functions), and [`Instance`] exports are
//! called through [`Func`] or [`TypedFunc`].
//!
//! ```
//! use wasp::{Caller, Engine, Linker, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "log" (func $log (param i32)))
//!       (func (export "fac") (param i64) (result i64)
//!         (if (result i64) (i64.eqz (local.get 0))
//!           (then (i64.const 1))
//!           (else (i64.mul (local.get 0)
//!                          (call 1 (i64.sub (local.get 0) (i64.const 1))))))))
//! "#).unwrap();
//! let mut linker = Linker::new(&engine);
//! linker.func_wrap("host", "log", |mut caller: Caller<'_, Vec<i32>>, x: i32| {
//!     caller.data_mut().push(x);
//! }).unwrap();
//! let mut store = Store::new(&engine, Vec::new());
//! let instance = linker.instantiate(&mut store, &module).unwrap();
//! let fac = instance.get_typed_func::<i64, i64>(&store, "fac").unwrap();
//! assert_eq!(fac.call(&mut store, 20).unwrap(), 2_432_902_008_176_640_000);
//! ```

#![warn(missing_docs)]

mod cache;
mod engine;
mod error;
mod exception;
mod exec;
mod externs;
mod func;
mod gc;
mod instance;
mod instance_pre;
mod ir;
#[cfg(feature = "jit")]
mod jit;
mod limits;
mod linker;
mod memory;
mod module;
mod profile;
mod store;
mod translate;
mod types;
mod value;

pub use engine::{
    Config, Engine, EngineStats, Tier, DEFAULT_CACHE_MAX_BYTES, DEFAULT_MAX_STACK_BYTES,
    DEFAULT_MEMORY_POOL_BYTES, DEFAULT_MEMORY_POOL_REGIONS, DEFAULT_TIER_UP_THRESHOLD,
};
pub use error::{Error, ErrorKind, FrameInfo, Result, Trap, TrapCode};
pub use exception::{Exception, ExnRef, Tag};
pub use externs::{Global, Memory, Table};
pub use func::{
    Caller, Func, HostFuncHandle, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmRet, WasmTy,
};
pub use gc::heap::{GcStats, DEFAULT_MAX_GC_HEAP};
pub use instance::{Extern, Instance};
pub use instance_pre::InstancePre;
pub use limits::{
    ResourceLimiter, StoreLimits, StoreLimitsBuilder, DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT,
    DEFAULT_TABLE_LIMIT,
};
pub use linker::Linker;
pub use module::{CacheStatus, EntityIndex, GlobalInit, LoadTimings, Module, SegmentKind};
pub use profile::{
    FrameProbe, FrameView, PositionProbe, Profile, ProfileFrame, ProfileSample, MAX_PROFILE_HZ,
    MAX_SAMPLE_DEPTH,
};
#[doc(hidden)]
pub use store::StoreId;
pub use store::{
    AsContext, AsContextMut, InterruptHandle, InterruptWaker, Store, StoreContext, StoreContextMut,
};
pub use types::{
    ExportType, ExternType, FuncType, GlobalType, HeapType, ImportType, Limits, MemoryLimits,
    MemoryType, Mutability, RefType, TableType, ValType,
};
pub use value::{AnyKind, AnyRef, ExternRef, Val};

/// The interpreter's dispatch backend in this build: `"tail"` (threaded
/// handlers with tail calls, optimised builds) or `"loop"` (a dispatch loop).
pub fn dispatch_backend() -> &'static str {
    if cfg!(wasp_tail) {
        "tail"
    } else {
        "loop"
    }
}
