//! Translation of control flow, calls and locals.
//!
//! Branch values travel to the target's slots (`height..height + arity`) with
//! ascending copies, which is safe because every source sits at or above its
//! destination. A conditional branch that must copy values jumps over a
//! "copies + br" stub, so the fall-through path keeps its values.

use super::{Ctrl, CtrlKind, Dispatch, Operand, Translator};
use crate::ir::{Instr, Slot};
use wasmparser::{BlockType, Operator};

impl Translator<'_> {
    fn block_arity(&self, bt: BlockType) -> (usize, usize) {
        match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(t) => (0, if t == wasmparser::ValType::V128 { 2 } else { 1 }),
            BlockType::FuncType(i) => {
                let ty = &self.info.types[i as usize];
                (ty.param_slots(), ty.result_slots())
            }
        }
    }

    pub(super) fn push_ctrl(&mut self, kind: CtrlKind, bt: BlockType) -> usize {
        let (params, results) = self.block_arity(bt);
        self.materialize_all_locals();
        self.materialize_top(params);
        let label = self.new_label();
        self.ctrls.push(Ctrl {
            kind,
            label,
            else_label: None,
            height: self.stack.len() - params,
            bt,
            params,
            results,
            unreachable: false,
            start: self.instrs.len(),
            dispatch: None,
        });
        self.ctrls.len() - 1
    }

    pub(super) fn set_unreachable(&mut self) {
        let c = self.ctrls.last_mut().expect("inside a function");
        c.unreachable = true;
        let h = c.height;
        self.stack.truncate(h);
        self.last_result = None;
        self.last_const_set = None;
    }

    /// Copies the top `arity` values into the slots of target frame `depth`.
    fn branch_copies(&mut self, target: usize) {
        let c = &self.ctrls[target];
        let (arity, height) = (c.branch_arity(), c.height);
        let top = self.stack.len() - arity;
        for i in 0..arity {
            let o = self.stack[top + i];
            let dst = self.slot_of(height + i);
            self.copy_to(dst, top + i, o);
        }
    }

    /// Would `branch_copies(target)` emit anything?
    fn needs_copies(&self, target: usize) -> bool {
        let c = &self.ctrls[target];
        let (arity, height) = (c.branch_arity(), c.height);
        let top = self.stack.len() - arity;
        (0..arity).any(|i| !(self.stack[top + i] == Operand::Temp && top + i == height + i))
    }

    /// Emits the return sequence: results to slots `0..n`, then return.
    fn emit_return(&mut self) {
        let n = self.results;
        if n == 1 {
            let (pos, o) = (self.stack.len() - 1, self.stack[self.stack.len() - 1]);
            if let Operand::Const(v) = o {
                if v <= u32::MAX as u64 {
                    self.emit(Instr::Return1Imm { val: v as u32 });
                    return;
                }
            }
            let src = self.value_slot(pos, o);
            self.emit(Instr::Return1 { src });
            return;
        }
        self.materialize_top(n);
        let top = self.stack.len() - n;
        for i in 0..n {
            let src = self.slot_of(top + i);
            if src != i as Slot {
                self.emit(Instr::Copy {
                    dst: i as Slot,
                    src,
                });
            }
        }
        self.emit(Instr::Return);
    }

    /// Unconditional branch to relative depth `depth`.
    fn br(&mut self, depth: u32) {
        let target = self.ctrls.len() - 1 - depth as usize;
        if self.ctrls[target].kind == CtrlKind::Func {
            self.emit_return();
            return;
        }
        // Go's dispatch: `i32.const K; local.set $pc; br $loop` jumps straight to case K.
        if let (Some(d), Some((local, k, at))) = (&self.ctrls[target].dispatch, self.last_const_set)
        {
            if d.local == local && at + 1 == self.instrs.len() {
                let label = d
                    .targets
                    .get(k as u32 as usize)
                    .copied()
                    .unwrap_or(d.default);
                self.emit_branch(label, Instr::Br { offset: 0 });
                return;
            }
        }
        self.branch_copies(target);
        let label = self.ctrls[target].label;
        self.emit_branch(label, Instr::Br { offset: 0 });
    }

    /// Emits a branch taken when the condition `(pos, o)` is true (or false if
    /// `negate`), fusing with a preceding comparison when possible.
    /// `cond_branch`, or with `wide` a 64-bit zero test of a reference
    /// (never fused with a comparison).
    fn cond_branch_any(&mut self, pos: usize, o: Operand, negate: bool, label: usize, wide: bool) {
        if wide {
            let cond = self.value_slot(pos, o);
            let i = if negate {
                Instr::BrIfEqz64 { cond, offset: 0 }
            } else {
                Instr::BrIfNez64 { cond, offset: 0 }
            };
            self.emit_branch(label, i);
            return;
        }
        self.cond_branch(pos, o, negate, label);
    }

    fn cond_branch(&mut self, pos: usize, o: Operand, negate: bool, label: usize) {
        if o == Operand::Temp && self.produced_last(pos) {
            let last = self.instrs[self.instrs.len() - 1];
            if let Some(fused) = super::ops::fuse_branch(last, negate) {
                self.instrs.pop();
                self.emit_branch(label, fused);
                return;
            }
        }
        let cond = match o {
            Operand::Const(v) => {
                // Constant condition: either always or never taken.
                if (v as u32 != 0) != negate {
                    self.emit_branch(label, Instr::Br { offset: 0 });
                }
                return;
            }
            _ => self.value_slot(pos, o),
        };
        let i = if negate {
            Instr::BrIfEqz { cond, offset: 0 }
        } else {
            Instr::BrIfNez { cond, offset: 0 }
        };
        self.emit_branch(label, i);
    }

    fn br_if(&mut self, depth: u32) {
        let (pos, cond) = self.pop();
        self.cond_branch_to(pos, cond, false, depth, false);
    }

    /// `br_on_null` (`null`) / `br_on_non_null`: branches to `depth` on the
    /// 64-bit reference `(pos, r)`, the stack holding the branch's values.
    pub(super) fn branch_on(&mut self, pos: usize, r: Operand, null: bool, depth: u32) {
        let r = match r {
            // Only `ref.null` is a constant reference.
            Operand::Const(v) => {
                if (v == 0) == null {
                    self.br(depth);
                    // The fall-through is dead, but stays modelled.
                }
                return;
            }
            other => other,
        };
        self.cond_branch_to(pos, r, null, depth, true);
    }

    /// Branches to `depth` when condition `(pos, cond)` is non-zero (zero if
    /// `negate`), the stack holding the branch's values; `wide`: a 64-bit
    /// reference rather than an i32.
    pub(super) fn cond_branch_to(
        &mut self,
        pos: usize,
        cond: Operand,
        negate: bool,
        depth: u32,
        wide: bool,
    ) {
        let target = self.ctrls.len() - 1 - depth as usize;
        let is_func = self.ctrls[target].kind == CtrlKind::Func;
        if !is_func && !self.needs_copies(target) {
            let label = self.ctrls[target].label;
            self.cond_branch_any(pos, cond, negate, label, wide);
            self.fuel_region();
            return;
        }
        // Skip over a "copies + branch" stub when the condition is false.
        // The stub may materialize operands; that must not leak into the
        // model of the fall-through path, which skips the stub.
        let skip = self.new_label();
        self.cond_branch_any(pos, cond, !negate, skip, wide);
        let saved = self.stack.clone();
        if is_func {
            self.emit_return();
        } else {
            self.branch_copies(target);
            let label = self.ctrls[target].label;
            self.emit_branch(label, Instr::Br { offset: 0 });
        }
        self.stack = saved;
        self.bind(skip);
    }

    fn br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> Result<(), String> {
        let depths: Vec<u32> = targets
            .targets()
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        let default = targets.default();
        let (pos, idx) = self.pop();
        if let Operand::Const(v) = idx {
            let d = depths.get(v as u32 as usize).copied().unwrap_or(default);
            self.br(d);
            self.set_unreachable();
            return Ok(());
        }
        // Recognise Go's dispatch loop head: loop, nested empty blocks, `local.get; br_table`.
        self.note_dispatch(idx, &depths, default);
        let index = self.value_slot(pos, idx);
        let all: Vec<u32> = depths
            .iter()
            .copied()
            .chain(std::iter::once(default))
            .collect();
        self.emit(Instr::BrTable {
            index,
            len: depths.len() as u32,
        });
        let table_start = self.instrs.len();
        // Placeholders; targets needing copies get stubs after the table.
        let mut stubs = Vec::new();
        for (i, &d) in all.iter().enumerate() {
            let target = self.ctrls.len() - 1 - d as usize;
            if self.ctrls[target].kind != CtrlKind::Func && !self.needs_copies(target) {
                // One instruction per entry: no loop inversion here.
                let label = self.ctrls[target].label;
                self.emit_plain_branch(label, Instr::Br { offset: 0 });
            } else {
                self.emit(Instr::Br { offset: 0 });
                stubs.push((table_start + i, d));
            }
        }
        // Each stub runs on its own path: start each from the same model.
        let saved = self.stack.clone();
        for (at, d) in stubs {
            let here = self.instrs.len();
            super::ops::set_offset(&mut self.instrs[at], (here - at) as i32);
            self.stack.clone_from(&saved);
            self.br(d);
        }
        self.set_unreachable();
        Ok(())
    }

    fn note_dispatch(&mut self, idx: Operand, depths: &[u32], default: u32) {
        let Operand::Local(local) = idx else { return };
        if local as usize >= self.locals {
            return;
        }
        let n = self.ctrls.len();
        // Innermost frames since the loop must be plain blocks opened with
        // nothing emitted in between and an empty stack.
        let Some(loop_idx) = (0..n)
            .rev()
            .find(|&i| self.ctrls[i].kind != CtrlKind::Block)
        else {
            return;
        };
        let lp = &self.ctrls[loop_idx];
        if lp.kind != CtrlKind::Loop
            || lp.dispatch.is_some()
            || lp.params != 0
            || lp.start != self.instrs.len()
            || self.stack.len() != lp.height
        {
            return;
        }
        let blocks_ok = self.ctrls[loop_idx + 1..]
            .iter()
            .all(|c| c.params == 0 && c.results == 0 && c.height == lp.height);
        if !blocks_ok {
            return;
        }
        let label_of = |d: u32| self.ctrls[n - 1 - d as usize].label;
        let in_loop = |d: u32| (d as usize) < n - loop_idx;
        if !depths
            .iter()
            .chain(std::iter::once(&default))
            .all(|&d| in_loop(d))
        {
            return;
        }
        let dispatch = Dispatch {
            local,
            targets: depths.iter().map(|&d| label_of(d)).collect(),
            default: label_of(default),
        };
        self.ctrls[loop_idx].dispatch = Some(dispatch);
    }

    fn end(&mut self) {
        let c = self.ctrls.last().expect("inside a function").clone();
        if c.kind == CtrlKind::Func {
            if self.reachable() {
                self.emit_return();
            }
            self.ctrls.pop();
            return;
        }
        if c.kind == CtrlKind::TryTable {
            self.close_try();
        }
        if self.reachable() {
            self.materialize_top(c.results);
        }
        if let Some(e) = c.else_label {
            self.bind(e);
        }
        if c.kind != CtrlKind::Loop {
            self.bind(c.label);
            if c.results == 0 && c.kind != CtrlKind::TryTable {
                let pos = self.labels[c.label].pos.expect("just bound");
                self.stack.truncate(c.height);
                self.note_osr(pos, false);
            }
        }
        self.ctrls.pop();
        self.stack.truncate(c.height);
        self.push_block_temps(c.bt, false);
    }

    fn call(&mut self, func: u32) {
        let ty = self.info.func_type(func);
        let (p, r) = (ty.param_slots(), ty.result_slots());
        let first = self.stack.len() - p;
        // A constant first argument (Go's resume point 0) rides in the call.
        let imm = match self.stack.get(first) {
            Some(&Operand::Const(v)) if p > 0 && v <= u32::MAX as u64 => {
                self.stack[first] = Operand::Temp;
                Some(v as u32)
            }
            _ => None,
        };
        self.materialize_top(p);
        let base = self.slot_of(first);
        self.stack.truncate(first);
        match imm {
            Some(val) => self.emit(Instr::CallImm { func, base, val }),
            None => self.emit(Instr::Call { func, base }),
        };
        self.push_result_temps(self.info.func_type(func).results());
        // The callee's frame starts at `base`; reserve room for its results.
        self.max_height = self.max_height.max(self.stack.len() - r + p.max(r));
    }

    fn call_indirect(&mut self, type_index: u32, table: u32) {
        let (ipos, io) = self.pop();
        let index = self.value_slot(ipos, io);
        let ty = &self.info.types[type_index as usize];
        let (p, r) = (ty.param_slots(), ty.result_slots());
        self.materialize_top(p);
        let base = self.slot_of(self.stack.len() - p);
        self.stack.truncate(self.stack.len() - p);
        self.emit(Instr::CallIndirect {
            ty: self.type_ids[type_index as usize],
            index,
            base,
            table: table as u16,
        });
        self.push_result_temps(self.info.types[type_index as usize].results());
        self.max_height = self.max_height.max(self.stack.len() - r + p.max(r));
    }

    /// `return_call func`: the tail call, then the ordinary call and return
    /// it falls through to for host or native callees.
    fn return_call(&mut self, func: u32) {
        // Slots, not values: a `v128` argument takes two.
        let p = self.info.func_type(func).param_slots();
        self.materialize_top(p);
        let base = self.slot_of(self.stack.len() - p);
        self.emit(Instr::ReturnCall { func, base });
        self.call(func);
        self.emit_return();
        self.set_unreachable();
    }

    /// `return_call_indirect`: as `return_call`.
    fn return_call_indirect(&mut self, type_index: u32, table: u32) {
        let p = self.info.types[type_index as usize].param_slots();
        // Place index and arguments as `call_indirect` will find them.
        let (ipos, io) = self.pop();
        let index = self.value_slot(ipos, io);
        self.materialize_top(p);
        let base = self.slot_of(self.stack.len() - p);
        self.emit(Instr::ReturnCallIndirect {
            ty: self.type_ids[type_index as usize],
            index,
            base,
            table: table as u16,
        });
        self.push(if index == self.slot_of(ipos) {
            Operand::Temp
        } else {
            Operand::Local(index)
        });
        self.call_indirect(type_index, table);
        self.emit_return();
        self.set_unreachable();
    }

    /// `call_ref` / `return_call_ref` of type `type_index`.
    fn call_ref(&mut self, type_index: u32, tail: bool) {
        let ty = &self.info.types[type_index as usize];
        let (p, r) = (ty.param_slots(), ty.result_slots());
        let (fpos, fo) = self.pop();
        let func = self.value_slot(fpos, fo);
        self.materialize_top(p);
        let base = self.slot_of(self.stack.len() - p);
        if tail {
            self.emit(Instr::ReturnCallRef { func, base });
        }
        self.stack.truncate(self.stack.len() - p);
        self.emit(Instr::CallRef { func, base });
        self.push_result_temps(self.info.types[type_index as usize].results());
        self.max_height = self.max_height.max(self.stack.len() - r + p.max(r));
        if tail {
            self.emit_return();
            self.set_unreachable();
        }
    }

    fn local_set(&mut self, local: Slot, tee: bool) {
        let (pos, o) = self.pop();
        let others = self.stack.contains(&Operand::Local(local));
        if o == Operand::Local(local) {
            if tee {
                self.push(o);
            }
            return;
        }
        if o == Operand::Temp && !others && self.produced_last(pos) {
            let at = self.instrs.len() - 1;
            if super::ops::retarget(&mut self.instrs[at], local) {
                self.last_result = None;
                if tee {
                    self.push(Operand::Local(local));
                }
                return;
            }
        }
        self.materialize_local(local);
        self.copy_to(local, pos, o);
        if let Operand::Const(v) = o {
            self.last_const_set = Some((local, v, self.instrs.len() - 1));
        }
        if tee {
            self.push(if let Operand::Const(_) = o {
                o
            } else {
                Operand::Local(local)
            });
        }
    }

    /// Control, parametric and variable operators. Returns false if `op` is not one.
    pub(super) fn control(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        match *op {
            Operator::Unreachable => {
                self.emit(Instr::Unreachable);
                self.set_unreachable();
            }
            Operator::Nop => {}
            Operator::Block { blockty } => {
                self.push_ctrl(CtrlKind::Block, blockty);
            }
            Operator::Loop { blockty } => {
                let i = self.push_ctrl(CtrlKind::Loop, blockty);
                let label = self.ctrls[i].label;
                self.bind(label);
                self.ctrls[i].start = self.instrs.len();
                if self.ctrls[i].params == 0 {
                    let pos = self.labels[label].pos.expect("just bound");
                    self.note_osr(pos, true);
                }
            }
            Operator::If { blockty } => {
                let (pos, cond) = self.pop();
                let i = self.push_ctrl(CtrlKind::If, blockty);
                let else_label = self.new_label();
                self.ctrls[i].else_label = Some(else_label);
                self.cond_branch(pos, cond, true, else_label);
                self.fuel_region();
            }
            Operator::Else => {
                let c = self.ctrls.last().expect("inside if").clone();
                if self.reachable() {
                    self.materialize_top(c.results);
                    self.emit_branch(c.label, Instr::Br { offset: 0 });
                }
                if let Some(e) = c.else_label {
                    self.bind(e);
                }
                let top = self.ctrls.last_mut().expect("inside if");
                top.else_label = None;
                top.kind = CtrlKind::Else;
                top.unreachable = false;
                self.stack.truncate(c.height);
                self.push_block_temps(c.bt, true);
            }
            Operator::End => self.end(),
            Operator::Br { relative_depth } => {
                self.br(relative_depth);
                self.set_unreachable();
            }
            Operator::BrIf { relative_depth } => self.br_if(relative_depth),
            Operator::BrTable { ref targets } => self.br_table(targets)?,
            Operator::Return => {
                self.emit_return();
                self.set_unreachable();
            }
            Operator::Call { function_index } => self.call(function_index),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => self.call_indirect(type_index, table_index),
            Operator::ReturnCall { function_index } => self.return_call(function_index),
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => self.return_call_indirect(type_index, table_index),
            Operator::CallRef { type_index } => self.call_ref(type_index, false),
            Operator::ReturnCallRef { type_index } => self.call_ref(type_index, true),
            Operator::RefAsNonNull => {
                let (pos, o) = self.pop();
                let src = self.value_slot(pos, o);
                self.emit(Instr::RefAsNonNull { src });
                self.push(o);
            }
            Operator::BrOnNull { relative_depth } => {
                // Branch (dropping the reference) if null; else keep it.
                let (pos, o) = self.pop();
                self.branch_on(pos, o, true, relative_depth);
                self.push(o);
            }
            Operator::BrOnNonNull { relative_depth } => {
                // Branch with the reference as the last value if non-null;
                // else drop it.
                let (pos, o) = self.pop();
                self.push(o);
                self.branch_on(pos, o, false, relative_depth);
                self.pop();
            }
            Operator::Drop => {
                if self.top_is_v128() {
                    self.pop();
                }
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } if self.v128_select() => {}
            Operator::Select | Operator::TypedSelect { .. } => {
                let (cpos, c) = self.pop();
                let (bpos, b) = self.pop();
                let (apos, a) = self.pop();
                let cond = self.value_slot(cpos, c);
                let bs = self.value_slot(bpos, b);
                let as_ = self.value_slot(apos, a);
                let dst = self.push_temp();
                self.emit_result(
                    Instr::Select {
                        dst,
                        cond,
                        a: as_,
                        b: bs,
                    },
                    dst,
                );
            }
            Operator::LocalGet { local_index } => match self.local(local_index) {
                (l, false) => self.push(Operand::Local(l)),
                (l, true) => self.push_v128_local(l),
            },
            Operator::LocalSet { local_index } => match self.local(local_index) {
                (l, false) => self.local_set(l, false),
                (l, true) => self.local_set_v128(l, false),
            },
            Operator::LocalTee { local_index } => match self.local(local_index) {
                (l, false) => self.local_set(l, true),
                (l, true) => self.local_set_v128(l, true),
            },
            _ => return Ok(false),
        }
        Ok(true)
    }
}
