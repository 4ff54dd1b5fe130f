//! The compiling tier: wasm function bodies to native code with Cranelift.
//!
//! A second consumer of the validated module (a sibling of `translate/` +
//! `exec/`): [`Compiler::compile`] takes a batch of defined functions of one
//! module, translates each body to CLIF (`func.rs`, `calls.rs`, `ops.rs`,
//! `memory.rs`, `rtops.rs`), drops the functions that use something not
//! supported, generates machine code, and links the batch into one W^X
//! mapping (`code.rs`). Each function's code is preceded by a header holding
//! its type's entry trampoline. The result is a [`Batch`]; `jit/tier.rs`
//! installs its code addresses ([`Batch::code_addr`]) in the module's code
//! table, and [`invoke`] (`runtime.rs`) runs them in a store.
//!
//! Compiled code calls every other function through the code table (native
//! if installed) or the runtime's call-out, so a batch needs none of its
//! callees. Supported: every operator the interpreter runs (numeric,
//! control, calls, `call_indirect`, memory, tables, bulk memory, segments,
//! references). Not compiled: functions whose native frame would exceed
//! `MAX_FRAME`. With fuel metering nothing is compiled.

#![cfg(all(unix, any(target_arch = "x86_64", target_arch = "aarch64")))]

mod abi;
mod calls;
mod code;
mod func;
mod icache;
mod memory;
mod ops;
mod rtops;
pub(crate) mod runtime;
mod stack;
#[cfg(test)]
mod tests;
pub(crate) mod ticks;
pub(crate) mod tier;

pub(crate) use abi::JitCtx;
#[cfg(test)]
use runtime::invoke_with;
pub(crate) use runtime::{invoke, invoke_osr};

use crate::error::TrapCode;
use crate::module::ModuleInner;
use crate::types::FuncType;
use code::CodeMemory;
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{ExternalName, LibCall};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{control::ControlPlane, FinalizedRelocTarget};
use cranelift_frontend::FunctionBuilderContext;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Stack kept free below the limit that prologues check: room for the
/// largest frame we accept plus what a libcall needs.
pub(crate) const RED_ZONE: usize = 128 * 1024;
/// Functions whose native frame is larger stay interpreted.
const MAX_FRAME: u32 = 64 * 1024;

/// How to compile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JitOptions {
    /// Cranelift's `speed` optimisations (else `none`).
    pub optimize: bool,
    /// Run Cranelift's IR verifier on every function (slow; for tests).
    pub verify: bool,
}

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            optimize: true,
            verify: cfg!(debug_assertions),
        }
    }
}

/// A Cranelift code generator for the host.
pub(crate) struct Compiler {
    isa: OwnedTargetIsa,
}

/// What compiling a batch cost.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompileStats {
    /// Functions translated to CLIF (supported or not).
    pub translated: usize,
    /// Functions with native code in the batch.
    pub compiled: usize,
    /// Wasm operators → CLIF.
    pub translate_time: Duration,
    /// CLIF → machine code (optimisation, register allocation, emission).
    pub codegen_time: Duration,
    /// Layout, relocation and publication.
    pub link_time: Duration,
    /// Bytes of machine code.
    pub code_bytes: usize,
    /// The largest native frame (bytes below the caller's stack pointer:
    /// return address, saved frame pointer, spills and slots).
    pub max_frame: u32,
    /// The sum of the compiled functions' frames (for a mean).
    pub frame_sum: u64,
}

/// The compiled functions of one batch, in one executable mapping.
pub(crate) struct Batch {
    code: Option<CodeMemory>,
    /// Function index → (code offset, trampoline offset, params, results).
    funcs: HashMap<u32, (usize, usize, usize, usize)>,
    /// Functions left out, with the reason.
    pub unsupported: BTreeMap<u32, String>,
    pub stats: CompileStats,
}

/// `extern "C" fn(ctx, slots, code) -> status`: see `abi.rs`.
#[cfg_attr(not(test), allow(dead_code))] // the tests call compiled code directly
type Trampoline = unsafe extern "C" fn(*mut JitCtx, *mut u64, *const u8) -> u32;

/// A compiled function, ready to run on frame slots.
#[cfg_attr(not(test), allow(dead_code))] // the tests call compiled code directly
pub(crate) struct Entry<'a> {
    trampoline: Trampoline,
    code: *const u8,
    params: usize,
    results: usize,
    _batch: std::marker::PhantomData<&'a Batch>,
}

