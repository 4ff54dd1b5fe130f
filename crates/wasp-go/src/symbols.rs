//! A Go module's symbols: from a wasm frame (function index and the state
//! of its frame) to the Go PC, and from the Go PC to Go frames.
//!
//! # Which value is the position inside a Go function
//!
//! A Go function compiled for wasm takes `PC_B` as its only parameter
//! (local 0) and keeps a copy of Go's stack pointer in local 1 (the global
//! `SP` is wasm global 0). `PC_B` is written only on *entry* (0 for an
//! ordinary call, the resume point when the runtime resumes a goroutine) and
//! by *jumps* between blocks (`i32.const K; local.set 0; br $loop`); code
//! that falls from one block into the next, or continues after a call,
//! leaves it behind. So it is exact at a function's entry and right after a
//! backward jump (a loop), and stale elsewhere.
//!
//! The exact position of a frame that is *calling*: before every call, Go
//! pushes the return address `PC_F << 16 | resume point` on its stack
//! (`SP -= 8`, written through local 1 and the global, then `i64.store`),
//! and local 1 is reloaded from the global only after the call returns. So
//! while the callee runs — and at the moment it has just returned — the
//! caller's local 1 points at that return address. [`GoSymbols::position`]
//! takes it when its `PC_F` is the frame's own (a stale or unrelated word
//! there does not match) and `PC_B` otherwise; the PC looked up for a return
//! address is the one before it (the call's own block, as Go's tracebacks do).
//!
//! Functions that do not follow the convention (Go's assembly helpers such
//! as `wasm_pc_f_loop`, `memeqbody` or `gcWriteBarrier`, whose type is not
//! `(i32) -> i32`) get their entry PC.

use crate::image::DataImage;
use crate::pclntab::{GoFrame, PcLnTab, FUNC_VALUE_OFFSET};
use wasp::{ExternType, Module, ValType};

/// The rule of [`GoSymbols::position`] for a module with `imports` imported functions.
fn go_position(
    imports: u32,
    func_index: u32,
    ty: &wasp::FuncType,
    locals: [Option<u64>; 2],
    memory: &[u8],
) -> Option<u64> {
    let def = func_index.checked_sub(imports)?;
    let entry = (FUNC_VALUE_OFFSET + u64::from(def)) << 16;
    if !is_go_convention(ty) {
        return Some(entry);
    }
    if let Some(sp) = locals[1] {
        let sp = sp as u32 as usize;
        if let Some(word) = memory.get(sp..sp.wrapping_add(8)) {
            let ret = u64::from_le_bytes(word.try_into().unwrap());
            if ret >> 16 == entry >> 16 {
                // A return address into this frame: look up its call.
                return Some(if ret & 0xffff > 0 { ret - 1 } else { ret });
            }
        }
    }
    let pc_b = locals[0].map_or(0, |b| b as u32 & 0xffff);
    Some(entry | u64::from(pc_b))
}

/// Number of imported functions of `module`.
fn imported_funcs(module: &Module) -> u32 {
    module
        .imports()
        .filter(|i| matches!(i.ty(), ExternType::Func(_)))
        .count() as u32
}

/// Functions where Go's own unwinder stops: the bottom of a goroutine's or
/// the runtime's stack (`runtime.goexit`, `runtime.mstart`, ...).
const STACK_BOTTOMS: [&str; 6] = [
    "runtime.goexit",
    "runtime.mstart",
    "runtime.rt0_go",
    "runtime.mcall",
    "runtime.morestack",
    "runtime.systemstack",
];

/// The [`FrameProbe`](wasp::FrameProbe) of a Go module, for
/// [`Store::set_position_probe`](wasp::Store::set_position_probe): each
/// frame's Go PC ([`GoSymbols::position`]) and, below the outermost Go
/// frame of the wasm stack, the Go callers that only Go's stack holds
/// ([`GoSymbols::hidden_callers`]). Positions need no table; the symbols are
/// decoded on first need (or by [`GoProbe::symbols`] beforehand). It
/// assumes every wasm frame of the store is the module's.
pub struct GoProbe {
    module: Module,
    imports: u32,
    symbols: std::sync::OnceLock<Option<GoSymbols>>,
}

