//! Translation of numeric, memory, table, global and reference operators, and
//! the instruction rewrites the translator performs (branch patching, fusing
//! a comparison into a branch, redirecting a result into a local).

use super::{Operand, Translator};
use crate::exec::num::*;
use crate::ir::{for_each_numeric, props, BinProps, ImmKind, Instr, Slot};
use wasmparser::{MemArg, Operator};

/// The immediate form of constant `v` for an operator taking `kind`, if it has one.
fn imm_for(kind: ImmKind, v: u64) -> Option<i32> {
    match kind {
        ImmKind::Bits32 => Some(v as u32 as i32),
        ImmKind::SignExtended32 => {
            let s = v as i64;
            (s as i32 as i64 == s).then_some(s as i32)
        }
        ImmKind::None => None,
    }
}

type MkBin = fn(Slot, Slot, Slot) -> Instr;
type MkImm = fn(Slot, Slot, i32) -> Instr;

impl Translator<'_> {
    fn binary(
        &mut self,
        props: BinProps,
        mk: MkBin,
        mk_imm: MkImm,
        fold: Option<fn(u64, u64) -> u64>,
    ) {
        let (rpos, r) = self.pop();
        let (lpos, l) = self.pop();
        if let (Some(f), Operand::Const(a), Operand::Const(b)) = (fold, l, r) {
            self.push(Operand::Const(f(a, b)));
            return;
        }
        let (l, r, lpos, rpos) = match (l, r) {
            (Operand::Const(_), Operand::Local(_) | Operand::Temp) if props.commutative => {
                (r, l, rpos, lpos)
            }
            _ => (l, r, lpos, rpos),
        };
        let dst = self.slot_of(lpos.min(rpos));
        if let Operand::Const(v) = r {
            if let Some(imm) = imm_for(props.imm, v) {
                let lhs = self.value_slot(lpos, l);
                self.push(Operand::Temp);
                self.emit_result(mk_imm(dst, lhs, imm), dst);
                return;
            }
        }
        let lhs = self.value_slot(lpos, l);
        let rhs = self.value_slot(rpos, r);
        self.push(Operand::Temp);
        self.emit_result(mk(dst, lhs, rhs), dst);
    }

    /// Go computes addresses as `i32.wrap_i64(i64.add(i64.extend_i32_u(x), y))`,
    /// which is exactly `i32.add(x, y)`: when the value being wrapped was just
    /// produced that way, emit the 32-bit add instead (one instruction, no extend).
    fn narrow_extended_add(&mut self) {
        let n = self.instrs.len();
        let top = self.stack.len() - 1;
        if n < 2 || self.stack[top] != Operand::Temp || !self.produced_last(top) {
            return;
        }
        if self.label_at == Some(n - 1) {
            return; // something branches between the extend and the add
        }
        let Instr::I64ExtendI32U { dst: t, src: x } = self.instrs[n - 2] else {
            return;
        };
        let narrowed = match self.instrs[n - 1] {
            Instr::I64AddImm { dst, lhs, imm } if lhs == t && dst == t => {
                Instr::I32AddImm { dst, lhs: x, imm }
            }
            Instr::I64Add { dst, lhs, rhs } if lhs == t && dst == t && rhs != t => {
                Instr::I32Add { dst, lhs: x, rhs }
            }
            Instr::I64Add { dst, lhs, rhs } if rhs == t && dst == t && lhs != t => {
                Instr::I32Add { dst, lhs, rhs: x }
            }
            _ => return,
        };
        // The extend's temporary is the add's destination, so nothing else reads it.
        self.instrs.truncate(n - 2);
        let dst = self.slot_of(top);
        self.emit_result(narrowed, dst);
    }

    fn unary(&mut self, mk: fn(Slot, Slot) -> Instr, fold: Option<fn(u64) -> u64>) {
        // `i32.eqz` of a just-computed `eqz` is a test against zero.
        if let Some(&Operand::Temp) = self.stack.last() {
            let top = self.stack.len() - 1;
            if self.produced_last(top) && mk(0, 0) == (Instr::I32Eqz { dst: 0, src: 0 }) {
                let at = self.instrs.len() - 1;
                let ne = match self.instrs[at] {
                    Instr::I32Eqz { dst, src } => Some(Instr::I32NeImm {
                        dst,
                        lhs: src,
                        imm: 0,
                    }),
                    Instr::I64Eqz { dst, src } => Some(Instr::I64NeImm {
                        dst,
                        lhs: src,
                        imm: 0,
                    }),
                    _ => None,
                };
                if let Some(ne) = ne {
                    self.instrs[at] = ne;
                    return;
                }
            }
        }
        let (pos, o) = self.pop();
        if let (Some(f), Operand::Const(v)) = (fold, o) {
            self.push(Operand::Const(f(v)));
            return;
        }
        let src = self.value_slot(pos, o);
        let dst = self.push_temp();
        self.emit_result(mk(dst, src), dst);
    }

    fn load(&mut self, m: &MemArg, mk: fn(Slot, Slot, u32) -> Instr, abs: fn(Slot, u32) -> Instr) {
        let (pos, a) = self.pop();
        if let Operand::Const(v) = a {
            let ea = (v as u32 as u64) + m.offset;
            if ea <= u32::MAX as u64 {
                let dst = self.push_temp();
                self.emit_result(abs(dst, ea as u32), dst);
                return;
            }
        }
        let addr = self.value_slot(pos, a);
        let dst = self.push_temp();
        self.emit_result(mk(dst, addr, m.offset as u32), dst);
    }

    fn store(
        &mut self,
        m: &MemArg,
        mk: fn(Slot, Slot, u32) -> Instr,
        imm: fn(Slot, i32, u32) -> Instr,
    ) {
        let (vpos, v) = self.pop();
        let (apos, a) = self.pop();
        let addr = self.value_slot(apos, a);
        if let Operand::Const(c) = v {
            // The immediate is sign-extended to 64 bits; narrower stores only
            // keep its low bytes, so any constant fits them.
            let wide = matches!(mk(0, 0, 0), Instr::Store64 { .. });
            if !wide || c as i64 as i32 as i64 == c as i64 {
                self.emit(imm(addr, c as i32, m.offset as u32));
                return;
            }
        }
        let src = self.value_slot(vpos, v);
        self.emit(mk(addr, src, m.offset as u32));
    }

    /// Pops `n` operands and returns their slots (bottom first).
    pub(super) fn pop_slots<const N: usize>(&mut self) -> [Slot; N] {
        let mut out = [0; N];
        let base = self.stack.len() - N;
        for (i, o) in out.iter_mut().enumerate() {
            let e = self.stack[base + i];
            *o = self.value_slot(base + i, e);
        }
        self.stack.truncate(base);
        out
    }

    /// Memory, table, global, constant and reference operators.
    pub(super) fn other(&mut self, op: Operator<'_>) -> Result<(), String> {
        use Instr as I;
        match op {
            Operator::I32Const { value } => self.push(Operand::Const(value as u32 as u64)),
            Operator::I64Const { value } => self.push(Operand::Const(value as u64)),
            Operator::F32Const { value } => self.push(Operand::Const(value.bits() as u64)),
            Operator::F64Const { value } => self.push(Operand::Const(value.bits())),
            Operator::RefNull { .. } => self.push(Operand::Const(0)),
            // No-ops on raw slots: readers of 32-bit values ignore the high half.
            Operator::I32WrapI64
            | Operator::I32ReinterpretF32
            | Operator::F32ReinterpretI32
            | Operator::I64ReinterpretF64
            | Operator::F64ReinterpretI64 => {
                if let Some(Operand::Const(v)) = self.stack.last_mut() {
                    if matches!(op, Operator::I32WrapI64) {
                        *v &= 0xffff_ffff;
                    }
                } else if matches!(op, Operator::I32WrapI64) {
                    self.narrow_extended_add();
                }
            }
            Operator::RefFunc { function_index } => {
                let dst = self.push_temp();
                self.emit_result(
                    I::RefFunc {
                        dst,
                        func: function_index,
                    },
                    dst,
                );
            }
            Operator::GlobalGet { global_index } => {
                let dst = self.push_temp();
                self.emit_result(
                    I::GlobalGet {
                        dst,
                        index: global_index,
                    },
                    dst,
                );
            }
            Operator::GlobalSet { global_index } => {
                let [src] = self.pop_slots::<1>();
                self.emit(I::GlobalSet {
                    src,
                    index: global_index,
                });
            }
            Operator::I32Load { memarg }
            | Operator::F32Load { memarg }
            | Operator::I64Load32U { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I32Load { dst, addr, offset },
                |dst, addr| I::I32LoadAbs { dst, addr },
            ),
            Operator::I64Load { memarg } | Operator::F64Load { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I64Load { dst, addr, offset },
                |dst, addr| I::I64LoadAbs { dst, addr },
            ),
            Operator::I32Load8S { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I32Load8S { dst, addr, offset },
                |dst, addr| I::I32Load8SAbs { dst, addr },
            ),
            Operator::I32Load8U { memarg } | Operator::I64Load8U { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I32Load8U { dst, addr, offset },
                |dst, addr| I::I32Load8UAbs { dst, addr },
            ),
            Operator::I32Load16S { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I32Load16S { dst, addr, offset },
                |dst, addr| I::I32Load16SAbs { dst, addr },
            ),
            Operator::I32Load16U { memarg } | Operator::I64Load16U { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I32Load16U { dst, addr, offset },
                |dst, addr| I::I32Load16UAbs { dst, addr },
            ),
            Operator::I64Load8S { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I64Load8S { dst, addr, offset },
                |dst, addr| I::I64Load8SAbs { dst, addr },
            ),
            Operator::I64Load16S { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I64Load16S { dst, addr, offset },
                |dst, addr| I::I64Load16SAbs { dst, addr },
            ),
            Operator::I64Load32S { memarg } => self.load(
                &memarg,
                |dst, addr, offset| I::I64Load32S { dst, addr, offset },
                |dst, addr| I::I64Load32SAbs { dst, addr },
            ),
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => self.store(
                &memarg,
                |addr, src, offset| I::Store8 { addr, src, offset },
                |addr, imm, offset| I::Store8Imm { addr, imm, offset },
            ),
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => self.store(
                &memarg,
                |addr, src, offset| I::Store16 { addr, src, offset },
                |addr, imm, offset| I::Store16Imm { addr, imm, offset },
            ),
            Operator::I32Store { memarg }
            | Operator::F32Store { memarg }
            | Operator::I64Store32 { memarg } => self.store(
                &memarg,
                |addr, src, offset| I::Store32 { addr, src, offset },
                |addr, imm, offset| I::Store32Imm { addr, imm, offset },
            ),
            Operator::I64Store { memarg } | Operator::F64Store { memarg } => self.store(
                &memarg,
                |addr, src, offset| I::Store64 { addr, src, offset },
                |addr, imm, offset| I::Store64Imm { addr, imm, offset },
            ),
            Operator::MemorySize { .. } => {
                let dst = self.push_temp();
                self.emit_result(I::MemorySize { dst }, dst);
            }
            Operator::MemoryGrow { .. } => {
                let [delta] = self.pop_slots::<1>();
                let dst = self.push_temp();
                self.emit_result(I::MemoryGrow { dst, delta }, dst);
            }
            Operator::MemoryFill { .. } => {
                let [dst, val, len] = self.pop_slots::<3>();
                self.emit(I::MemoryFill { dst, val, len });
            }
            Operator::MemoryCopy { .. } => {
                let [dst, src, len] = self.pop_slots::<3>();
                self.emit(I::MemoryCopy { dst, src, len });
            }
            Operator::MemoryInit { data_index, .. } => {
                let [dst, src, len] = self.pop_slots::<3>();
                self.emit(I::MemoryInit {
                    dst,
                    src,
                    len,
                    seg: data_index,
                });
            }
            Operator::DataDrop { data_index } => {
                self.emit(I::DataDrop { seg: data_index });
            }
            Operator::TableGet { table } => {
                let [index] = self.pop_slots::<1>();
                let dst = self.push_temp();
                self.emit_result(I::TableGet { dst, index, table }, dst);
            }
            Operator::TableSet { table } => {
                let [index, val] = self.pop_slots::<2>();
                self.emit(I::TableSet { index, val, table });
            }
            Operator::TableSize { table } => {
                let dst = self.push_temp();
                self.emit_result(I::TableSize { dst, table }, dst);
            }
            Operator::TableGrow { table } => {
                let [init, delta] = self.pop_slots::<2>();
                let dst = self.push_temp();
                self.emit_result(
                    I::TableGrow {
                        dst,
                        init,
                        delta,
                        table,
                    },
                    dst,
                );
            }
            Operator::TableFill { table } => {
                let [dst, val, len] = self.pop_slots::<3>();
                self.emit(I::TableFill {
                    dst,
                    val,
                    len,
                    table,
                });
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let [dst, src, len] = self.pop_slots::<3>();
                self.emit(I::TableCopy {
                    dst,
                    src,
                    len,
                    dst_table: dst_table as u16,
                    src_table: src_table as u16,
                });
            }
            Operator::TableInit { elem_index, table } => {
                if elem_index > u16::MAX as u32 || table > u16::MAX as u32 {
                    return Err("more than 65,535 element segments or tables".into());
                }
                let [dst, src, len] = self.pop_slots::<3>();
                self.emit(I::TableInit {
                    dst,
                    src,
                    len,
                    table: table as u16,
                    seg: elem_index as u16,
                });
            }
            Operator::ElemDrop { elem_index } => {
                self.emit(I::ElemDrop { seg: elem_index });
            }
            other => {
                if !self.exceptions(&other)? {
                    return Err(format!("unsupported operator {other:?}"));
                }
            }
        }
        Ok(())
    }
}

