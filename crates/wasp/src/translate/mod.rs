//! Translation of a function body from Wasm bytecode to the register IR.
//!
//! One pass over the operators. The Wasm operand stack is modelled at
//! translation time as a stack of [`Operand`]s: a local (`local.get` emits
//! nothing), a constant (becomes an immediate where an instruction has one), or
//! a temporary living in the slot `locals + position`. Results of operators go
//! to the temporary of their position; a following `local.set` rewrites the
//! instruction's destination to the local instead of copying.
//!
//! Correctness rules that keep lazily referenced locals safe:
//! - before a local is written, every stack entry still referring to it is
//!   copied to its temporary (`materialize_local`);
//! - on entry to a block, loop or `if`, every local reference on the stack is
//!   materialized, so code inside the block never has to copy on behalf of
//!   entries outside it (that copy might not run on every path);
//! - the destination rewrite only applies when the producing instruction is
//!   the last one emitted and no label was bound since.
//!
//! Function bodies are already validated, so this pass trusts types and
//! depths; it only fails on limits (more than 65,535 slots in a frame).

mod control;
mod exceptions;
mod fuel;
mod gc;
mod mem;
mod ops;
mod simd;

use crate::ir::{CompiledFunc, Instr, Slot};
use crate::module::{ModuleInfo, ModuleInner};
use std::ops::Range;
use wasmparser::{BinaryReader, FunctionBody, Operator};

/// An entry of the modelled operand stack.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Operand {
    /// The current value of a local (no copy made yet).
    Local(Slot),
    /// The value is in the temporary slot of its stack position.
    Temp,
    /// A constant (raw slot bits).
    Const(u64),
}

type LabelId = usize;

/// A branch target: where it is once bound, and until then the branches
/// waiting for it (a list threaded through [`Translator::fixups`]).
#[derive(Debug, Clone, Copy)]
struct Label {
    pos: Option<usize>,
    /// The last fixup waiting for this label ([`NO_FIXUP`]: none).
    fixups: u32,
}

/// The end of a label's fixup list.
const NO_FIXUP: u32 = u32::MAX;

/// `branch_labels` entry of an instruction that is no branch.
const NO_LABEL: u32 = u32::MAX;

/// The translator's growable buffers, kept per thread between translations
/// (a run translates hundreds of functions; allocating them afresh for each
/// was a tenth of the translation time).
#[derive(Default)]
struct Scratch {
    instrs: Vec<Instr>,
    stack: Vec<Operand>,
    ctrls: Vec<Ctrl>,
    labels: Vec<Label>,
    fixups: Vec<(usize, u32)>,
    branch_labels: Vec<u32>,
    hi: Vec<bool>,
}

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum CtrlKind {
    Func,
    Block,
    Loop,
    If,
    Else,
    /// A `try_table` (`exceptions.rs`): a block with catch clauses.
    TryTable,
}

/// Go's dispatch shape: a loop whose body starts with `local.get $pc; br_table`.
#[derive(Debug, Clone)]
struct Dispatch {
    local: Slot,
    targets: Vec<LabelId>,
    default: LabelId,
}

#[derive(Debug, Clone)]
struct Ctrl {
    kind: CtrlKind,
    /// Branch target: the loop head, or the end of a block/if.
    label: LabelId,
    /// For `if`: the label of the else branch (bound at `else` or `end`).
    else_label: Option<LabelId>,
    /// Operand stack height below the block's parameters.
    height: usize,
    /// The block's type (for the types of the values `end` and `else` push).
    bt: wasmparser::BlockType,
    params: usize,
    results: usize,
    unreachable: bool,
    /// Loops: instruction index at the loop head (to recognise a dispatch).
    start: usize,
    dispatch: Option<Dispatch>,
}

impl Ctrl {
    fn branch_arity(&self) -> usize {
        if self.kind == CtrlKind::Loop {
            self.params
        } else {
            self.results
        }
    }
}

