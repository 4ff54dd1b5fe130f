//! The calling convention of compiled code: the context struct it reads,
//! the status word it returns, the signatures of compiled functions and the
//! entry trampolines that connect them to the interpreter's frame slots.
//!
//! - A compiled wasm function has the *internal* signature
//!   `(ctx: i64, wasm params...) -> (status: i32, wasm results...)` in
//!   Cranelift's `tail` convention (any number of results). `status` is 0, or
//!   a trap ([`Status`]); on a trap the results are meaningless and every
//!   caller returns the same status at once.
//! - The host enters through one trampoline per function *type*:
//!   `extern "C" fn(ctx: *mut JitCtx, slots: *mut u64, code: *const u8) -> u32`.
//!   It reads the parameters from `slots[0..params]` (the interpreter's frame
//!   layout: one u64 per value, i32/f32 in the low half), calls `code`, and
//!   on success writes the results to `slots[0..results]` (32-bit values
//!   zero-extended). It restores the call-depth counter when a trap unwinds.
//! - Every function's prologue checks the stack pointer against
//!   `ctx.stack_limit` and decrements `ctx.depth_left` (trapping with
//!   `StackExhausted` at 0); its epilogue increments it again.

use crate::error::TrapCode;
use crate::store::MemoryEntity;
use crate::types::{FuncType, ValType};
use cranelift_codegen::ir::{
    self, types, AbiParam, BlockArg, InstBuilder, MemFlagsData, Signature, Type,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use std::mem::{offset_of, MaybeUninit};
use std::sync::atomic::{AtomicU32, AtomicUsize};

/// Entries of [`JitCtx::trace`] (the compiled frames a trap unwinds through).
pub(crate) const TRACE_CAP: usize = 64;

/// `JitCtx::call_out`: calls function `func` (module index) of the instance
/// with arguments in `args[..params]`, results to `args[..results]`;
/// returns a status.
pub(crate) type CallOut = unsafe extern "C" fn(*mut JitCtx, u32, *mut u64) -> u32;
/// `JitCtx::call_indirect`: `(ctx, table, engine type id, element, args)`;
/// checks the element like the interpreter, then returns the native code
/// address of a compiled callee of the same instance (> [`MAX_STATUS`];
/// compiled code calls it with the arguments itself), or 0 after making the
/// call itself (results in `args`), or a non-zero status.
pub(crate) type CallIndirect = unsafe extern "C" fn(*mut JitCtx, u32, u32, u32, *mut u64) -> usize;
/// `JitCtx::runtime_op`: `(ctx, op, immediate, args)`: one of the
/// operators compiled code leaves to the runtime ([`RtOp`]), its operands in
/// `args`, its result (if any) to `args[0]`; returns a status.
pub(crate) type RuntimeOp = unsafe extern "C" fn(*mut JitCtx, u32, u64, *mut u64) -> u32;
/// `JitCtx::attend`: `(ctx, func)`: serves a raised attention word for
/// compiled function `func` (module index space), the innermost frame;
/// returns a status.
pub(crate) type Attend = unsafe extern "C" fn(*mut JitCtx, u32) -> u32;

/// Statuses are below this; code addresses above.
pub(crate) const MAX_STATUS: usize = 0xffff;

/// The state compiled code reads and writes, passed as its first argument.
/// Compiled code addresses the fields by the offsets below, so the layout
/// is `repr(C)` and only grows at the end.
#[repr(C)]
#[derive(Debug)]
pub(crate) struct JitCtx {
    /// Base of linear memory 0 (dangling when the module has none).
    pub mem_base: *mut u8,
    /// Its length in bytes; every access is checked against it.
    pub mem_len: u64,
    /// The instance's globals: one pointer per global index to its value.
    pub globals: *const *mut u64,
    /// Compiled code traps with `StackExhausted` when the stack pointer is
    /// below this address at a function entry.
    pub stack_limit: usize,
    /// Wasm calls that may still nest; a prologue at 0 traps.
    pub depth_left: u32,
    /// Entries written to `trace` (may exceed [`TRACE_CAP`]; the excess
    /// entries all land in the last, spare element).
    pub trace_len: u32,
    /// The memory `memory.grow` grows (only the libcall touches it).
    pub memory: *mut MemoryEntity,
    /// The `memory.grow` libcall: grows by `delta` pages, refreshes
    /// `mem_base`/`mem_len`, returns the old size in pages or `u32::MAX`.
    pub memory_grow: unsafe extern "C" fn(*mut JitCtx, u32) -> u32,
    /// The module's code table: per function index, 0 or the address of the
    /// function's native code (internal signature).
    pub funcs: *const AtomicUsize,
    /// The store's attention word (`exec/attention.rs`), checked at function
    /// entries and loop headers.
    pub attention: *const AtomicU32,
    /// See [`Attend`].
    pub attend: Attend,
    /// See [`CallOut`].
    pub call_out: CallOut,
    /// See [`CallIndirect`].
    pub call_indirect: CallIndirect,
    /// See [`RuntimeOp`].
    pub runtime_op: RuntimeOp,
    /// The runtime's state for the call-outs (`runtime.rs`).
    pub rt: *mut (),
    /// Function indices of the compiled frames a trap unwound, innermost
    /// first (the trap path appends, see `func.rs`).
    /// Uninitialised until written: `JitCtx::new` runs per `invoke`, and
    /// zeroing these ~1.8 KB cost more than the rest of the entry.
    pub trace: [MaybeUninit<u32>; TRACE_CAP + 1],
    /// Beside each `trace` entry: the frame's locals 0 and 1 when the trap
    /// unwound it, then how many of the two it has (integer locals only), so
    /// a position probe (Go's resume point and stack pointer live there)
    /// can place compiled frames.
    pub trace_locals: [MaybeUninit<[u64; 3]>; TRACE_CAP + 1],
    /// Table 0 of the instance (its elements, raw references) for the
    /// inline `call_indirect` cache (`icache.rs`); refreshed with memory
    /// after every call-out. `table_len` 0 turns the cache off.
    pub table_base: *const u64,
    /// The number of elements at `table_base`.
    pub table_len: u64,
    /// This thread's `call_indirect` cache (`icache.rs`).
    pub icache: *mut u64,
    /// The cache tag of this store and instance (never 0).
    pub icache_tag: u64,
}

/// Field offsets, as compiled code addresses them.
pub(super) const MEM_BASE: i32 = offset_of!(JitCtx, mem_base) as i32;
pub(super) const MEM_LEN: i32 = offset_of!(JitCtx, mem_len) as i32;
pub(super) const GLOBALS: i32 = offset_of!(JitCtx, globals) as i32;
pub(super) const STACK_LIMIT: i32 = offset_of!(JitCtx, stack_limit) as i32;
pub(super) const DEPTH_LEFT: i32 = offset_of!(JitCtx, depth_left) as i32;
pub(super) const TRACE_LEN: i32 = offset_of!(JitCtx, trace_len) as i32;
pub(super) const MEMORY_GROW: i32 = offset_of!(JitCtx, memory_grow) as i32;
pub(super) const FUNCS: i32 = offset_of!(JitCtx, funcs) as i32;
pub(super) const ATTENTION: i32 = offset_of!(JitCtx, attention) as i32;
pub(super) const ATTEND: i32 = offset_of!(JitCtx, attend) as i32;
pub(super) const CALL_OUT: i32 = offset_of!(JitCtx, call_out) as i32;
pub(super) const CALL_INDIRECT: i32 = offset_of!(JitCtx, call_indirect) as i32;
pub(super) const RUNTIME_OP: i32 = offset_of!(JitCtx, runtime_op) as i32;
pub(super) const TRACE: i32 = offset_of!(JitCtx, trace) as i32;
pub(super) const TRACE_LOCALS: i32 = offset_of!(JitCtx, trace_locals) as i32;
pub(super) const TABLE_BASE: i32 = offset_of!(JitCtx, table_base) as i32;
pub(super) const TABLE_LEN: i32 = offset_of!(JitCtx, table_len) as i32;
pub(super) const ICACHE: i32 = offset_of!(JitCtx, icache) as i32;
pub(super) const ICACHE_TAG: i32 = offset_of!(JitCtx, icache_tag) as i32;

/// The operators compiled code leaves to [`JitCtx::runtime_op`]. Operands
/// in `args` in wasm order; immediates packed into `imm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum RtOp {
    /// `memory.fill`: dst, val, len.
    MemoryFill = 1,
    /// `memory.copy`: dst, src, len.
    MemoryCopy,
    /// `memory.init seg`: dst, src, len.
    MemoryInit,
    /// `data.drop seg`.
    DataDrop,
    /// `table.get t`: index → ref.
    TableGet,
    /// `table.set t`: index, ref.
    TableSet,
    /// `table.size t` → size.
    TableSize,
    /// `table.grow t`: init, delta → old size or -1.
    TableGrow,
    /// `table.fill t`: dst, ref, len.
    TableFill,
    /// `table.copy dst src` (imm = dst | src << 32): dst, src, len.
    TableCopy,
    /// `table.init seg t` (imm = t | seg << 32): dst, src, len.
    TableInit,
    /// `elem.drop seg`.
    ElemDrop,
    /// `ref.func f` → ref.
    RefFunc,
}

