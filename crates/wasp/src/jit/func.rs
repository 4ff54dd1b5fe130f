//! One function body: validated `wasmparser` operators to a CLIF function.
//!
//! The wasm operand stack is a stack of SSA values; locals are frontend
//! `Variable`s (the frontend builds SSA form); every control construct gets
//! Cranelift blocks whose parameters carry its results (and, for loops, its
//! parameters). Code after an unconditional transfer is skipped until the
//! `else`/`end` that makes it reachable again.
//!
//! Traps never use Cranelift's trapping instructions (they would need a
//! signal handler): each trap condition branches to a cold block that
//! returns its [`Status`], and each call checks the callee's status and
//! returns it if non-zero; every such return first records the function in
//! `ctx.trace` (the trap's backtrace). Function entries and loop headers
//! poll the attention word. This file handles control flow, locals,
//! globals and the call buffer; `calls.rs` calls, `ops.rs` the numeric
//! operators, `memory.rs` memory access, `rtops.rs` what the runtime does.

use super::abi::{self, clif_type, internal_signature, trusted, Status};
use crate::module::ModuleInfo;
use crate::types::{FuncType, ValType};
use cranelift_codegen::ir::{
    self, condcodes::IntCC, types, AbiParam, BlockArg, InstBuilder, MemFlagsData, Signature, Type,
    Value,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use std::collections::BTreeMap;
use wasmparser::{BinaryReader, BlockType, FunctionBody, Operator};

/// A translated function: its CLIF.
pub(super) struct Translated {
    pub func: ir::Function,
}

/// The namespace of `UserExternalName`s that name wasm functions.
pub(super) const FUNC_NAMESPACE: u32 = 0;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Func,
    Block,
    Loop {
        header: ir::Block,
    },
    If {
        else_block: ir::Block,
        params: Vec<Value>,
        has_else: bool,
    },
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    /// The continuation after `end`; its parameters are the results.
    next: ir::Block,
    params: Vec<Type>,
    results: Vec<Type>,
    /// Operand stack height below the frame's parameters.
    height: usize,
    /// Does any branch (or a fall-through) reach `next`?
    next_reached: bool,
}

impl Frame {
    /// Where a branch to this frame goes and how many values it carries.
    fn target(&self) -> (ir::Block, usize) {
        match self.kind {
            Kind::Loop { header } => (header, self.params.len()),
            _ => (self.next, self.results.len()),
        }
    }
}

/// The byte offset of slot `i` of a call buffer.
fn slot_offset(i: usize) -> Result<i32, String> {
    i32::try_from(i * 8).map_err(|_| "too many parameters or results".to_string())
}

/// Translation state of one function (shared with `ops.rs` and `memory.rs`).
pub(super) struct FuncTranslator<'a, 'b> {
    pub b: FunctionBuilder<'b>,
    pub info: &'a ModuleInfo,
    /// The target (the host's calling convention is the libcalls').
    fe: TargetFrontendConfig,
    /// The `*mut JitCtx` parameter.
    pub ctx: Value,
    pub stack: Vec<Value>,
    locals: Vec<(Variable, Type)>,
    frames: Vec<Frame>,
    reachable: bool,
    /// Blocks opened inside unreachable code (skipped whole).
    skip: usize,
    /// One cold block per trap kind, filled in at the end.
    trap_blocks: BTreeMap<Status, ir::Block>,
    /// The block that returns a callee's non-zero status (param: status).
    propagate: Option<ir::Block>,
    results: Vec<Type>,
    /// This function's index (what the trap path records).
    func_index: u32,
    /// The argument buffer of call-outs (one per function, as large as the
    /// largest use; sized in `finish`).
    buf: Option<(ir::StackSlot, u32)>,
    /// The prologue's `StackExhausted` exit (records no frame: the
    /// interpreter's backtrace does not show a callee it could not enter).
    exhausted: Option<ir::Block>,
    /// Byte offset of the operator being translated.
    op_offset: usize,
    /// An on-stack replacement entry (`translate_osr`): the wasm offset of
    /// its point and the block the entry jumps to, until the point's block
    /// is reached and linked (then `None`).
    osr: Option<(usize, ir::Block)>,
}