struct Translator<'a> {
    info: &'a ModuleInfo,
    type_ids: &'a [u32],
    instrs: Vec<Instr>,
    stack: Vec<Operand>,
    ctrls: Vec<Ctrl>,
    labels: Vec<Label>,
    /// Branches waiting for a label: `(instruction index, next in the list)`.
    fixups: Vec<(usize, u32)>,
    /// Parameters + declared locals: the first temporary slot.
    locals: usize,
    max_height: usize,
    results: usize,
    /// `(index, dst)` of the last instruction if it only writes temporary `dst`.
    last_result: Option<(usize, Slot)>,
    /// `(local, value, instr index)` of the last `local.set` of a constant.
    last_const_set: Option<(Slot, u64, usize)>,
    /// Depth of blocks opened inside unreachable code.
    skip: usize,
    /// Instruction index where a label was last bound.
    label_at: Option<usize>,
    /// The label each branch emitted by `emit_branch` targets, by
    /// instruction index ([`NO_LABEL`] for others; entries of instructions
    /// removed since are left, as harmless as they were in a map).
    branch_labels: Vec<u32>,
    /// Emit fuel regions (`fuel.rs`; the engine's `Config::consume_fuel`).
    fuel: bool,
    /// Index of the current fuel region's `Fuel` instruction.
    fuel_at: Option<usize>,
    /// By stack position: does it hold the high half of a `v128`? Written
    /// by every push, so the entry of the top is always current (`simd.rs`).
    hi: Vec<bool>,
    /// Wasm local index → (first slot, is a `v128`), only for functions
    /// with a `v128` parameter or local; otherwise local `i` is slot `i`.
    local_map: Option<Box<[(Slot, bool)]>>,
    /// The `try_table`s seen so far (`exceptions.rs`).
    exn: exceptions::TryState,
    /// Byte offset of the operator being translated.
    op_offset: usize,
    /// On-stack replacement points found so far (`CompiledFunc::osr`).
    osr: Vec<(u32, u32)>,
    /// The instruction indices of the loop headers among `osr`.
    osr_loops: Vec<u32>,
}

/// Translates defined function `func_index` whose body occupies `range` of the module bytes.
pub(crate) fn translate(
    module: &ModuleInner,
    func_index: u32,
    range: Range<usize>,
) -> Result<CompiledFunc, String> {
    let info = &module.info;
    let ty = info.func_type(func_index);
    let params = ty.param_slots();
    let body = FunctionBody::new(BinaryReader::new_features(
        &module.bytes[range.clone()],
        range.start as u64,
        crate::module::features(),
    ));
    let mut locals = params;
    let mut wide = params != ty.params().len();
    let mut reader = body.get_locals_reader().map_err(|e| e.to_string())?;
    for _ in 0..reader.get_count() {
        let (count, t) = reader.read().map_err(|e| e.to_string())?;
        let w = if t == wasmparser::ValType::V128 { 2 } else { 1 };
        wide |= w == 2;
        locals = locals.saturating_add(count as usize * w);
    }
    if locals > Slot::MAX as usize {
        return Err(format!(
            "function has {locals} locals; at most 65,535 are supported"
        ));
    }
    let local_map = if wide {
        Some(simd::local_map(ty, &body)?)
    } else {
        None
    };
    let mut scratch = SCRATCH.take().unwrap_or_default();
    scratch.instrs.clear();
    scratch.stack.clear();
    scratch.ctrls.clear();
    scratch.labels.clear();
    scratch.fixups.clear();
    scratch.branch_labels.clear();
    // About one instruction for every three bytes of a Go body.
    scratch.instrs.reserve(range.len() / 3);
    let mut t = Translator {
        info,
        type_ids: &info.type_ids,
        instrs: scratch.instrs,
        stack: scratch.stack,
        ctrls: scratch.ctrls,
        labels: scratch.labels,
        fixups: scratch.fixups,
        locals,
        max_height: 0,
        results: ty.result_slots(),
        last_result: None,
        last_const_set: None,
        skip: 0,
        label_at: None,
        branch_labels: scratch.branch_labels,
        fuel: module.engine.config().fuel,
        fuel_at: None,
        hi: scratch.hi,
        local_map,
        exn: Default::default(),
        op_offset: 0,
        osr: Vec::new(),
        osr_loops: Vec::new(),
    };
    t.fuel_region();
    let label = t.new_label();
    t.ctrls.push(Ctrl {
        kind: CtrlKind::Func,
        label,
        else_label: None,
        height: 0,
        bt: wasmparser::BlockType::Empty,
        params: 0,
        results: t.results,
        unreachable: false,
        start: 0,
        dispatch: None,
    });
    let translated = t.body(body, params);
    SCRATCH.set(Some(Scratch {
        instrs: t.instrs,
        stack: t.stack,
        ctrls: t.ctrls,
        labels: t.labels,
        fixups: t.fixups,
        branch_labels: t.branch_labels,
        hi: t.hi,
    }));
    translated
}