impl RtOp {
    /// The operator numbered `n`.
    pub fn from_u32(n: u32) -> Option<RtOp> {
        use RtOp::*;
        [
            MemoryFill, MemoryCopy, MemoryInit, DataDrop, TableGet, TableSet, TableSize, TableGrow,
            TableFill, TableCopy, TableInit, ElemDrop, RefFunc,
        ]
        .into_iter()
        .find(|op| *op as u32 == n)
    }
}

/// Call-outs of a context without a runtime (tests of code that makes
/// none): every one traps with `Unreachable`.
unsafe extern "C" fn no_call_out(_: *mut JitCtx, _: u32, _: *mut u64) -> u32 {
    Status::Unreachable as u32
}
unsafe extern "C" fn no_call_indirect(
    _: *mut JitCtx,
    _: u32,
    _: u32,
    _: u32,
    _: *mut u64,
) -> usize {
    Status::Unreachable as usize
}
unsafe extern "C" fn no_runtime_op(_: *mut JitCtx, _: u32, _: u64, _: *mut u64) -> u32 {
    Status::Unreachable as u32
}
unsafe extern "C" fn no_attend(_: *mut JitCtx, _: u32) -> u32 {
    0
}

/// A word that is never raised.
static CALM: AtomicU32 = AtomicU32::new(0);

