//! Fuel metering in the translator (only with `Config::consume_fuel`).
//!
//! A function's code is cut into **fuel regions**: straight-line runs that
//! control enters only at the top. A region starts
//! - at the function's entry,
//! - at every label bound (a loop head, the end of a `block` or `if`, an
//!   `else`, the fall-through past a branch stub),
//! - after every conditional branch (`br_if`, `if`): the path that falls
//!   through is a region of its own.
//!
//! Each region is headed by one `Fuel { amount }` instruction, where
//! `amount` is the number of wasm operators that lie in the code between the
//! region's start and the next region start: the operator that ends it
//! (`loop`, `end`, `else`, `br_if`, `if`) included, operators in
//! unreachable code (after `br`, `return`, `unreachable`, up to the end of
//! their block) excluded, and `block`, `loop`, `end`, `nop`, `local.get`,
//! ... each counting 1, whatever the translator emits for them. So the
//! charge depends only on the wasm bytes: the same module and input consume
//! the same fuel on every run. Two region starts at one position share one
//! `Fuel` (an empty region costs nothing and emits nothing). When fuel is
//! off, nothing here emits anything.
//!
//! With fuel on, loop inversion never applies (a loop head is a `Fuel`, not
//! a conditional branch); Go's dispatch shortcut still branches straight to
//! a case, skipping the loop head's region and its charge.

use super::Translator;
use crate::ir::Instr;

impl Translator<'_> {
    /// Where a label bound now must point: the current region's `Fuel` if
    /// that region is still empty and heads the code here (so both starts
    /// share it), else the next instruction.
    pub(super) fn fuel_label_pos(&self) -> usize {
        match self.fuel_at {
            Some(at) if at + 1 == self.instrs.len() && self.fuel_amount(at) == 0 => at,
            _ => self.instrs.len(),
        }
    }

    /// Starts a fuel region here (no-op without fuel, or when an empty
    /// region already starts here).
    pub(super) fn fuel_region(&mut self) {
        if !self.fuel || self.fuel_label_pos() != self.instrs.len() {
            return;
        }
        self.instrs.push(Instr::Fuel { amount: 0 });
        self.fuel_at = Some(self.instrs.len() - 1);
        self.last_result = None;
        self.last_const_set = None;
    }

    /// Counts one reachable wasm operator in the current region.
    #[inline]
    pub(super) fn fuel_count(&mut self) {
        if let Some(at) = self.fuel_at {
            if let Instr::Fuel { amount } = &mut self.instrs[at] {
                *amount = amount.saturating_add(1);
            }
        }
    }

    fn fuel_amount(&self, at: usize) -> u32 {
        match self.instrs[at] {
            Instr::Fuel { amount } => amount,
            _ => unreachable!("fuel_at indexes a Fuel instruction"),
        }
    }
}