impl Batch {
    /// The entry of compiled function `func_index`, if it is in the batch.
    #[cfg_attr(not(test), allow(dead_code))] // the tests call compiled code directly
    pub fn entry(&self, func_index: u32) -> Option<Entry<'_>> {
        let &(code, tramp, params, results) = self.funcs.get(&func_index)?;
        let mem = self.code.as_ref()?;
        // SAFETY: `tramp` is the offset of a trampoline compiled with the
        // host's C calling convention and exactly this signature
        // (`abi::trampoline`), in published (executable) code that lives as
        // long as the returned entry borrows `self`.
        let trampoline = unsafe { std::mem::transmute::<*const u8, Trampoline>(mem.addr(tramp)) };
        Some(Entry {
            trampoline,
            code: mem.addr(code),
            params,
            results,
            _batch: std::marker::PhantomData,
        })
    }

    /// Is `func_index` compiled in this batch?
    #[cfg_attr(not(test), allow(dead_code))] // the tests call compiled code directly
    pub fn contains(&self, func_index: u32) -> bool {
        self.funcs.contains_key(&func_index)
    }

    /// The address of compiled function `func_index`'s native code (the
    /// internal signature of `abi.rs`), to install in the module's code
    /// table; valid while the batch lives.
    pub fn code_addr(&self, func_index: u32) -> Option<usize> {
        let &(code, ..) = self.funcs.get(&func_index)?;
        Some(self.code.as_ref()?.addr(code) as usize)
    }

    /// The compiled functions' indices, ascending.
    #[cfg_attr(not(test), allow(dead_code))] // the tests call compiled code directly
    pub fn funcs(&self) -> impl Iterator<Item = u32> + '_ {
        let mut v: Vec<u32> = self.funcs.keys().copied().collect();
        v.sort_unstable();
        v.into_iter()
    }
}

#[cfg_attr(not(test), allow(dead_code))] // the tests call compiled code directly
impl Entry<'_> {
    /// Runs the function: parameters from `slots[..params]`, results to
    /// `slots[..results]`. Compiled code may use `stack_budget` bytes of the
    /// native stack below this call (traps with `StackExhausted` past it).
    ///
    /// # Safety
    /// `ctx` must describe the instance the batch was compiled for: its
    /// memory (base, length and entity) and one valid pointer per global of
    /// the module, none of them accessed by anything else during the call;
    /// `stack_budget` must not exceed the stack space left to this thread.
    pub unsafe fn call(
        &self,
        ctx: &mut JitCtx,
        slots: &mut [u64],
        stack_budget: usize,
    ) -> Result<(), TrapCode> {
        assert!(slots.len() >= self.params.max(self.results));
        let marker = 0u8;
        let sp = std::hint::black_box(&marker) as *const u8 as usize;
        ctx.stack_limit = sp.saturating_sub(stack_budget).saturating_add(RED_ZONE);
        // SAFETY: the trampoline and code come from one published batch that
        // `self` borrows; `slots` holds the parameters (checked length), and
        // the caller vouches for `ctx` and the stack budget.
        let status = unsafe { (self.trampoline)(ctx, slots.as_mut_ptr(), self.code) };
        match status {
            0 => Ok(()),
            s => Err(abi::trap_of_status(s)),
        }
    }
}

/// One function's machine code before linking.
struct Code {
    /// The native frame's size in bytes (see `CompileStats::max_frame`).
    frame: u32,
    bytes: Vec<u8>,
    relocs: Vec<(u32, Reloc, Target, i64)>,
}

/// What a relocation points at.
#[derive(Clone, Copy)]
enum Target {
    Func(u32),
    Libcall(usize),
}

impl Compiler {
    /// A compiler for the host CPU.
    pub fn new(options: JitOptions) -> Result<Compiler, String> {
        Self::with_isa_flags(options, &[])
    }