/// Translates defined function `func_index` of the module.
pub(super) fn translate(
    info: &ModuleInfo,
    bytes: &[u8],
    func_index: u32,
    fe: TargetFrontendConfig,
    fctx: &mut FunctionBuilderContext,
) -> Result<Translated, String> {
    translate_at(info, bytes, func_index, fe, fctx, None)
}

/// Translates the on-stack replacement entry of defined function
/// `func_index` at the wasm operator at byte offset `point` (a `loop`
/// without parameters or the `end` of a block without results, with an
/// empty operand stack): a function `(ctx, slots) -> (status, results...)`
/// (`abi::osr_signature`) that runs the prologue, loads every local from
/// `slots` (the interpreter's frame layout) and jumps to that point; the
/// rest is the function's own translation, its entry left unreachable.
pub(super) fn translate_osr(
    info: &ModuleInfo,
    bytes: &[u8],
    func_index: u32,
    point: u32,
    fe: TargetFrontendConfig,
    fctx: &mut FunctionBuilderContext,
) -> Result<Translated, String> {
    translate_at(info, bytes, func_index, fe, fctx, Some(point))
}

fn translate_at(
    info: &ModuleInfo,
    bytes: &[u8],
    func_index: u32,
    fe: TargetFrontendConfig,
    fctx: &mut FunctionBuilderContext,
    osr: Option<u32>,
) -> Result<Translated, String> {
    let ty = info.func_type(func_index);
    let sig = match osr {
        None => internal_signature(ty)?,
        Some(_) => abi::osr_signature(ty)?,
    };
    let def = func_index - info.num_imported_funcs;
    let range = info.bodies[def as usize].clone();
    let body = FunctionBody::new(BinaryReader::new_features(
        &bytes[range.clone()],
        range.start as u64,
        crate::module::features(),
    ));
    let name = ir::UserFuncName::user(FUNC_NAMESPACE, func_index);
    let mut func = ir::Function::with_name_signature(name, sig);
    let mut t = FuncTranslator::new(&mut func, fctx, info, fe, ty, osr.is_some())?;
    t.func_index = func_index;
    let mut locals = body.get_locals_reader().map_err(|e| e.to_string())?;
    for _ in 0..locals.get_count() {
        let (count, vt) = locals.read().map_err(|e| e.to_string())?;
        let vt = ValType::from_wasmparser(vt).ok_or("unsupported local type")?;
        t.declare_locals(count, vt)?;
    }
    if let Some(point) = osr {
        t.osr_entry(point as usize)?;
    }
    let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
    while !t.frames.is_empty() {
        let (op, offset) = ops.read_with_offset().map_err(|e| e.to_string())?;
        t.op_offset = offset as usize;
        t.op(op)?;
    }
    if t.osr.is_some() {
        // Not a point of this function (or in code the translation skips):
        // the entry block would have no terminator.
        return Err("no on-stack replacement point there".into());
    }
    t.finish();
    Ok(Translated { func })
}