impl GoProbe {
    /// The probe of `module`.
    pub fn new(module: &Module) -> std::sync::Arc<GoProbe> {
        std::sync::Arc::new(GoProbe {
            module: module.clone(),
            imports: imported_funcs(module),
            symbols: std::sync::OnceLock::new(),
        })
    }

    /// The module's symbols, decoded on the first call (`None` if the
    /// module has no `pclntab`).
    pub fn symbols(&self) -> Option<&GoSymbols> {
        self.symbols
            .get_or_init(|| GoSymbols::new(&self.module))
            .as_ref()
    }
}

impl wasp::FrameProbe for GoProbe {
    fn position(&self, f: &wasp::FrameView<'_>) -> Option<u64> {
        go_position(
            self.imports,
            f.func_index(),
            f.func_type(),
            [f.local(0), f.local(1)],
            f.memory(),
        )
    }

    fn hidden_callers(
        &self,
        f: &wasp::FrameView<'_>,
        position: Option<u64>,
        caller: Option<&wasp::FrameView<'_>>,
    ) -> Vec<(u32, Option<u64>)> {
        // Only below a Go frame whose wasm caller is not Go code (the
        // runtime's resume loop `wasm_pc_f_loop`, the entry point).
        if !is_go_convention(f.func_type())
            || caller.is_some_and(|c| is_go_convention(c.func_type()))
        {
            return Vec::new();
        }
        let (Some(go), Some(pc), Some(sp)) = (self.symbols(), position, f.local(1)) else {
            return Vec::new();
        };
        go.hidden_callers(pc, sp as u32, f.memory())
            .into_iter()
            .filter_map(|pc| Some((go.func_index(pc)?, Some(pc))))
            .collect()
    }
}

/// Go's calling convention on wasm: `(PC_B i32) -> (unwind i32)`.
fn is_go_convention(ty: &wasp::FuncType) -> bool {
    ty.params() == [ValType::I32] && ty.results() == [ValType::I32]
}

/// Whether Go built `module`: its `producers` section names the language
/// `Go` (what Go's linker writes since Go 1.21, the first with wasip1).
pub fn is_go(module: &Module) -> bool {
    module
        .custom_sections()
        .filter(|(name, _)| *name == "producers")
        .any(|(_, payload)| producers_language_is_go(payload).unwrap_or(false))
}

/// Reads a `producers` section: fields (name, values (name, version)).
fn producers_language_is_go(p: &[u8]) -> Option<bool> {
    fn uleb(p: &[u8], at: &mut usize) -> Option<usize> {
        let (mut v, mut shift) = (0usize, 0u32);
        loop {
            let b = *p.get(*at)?;
            *at += 1;
            v |= usize::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
        }
    }
    fn name<'a>(p: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
        let n = uleb(p, at)?;
        let s = p.get(*at..at.checked_add(n)?)?;
        *at += n;
        Some(s)
    }
    let mut at = 0;
    for _ in 0..uleb(p, &mut at)? {
        let field = name(p, &mut at)?;
        for _ in 0..uleb(p, &mut at)? {
            let value = name(p, &mut at)?;
            name(p, &mut at)?;
            if field == b"language" && value == b"Go" {
                return Some(true);
            }
        }
    }
    Some(false)
}

/// The Go symbols of a module: its `pclntab` and where Go's `PC_F` numbering starts.
#[derive(Debug, Clone)]
pub struct GoSymbols {
    table: PcLnTab,
    /// Number of imported functions (defined function `d` is wasm function `imports + d`).
    imports: u32,
}

impl GoSymbols {
    /// The symbols of `module`, if Go built it (its data holds a `pclntab`).
    pub fn new(module: &Module) -> Option<GoSymbols> {
        let table = PcLnTab::new(&DataImage::from_module(module))?;
        Some(GoSymbols {
            table,
            imports: imported_funcs(module),
        })
    }

    /// The decoded `pclntab`.
    pub fn table(&self) -> &PcLnTab {
        &self.table
    }

    /// Go's `PC_F << 16 | pc_b` for wasm function `func_index`, or `None` for
    /// an imported function.
    pub fn pc(&self, func_index: u32, pc_b: u16) -> Option<u64> {
        let def = func_index.checked_sub(self.imports)?;
        Some((FUNC_VALUE_OFFSET + u64::from(def)) << 16 | u64::from(pc_b))
    }