impl JitCtx {
    /// A context without memory, globals, code table or runtime, allowing
    /// `depth` nested calls.
    pub fn new(depth: u32) -> JitCtx {
        JitCtx {
            mem_base: std::ptr::NonNull::dangling().as_ptr(),
            mem_len: 0,
            globals: std::ptr::null(),
            stack_limit: 0,
            depth_left: depth,
            trace_len: 0,
            memory: std::ptr::null_mut(),
            memory_grow: memory_grow_libcall,
            funcs: std::ptr::null(),
            attention: &CALM,
            attend: no_attend,
            call_out: no_call_out,
            call_indirect: no_call_indirect,
            runtime_op: no_runtime_op,
            rt: std::ptr::null_mut(),
            trace: [const { MaybeUninit::uninit() }; TRACE_CAP + 1],
            trace_locals: [const { MaybeUninit::uninit() }; TRACE_CAP + 1],
            table_base: std::ptr::null(),
            table_len: 0,
            icache: std::ptr::null_mut(),
            icache_tag: 0,
        }
    }

    /// Points the context at `memory` (its current data).
    pub fn set_memory(&mut self, memory: &mut MemoryEntity) {
        self.mem_base = memory.data.as_mut_ptr();
        self.mem_len = memory.data.len() as u64;
        self.memory = memory;
    }