    /// A compiler for the host CPU with some ISA flags overridden (tests
    /// turn CPU features off to reach Cranelift's fallbacks).
    pub fn with_isa_flags(options: JitOptions, isa_flags: &[(&str, &str)]) -> Result<Self, String> {
        let mut flags = settings::builder();
        let set = |f: &mut settings::Builder, k: &str, v: &str| {
            f.set(k, v)
                .map_err(|e| format!("cranelift setting {k}: {e}"))
        };
        set(
            &mut flags,
            "opt_level",
            if options.optimize { "speed" } else { "none" },
        )?;
        set(
            &mut flags,
            "enable_verifier",
            if options.verify { "true" } else { "false" },
        )?;
        // Frame pointers let profilers and debuggers walk compiled frames.
        set(&mut flags, "preserve_frame_pointers", "true")?;
        set(&mut flags, "unwind_info", "false")?;
        let mut isa =
            cranelift_native::builder().map_err(|e| format!("no jit for this host: {e}"))?;
        for (k, v) in isa_flags {
            isa.set(k, v).map_err(|e| format!("isa setting {k}: {e}"))?;
        }
        let isa = isa
            .finish(settings::Flags::new(flags))
            .map_err(|e| format!("cranelift: {e}"))?;
        Ok(Compiler { isa })
    }

    /// Compiles the defined functions `funcs` (function indices) of `module`.
    /// Functions that cannot be compiled are listed in `Batch::unsupported`;
    /// only an unusable code mapping is an error.
    pub fn compile(&self, module: &ModuleInner, funcs: &[u32]) -> Result<Batch, String> {
        let info = &module.info;
        let fe = self.isa.frontend_config();
        let mut stats = CompileStats::default();
        let mut unsupported = BTreeMap::new();
        let mut fctx = FunctionBuilderContext::new();
        let mut clif = BTreeMap::new();
        let start = Instant::now();
        for &f in funcs {
            if f < info.num_imported_funcs || f as usize >= info.funcs.len() {
                unsupported.insert(f, "not a defined function".to_string());
                continue;
            }
            stats.translated += 1;
            match func::translate(info, &module.bytes, f, fe, &mut fctx) {
                Ok(t) => {
                    clif.insert(f, t);
                }
                Err(e) => {
                    unsupported.insert(f, e);
                    // A translation that stopped half-way leaves state behind.
                    fctx = FunctionBuilderContext::new();
                }
            }
        }
        stats.translate_time = start.elapsed();

        let start = Instant::now();
        let mut codes: BTreeMap<u32, Code> = BTreeMap::new();
        let mut cctx = cranelift_codegen::Context::new();
        for (f, t) in clif {
            cctx.clear();
            cctx.func = t.func;
            match self.codegen(&mut cctx) {
                Ok(code) => {
                    stats.max_frame = stats.max_frame.max(code.frame);
                    stats.frame_sum += u64::from(code.frame);
                    codes.insert(f, code);
                }
                Err(e) => {
                    unsupported.insert(f, e);
                }
            }
        }

        // One trampoline per function type.
        let mut tramp_of_type: HashMap<FuncType, usize> = HashMap::new();
        let mut trampolines: Vec<Code> = Vec::new();
        for &f in codes.keys() {
            let ty = info.func_type(f);
            if tramp_of_type.contains_key(ty) {
                continue;
            }
            cctx.clear();
            cctx.func = abi::trampoline(ty, fe, &mut fctx, false)?;
            trampolines.push(self.codegen(&mut cctx)?);
            tramp_of_type.insert(ty.clone(), trampolines.len() - 1);
        }
        stats.codegen_time = start.elapsed();

        let start = Instant::now();
        let batch = link(
            info,
            codes,
            trampolines,
            &tramp_of_type,
            unsupported,
            stats,
            start,
        )?;
        Ok(batch)
    }

    /// Compiles the on-stack replacement entry of defined function `func`
    /// (a function index) of `module` at the wasm operator at byte offset
    /// `point` (`func::translate_osr`), with its trampoline (`abi.rs`), in a
    /// batch of its own: [`Batch::code_addr`] of `func` is the entry.
    pub fn compile_osr(
        &self,
        module: &ModuleInner,
        func: u32,
        point: u32,
    ) -> Result<Batch, String> {
        let info = &module.info;
        if func < info.num_imported_funcs || func as usize >= info.funcs.len() {
            return Err("not a defined function".into());
        }
        let fe = self.isa.frontend_config();
        let mut fctx = FunctionBuilderContext::new();
        let start = Instant::now();
        let t = func::translate_osr(info, &module.bytes, func, point, fe, &mut fctx)?;
        let mut stats = CompileStats {
            translated: 1,
            translate_time: start.elapsed(),
            ..CompileStats::default()
        };
        let start = Instant::now();
        let mut cctx = cranelift_codegen::Context::new();
        cctx.func = t.func;
        let code = self.codegen(&mut cctx)?;
        stats.max_frame = code.frame;
        stats.frame_sum = u64::from(code.frame);
        let ty = info.func_type(func);
        cctx.clear();
        cctx.func = abi::trampoline(ty, fe, &mut fctx, true)?;
        let trampoline = self.codegen(&mut cctx)?;
        stats.codegen_time = start.elapsed();
        let tramp_of_type = HashMap::from([(ty.clone(), 0)]);
        link(
            info,
            BTreeMap::from([(func, code)]),
            vec![trampoline],
            &tramp_of_type,
            BTreeMap::new(),
            stats,
            Instant::now(),
        )
    }