impl Translator<'_> {
    /// Translates the operators of `body` (whose locals were counted).
    fn body(&mut self, body: FunctionBody<'_>, params: usize) -> Result<CompiledFunc, String> {
        let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
        while !ops.eof() {
            let (op, offset) = ops.read_with_offset().map_err(|e| e.to_string())?;
            self.op_offset = offset as usize;
            self.op(op)?;
            if self.ctrls.is_empty() {
                break;
            }
        }
        let handlers = self.finish_handlers();
        let frame_size = self.locals + self.max_height.max(self.results) + 1;
        if frame_size > Slot::MAX as usize {
            return Err(format!(
                "function needs {frame_size} slots; at most 65,535 are supported"
            ));
        }
        let osr = self.finish_osr();
        Ok(CompiledFunc {
            instrs: self.instrs.drain(..).map(crate::exec::op_of).collect(),
            params: params as u16,
            locals: (self.locals - params) as u16,
            frame_size: frame_size as u32,
            handlers,
            osr,
        })
    }

    /// Records an on-stack replacement point at the label just bound at
    /// `pos` (the current operator's offset) when the operand stack is
    /// empty there: not under fuel (compiled code does not meter it) nor in
    /// a function with `v128` locals (their slots are remapped).
    pub(super) fn note_osr(&mut self, pos: usize, is_loop: bool) {
        if self.fuel || self.local_map.is_some() || !self.stack.is_empty() {
            return;
        }
        if let (Ok(ip), Ok(wasm)) = (u32::try_from(pos), u32::try_from(self.op_offset)) {
            self.osr.push((ip, wasm));
            if is_loop {
                self.osr_loops.push(ip);
            }
        }
    }

    /// The function's OSR points, ascending and unique by instruction.
    /// A loop whose first instruction is a conditional branch `B` also has
    /// the point after `B` (where loop inversion's back-edge lands, `B`
    /// known false; running `B` again changes nothing), unless a label is
    /// bound there (which could be reached otherwise).
    fn finish_osr(&mut self) -> Box<[(u32, u32)]> {
        let mut osr = std::mem::take(&mut self.osr);
        if osr.is_empty() {
            return Box::new([]);
        }
        let bound: std::collections::HashSet<usize> =
            self.labels.iter().filter_map(|l| l.pos).collect();
        for &ip in &self.osr_loops {
            let p = ip as usize;
            let Some(&(_, wasm)) = osr.iter().find(|e| e.0 == ip) else {
                continue;
            };
            if p + 1 < self.instrs.len()
                && ops::negate_branch(self.instrs[p]).is_some()
                && !bound.contains(&(p + 1))
            {
                osr.push((ip + 1, wasm));
            }
        }
        self.osr_loops.clear();
        osr.sort_by_key(|e| e.0);
        osr.dedup_by_key(|e| e.0);
        osr.into_boxed_slice()
    }
}

