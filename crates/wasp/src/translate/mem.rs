//! Translation of memory operators on memories other than a 32-bit memory
//! 0 (multi-memory, memory64), of `memory.size`/`memory.grow` on a memory
//! with a custom page size, and of the wide-arithmetic operators. Each
//! becomes an instruction of its own (`ir.rs` `…M`/`…W` loads and stores,
//! `Memory…X`), so the handlers of the common case stay as they are.

use super::Translator;
use crate::ir::{Instr, Slot};
use wasmparser::{MemArg, MemArgTarget, Operator};

/// Makes a load `(dst, addr, offset, mem)`.
type MkLoad = fn(Slot, Slot, u32, u16) -> Instr;
/// Makes a store `(addr, src, offset, mem)`.
type MkStore = fn(Slot, Slot, u32, u16) -> Instr;

/// The memory a memory argument names.
pub(super) fn memory_of(m: &MemArg) -> u32 {
    match m.target {
        MemArgTarget::Memory(i) => i,
        // GC array targets are not enabled (validation rejects them).
        MemArgTarget::Array(_) => 0,
    }
}

/// The 32-bit (`M`) and memory64 (`W`) loads of a load operator.
fn load_kind(op: &Operator<'_>) -> Option<(MemArg, MkLoad, MkLoad)> {
    use Instr as I;
    macro_rules! k {
        ($m:expr, $a:ident, $b:ident) => {
            Some((
                *$m,
                |dst, addr, offset, mem| I::$a {
                    dst,
                    addr,
                    offset,
                    mem,
                },
                |dst, addr, offset, mem| I::$b {
                    dst,
                    addr,
                    offset,
                    mem,
                },
            ))
        };
    }
    match op {
        Operator::I32Load { memarg }
        | Operator::F32Load { memarg }
        | Operator::I64Load32U { memarg } => k!(memarg, I32LoadM, I32LoadW),
        Operator::I64Load { memarg } | Operator::F64Load { memarg } => {
            k!(memarg, I64LoadM, I64LoadW)
        }
        Operator::I32Load8S { memarg } => k!(memarg, I32Load8SM, I32Load8SW),
        Operator::I32Load8U { memarg } | Operator::I64Load8U { memarg } => {
            k!(memarg, I32Load8UM, I32Load8UW)
        }
        Operator::I32Load16S { memarg } => k!(memarg, I32Load16SM, I32Load16SW),
        Operator::I32Load16U { memarg } | Operator::I64Load16U { memarg } => {
            k!(memarg, I32Load16UM, I32Load16UW)
        }
        Operator::I64Load8S { memarg } => k!(memarg, I64Load8SM, I64Load8SW),
        Operator::I64Load16S { memarg } => k!(memarg, I64Load16SM, I64Load16SW),
        Operator::I64Load32S { memarg } => k!(memarg, I64Load32SM, I64Load32SW),
        _ => None,
    }
}

/// The 32-bit (`M`) and memory64 (`W`) stores of a store operator.
fn store_kind(op: &Operator<'_>) -> Option<(MemArg, MkStore, MkStore)> {
    use Instr as I;
    macro_rules! k {
        ($m:expr, $a:ident, $b:ident) => {
            Some((
                *$m,
                |addr, src, offset, mem| I::$a {
                    addr,
                    src,
                    offset,
                    mem,
                },
                |addr, src, offset, mem| I::$b {
                    addr,
                    src,
                    offset,
                    mem,
                },
            ))
        };
    }
    match op {
        Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
            k!(memarg, Store8M, Store8W)
        }
        Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
            k!(memarg, Store16M, Store16W)
        }
        Operator::I32Store { memarg }
        | Operator::F32Store { memarg }
        | Operator::I64Store32 { memarg } => k!(memarg, Store32M, Store32W),
        Operator::I64Store { memarg } | Operator::F64Store { memarg } => {
            k!(memarg, Store64M, Store64W)
        }
        _ => None,
    }
}