impl<'a, 'b> FuncTranslator<'a, 'b> {
    fn new(
        func: &'b mut ir::Function,
        fctx: &'b mut FunctionBuilderContext,
        info: &'a ModuleInfo,
        fe: TargetFrontendConfig,
        ty: &FuncType,
        osr: bool,
    ) -> Result<Self, String> {
        let mut b = FunctionBuilder::new(func, fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        b.seal_block(entry);
        let params = b.block_params(entry).to_vec();
        let results: Vec<Type> = ty.results().iter().filter_map(|&r| clif_type(r)).collect();
        let ret = b.create_block();
        for &r in &results {
            b.append_block_param(ret, r);
        }
        let mut t = FuncTranslator {
            b,
            info,
            fe,
            ctx: params[0],
            stack: Vec::new(),
            locals: Vec::new(),
            frames: vec![Frame {
                kind: Kind::Func,
                next: ret,
                params: Vec::new(),
                results: results.clone(),
                height: 0,
                next_reached: false,
            }],
            reachable: true,
            skip: 0,
            trap_blocks: BTreeMap::new(),
            propagate: None,
            results,
            func_index: 0,
            buf: None,
            exhausted: None,
            op_offset: 0,
            osr: None,
        };
        t.prologue();
        for (i, &p) in ty.params().iter().enumerate() {
            let ty = clif_type(p).ok_or("reference-typed parameter")?;
            let var = t.b.declare_var(ty);
            if !osr {
                t.b.def_var(var, params[1 + i]);
            }
            t.locals.push((var, ty));
        }
        Ok(t)
    }

    /// The entry of an on-stack replacement at wasm offset `point` (after
    /// the prologue): every local loaded from the slots (the second
    /// parameter), then a jump to a block that the point's translation
    /// links to its own; the function's regular body follows in a block
    /// nothing reaches.
    fn osr_entry(&mut self, point: usize) -> Result<(), String> {
        let entry = self.b.func.layout.entry_block().expect("entry block");
        let slots = self.b.block_params(entry)[1];
        for i in 0..self.locals.len() {
            let (var, ty) = self.locals[i];
            let v = self.b.ins().load(ty, trusted(), slots, slot_offset(i)?);
            self.b.def_var(var, v);
        }
        let target = self.b.create_block();
        self.b.ins().jump(target, &[]);
        self.b.seal_block(target);
        let dead = self.b.create_block();
        self.b.switch_to_block(dead);
        self.b.seal_block(dead);
        self.osr = Some((point, target));
        Ok(())
    }

    /// At the operator that is the OSR point (if this translation has one
    /// and it is this operator): links the entry's block to `block`, the
    /// point's own, which must take no arguments and start with an empty
    /// operand stack. The builder must be at a filled block; it is left on
    /// the entry's block, filled.
    fn link_osr(&mut self, block: ir::Block, height: usize) -> Result<(), String> {
        let Some((point, target)) = self.osr else {
            return Ok(());
        };
        if point != self.op_offset {
            return Ok(());
        }
        if height != 0 || !self.b.block_params(block).is_empty() {
            return Err("on-stack replacement point with operands".into());
        }
        self.b.switch_to_block(target);
        self.b.ins().jump(block, &[]);
        self.osr = None;
        Ok(())
    }

    /// Stack and call-depth checks (see `abi.rs`).
    fn prologue(&mut self) {
        let sp = self.b.ins().get_stack_pointer(types::I64);
        let limit = self
            .b
            .ins()
            .load(types::I64, trusted(), self.ctx, abi::STACK_LIMIT);
        let low = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
        let depth = self
            .b
            .ins()
            .load(types::I32, trusted(), self.ctx, abi::DEPTH_LEFT);
        let none_left = self.b.ins().icmp_imm_s(IntCC::Equal, depth, 0);
        let exhausted = self.b.ins().bor(low, none_left);
        let trap = self.b.create_block();
        self.b.set_cold_block(trap);
        self.exhausted = Some(trap);
        let cont = self.b.create_block();
        self.b.ins().brif(exhausted, trap, &[], cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
        let left = self.b.ins().iadd_imm_s(depth, -1);
        self.b
            .ins()
            .store(trusted(), left, self.ctx, abi::DEPTH_LEFT);
        self.attention_check();
    }

    /// Calls `ctx.attend` when the attention word is raised (function
    /// entries and loop headers): one load and a branch on the hot path.
    /// The word is read with an atomic load, which Cranelift never merges
    /// with an earlier read (a plain load could be, in a loop without
    /// stores, and the loop would never see an interrupt).
    fn attention_check(&mut self) {
        let word = self.b.ins().load(
            types::I64,
            trusted().with_readonly(),
            self.ctx,
            abi::ATTENTION,
        );
        let bits = self.b.ins().atomic_load(types::I32, trusted(), word);
        let (slow, cont) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.ins().brif(bits, slow, &[], cont, &[]);
        self.b.seal_block(slow);
        self.b.switch_to_block(slow);
        // The function's index: a profile sample taken here names it as the
        // innermost frame (compiled frames are not on the interpreter's stack).
        let me = self.b.ins().iconst(types::I32, self.func_index as i64);
        let status = self.call_ctx_fn(abi::ATTEND, &[types::I32], types::I32, &[me]);
        let propagate = self.propagate_block();
        self.b
            .ins()
            .brif(status, propagate, &[BlockArg::Value(status)], cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    fn declare_locals(&mut self, count: u32, vt: ValType) -> Result<(), String> {
        let ty = clif_type(vt).ok_or("reference-typed local")?;
        if self.locals.len() + count as usize > 50_000 {
            return Err("too many locals".into());
        }
        let zero = self.zero(ty);
        for _ in 0..count {
            let var = self.b.declare_var(ty);
            self.b.def_var(var, zero);
            self.locals.push((var, ty));
        }
        Ok(())
    }

    /// The host's calling convention, for libcalls.
    pub fn host_call_conv(&self) -> CallConv {
        self.fe.default_call_conv
    }

    /// Calls the runtime function whose pointer is in the `JitCtx` field at
    /// offset `field` (host calling convention): `fn(ctx, args...) -> ret`,
    /// `params` being the types of `args`. Returns its result.
    pub fn call_ctx_fn(&mut self, field: i32, params: &[Type], ret: Type, args: &[Value]) -> Value {
        let mut sig = Signature::new(self.host_call_conv());
        sig.params.push(AbiParam::new(types::I64));
        sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
        sig.returns.push(AbiParam::new(ret));
        let sig = self.b.import_signature(sig);
        let f = self
            .b
            .ins()
            .load(types::I64, trusted().with_readonly(), self.ctx, field);
        let mut all = Vec::with_capacity(args.len() + 1);
        all.push(self.ctx);
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, f, &all);
        self.b.inst_results(call)[0]
    }

    /// The zero of type `ty`.
    pub fn zero(&mut self, ty: Type) -> Value {
        match ty {
            types::F32 => self.b.ins().f32const(0.0),
            types::F64 => self.b.ins().f64const(0.0),
            _ => self.b.ins().iconst(ty, 0),
        }
    }

    pub fn pop(&mut self) -> Value {
        self.stack
            .pop()
            .expect("validated: operand stack underflow")
    }

    pub fn pop2(&mut self) -> (Value, Value) {
        let b = self.pop();
        let a = self.pop();
        (a, b)
    }

    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    /// Branches to the `status` trap when `cond` is non-zero.
    pub fn trap_if(&mut self, cond: Value, status: Status) {
        let trap = self.trap_block(status);
        let cont = self.b.create_block();
        self.b.ins().brif(cond, trap, &[], cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    /// Branches to the `status` trap when `cond` is zero.
    pub fn trap_unless(&mut self, cond: Value, status: Status) {
        let trap = self.trap_block(status);
        let cont = self.b.create_block();
        self.b.ins().brif(cond, cont, &[], trap, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    fn trap_block(&mut self, status: Status) -> ir::Block {
        if let Some(&b) = self.trap_blocks.get(&status) {
            return b;
        }
        let block = self.b.create_block();
        self.b.set_cold_block(block);
        self.trap_blocks.insert(status, block);
        block
    }

    /// Returns `status` (a value) with placeholder results.
    fn return_status(&mut self, status: Value) {
        let mut rets = vec![status];
        for r in self.results.clone() {
            rets.push(self.zero(r));
        }
        self.b.ins().return_(&rets);
    }

    /// Records this function in `ctx.trace` (the trap path): the entry at
    /// `min(trace_len, TRACE_CAP)` (the last one is a spare that overflow
    /// overwrites), and `trace_len + 1`.
    fn record_frame(&mut self) {
        let len = self
            .b
            .ins()
            .load(types::I32, trusted(), self.ctx, abi::TRACE_LEN);
        let cap = self.b.ins().iconst(types::I32, abi::TRACE_CAP as i64);
        let i = self.b.ins().umin(len, cap);
        let i = self.b.ins().uextend(types::I64, i);
        let off = self.b.ins().ishl_imm_u(i, 2);
        let at = self.b.ins().iadd(self.ctx, off);
        let me = self.b.ins().iconst(types::I32, self.func_index as i64);
        self.b.ins().store(trusted(), me, at, abi::TRACE);
        // Locals 0 and 1 beside it (leading integer locals, zero-extended),
        // then their count, for the position probe: 24 bytes per entry.
        let off = self.b.ins().imul_imm_u(i, 24);
        let at = self.b.ins().iadd(self.ctx, off);
        let mut n = 0;
        for k in 0..2usize {
            let Some(&(var, ty)) = self.locals.get(k) else {
                break;
            };
            let v = match ty {
                types::I64 => self.b.use_var(var),
                types::I32 => {
                    let v = self.b.use_var(var);
                    self.b.ins().uextend(types::I64, v)
                }
                _ => break,
            };
            self.b
                .ins()
                .store(trusted(), v, at, abi::TRACE_LOCALS + 8 * k as i32);
            n += 1;
        }
        let n = self.b.ins().iconst(types::I64, n);
        self.b.ins().store(trusted(), n, at, abi::TRACE_LOCALS + 16);
        let next = self.b.ins().iadd_imm_s(len, 1);
        self.b
            .ins()
            .store(trusted(), next, self.ctx, abi::TRACE_LEN);
    }

    /// Fills the trap and propagation blocks and sizes the call buffer.
    fn finish(mut self) {
        for (status, block) in std::mem::take(&mut self.trap_blocks) {
            self.b.switch_to_block(block);
            self.b.seal_block(block);
            self.record_frame();
            let s = self.b.ins().iconst(types::I32, status as i64);
            self.return_status(s);
        }
        if let Some(block) = self.propagate {
            self.b.switch_to_block(block);
            self.b.seal_block(block);
            self.record_frame();
            let s = self.b.block_params(block)[0];
            self.return_status(s);
        }
        if let Some(block) = self.exhausted {
            self.b.switch_to_block(block);
            self.b.seal_block(block);
            let s = self
                .b
                .ins()
                .iconst(types::I32, Status::StackExhausted as i64);
            self.return_status(s);
        }
        if let Some((slot, size)) = self.buf {
            self.b.func.sized_stack_slots[slot].size = size;
        }
        self.b.seal_all_blocks();
        self.b.finalize(self.fe);
    }

    /// The block that records this frame and returns a callee's non-zero
    /// status (its parameter).
    pub fn propagate_block(&mut self) -> ir::Block {
        match self.propagate {
            Some(b) => b,
            None => {
                let b = self.block_with(&[types::I32]);
                self.b.set_cold_block(b);
                self.propagate = Some(b);
                b
            }
        }
    }

    /// The address of the call-out buffer, at least `slots` u64s long.
    pub fn call_buffer(&mut self, slots: usize) -> Result<Value, String> {
        let bytes = u32::try_from(slots.max(1) * 8).map_err(|_| "call buffer too large")?;
        let slot = match &mut self.buf {
            Some((slot, size)) => {
                *size = (*size).max(bytes);
                *slot
            }
            None => {
                let data = ir::StackSlotData::new(ir::StackSlotKind::ExplicitSlot, bytes, 3);
                let slot = self.b.create_sized_stack_slot(data);
                self.buf = Some((slot, bytes));
                slot
            }
        };
        Ok(self.b.ins().stack_addr(types::I64, slot, 0))
    }

    /// Stores `vals` to `buf` in the interpreter's slot layout (32-bit
    /// values zero-extended).
    pub fn store_slots(&mut self, buf: Value, vals: &[Value]) -> Result<(), String> {
        for (i, &v) in vals.iter().enumerate() {
            let wide = match self.b.func.dfg.value_type(v) {
                types::I32 => self.b.ins().uextend(types::I64, v),
                types::F32 => {
                    let bits = self.b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                    self.b.ins().uextend(types::I64, bits)
                }
                types::F64 => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
                _ => v,
            };
            self.b.ins().store(trusted(), wide, buf, slot_offset(i)?);
        }
        Ok(())
    }

    /// Loads values of `tys` from `buf` (slot layout).
    pub fn load_slots(&mut self, buf: Value, tys: &[Type]) -> Result<Vec<Value>, String> {
        let mut out = Vec::with_capacity(tys.len());
        for (i, &t) in tys.iter().enumerate() {
            out.push(self.b.ins().load(t, trusted(), buf, slot_offset(i)?));
        }
        Ok(out)
    }

    /// Continues when `status` is 0, else returns it (recording this frame).
    pub fn check_status(&mut self, status: Value) {
        let propagate = self.propagate_block();
        let cont = self.b.create_block();
        self.b
            .ins()
            .brif(status, propagate, &[BlockArg::Value(status)], cont, &[]);
        self.b.seal_block(cont);
        self.b.switch_to_block(cont);
    }

    /// The parameter and result types of a block type.
    fn block_sig(&self, bt: BlockType) -> Result<(Vec<Type>, Vec<Type>), String> {
        let conv = |ts: &[ValType]| -> Result<Vec<Type>, String> {
            ts.iter()
                .map(|&t| clif_type(t).ok_or_else(|| "reference-typed block".to_string()))
                .collect()
        };
        Ok(match bt {
            BlockType::Empty => (vec![], vec![]),
            BlockType::Type(t) => {
                let t = ValType::from_wasmparser(t).ok_or("unsupported block type")?;
                (vec![], conv(&[t])?)
            }
            BlockType::FuncType(i) => {
                let ft = &self.info.types[i as usize];
                (conv(ft.params())?, conv(ft.results())?)
            }
        })
    }

    /// A new block with parameters of `types`.
    pub fn block_with(&mut self, types: &[Type]) -> ir::Block {
        let block = self.b.create_block();
        for &t in types {
            self.b.append_block_param(block, t);
        }
        block
    }

    /// The top `n` operands, as block arguments.
    fn args(&self, n: usize) -> Vec<BlockArg> {
        self.stack[self.stack.len() - n..]
            .iter()
            .map(|&v| BlockArg::Value(v))
            .collect()
    }

    fn push_frame(&mut self, kind: Kind, next: ir::Block, sig: (Vec<Type>, Vec<Type>)) {
        let height = self.stack.len() - sig.0.len();
        self.frames.push(Frame {
            kind,
            next,
            params: sig.0,
            results: sig.1,
            height,
            next_reached: false,
        });
    }

    /// Translates one operator.
    fn op(&mut self, op: Operator) -> Result<(), String> {
        if !self.reachable {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    self.skip += 1
                }
                Operator::Else if self.skip == 0 => self.else_(),
                Operator::End if self.skip == 0 => self.end()?,
                Operator::End => self.skip -= 1,
                _ => {}
            }
            return Ok(());
        }
        match op {
            Operator::Nop => {}
            Operator::Unreachable => {
                let trap = self.trap_block(Status::Unreachable);
                self.b.ins().jump(trap, &[]);
                self.reachable = false;
            }
            Operator::Block { blockty } => {
                let sig = self.block_sig(blockty)?;
                let next = self.block_with(&sig.1);
                self.push_frame(Kind::Block, next, sig);
            }
            Operator::Loop { blockty } => {
                let sig = self.block_sig(blockty)?;
                let header = self.block_with(&sig.0);
                let next = self.block_with(&sig.1);
                let args = self.args(sig.0.len());
                self.b.ins().jump(header, &args);
                let n = sig.0.len();
                self.push_frame(Kind::Loop { header }, next, sig);
                self.link_osr(header, self.stack.len())?;
                self.b.switch_to_block(header);
                let len = self.stack.len();
                self.stack.truncate(len - n);
                let params = self.b.block_params(header).to_vec();
                self.stack.extend(params);
                self.attention_check();
            }
            Operator::If { blockty } => {
                let sig = self.block_sig(blockty)?;
                let cond = self.pop();
                let (then, else_block) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(cond, then, &[], else_block, &[]);
                self.b.seal_block(then);
                self.b.seal_block(else_block);
                let next = self.block_with(&sig.1);
                let params = self.stack[self.stack.len() - sig.0.len()..].to_vec();
                let kind = Kind::If {
                    else_block,
                    params,
                    has_else: false,
                };
                self.push_frame(kind, next, sig);
                self.b.switch_to_block(then);
            }
            Operator::Else => self.else_(),
            Operator::End => self.end()?,
            Operator::Br { relative_depth } => self.br(relative_depth),
            Operator::BrIf { relative_depth } => {
                let cond = self.pop();
                let frame = self.frame_at(relative_depth);
                let (target, n) = frame.target();
                let args = self.args(n);
                let cont = self.b.create_block();
                self.b.ins().brif(cond, target, &args, cont, &[]);
                self.b.seal_block(cont);
                self.b.switch_to_block(cont);
            }
            Operator::BrTable { targets } => {
                let index = self.pop();
                let mut calls = Vec::with_capacity(targets.len() as usize);
                for depth in targets.targets() {
                    let depth = depth.map_err(|e| e.to_string())?;
                    calls.push(self.branch_call(depth));
                }
                let default = self.branch_call(targets.default());
                let jt = ir::JumpTableData::new(default, &calls);
                let jt = self.b.create_jump_table(jt);
                self.b.ins().br_table(index, jt);
                self.reachable = false;
            }
            Operator::Return => self.br(self.frames.len() as u32 - 1),
            Operator::Call { function_index } => self.call(function_index)?,
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index)?,
            Operator::Drop => {
                self.pop();
            }
            Operator::Select => self.select(),
            Operator::TypedSelect { ty } => {
                ValType::from_wasmparser(ty)
                    .and_then(clif_type)
                    .ok_or("select of an unsupported type")?;
                self.select();
            }
            Operator::LocalGet { local_index } => {
                let v = self.b.use_var(self.locals[local_index as usize].0);
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                self.b.def_var(self.locals[local_index as usize].0, v);
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                self.b.def_var(self.locals[local_index as usize].0, v);
            }
            Operator::GlobalGet { global_index } => self.global_get(global_index)?,
            Operator::GlobalSet { global_index } => self.global_set(global_index)?,
            other => {
                if crate::jit::memory::bulk_memory_op(&other) {
                    self.check_memory()?;
                }
                if !self.memory_op(&other)? && !self.numeric(&other)? && !self.runtime_op(&other)? {
                    return Err(format!("unsupported operator {other:?}"));
                }
            }
        }
        Ok(())
    }

    fn frame_at(&mut self, depth: u32) -> &mut Frame {
        let i = self.frames.len() - 1 - depth as usize;
        let frame = &mut self.frames[i];
        if !matches!(frame.kind, Kind::Loop { .. }) {
            frame.next_reached = true;
        }
        frame
    }

    fn br(&mut self, depth: u32) {
        let (target, n) = self.frame_at(depth).target();
        let args = self.args(n);
        self.b.ins().jump(target, &args);
        self.reachable = false;
    }

    /// The jump-table entry of a branch to `depth`.
    fn branch_call(&mut self, depth: u32) -> ir::BlockCall {
        let (target, n) = self.frame_at(depth).target();
        let args = self.args(n);
        self.b.func.dfg.block_call(target, &args)
    }

    fn else_(&mut self) {
        let reachable = self.reachable;
        let frame = self.frames.last_mut().expect("validated: else in a frame");
        let Kind::If {
            else_block,
            params,
            has_else,
        } = &mut frame.kind
        else {
            unreachable!("validated: else closes an if")
        };
        *has_else = true;
        let (else_block, params, next, height) =
            (*else_block, params.clone(), frame.next, frame.height);
        let n = frame.results.len();
        if reachable {
            frame.next_reached = true;
            let args = self.args(n);
            self.b.ins().jump(next, &args);
        }
        self.stack.truncate(height);
        self.stack.extend(params);
        self.b.switch_to_block(else_block);
        self.reachable = true;
    }

    fn end(&mut self) -> Result<(), String> {
        let mut frame = self.frames.pop().expect("validated: end closes a frame");
        if self.reachable {
            frame.next_reached = true;
            let args = self.args(frame.results.len());
            self.b.ins().jump(frame.next, &args);
        }
        match &frame.kind {
            Kind::If {
                else_block,
                params,
                has_else: false,
            } => {
                // No else arm: the parameters flow through to the results.
                self.b.switch_to_block(*else_block);
                let args: Vec<BlockArg> = params.iter().map(|&v| BlockArg::Value(v)).collect();
                self.b.ins().jump(frame.next, &args);
                frame.next_reached = true;
            }
            Kind::Loop { header } => self.b.seal_block(*header),
            _ => {}
        }
        if !matches!(frame.kind, Kind::Func | Kind::Loop { .. }) && frame.results.is_empty() {
            let before = self.osr.is_some();
            self.link_osr(frame.next, frame.height)?;
            frame.next_reached |= before && self.osr.is_none();
        }
        self.stack.truncate(frame.height);
        self.reachable = frame.next_reached;
        if !frame.next_reached {
            return Ok(());
        }
        self.b.switch_to_block(frame.next);
        self.b.seal_block(frame.next);
        let results = self.b.block_params(frame.next).to_vec();
        if frame.kind == Kind::Func {
            self.epilogue(&results);
        } else {
            self.stack.extend(results);
        }
        Ok(())
    }

    /// Gives back the call depth and returns the results.
    fn epilogue(&mut self, results: &[Value]) {
        let depth = self
            .b
            .ins()
            .load(types::I32, trusted(), self.ctx, abi::DEPTH_LEFT);
        let back = self.b.ins().iadd_imm_s(depth, 1);
        self.b
            .ins()
            .store(trusted(), back, self.ctx, abi::DEPTH_LEFT);
        let mut rets = vec![self.b.ins().iconst(types::I32, 0)];
        rets.extend_from_slice(results);
        self.b.ins().return_(&rets);
    }

    fn select(&mut self) {
        let cond = self.pop();
        let (a, b) = self.pop2();
        let v = self.b.ins().select(cond, a, b);
        self.push(v);
    }

    /// The address of global `index`'s value.
    fn global_addr(&mut self, index: u32) -> Result<(Value, Type), String> {
        let g = self
            .info
            .globals
            .get(index as usize)
            .ok_or("no such global")?;
        let ty = clif_type(g.content).ok_or("reference-typed global")?;
        let table = self.b.ins().load(
            types::I64,
            trusted().with_readonly(),
            self.ctx,
            abi::GLOBALS,
        );
        let offset = i32::try_from(index as usize * 8).map_err(|_| "too many globals")?;
        let addr = self
            .b
            .ins()
            .load(types::I64, trusted().with_readonly(), table, offset);
        Ok((addr, ty))
    }

    fn global_get(&mut self, index: u32) -> Result<(), String> {
        let (addr, ty) = self.global_addr(index)?;
        let v = self.b.ins().load(ty, trusted(), addr, 0);
        self.push(v);
        Ok(())
    }

    fn global_set(&mut self, index: u32) -> Result<(), String> {
        let (addr, ty) = self.global_addr(index)?;
        let v = self.pop();
        // Stored as a whole slot, 32-bit values zero-extended.
        let wide = match ty {
            types::I32 => self.b.ins().uextend(types::I64, v),
            types::F32 => {
                let bits = self.b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                self.b.ins().uextend(types::I64, bits)
            }
            _ => v,
        };
        self.b.ins().store(trusted(), wide, addr, 0);
        Ok(())
    }
}