    /// The compiled frames recorded by the last trap, innermost first.
    /// Beside [`JitCtx::traced`]: each frame's locals 0 and 1 and their count.
    pub fn traced_locals(&self) -> &[[u64; 3]] {
        let n = (self.trace_len as usize).min(TRACE_CAP);
        // SAFETY: the trap path writes entry `min(trace_len, TRACE_CAP)`
        // before it increments `trace_len` (`func.rs`, `record_frame`), so
        // the first `n` entries are initialised; `MaybeUninit<T>` has
        // `T`'s layout.
        unsafe { std::slice::from_raw_parts(self.trace_locals.as_ptr().cast(), n) }
    }

    /// Function indices of the compiled frames a trap unwound, innermost first.
    pub fn traced(&self) -> &[u32] {
        let n = (self.trace_len as usize).min(TRACE_CAP);
        // SAFETY: as in `traced_locals`: the first `n` entries are written.
        unsafe { std::slice::from_raw_parts(self.trace.as_ptr().cast(), n) }
    }
}

/// The `memory.grow` libcall compiled code calls through `ctx.memory_grow`.
///
/// # Safety
/// `ctx` is the context of the running compiled code: valid, and its
/// `memory` (when not null) points to the live memory entity it describes,
/// which nothing else accesses during the call.
unsafe extern "C" fn memory_grow_libcall(ctx: *mut JitCtx, delta: u32) -> u32 {
    // SAFETY: the caller's contract: `ctx` is valid and exclusively ours.
    let ctx = unsafe { &mut *ctx };
    if ctx.memory.is_null() {
        return u32::MAX;
    }
    // SAFETY: `memory` points to the live entity (contract above).
    let memory = unsafe { &mut *ctx.memory };
    let old = memory.grow(delta).unwrap_or(u32::MAX);
    ctx.mem_base = memory.data.as_mut_ptr();
    ctx.mem_len = memory.data.len() as u64;
    old
}

/// The status word compiled code returns: 0 for success, else a trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub(crate) enum Status {
    Unreachable = 1,
    MemoryOutOfBounds = 2,
    IntegerDivideByZero = 3,
    IntegerOverflow = 4,
    BadConversionToInteger = 5,
    StackExhausted = 6,
    TableOutOfBounds = 7,
    IndirectCallToNull = 8,
    BadSignature = 9,
    UndefinedElement = 10,
    Interrupted = 11,
    DeadlineExceeded = 12,
    NullReference = 13,
    /// The runtime holds an error (a trap from a call-out with its
    /// backtrace so far, or a non-trap error such as a WASI exit).
    Pending = 255,
}

impl Status {
    /// The status of trap `code` (`None`: compiled code never raises it).
    pub fn of_trap(code: TrapCode) -> Option<Status> {
        Some(match code {
            TrapCode::Unreachable => Status::Unreachable,
            TrapCode::MemoryOutOfBounds => Status::MemoryOutOfBounds,
            TrapCode::IntegerDivideByZero => Status::IntegerDivideByZero,
            TrapCode::IntegerOverflow => Status::IntegerOverflow,
            TrapCode::BadConversionToInteger => Status::BadConversionToInteger,
            TrapCode::StackExhausted => Status::StackExhausted,
            TrapCode::TableOutOfBounds => Status::TableOutOfBounds,
            TrapCode::IndirectCallToNull => Status::IndirectCallToNull,
            TrapCode::BadSignature => Status::BadSignature,
            TrapCode::UndefinedElement => Status::UndefinedElement,
            TrapCode::Interrupted => Status::Interrupted,
            TrapCode::DeadlineExceeded => Status::DeadlineExceeded,
            TrapCode::NullReference => Status::NullReference,
            // Functions using `call_ref` or GC instructions stay interpreted.
            TrapCode::OutOfFuel
            | TrapCode::NullFunctionReference
            | TrapCode::NullStructReference
            | TrapCode::NullArrayReference
            | TrapCode::NullI31Reference
            | TrapCode::ArrayOutOfBounds
            | TrapCode::CastFailure
            | TrapCode::GcHeapExhausted => return None,
        })
    }
}