impl Translator<'_> {
    fn reachable(&self) -> bool {
        !self.ctrls.last().is_some_and(|c| c.unreachable)
    }

    fn emit(&mut self, i: Instr) -> usize {
        // Two copies in a row (no label between) become one instruction.
        if let Instr::Copy {
            dst: dst1,
            src: src1,
        } = i
        {
            if self.label_at != Some(self.instrs.len()) {
                if let Some(&Instr::Copy {
                    dst: dst0,
                    src: src0,
                }) = self.instrs.last()
                {
                    let at = self.instrs.len() - 1;
                    self.instrs[at] = Instr::Copy2 {
                        dst0,
                        src0,
                        dst1,
                        src1,
                    };
                    self.last_result = None;
                    self.last_const_set = None;
                    return at;
                }
            }
        }
        self.instrs.push(i);
        self.last_result = None;
        self.last_const_set = None;
        self.instrs.len() - 1
    }

    /// Emits an instruction whose destination is the temporary pushed for it.
    fn emit_result(&mut self, i: Instr, dst: Slot) {
        let idx = self.emit(i);
        self.last_result = Some((idx, dst));
    }

    /// Is the last instruction the producer of the temporary at `pos`?
    fn produced_last(&self, pos: usize) -> bool {
        self.last_result
            .is_some_and(|(i, dst)| i + 1 == self.instrs.len() && dst == self.slot_of(pos))
    }

    fn slot_of(&self, pos: usize) -> Slot {
        (self.locals + pos) as Slot
    }

    fn push(&mut self, o: Operand) {
        self.push_half(o, false);
    }

    /// Pushes `o`, noting whether it is the high half of a `v128`.
    fn push_half(&mut self, o: Operand, hi: bool) {
        let pos = self.stack.len();
        match self.hi.get_mut(pos) {
            Some(h) => *h = hi,
            None => self.hi.push(hi),
        }
        self.stack.push(o);
        self.max_height = self.max_height.max(self.stack.len());
    }

    /// Pushes a temporary and returns its slot.
    fn push_temp(&mut self) -> Slot {
        self.push(Operand::Temp);
        self.slot_of(self.stack.len() - 1)
    }

    fn pop(&mut self) -> (usize, Operand) {
        let o = self
            .stack
            .pop()
            .expect("validated: operand stack underflow");
        (self.stack.len(), o)
    }

    /// The slot holding operand `o` that was at position `pos`, emitting a
    /// constant load into the position's temporary if needed.
    fn value_slot(&mut self, pos: usize, o: Operand) -> Slot {
        match o {
            Operand::Local(l) => l,
            Operand::Temp => self.slot_of(pos),
            Operand::Const(v) => {
                let dst = self.slot_of(pos);
                self.emit_const(dst, v);
                dst
            }
        }
    }

    fn emit_const(&mut self, dst: Slot, v: u64) {
        if v <= u32::MAX as u64 {
            self.emit(Instr::Const32 { dst, val: v as u32 });
        } else {
            self.emit(Instr::Const64 {
                dst,
                lo: v as u32,
                hi: (v >> 32) as u32,
            });
        }
    }

    /// Emits a copy of operand `o` into slot `dst` (no-op if already there).
    fn copy_to(&mut self, dst: Slot, pos: usize, o: Operand) {
        match o {
            Operand::Local(l) if l != dst => {
                self.emit(Instr::Copy { dst, src: l });
            }
            Operand::Temp if self.slot_of(pos) != dst => {
                let src = self.slot_of(pos);
                self.emit(Instr::Copy { dst, src });
            }
            Operand::Const(v) => self.emit_const(dst, v),
            _ => {}
        }
    }

    /// Puts the stack entry at `pos` into its temporary slot.
    fn materialize(&mut self, pos: usize) {
        let o = self.stack[pos];
        if o != Operand::Temp {
            let dst = self.slot_of(pos);
            self.copy_to(dst, pos, o);
            self.stack[pos] = Operand::Temp;
        }
    }

    /// Materializes every stack entry that refers to local `l`.
    fn materialize_local(&mut self, l: Slot) {
        for pos in 0..self.stack.len() {
            if self.stack[pos] == Operand::Local(l) {
                self.materialize(pos);
            }
        }
    }

    fn materialize_all_locals(&mut self) {
        for pos in 0..self.stack.len() {
            if matches!(self.stack[pos], Operand::Local(_)) {
                self.materialize(pos);
            }
        }
    }

    /// Materializes the top `n` entries.
    fn materialize_top(&mut self, n: usize) {
        for pos in self.stack.len() - n..self.stack.len() {
            self.materialize(pos);
        }
    }

    fn new_label(&mut self) -> LabelId {
        self.labels.push(Label {
            pos: None,
            fixups: NO_FIXUP,
        });
        self.labels.len() - 1
    }

    fn bind(&mut self, label: LabelId) {
        let pos = self.fuel_label_pos();
        let mut next = std::mem::replace(&mut self.labels[label].fixups, NO_FIXUP);
        while next != NO_FIXUP {
            let (f, after) = self.fixups[next as usize];
            ops::set_offset(&mut self.instrs[f], (pos as isize - f as isize) as i32);
            next = after;
        }
        self.labels[label].pos = Some(pos);
        self.label_at = Some(pos);
        self.last_result = None;
        self.last_const_set = None;
        self.fuel_region();
    }

    /// Emits a branch instruction (built with offset 0) to `label`.
    ///
    /// Loop inversion: an unconditional `br` back to a label whose first
    /// instruction is a conditional branch `B` (to `Y`) becomes "not B → the
    /// instruction after B; br Y", so a loop that tests its exit condition at
    /// the top runs one branch per iteration. Both forms execute `B` exactly
    /// once, so the rewrite holds whatever `Y` is; the `br Y` it emits is a
    /// plain branch, never inverted again (`Y` may be this very label, or a
    /// loop sharing its head, which would recurse without end).
    fn emit_branch(&mut self, label: LabelId, i: Instr) {
        if let (Instr::Br { .. }, Some(pos)) = (i, self.labels[label].pos) {
            let head = self.instrs.get(pos).copied();
            let head_label = self
                .branch_labels
                .get(pos)
                .filter(|&&l| l != NO_LABEL)
                .map(|&l| l as LabelId);
            if let (Some(mut neg), Some(exit)) = (head.and_then(ops::negate_branch), head_label) {
                let at = self.instrs.len();
                ops::set_offset(&mut neg, (pos as isize + 1 - at as isize) as i32);
                self.emit(neg);
                self.emit_plain_branch(exit, Instr::Br { offset: 0 });
                return;
            }
        }
        self.emit_plain_branch(label, i);
    }

    /// Emits exactly one branch instruction to `label`, with no rewrite (the
    /// entries of a `br_table` rely on it).
    fn emit_plain_branch(&mut self, label: LabelId, mut i: Instr) {
        let at = self.instrs.len();
        if self.branch_labels.len() <= at {
            self.branch_labels.resize(at + 1, NO_LABEL);
        }
        self.branch_labels[at] = label as u32;
        match self.labels[label].pos {
            Some(pos) => ops::set_offset(&mut i, (pos as isize - at as isize) as i32),
            None => {
                let head = self.labels[label].fixups;
                self.fixups.push((at, head));
                self.labels[label].fixups = (self.fixups.len() - 1) as u32;
            }
        }
        self.emit(i);
    }

    fn op(&mut self, op: Operator<'_>) -> Result<(), String> {
        if !self.reachable() {
            return self.op_unreachable(op);
        }
        self.fuel_count();
        if self.control(&op)? {
            return Ok(());
        }
        if self.numeric(&op) {
            return Ok(());
        }
        if self.extended(&op) {
            return Ok(());
        }
        if self.simd(&op) {
            return Ok(());
        }
        if self.gc(&op)? {
            return Ok(());
        }
        self.other(op)
    }

    /// Dead code: only track block structure.
    fn op_unreachable(&mut self, op: Operator<'_>) -> Result<(), String> {
        match op {
            Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::TryTable { .. } => self.skip += 1,
            Operator::Else if self.skip == 0 => {
                self.control(&op)?;
            }
            Operator::End => {
                if self.skip > 0 {
                    self.skip -= 1;
                } else {
                    self.control(&op)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