    /// The wasm function index of Go PC `pc`.
    pub fn func_index(&self, pc: u64) -> Option<u32> {
        let def = (pc >> 16).checked_sub(FUNC_VALUE_OFFSET)?;
        u32::try_from(def).ok()?.checked_add(self.imports)
    }

    /// The Go PC to look up for a frame of wasm function `func_index` of type
    /// `ty`, given the frame's first two locals (`PC_B` and the cached stack
    /// pointer; `None` when the function has fewer) and the instance's
    /// linear memory. See the module documentation for the rule.
    pub fn position(
        &self,
        func_index: u32,
        ty: &wasp::FuncType,
        locals: [Option<u64>; 2],
        memory: &[u8],
    ) -> Option<u64> {
        go_position(self.imports, func_index, ty, locals, memory)
    }

    /// The Go callers of a frame at Go PC `pc` (as [`position`](Self::position)
    /// gives it) whose stack pointer local is `sp`, read from Go's stack in
    /// `memory` as Go's own unwinder does: the return address sits at the
    /// frame's entry stack pointer, `sp + pcsp(pc)` (plus the 8 bytes of a
    /// return address just pushed, when the frame is calling), and the
    /// caller's frame starts 8 bytes above it. Their PCs (the call before
    /// each return address), innermost first; stops at the bottom of the
    /// stack, at an address that is not a Go PC, or after 256 frames.
    pub fn hidden_callers(&self, pc: u64, sp: u32, memory: &[u8]) -> Vec<u64> {
        let word = |at: u64| -> Option<u64> {
            let at = usize::try_from(at).ok()?;
            Some(u64::from_le_bytes(
                memory.get(at..at.checked_add(8)?)?.try_into().ok()?,
            ))
        };
        let mut out = Vec::new();
        let (mut pc, mut sp) = (pc, u64::from(sp));
        // A frame stopped at a call has pushed its callee's return address.
        if word(sp).is_some_and(|w| w >> 16 == pc >> 16 && w & 0xffff > 0) {
            sp += 8;
        }
        while out.len() < 256 {
            let Some(name) = self.table.func_name(pc) else {
                break;
            };
            if STACK_BOTTOMS.contains(&name.as_str()) {
                break;
            }
            let Some(delta) = self.table.sp_delta(pc).filter(|&d| d >= 0) else {
                break;
            };
            let fp = sp + delta as u64;
            let Some(ret) = word(fp).filter(|&r| self.table.func_name(r).is_some()) else {
                break;
            };
            pc = if ret & 0xffff > 0 { ret - 1 } else { ret };
            sp = fp + 8;
            out.push(pc);
        }
        out
    }

    /// The Go frames of wasm function `func_index` at Go PC `pc` (as
    /// [`position`](Self::position) gives it; the entry when `None`),
    /// innermost inlined call first; empty when the table does not know the
    /// function (an import, or a function the linker gave no entry).
    pub fn frames(&self, func_index: u32, pc: Option<u64>) -> Vec<GoFrame> {
        let entry = self.pc(func_index, 0);
        let pc = match (pc, entry) {
            (Some(pc), Some(e)) if pc >> 16 == e >> 16 => pc,
            (_, Some(e)) => e,
            (_, None) => return Vec::new(),
        };
        self.table.frames(pc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn producers_sections() {
        // 2 fields: language [Go go1.27.3], processed-by [Go cmd/compile].
        let mut p = vec![2u8];
        for (field, name, version) in [
            ("language", "Go", "go1.27.3"),
            ("processed-by", "Go", "cmd/compile"),
        ] {
            p.push(field.len() as u8);
            p.extend(field.as_bytes());
            p.push(1);
            for s in [name, version] {
                p.push(s.len() as u8);
                p.extend(s.as_bytes());
            }
        }
        assert_eq!(producers_language_is_go(&p), Some(true));
        p[1 + 1 + 8 + 1 + 1] = b'X'; // "Xo"
        assert_eq!(producers_language_is_go(&p), Some(false));
        assert_eq!(producers_language_is_go(&p[..5]), None, "truncated");
    }
}