/// The trap a non-zero status word stands for.
pub(crate) fn trap_of_status(status: u32) -> TrapCode {
    match status {
        1 => TrapCode::Unreachable,
        2 => TrapCode::MemoryOutOfBounds,
        3 => TrapCode::IntegerDivideByZero,
        4 => TrapCode::IntegerOverflow,
        5 => TrapCode::BadConversionToInteger,
        6 => TrapCode::StackExhausted,
        7 => TrapCode::TableOutOfBounds,
        8 => TrapCode::IndirectCallToNull,
        9 => TrapCode::BadSignature,
        10 => TrapCode::UndefinedElement,
        11 => TrapCode::Interrupted,
        12 => TrapCode::DeadlineExceeded,
        13 => TrapCode::NullReference,
        // Compiled code returns no other trap status (`Pending` is the
        // runtime's); report the impossible loudly.
        _ => panic!("wasp jit: unknown status word {status}"),
    }
}

/// The Cranelift type of a wasm value type. References are their raw u64
/// (store index + 1, 0 for null), as in the interpreter's slots.
pub(super) fn clif_type(t: ValType) -> Option<Type> {
    Some(match t {
        ValType::I32 => types::I32,
        ValType::I64
        | ValType::FuncRef
        | ValType::ExternRef
        | ValType::ExnRef
        | ValType::AnyRef => types::I64,
        ValType::F32 => types::F32,
        ValType::F64 => types::F64,
        // SIMD stays interpreted: functions touching a v128 are unsupported.
        ValType::V128 => return None,
    })
}

/// The internal signature of a compiled function of type `ty`.
pub(super) fn internal_signature(ty: &FuncType) -> Result<Signature, String> {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(types::I64));
    sig.returns.push(AbiParam::new(types::I32));
    for &p in ty.params() {
        let t = clif_type(p).ok_or("reference-typed parameter")?;
        sig.params.push(AbiParam::new(t));
    }
    for &r in ty.results() {
        let t = clif_type(r).ok_or("reference-typed result")?;
        sig.returns.push(AbiParam::new(t));
    }
    Ok(sig)
}

/// The signature of an on-stack replacement entry of a function of type
/// `ty`: `(ctx: i64, slots: i64) -> (status: i32, wasm results...)` in the
/// `tail` convention, `slots` holding every local in the interpreter's
/// frame layout.
pub(super) fn osr_signature(ty: &FuncType) -> Result<Signature, String> {
    let mut sig = internal_signature(&FuncType::new([], ty.results().iter().copied()))?;
    sig.params.push(AbiParam::new(types::I64));
    Ok(sig)
}