    /// Generates machine code for `cctx.func`.
    fn codegen(&self, cctx: &mut cranelift_codegen::Context) -> Result<Code, String> {
        let compiled = cctx
            .compile(&*self.isa, &mut ControlPlane::default())
            .map_err(|e| format!("cranelift: {:?}", e.inner))?;
        let mut frame = 0;
        if let Some(layout) = compiled.buffer.frame_layout() {
            if layout.frame_to_fp_offset > MAX_FRAME {
                return Err(format!(
                    "native frame of {} bytes (at most {MAX_FRAME})",
                    layout.frame_to_fp_offset
                ));
            }
            // Plus the return address and the saved frame pointer.
            frame = layout.frame_to_fp_offset + 2 * 8;
        }
        let bytes = compiled.buffer.data().to_vec();
        let raw: Vec<_> = compiled.buffer.relocs().to_vec();
        let mut relocs = Vec::new();
        for r in raw {
            let target = match &r.target {
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    let name = &cctx.func.params.user_named_funcs()[*name];
                    if name.namespace != func::FUNC_NAMESPACE {
                        return Err(format!("relocation to {name:?}"));
                    }
                    Target::Func(name.index)
                }
                FinalizedRelocTarget::ExternalName(ExternalName::LibCall(lc)) => {
                    Target::Libcall(libcall_addr(*lc).ok_or_else(|| format!("libcall {lc}"))?)
                }
                other => return Err(format!("relocation to {other:?}")),
            };
            relocs.push((r.offset, r.kind, target, r.addend));
        }
        Ok(Code {
            frame,
            bytes,
            relocs,
        })
    }
}

/// Lays out the functions and trampolines in one mapping, patches the
/// relocations and publishes the code.
fn link(
    info: &crate::module::ModuleInfo,
    codes: BTreeMap<u32, Code>,
    trampolines: Vec<Code>,
    tramp_of_type: &HashMap<FuncType, usize>,
    unsupported: BTreeMap<u32, String>,
    mut stats: CompileStats,
    start: Instant,
) -> Result<Batch, String> {
    let align = |n: usize| n.next_multiple_of(16);
    let mut offset = 0;
    let mut func_at = HashMap::new();
    for (&f, c) in &codes {
        // A header before the code: the address of its type's trampoline.
        offset += HEADER;
        func_at.insert(f, offset);
        offset = align(offset + c.bytes.len());
    }
    let mut tramp_at = Vec::new();
    for c in &trampolines {
        tramp_at.push(offset);
        offset = align(offset + c.bytes.len());
    }
    stats.compiled = codes.len();
    stats.code_bytes = offset;
    if codes.is_empty() {
        stats.link_time = start.elapsed();
        return Ok(Batch {
            code: None,
            funcs: HashMap::new(),
            unsupported,
            stats,
        });
    }
    let mut mem = CodeMemory::new(offset).map_err(|e| format!("code memory: {e}"))?;
    let base = mem.addr(0) as usize;
    let bytes = mem.bytes_mut().expect("fresh code memory is writable");
    for &f in codes.keys() {
        let t = tramp_at[tramp_of_type[info.func_type(f)]];
        let at = func_at[&f] - HEADER;
        bytes[at..at + 8].copy_from_slice(&((base + t) as u64).to_le_bytes());
    }
    let placed = codes
        .iter()
        .map(|(f, c)| (func_at[f], c))
        .chain(tramp_at.iter().copied().zip(&trampolines));
    for (at, c) in placed {
        bytes[at..at + c.bytes.len()].copy_from_slice(&c.bytes);
        for &(off, kind, target, addend) in &c.relocs {
            let target = match target {
                Target::Func(g) => base + func_at[&g],
                Target::Libcall(addr) => addr,
            };
            let at = at + off as usize;
            patch(bytes, at, base + at, kind, target, addend)?;
        }
    }
    mem.publish().map_err(|e| format!("code memory: {e}"))?;
    let funcs = codes
        .keys()
        .map(|&f| {
            let ty = info.func_type(f);
            let t = tramp_at[tramp_of_type[ty]];
            (f, (func_at[&f], t, ty.params().len(), ty.results().len()))
        })
        .collect();
    stats.link_time = start.elapsed();
    Ok(Batch {
        code: Some(mem),
        funcs,
        unsupported,
        stats,
    })
}

