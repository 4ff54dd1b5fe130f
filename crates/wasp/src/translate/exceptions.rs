//! Translation of exception handling: `throw`, `throw_ref` and `try_table`.
//!
//! `throw` and `throw_ref` are single instructions (`Instr::Throw` with the
//! payload in consecutive slots, `Instr::ThrowRef`). A `try_table` emits no
//! code at all: it is a block whose body's instruction range and catch
//! clauses go into the function's handler table (`CompiledFunc::handlers`),
//! which only the unwinder reads (`exec/exceptions.rs`). Code that throws
//! nothing pays nothing.
//!
//! A catch clause is resolved like a branch taken from the `try_table`'s
//! entry: its label's values go to the label's slots (`height..`), so the
//! unwinder writes the payload (and the `exnref`) there and continues at
//! the label. A clause that targets the function's own label returns: the
//! values go to slots `0..` and the handler is a `Return` emitted after the
//! body.

use super::{CtrlKind, LabelId, Translator};
use crate::ir::{Catch, Instr, Slot, TryRange};
use wasmparser::{Operator, TryTable};

/// A catch clause whose label may not be bound yet.
#[derive(Debug, Clone, Copy)]
struct PendingCatch {
    tag: Option<u32>,
    with_ref: bool,
    dst: Slot,
    /// The label it continues at; `None`: the function returns.
    label: Option<LabelId>,
}

#[derive(Debug, Clone)]
struct PendingTry {
    /// Index of the `try_table`'s control frame.
    ctrl: usize,
    start: usize,
    end: usize,
    catches: Vec<PendingCatch>,
}

/// The `try_table`s of the function being translated.
#[derive(Debug, Default)]
pub(super) struct TryState {
    /// Open ones, innermost last.
    open: Vec<PendingTry>,
    /// Closed ones, in the order they closed (innermost first).
    closed: Vec<PendingTry>,
}

impl Translator<'_> {
    /// Exception operators. Returns false if `op` is not one.
    pub(super) fn exceptions(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        match *op {
            Operator::TryTable { ref try_table } => self.try_table(try_table),
            Operator::Throw { tag_index } => {
                let ty = self.info.tags[tag_index as usize];
                // Slots, not values: a `v128` field takes two.
                let n = self.info.types[ty as usize].param_slots();
                self.materialize_top(n);
                let first = self.stack.len() - n;
                let base = self.slot_of(first);
                self.stack.truncate(first);
                self.emit(Instr::Throw {
                    tag: tag_index,
                    base,
                });
                self.set_unreachable();
            }
            Operator::ThrowRef => {
                let (pos, o) = self.pop();
                let src = self.value_slot(pos, o);
                self.emit(Instr::ThrowRef { src });
                self.set_unreachable();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn try_table(&mut self, t: &TryTable) {
        // Catch labels are relative to the context around the try_table.
        let catches = t
            .catches
            .iter()
            .map(|c| {
                use wasmparser::Catch as C;
                let (tag, with_ref, depth) = match *c {
                    C::One { tag, label } => (Some(tag), false, label),
                    C::OneRef { tag, label } => (Some(tag), true, label),
                    C::All { label } => (None, false, label),
                    C::AllRef { label } => (None, true, label),
                };
                let target = &self.ctrls[self.ctrls.len() - 1 - depth as usize];
                if target.kind == CtrlKind::Func {
                    PendingCatch {
                        tag,
                        with_ref,
                        dst: 0,
                        label: None,
                    }
                } else {
                    PendingCatch {
                        tag,
                        with_ref,
                        dst: self.slot_of(target.height),
                        label: Some(target.label),
                    }
                }
            })
            .collect();
        let ctrl = self.push_ctrl(CtrlKind::TryTable, t.ty);
        self.exn.open.push(PendingTry {
            ctrl,
            start: self.instrs.len(),
            end: 0,
            catches,
        });
    }

    /// At the `end` of a `try_table`: its body ends here.
    pub(super) fn close_try(&mut self) {
        let mut t = self.exn.open.pop().expect("an open try_table");
        debug_assert_eq!(t.ctrl, self.ctrls.len() - 1);
        t.end = self.instrs.len();
        self.exn.closed.push(t);
    }

    /// After the body: the handler table, with every label resolved (and
    /// the `Return` that handlers targeting the function use).
    pub(super) fn finish_handlers(&mut self) -> Box<[TryRange]> {
        if self.exn.closed.is_empty() {
            return Box::new([]);
        }
        let closed = std::mem::take(&mut self.exn.closed);
        let mut ret_at = None;
        let mut out = Vec::with_capacity(closed.len());
        for t in closed {
            let catches = t
                .catches
                .iter()
                .map(|c| {
                    let target = match c.label {
                        Some(l) => self.labels[l].pos.expect("every label is bound at the end"),
                        None => *ret_at.get_or_insert(self.instrs.len()),
                    };
                    Catch {
                        tag: c.tag,
                        with_ref: c.with_ref,
                        dst: c.dst,
                        target: target as u32,
                    }
                })
                .collect();
            if ret_at == Some(self.instrs.len()) {
                self.instrs.push(Instr::Return);
            }
            out.push(TryRange {
                start: t.start as u32,
                end: t.end as u32,
                catches,
            });
        }
        out.into_boxed_slice()
    }
}