/// Flags of an access to the context or the slots: aligned, never faulting.
pub(super) fn trusted() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Builds the entry trampoline for functions of type `ty` (see the module
/// docs); with `osr`, for the on-stack replacement entries of such
/// functions (`osr_signature`): the callee gets the slots pointer itself.
pub(super) fn trampoline(
    ty: &FuncType,
    fe: TargetFrontendConfig,
    fctx: &mut FunctionBuilderContext,
    osr: bool,
) -> Result<ir::Function, String> {
    let mut sig = Signature::new(fe.default_call_conv);
    for _ in 0..3 {
        sig.params.push(AbiParam::new(types::I64));
    }
    sig.returns.push(AbiParam::new(types::I32));
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::default(), sig);
    let mut b = FunctionBuilder::new(&mut func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let (ctx, slots, code) = {
        let p = b.block_params(entry);
        (p[0], p[1], p[2])
    };
    let depth = b.ins().load(types::I32, trusted(), ctx, DEPTH_LEFT);
    let mut args = vec![ctx];
    if osr {
        args.push(slots);
    } else {
        for (i, &p) in ty.params().iter().enumerate() {
            let t = clif_type(p).ok_or("reference-typed parameter")?;
            args.push(b.ins().load(t, trusted(), slots, slot_offset(i)?));
        }
    }
    let sig = if osr {
        osr_signature(ty)?
    } else {
        internal_signature(ty)?
    };
    let callee_sig = b.import_signature(sig);
    let call = b.ins().call_indirect(callee_sig, code, &args);
    let rets = b.inst_results(call).to_vec();
    let (ok, failed) = (b.create_block(), b.create_block());
    b.ins()
        .brif(rets[0], failed, &[] as &[BlockArg], ok, &[] as &[BlockArg]);
    b.seal_block(ok);
    b.seal_block(failed);
    b.set_cold_block(failed);

    b.switch_to_block(ok);
    for (i, (&r, &v)) in ty.results().iter().zip(&rets[1..]).enumerate() {
        let wide = match r {
            ValType::I32 => b.ins().uextend(types::I64, v),
            ValType::F32 => {
                let bits = b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                b.ins().uextend(types::I64, bits)
            }
            ValType::F64 => b.ins().bitcast(types::I64, MemFlagsData::new(), v),
            _ => v,
        };
        b.ins().store(trusted(), wide, slots, slot_offset(i)?);
    }
    let zero = b.ins().iconst(types::I32, 0);
    b.ins().return_(&[zero]);

    b.switch_to_block(failed);
    b.ins().store(trusted(), depth, ctx, DEPTH_LEFT);
    b.ins().return_(&[rets[0]]);
    b.finalize(fe);
    Ok(func)
}

/// The byte offset of slot `i`.
fn slot_offset(i: usize) -> Result<i32, String> {
    i32::try_from(i * 8).map_err(|_| "too many parameters or results".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_map_to_their_traps() {
        let all = [
            (Status::Unreachable, TrapCode::Unreachable),
            (Status::MemoryOutOfBounds, TrapCode::MemoryOutOfBounds),
            (Status::IntegerDivideByZero, TrapCode::IntegerDivideByZero),
            (Status::IntegerOverflow, TrapCode::IntegerOverflow),
            (
                Status::BadConversionToInteger,
                TrapCode::BadConversionToInteger,
            ),
            (Status::StackExhausted, TrapCode::StackExhausted),
        ];
        for (s, t) in all {
            assert_eq!(trap_of_status(s as u32), t);
        }
    }

    #[test]
    fn memory_grow_libcall_refreshes_the_context() {
        let ty = crate::types::MemoryType::new(1, Some(3));
        let mut mem = MemoryEntity::new(ty, 3 * 65536, None, Default::default()).unwrap();
        let mut ctx = JitCtx::new(10);
        ctx.set_memory(&mut mem);
        // SAFETY: `ctx` and `mem` are live locals, used by nothing else.
        let old = unsafe { memory_grow_libcall(&mut ctx, 2) };
        assert_eq!(old, 1);
        assert_eq!(ctx.mem_len, 3 * 65536);
        // SAFETY: as above.
        assert_eq!(unsafe { memory_grow_libcall(&mut ctx, 1) }, u32::MAX);
        assert_eq!(ctx.mem_len, 3 * 65536);
        let mut bare = JitCtx::new(1);
        // SAFETY: a context without memory: the libcall refuses.
        assert_eq!(unsafe { memory_grow_libcall(&mut bare, 0) }, u32::MAX);
    }
}
