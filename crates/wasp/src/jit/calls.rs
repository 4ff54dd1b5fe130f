//! Calls in compiled code: `call` and `call_indirect`.
//!
//! `call f` of a defined function loads `funcs[f]` from the module's code
//! table (`JitCtx::funcs`): non-zero is native code, called indirectly with
//! the internal signature (tail convention); zero, or an imported `f`, goes
//! to `ctx.call_out` with the arguments in the call buffer (slot layout).
//! `call_indirect` stores the arguments, then asks `ctx.call_indirect`,
//! which checks the element like the interpreter and either returns native
//! code of this instance to call with the arguments, or makes the call.
//! Every path joins in one block carrying the status and the results; a
//! non-zero status records this frame and returns.

use super::abi::{self, clif_type, internal_signature, trusted};
use super::func::FuncTranslator;
use crate::types::{FuncType, ValType};
use cranelift_codegen::ir::{self, condcodes::IntCC, types, BlockArg, InstBuilder, Type, Value};

impl FuncTranslator<'_, '_> {
    /// The CLIF types of a function type's parameters and results; a
    /// `v128` makes the call unsupported (SIMD stays interpreted).
    fn clif_types(ty: &FuncType) -> Result<(Vec<Type>, Vec<Type>), String> {
        let conv = |ts: &[ValType]| {
            ts.iter()
                .map(|&t| clif_type(t).ok_or_else(|| format!("call of a function with a {t}")))
                .collect::<Result<Vec<_>, _>>()
        };
        Ok((conv(ty.params())?, conv(ty.results())?))
    }

    /// Pops a call's `n` arguments.
    fn pop_args(&mut self, n: usize) -> Vec<Value> {
        let len = self.stack.len();
        self.stack.split_off(len - n)
    }

    /// Calls native code at `addr` (internal signature of `ty`) and jumps
    /// to `join` with its status and results.
    pub(super) fn call_native(
        &mut self,
        ty: &FuncType,
        addr: Value,
        args: &[Value],
        join: ir::Block,
    ) -> Result<(), String> {
        let sig = self.b.import_signature(internal_signature(ty)?);
        let mut all = vec![self.ctx];
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, addr, &all);
        let rets: Vec<BlockArg> = self
            .b
            .inst_results(call)
            .iter()
            .map(|&v| BlockArg::Value(v))
            .collect();
        self.b.ins().jump(join, &rets);
        Ok(())
    }

    /// Reads the status and results of a call-out from `buf` and jumps to
    /// `join`.
    fn join_from_buffer(
        &mut self,
        status: Value,
        buf: Value,
        results: &[Type],
        join: ir::Block,
    ) -> Result<(), String> {
        let mut rets = vec![BlockArg::Value(status)];
        // On a non-zero status the results are placeholders (never used).
        for v in self.load_slots(buf, results)? {
            rets.push(BlockArg::Value(v));
        }
        self.b.ins().jump(join, &rets);
        Ok(())
    }

    /// After a call: checks the joined status and pushes the results.
    fn after_call(&mut self, join: ir::Block) {
        self.b.seal_block(join);
        self.b.switch_to_block(join);
        let vals = self.b.block_params(join).to_vec();
        self.check_status(vals[0]);
        self.stack.extend_from_slice(&vals[1..]);
    }

    /// `call func`: a defined function through the code table (native code
    /// if installed, else the call-out), an import through the call-out.
    pub(super) fn call(&mut self, func: u32) -> Result<(), String> {
        let ty = self.info.func_type(func).clone();
        let (params, results) = Self::clif_types(&ty)?;
        let args = self.pop_args(params.len());
        let mut join_types = vec![types::I32];
        join_types.extend_from_slice(&results);
        let join = self.block_with(&join_types);
        let out = self.b.create_block();
        if func >= self.info.num_imported_funcs {
            let table =
                self.b
                    .ins()
                    .load(types::I64, trusted().with_readonly(), self.ctx, abi::FUNCS);
            let offset = i32::try_from(func as usize * 8).map_err(|_| "too many functions")?;
            let addr = self.b.ins().load(types::I64, trusted(), table, offset);
            let native = self.b.create_block();
            self.b.ins().brif(addr, native, &[], out, &[]);
            self.b.seal_block(native);
            self.b.switch_to_block(native);
            self.call_native(&ty, addr, &args, join)?;
        } else {
            self.b.ins().jump(out, &[]);
        }
        self.b.seal_block(out);
        self.b.switch_to_block(out);
        let buf = self.call_buffer(params.len().max(results.len()))?;
        self.store_slots(buf, &args)?;
        let index = self.b.ins().iconst(types::I32, func as i64);
        let status = self.call_ctx_fn(
            abi::CALL_OUT,
            &[types::I32, types::I64],
            types::I32,
            &[index, buf],
        );
        self.join_from_buffer(status, buf, &results, join)?;
        self.after_call(join);
        Ok(())
    }

    /// `call_indirect`: the runtime checks the element (bounds, null,
    /// signature) and either hands back a native callee of this instance
    /// or makes the call itself.
    pub(super) fn call_indirect(&mut self, type_index: u32, table: u32) -> Result<(), String> {
        let ty = self.info.types[type_index as usize].clone();
        let type_id = self.info.type_ids[type_index as usize];
        let (params, results) = Self::clif_types(&ty)?;
        let index = self.pop();
        let args = self.pop_args(params.len());
        let mut join_types = vec![types::I32];
        join_types.extend_from_slice(&results);
        let join = self.block_with(&join_types);
        if table == 0 {
            // A cached compiled callee is called here (`icache.rs`); the
            // rest goes on below.
            self.icache_probe(&ty, type_id, index, &args, join)?;
        }
        let buf = self.call_buffer(params.len().max(results.len()))?;
        self.store_slots(buf, &args)?;
        let t = self.b.ins().iconst(types::I32, table as i64);
        let id = self.b.ins().iconst(types::I32, type_id as i64);
        let r = self.call_ctx_fn(
            abi::CALL_INDIRECT,
            &[types::I32, types::I32, types::I32, types::I64],
            types::I64,
            &[t, id, index, buf],
        );
        let (native, done) = (self.b.create_block(), self.b.create_block());
        let is_code =
            self.b
                .ins()
                .icmp_imm_u(IntCC::UnsignedGreaterThan, r, abi::MAX_STATUS as i64);
        self.b.ins().brif(is_code, native, &[], done, &[]);
        self.b.seal_block(native);
        self.b.seal_block(done);
        self.b.switch_to_block(native);
        self.call_native(&ty, r, &args, join)?;
        self.b.switch_to_block(done);
        let status = self.b.ins().ireduce(types::I32, r);
        self.join_from_buffer(status, buf, &results, join)?;
        self.after_call(join);
        Ok(())
    }
}
