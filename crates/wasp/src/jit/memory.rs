//! Linear memory: bounds-checked loads and stores, `memory.size` and
//! `memory.grow`.
//!
//! Every access computes `end = zext(addr) + offset + size` in 64 bits (no
//! overflow: at most 2^33) and traps with `MemoryOutOfBounds` when
//! `end > ctx.mem_len`; the access itself then cannot fault. Base and
//! length are loaded from the context at each access (Cranelift's alias
//! analysis removes repeats); anything that can grow memory is a call, and
//! calls end that reuse, so a grown memory is always seen.

use super::abi::{self, trusted, Status};
use super::func::FuncTranslator;
use cranelift_codegen::ir::{
    condcodes::IntCC, types, Endianness, InstBuilder, MemFlagsData, Type, Value,
};
use wasmparser::{MemArg, Operator};

/// How a load reads memory: bytes and extension.
#[derive(Clone, Copy)]
enum Load {
    /// A whole value of the result type.
    Full,
    U8,
    S8,
    U16,
    S16,
    U32,
    S32,
}

/// Flags of a wasm memory access: bounds already checked, any alignment.
fn heap() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_endianness(Endianness::Little)
}

impl FuncTranslator<'_, '_> {
    /// Refuses (the function stays interpreted) a memory operator when
    /// memory 0 is a memory64 memory or has a custom page size: the bounds
    /// checks and `memory.size`/`grow` here assume a 32-bit memory of 64 KiB
    /// pages. Operators on other memories are refused where they are met.
    pub(super) fn check_memory(&self) -> Result<(), String> {
        match self.info.memories.first() {
            Some(m) if m.memory64 || m.page_size_log2 != 16 => {
                Err("memory64 or custom page size memory".into())
            }
            _ => Ok(()),
        }
    }

    /// The native address of a checked access of `size` bytes at `addr + offset`.
    fn heap_addr(&mut self, addr: Value, memarg: &MemArg, size: u64) -> Result<Value, String> {
        if memarg.target != wasmparser::MemArgTarget::Memory(0) {
            return Err("multiple memories".into());
        }
        self.check_memory()?;
        let ea = self.b.ins().uextend(types::I64, addr);
        let len = self
            .b
            .ins()
            .load(types::I64, trusted(), self.ctx, abi::MEM_LEN);
        let end = self.b.ins().iadd_imm_s(ea, (memarg.offset + size) as i64);
        let oob = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, len);
        self.trap_if(oob, Status::MemoryOutOfBounds);
        let base = self
            .b
            .ins()
            .load(types::I64, trusted(), self.ctx, abi::MEM_BASE);
        let at = self.b.ins().iadd(base, ea);
        Ok(if memarg.offset == 0 {
            at
        } else {
            self.b.ins().iadd_imm_s(at, memarg.offset as i64)
        })
    }

    fn load(&mut self, memarg: &MemArg, ty: Type, kind: Load) -> Result<(), String> {
        let size = match kind {
            Load::Full => ty.bytes() as u64,
            Load::U8 | Load::S8 => 1,
            Load::U16 | Load::S16 => 2,
            Load::U32 | Load::S32 => 4,
        };
        let addr = self.pop();
        let p = self.heap_addr(addr, memarg, size)?;
        let ins = self.b.ins();
        let v = match kind {
            Load::Full => ins.load(ty, heap(), p, 0),
            Load::U8 => ins.uload8(ty, heap(), p, 0),
            Load::S8 => ins.sload8(ty, heap(), p, 0),
            Load::U16 => ins.uload16(ty, heap(), p, 0),
            Load::S16 => ins.sload16(ty, heap(), p, 0),
            Load::U32 => ins.uload32(heap(), p, 0),
            Load::S32 => ins.sload32(heap(), p, 0),
        };
        self.push(v);
        Ok(())
    }

    /// Stores the low `size` bytes of the value on top of the stack.
    fn store(&mut self, memarg: &MemArg, size: u64) -> Result<(), String> {
        let v = self.pop();
        let addr = self.pop();
        let p = self.heap_addr(addr, memarg, size)?;
        let width = self.b.func.dfg.value_type(v).bytes() as u64;
        let ins = self.b.ins();
        match size {
            _ if size == width => ins.store(heap(), v, p, 0),
            1 => ins.istore8(heap(), v, p, 0),
            2 => ins.istore16(heap(), v, p, 0),
            _ => ins.istore32(heap(), v, p, 0),
        };
        Ok(())
    }

    fn memory_size(&mut self) {
        let len = self
            .b
            .ins()
            .load(types::I64, trusted(), self.ctx, abi::MEM_LEN);
        let pages = self.b.ins().ushr_imm_u(len, 16);
        let v = self.b.ins().ireduce(types::I32, pages);
        self.push(v);
    }

    fn memory_grow(&mut self) {
        let delta = self.pop();
        let v = self.call_ctx_fn(abi::MEMORY_GROW, &[types::I32], types::I32, &[delta]);
        self.push(v);
    }

    /// Translates a memory operator; `false` if `op` is not one.
    pub(super) fn memory_op(&mut self, op: &Operator) -> Result<bool, String> {
        use types::{F32, F64, I32, I64};
        use Operator as O;
        match op {
            O::I32Load { memarg } => self.load(memarg, I32, Load::Full)?,
            O::I64Load { memarg } => self.load(memarg, I64, Load::Full)?,
            O::F32Load { memarg } => self.load(memarg, F32, Load::Full)?,
            O::F64Load { memarg } => self.load(memarg, F64, Load::Full)?,
            O::I32Load8S { memarg } => self.load(memarg, I32, Load::S8)?,
            O::I32Load8U { memarg } => self.load(memarg, I32, Load::U8)?,
            O::I32Load16S { memarg } => self.load(memarg, I32, Load::S16)?,
            O::I32Load16U { memarg } => self.load(memarg, I32, Load::U16)?,
            O::I64Load8S { memarg } => self.load(memarg, I64, Load::S8)?,
            O::I64Load8U { memarg } => self.load(memarg, I64, Load::U8)?,
            O::I64Load16S { memarg } => self.load(memarg, I64, Load::S16)?,
            O::I64Load16U { memarg } => self.load(memarg, I64, Load::U16)?,
            O::I64Load32S { memarg } => self.load(memarg, I64, Load::S32)?,
            O::I64Load32U { memarg } => self.load(memarg, I64, Load::U32)?,
            O::I32Store { memarg } | O::F32Store { memarg } => self.store(memarg, 4)?,
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(memarg, 8)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(memarg, 1)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(memarg, 2)?,
            O::I64Store32 { memarg } => self.store(memarg, 4)?,
            O::MemorySize { mem: 0 } => {
                self.check_memory()?;
                self.memory_size()
            }
            O::MemoryGrow { mem: 0 } => {
                self.check_memory()?;
                self.memory_grow()
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Is `op` a bulk memory operator (`memory.fill/copy/init`: `rtops.rs`)?
pub(super) fn bulk_memory_op(op: &Operator) -> bool {
    matches!(
        op,
        Operator::MemoryFill { .. } | Operator::MemoryCopy { .. } | Operator::MemoryInit { .. }
    )
}