impl Translator<'_> {
    /// Is memory `m` a 32-bit memory 0, which the common instructions
    /// (through the hot state) handle for loads, stores and bulk operators?
    pub(super) fn common_memory(&self, m: u32) -> bool {
        m == 0 && !self.info.memories[0].memory64
    }

    fn memory64(&self, m: u32) -> bool {
        self.info.memories[m as usize].memory64
    }

    /// Translates `op` if it is a wide-arithmetic operator or a memory
    /// operator that the common instructions do not cover; false otherwise.
    pub(super) fn extended(&mut self, op: &Operator<'_>) -> bool {
        match *op {
            Operator::I64Add128 | Operator::I64Sub128 => {
                let [a_lo, a_hi, b_lo, b_hi] = self.pop_slots::<4>();
                let dst = self.push_temp();
                self.push_temp();
                self.emit(if matches!(op, Operator::I64Add128) {
                    Instr::I64Add128 {
                        dst,
                        a_lo,
                        a_hi,
                        b_lo,
                        b_hi,
                    }
                } else {
                    Instr::I64Sub128 {
                        dst,
                        a_lo,
                        a_hi,
                        b_lo,
                        b_hi,
                    }
                });
                return true;
            }
            Operator::I64MulWideS | Operator::I64MulWideU => {
                let [lhs, rhs] = self.pop_slots::<2>();
                let dst = self.push_temp();
                self.push_temp();
                self.emit(if matches!(op, Operator::I64MulWideS) {
                    Instr::I64MulWideS { dst, lhs, rhs }
                } else {
                    Instr::I64MulWideU { dst, lhs, rhs }
                });
                return true;
            }
            _ => {}
        }
        if self.info.memories.is_empty() {
            return false;
        }
        if let Some((m, mk32, mk64)) = load_kind(op) {
            let mem = memory_of(&m);
            if self.common_memory(mem) {
                return false;
            }
            let (pos, a) = self.pop();
            let addr = self.value_slot(pos, a);
            let dst = self.push_temp();
            match u32::try_from(m.offset) {
                Ok(off) if self.memory64(mem) => {
                    self.emit_result(mk64(dst, addr, off, mem as u16), dst)
                }
                Ok(off) => self.emit_result(mk32(dst, addr, off, mem as u16), dst),
                Err(_) => {
                    self.emit(Instr::MemoryTrap);
                }
            }
            return true;
        }
        if let Some((m, mk32, mk64)) = store_kind(op) {
            let mem = memory_of(&m);
            if self.common_memory(mem) {
                return false;
            }
            let [addr, src] = self.pop_slots::<2>();
            match u32::try_from(m.offset) {
                Ok(off) if self.memory64(mem) => self.emit(mk64(addr, src, off, mem as u16)),
                Ok(off) => self.emit(mk32(addr, src, off, mem as u16)),
                Err(_) => self.emit(Instr::MemoryTrap),
            };
            return true;
        }
        match *op {
            Operator::MemorySize { mem } => {
                let t = self.info.memories[mem as usize];
                if mem == 0 && !t.memory64 && t.page_size_log2 == 16 {
                    return false;
                }
                let dst = self.push_temp();
                self.emit_result(Instr::MemorySizeX { dst, mem }, dst);
            }
            Operator::MemoryGrow { mem } => {
                let t = self.info.memories[mem as usize];
                if mem == 0 && !t.memory64 && t.page_size_log2 == 16 {
                    return false;
                }
                let [delta] = self.pop_slots::<1>();
                let dst = self.push_temp();
                self.emit_result(Instr::MemoryGrowX { dst, delta, mem }, dst);
            }
            Operator::MemoryFill { mem } => {
                if self.common_memory(mem) {
                    return false;
                }
                let [dst, val, len] = self.pop_slots::<3>();
                self.emit(Instr::MemoryFillX {
                    dst,
                    val,
                    len,
                    mem: mem as u16,
                });
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                if self.common_memory(dst_mem) && self.common_memory(src_mem) {
                    return false;
                }
                let [dst, src, len] = self.pop_slots::<3>();
                self.emit(Instr::MemoryCopyX {
                    dst,
                    src,
                    len,
                    dst_mem: dst_mem as u16,
                    src_mem: src_mem as u16,
                });
            }
            Operator::MemoryInit { data_index, mem } => {
                if self.common_memory(mem) {
                    return false;
                }
                let [dst, src, len] = self.pop_slots::<3>();
                // Data segments: at most 100,000 (wasmparser's limit), so
                // 24 bits; memories at most 100, so 8 bits.
                self.emit(Instr::MemoryInitX {
                    dst,
                    src,
                    len,
                    seg_mem: data_index | mem << 24,
                });
            }
            _ => return false,
        }
        true
    }
}