/// Bytes before each function's code holding its trampoline's address.
pub(super) const HEADER: usize = 16;

/// Applies one relocation at `bytes[at..]`, whose address is `pc`.
fn patch(
    bytes: &mut [u8],
    at: usize,
    pc: usize,
    kind: Reloc,
    target: usize,
    addend: i64,
) -> Result<(), String> {
    let value = (target as i64).wrapping_add(addend);
    match kind {
        Reloc::Abs8 => bytes[at..at + 8].copy_from_slice(&value.to_le_bytes()),
        Reloc::X86PCRel4 | Reloc::X86CallPCRel4 | Reloc::X86CallPLTRel4 => {
            let rel = i32::try_from(value.wrapping_sub(pc as i64))
                .map_err(|_| "call out of 32-bit range".to_string())?;
            bytes[at..at + 4].copy_from_slice(&rel.to_le_bytes());
        }
        Reloc::Arm64Call => {
            let rel = value.wrapping_sub(pc as i64);
            if rel % 4 != 0 || !(-(1 << 27)..(1 << 27)).contains(&rel) {
                return Err("call out of 128 MiB range".into());
            }
            let insn = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
            let insn = (insn & 0xfc00_0000) | ((rel >> 2) as u32 & 0x03ff_ffff);
            bytes[at..at + 4].copy_from_slice(&insn.to_le_bytes());
        }
        other => return Err(format!("relocation kind {other:?}")),
    }
    Ok(())
}

/// Rounding libcalls, for CPUs without rounding instructions (x86 without
/// SSE4.1): the interpreter's semantics, NaN quieting included.
fn libcall_addr(lc: LibCall) -> Option<usize> {
    use crate::exec::num;
    extern "C" fn ceil_f32(x: f32) -> f32 {
        f32::from_bits(num::f32_ceil(x.to_bits() as u64) as u32)
    }
    extern "C" fn floor_f32(x: f32) -> f32 {
        f32::from_bits(num::f32_floor(x.to_bits() as u64) as u32)
    }
    extern "C" fn trunc_f32(x: f32) -> f32 {
        f32::from_bits(num::f32_trunc(x.to_bits() as u64) as u32)
    }
    extern "C" fn nearest_f32(x: f32) -> f32 {
        f32::from_bits(num::f32_nearest(x.to_bits() as u64) as u32)
    }
    extern "C" fn ceil_f64(x: f64) -> f64 {
        f64::from_bits(num::f64_ceil(x.to_bits()))
    }
    extern "C" fn floor_f64(x: f64) -> f64 {
        f64::from_bits(num::f64_floor(x.to_bits()))
    }
    extern "C" fn trunc_f64(x: f64) -> f64 {
        f64::from_bits(num::f64_trunc(x.to_bits()))
    }
    extern "C" fn nearest_f64(x: f64) -> f64 {
        f64::from_bits(num::f64_nearest(x.to_bits()))
    }
    Some(match lc {
        LibCall::CeilF32 => ceil_f32 as extern "C" fn(f32) -> f32 as usize,
        LibCall::FloorF32 => floor_f32 as extern "C" fn(f32) -> f32 as usize,
        LibCall::TruncF32 => trunc_f32 as extern "C" fn(f32) -> f32 as usize,
        LibCall::NearestF32 => nearest_f32 as extern "C" fn(f32) -> f32 as usize,
        LibCall::CeilF64 => ceil_f64 as extern "C" fn(f64) -> f64 as usize,
        LibCall::FloorF64 => floor_f64 as extern "C" fn(f64) -> f64 as usize,
        LibCall::TruncF64 => trunc_f64 as extern "C" fn(f64) -> f64 as usize,
        LibCall::NearestF64 => nearest_f64 as extern "C" fn(f64) -> f64 as usize,
        _ => return None,
    })
}