macro_rules! gen_ops {
    (
        bin: [$(($b:ident, $bi:ident, $bf:ident, $bo:ident, $bp:ident)),* $(,)?],
        bin_trap: [$(($t:ident, $ti:ident, $tf:ident, $to:ident, $tp:ident)),* $(,)?],
        un: [$(($u:ident, $uf:ident, $uo:ident)),* $(,)?],
        un_trap: [$(($ut:ident, $utf:ident, $uto:ident)),* $(,)?],
        cmp: [$(($c:ident, $ci:ident, $cb:ident, $cbi:ident, $cf:ident, $co:ident, $cn:ident, $cni:ident, $cp:ident)),* $(,)?],
        load: [$(($l:ident, $la:ident, $lm:ident, $lw:ident, $ln:literal, $lf:ident)),* $(,)?],
        store: [$(($s:ident, $si:ident, $sm:ident, $sw:ident, $sn:literal)),* $(,)?]
    ) => {
        impl Translator<'_> {
            /// Numeric operators. Returns false if `op` is not one.
            pub(super) fn numeric(&mut self, op: &Operator<'_>) -> bool {
                match op {
                    $( Operator::$bo => self.binary(props::$bp,
                        |dst, lhs, rhs| Instr::$b { dst, lhs, rhs },
                        |dst, lhs, imm| Instr::$bi { dst, lhs, imm }, Some($bf)), )*
                    $( Operator::$to => self.binary(props::$tp,
                        |dst, lhs, rhs| Instr::$t { dst, lhs, rhs },
                        |dst, lhs, imm| Instr::$ti { dst, lhs, imm }, None), )*
                    $( Operator::$co => self.binary(props::$cp,
                        |dst, lhs, rhs| Instr::$c { dst, lhs, rhs },
                        |dst, lhs, imm| Instr::$ci { dst, lhs, imm }, Some($cf)), )*
                    $( Operator::$uo => self.unary(|dst, src| Instr::$u { dst, src }, Some($uf)), )*
                    $( Operator::$uto => self.unary(|dst, src| Instr::$ut { dst, src }, None), )*
                    _ => return false,
                }
                true
            }
        }

        /// Sets the branch offset of a branch instruction.
        pub(super) fn set_offset(i: &mut Instr, off: i32) {
            match i {
                Instr::Br { offset }
                | Instr::BrIfNez { offset, .. }
                | Instr::BrIfEqz { offset, .. }
                | Instr::BrIfNez64 { offset, .. }
                | Instr::BrIfEqz64 { offset, .. }
                $( | Instr::$cb { offset, .. } | Instr::$cbi { offset, .. } )* => *offset = off,
                other => unreachable!("not a branch: {other:?}"),
            }
        }

        /// The branch (offset 0) taken when comparison `i` holds (or fails, if
        /// `negate`), if `i` is a comparison that can fuse.
        pub(super) fn fuse_branch(i: Instr, negate: bool) -> Option<Instr> {
            let offset = 0;
            Some(match (i, negate) {
                $( (Instr::$c { lhs, rhs, .. }, false) => Instr::$cb { lhs, rhs, offset },
                   (Instr::$c { lhs, rhs, .. }, true) => Instr::$cn { lhs, rhs, offset },
                   (Instr::$ci { lhs, imm, .. }, false) if imm as i16 as i32 == imm => Instr::$cbi { lhs, imm: imm as i16, offset },
                   (Instr::$ci { lhs, imm, .. }, true) if imm as i16 as i32 == imm => Instr::$cni { lhs, imm: imm as i16, offset }, )*
                (Instr::I32Eqz { src, .. }, false) => Instr::BrIfEqz { cond: src, offset },
                (Instr::I32Eqz { src, .. }, true) => Instr::BrIfNez { cond: src, offset },
                (Instr::I64Eqz { src, .. }, false) => Instr::BrIfEqz64 { cond: src, offset },
                (Instr::I64Eqz { src, .. }, true) => Instr::BrIfNez64 { cond: src, offset },
                _ => return None,
            })
        }

        /// The branch taken exactly when `i` is not (same operands), if `i` is
        /// a conditional branch.
        pub(super) fn negate_branch(i: Instr) -> Option<Instr> {
            Some(match i {
                $( Instr::$cb { lhs, rhs, offset } => Instr::$cn { lhs, rhs, offset },
                   Instr::$cbi { lhs, imm, offset } => Instr::$cni { lhs, imm, offset }, )*
                Instr::BrIfNez { cond, offset } => Instr::BrIfEqz { cond, offset },
                Instr::BrIfEqz { cond, offset } => Instr::BrIfNez { cond, offset },
                Instr::BrIfNez64 { cond, offset } => Instr::BrIfEqz64 { cond, offset },
                Instr::BrIfEqz64 { cond, offset } => Instr::BrIfNez64 { cond, offset },
                _ => return None,
            })
        }

        /// Redirects the result of `i` to slot `to`; false if `i` has no plain result.
        pub(super) fn retarget(i: &mut Instr, to: Slot) -> bool {
            match i {
                $( Instr::$b { dst, .. } | Instr::$bi { dst, .. } )|*
                | $( Instr::$t { dst, .. } | Instr::$ti { dst, .. } )|*
                | $( Instr::$u { dst, .. } )|*
                | $( Instr::$ut { dst, .. } )|*
                | $( Instr::$c { dst, .. } | Instr::$ci { dst, .. } )|*
                | $( Instr::$l { dst, .. } | Instr::$la { dst, .. } )|*
                | $( Instr::$lm { dst, .. } | Instr::$lw { dst, .. } )|*
                | Instr::Select { dst, .. }
                | Instr::GlobalGet { dst, .. }
                | Instr::MemorySize { dst }
                | Instr::MemoryGrow { dst, .. }
                | Instr::TableGet { dst, .. }
                | Instr::TableSize { dst, .. }
                | Instr::TableGrow { dst, .. }
                | Instr::RefFunc { dst, .. } => {
                    *dst = to;
                    true
                }
                _ => false,
            }
        }
    };
}
for_each_numeric!(gen_ops);
