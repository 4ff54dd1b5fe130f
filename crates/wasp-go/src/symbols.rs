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
        let imports = module
            .imports()
            .filter(|i| matches!(i.ty(), ExternType::Func(_)))
            .count() as u32;
        Some(GoSymbols { table, imports })
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
        let entry = self.pc(func_index, 0)?;
        if ty.params() != [ValType::I32] || ty.results() != [ValType::I32] {
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
