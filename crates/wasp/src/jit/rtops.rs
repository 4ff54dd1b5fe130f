//! Operators compiled code leaves to the runtime: tables, bulk memory,
//! segments and `ref.func`, each a call of `ctx.runtime_op` (`runtime.rs`
//! implements them with the interpreter's semantics and trap codes) with
//! the operands in the call buffer; plus the references that need no
//! runtime (`ref.null`, `ref.is_null`).

use super::abi::{self, RtOp};
use super::func::FuncTranslator;
use cranelift_codegen::ir::{condcodes::IntCC, types, InstBuilder};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    /// Pops `operands` values, calls the runtime for `op`, traps on a
    /// non-zero status and pushes the result if the operator has one.
    fn rt_call(&mut self, op: RtOp, imm: u64, operands: usize, result: bool) -> Result<(), String> {
        let len = self.stack.len();
        let args = self.stack.split_off(len - operands);
        let buf = self.call_buffer(operands.max(1))?;
        self.store_slots(buf, &args)?;
        let code = self.b.ins().iconst(types::I32, op as i64);
        let imm = self.b.ins().iconst(types::I64, imm as i64);
        let status = self.call_ctx_fn(
            abi::RUNTIME_OP,
            &[types::I32, types::I64, types::I64],
            types::I32,
            &[code, imm, buf],
        );
        self.check_status(status);
        if result {
            let ty = match op {
                RtOp::TableSize | RtOp::TableGrow => types::I32,
                _ => types::I64,
            };
            let v = self.load_slots(buf, &[ty])?[0];
            self.push(v);
        }
        Ok(())
    }

    /// Translates a runtime or reference operator; `false` if `op` is not one.
    pub(super) fn runtime_op(&mut self, op: &Operator) -> Result<bool, String> {
        use Operator as O;
        let pair = |a: u32, b: u32| a as u64 | (b as u64) << 32;
        match *op {
            O::MemoryFill { mem: 0 } => self.rt_call(RtOp::MemoryFill, 0, 3, false)?,
            O::MemoryCopy {
                dst_mem: 0,
                src_mem: 0,
            } => self.rt_call(RtOp::MemoryCopy, 0, 3, false)?,
            O::MemoryInit { data_index, mem: 0 } => {
                self.rt_call(RtOp::MemoryInit, data_index.into(), 3, false)?
            }
            O::DataDrop { data_index } => {
                self.rt_call(RtOp::DataDrop, data_index.into(), 0, false)?
            }
            O::TableGet { table } => self.rt_call(RtOp::TableGet, table.into(), 1, true)?,
            O::TableSet { table } => self.rt_call(RtOp::TableSet, table.into(), 2, false)?,
            O::TableSize { table } => self.rt_call(RtOp::TableSize, table.into(), 0, true)?,
            O::TableGrow { table } => self.rt_call(RtOp::TableGrow, table.into(), 2, true)?,
            O::TableFill { table } => self.rt_call(RtOp::TableFill, table.into(), 3, false)?,
            O::TableCopy {
                dst_table,
                src_table,
            } => self.rt_call(RtOp::TableCopy, pair(dst_table, src_table), 3, false)?,
            O::TableInit { elem_index, table } => {
                self.rt_call(RtOp::TableInit, pair(table, elem_index), 3, false)?
            }
            O::ElemDrop { elem_index } => {
                self.rt_call(RtOp::ElemDrop, elem_index.into(), 0, false)?
            }
            O::RefFunc { function_index } => {
                self.rt_call(RtOp::RefFunc, function_index.into(), 0, true)?
            }
            O::RefNull { .. } => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.push(v);
            }
            O::RefIsNull => {
                let r = self.pop();
                let z = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let v = self.b.ins().uextend(types::I32, z);
                self.push(v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
