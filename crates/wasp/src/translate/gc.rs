//! Translation of the GC instructions (structs, arrays, `i31`, casts).
//!
//! Field offsets and move modes are resolved here from the module's type
//! layouts (`gc/layout.rs`), so a `struct.get` runs without looking at its
//! type. Operators taking a run of values (`struct.new`, `array.new_fixed`,
//! the bulk array operators) get them in consecutive slots, as calls do.
//! `br_on_cast`/`br_on_cast_fail` are a `RefTest` into a temporary and a
//! conditional branch; `ref.eq` is `i64.eq` on the slot bits (the
//! encoding is canonical); the two conversions between `any` and `extern`
//! emit nothing (they share the encoding, `gc/mod.rs`).

use super::{Operand, Translator};
use crate::gc::layout::{GcType, MODE_V128};
use crate::ir::{Instr as I, Slot};
use std::sync::Arc;
use wasmparser::Operator;

impl Translator<'_> {
    fn gc_type(&self, ty: u32) -> Arc<GcType> {
        self.info.gc_types[ty as usize].clone()
    }

    /// The cast target `(code, id)` of heap type `hty` (nullable or not).
    fn cast_target(&self, nullable: bool, hty: wasmparser::HeapType) -> Result<(u8, u32), String> {
        let r = wasmparser::RefType::new(nullable, hty).ok_or("unsupported heap type")?;
        self.cast_target_of(r)
    }

    fn cast_target_of(&self, r: wasmparser::RefType) -> Result<(u8, u32), String> {
        crate::gc::cast::target(r, self.type_ids, |i| self.info.gc_types[i as usize].kind)
            .ok_or_else(|| format!("unsupported cast target {r:?}"))
    }

    /// Pushes the result of a field or element read with `mode` and
    /// returns its (first) slot.
    fn push_moved(&mut self, mode: u8) -> Slot {
        if mode == MODE_V128 {
            self.push_v128_temp()
        } else {
            self.push_temp()
        }
    }

    /// Pops a value moved with `mode` and returns its (first) slot.
    fn pop_moved(&mut self, mode: u8) -> Slot {
        if mode == MODE_V128 {
            self.pop_v128()
        } else {
            self.pop_scalar()
        }
    }

    /// Materializes the top `n` stack entries and pops them, returning the
    /// first one's slot.
    fn pop_run(&mut self, n: usize) -> Slot {
        self.materialize_top(n);
        let first = self.stack.len() - n;
        let base = self.slot_of(first);
        self.stack.truncate(first);
        base
    }

    /// GC operators. Returns false if `op` is not one.
    pub(super) fn gc(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        match *op {
            Operator::StructNew {
                struct_type_index: ty,
            } => {
                let n = self.gc_type(ty).slots as usize;
                let base = self.pop_run(n);
                let dst = self.push_temp();
                self.emit_result(I::StructNew { dst, base, ty }, dst);
            }
            Operator::StructNewDefault {
                struct_type_index: ty,
            } => {
                let dst = self.push_temp();
                self.emit_result(I::StructNewDefault { dst, ty }, dst);
            }
            Operator::StructGet {
                struct_type_index: ty,
                field_index: f,
            }
            | Operator::StructGetS {
                struct_type_index: ty,
                field_index: f,
            }
            | Operator::StructGetU {
                struct_type_index: ty,
                field_index: f,
            } => {
                let field = self.gc_type(ty).fields[f as usize];
                let mode = field
                    .storage
                    .mode(matches!(op, Operator::StructGetS { .. }));
                let obj = self.pop_scalar();
                let dst = self.push_moved(mode);
                let offset = u16::try_from(field.offset).map_err(|_| "too many struct fields")?;
                let i = I::StructGet {
                    dst,
                    obj,
                    offset,
                    mode,
                };
                if mode == MODE_V128 {
                    self.emit(i);
                } else {
                    self.emit_result(i, dst);
                }
            }
            Operator::StructSet {
                struct_type_index: ty,
                field_index: f,
            } => {
                let field = self.gc_type(ty).fields[f as usize];
                let mode = field.storage.mode(false);
                let src = self.pop_moved(mode);
                let obj = self.pop_scalar();
                let offset = u16::try_from(field.offset).map_err(|_| "too many struct fields")?;
                self.emit(I::StructSet {
                    obj,
                    src,
                    offset,
                    mode,
                });
            }
            Operator::ArrayNew {
                array_type_index: ty,
            } => {
                let n = self.gc_type(ty).slots as usize + 1;
                let base = self.pop_run(n);
                let dst = self.push_temp();
                self.emit_result(I::ArrayNew { dst, base, ty }, dst);
            }
            Operator::ArrayNewDefault {
                array_type_index: ty,
            } => {
                let len = self.pop_scalar();
                let dst = self.push_temp();
                self.emit_result(I::ArrayNewDefault { dst, len, ty }, dst);
            }
            Operator::ArrayNewFixed {
                array_type_index: ty,
                array_size: n,
            } => {
                let slots = (n as usize).saturating_mul(self.gc_type(ty).slots as usize);
                let base = self.pop_run(slots);
                let dst = self.push_temp();
                self.emit_result(I::ArrayNewFixed { dst, base, ty, n }, dst);
            }
            Operator::ArrayNewData {
                array_type_index: ty,
                array_data_index: seg,
            } => {
                let base = self.pop_run(2);
                let dst = self.push_temp();
                self.emit_result(I::ArrayNewData { dst, base, ty, seg }, dst);
            }
            Operator::ArrayNewElem {
                array_type_index: ty,
                array_elem_index: seg,
            } => {
                let base = self.pop_run(2);
                let dst = self.push_temp();
                self.emit_result(I::ArrayNewElem { dst, base, ty, seg }, dst);
            }
            Operator::ArrayGet {
                array_type_index: ty,
            }
            | Operator::ArrayGetS {
                array_type_index: ty,
            }
            | Operator::ArrayGetU {
                array_type_index: ty,
            } => {
                let mode = self
                    .gc_type(ty)
                    .elem()
                    .storage
                    .mode(matches!(op, Operator::ArrayGetS { .. }));
                let [arr, index] = self.pop_slots::<2>();
                let dst = self.push_moved(mode);
                let i = I::ArrayGet {
                    dst,
                    arr,
                    index,
                    mode,
                };
                if mode == MODE_V128 {
                    self.emit(i);
                } else {
                    self.emit_result(i, dst);
                }
            }
            Operator::ArraySet {
                array_type_index: ty,
            } => {
                let mode = self.gc_type(ty).elem().storage.mode(false);
                let src = self.pop_moved(mode);
                let [arr, index] = self.pop_slots::<2>();
                self.emit(I::ArraySet {
                    arr,
                    index,
                    src,
                    mode,
                });
            }
            Operator::ArrayLen => {
                let arr = self.pop_scalar();
                let dst = self.push_temp();
                self.emit_result(I::ArrayLen { dst, arr }, dst);
            }
            Operator::ArrayFill {
                array_type_index: ty,
            } => {
                let t = self.gc_type(ty);
                let mode = t.elem().storage.mode(false);
                let base = self.pop_run(3 + t.slots as usize);
                self.emit(I::ArrayFill { base, mode });
            }
            Operator::ArrayCopy { .. } => {
                let base = self.pop_run(5);
                self.emit(I::ArrayCopy { base });
            }
            Operator::ArrayInitData {
                array_type_index: ty,
                array_data_index: seg,
            } => {
                let base = self.pop_run(4);
                self.emit(I::ArrayInitData { base, ty, seg });
            }
            Operator::ArrayInitElem {
                array_elem_index: seg,
                ..
            } => {
                let base = self.pop_run(4);
                self.emit(I::ArrayInitElem { base, seg });
            }
            Operator::RefI31 => {
                let src = self.pop_scalar();
                let dst = self.push_temp();
                self.emit_result(I::RefI31 { dst, src }, dst);
            }
            Operator::I31GetS | Operator::I31GetU => {
                let src = self.pop_scalar();
                let dst = self.push_temp();
                let signed = matches!(op, Operator::I31GetS);
                self.emit_result(I::I31Get { dst, src, signed }, dst);
            }
            Operator::RefEq => {
                let [lhs, rhs] = self.pop_slots::<2>();
                let dst = self.push_temp();
                self.emit_result(I::I64Eq { dst, lhs, rhs }, dst);
            }
            Operator::AnyConvertExtern | Operator::ExternConvertAny => {}
            Operator::RefTestNonNull { hty } | Operator::RefTestNullable { hty } => {
                let (code, id) =
                    self.cast_target(matches!(op, Operator::RefTestNullable { .. }), hty)?;
                let src = self.pop_scalar();
                let dst = self.push_temp();
                self.emit_result(I::RefTest { dst, src, id, code }, dst);
            }
            Operator::RefCastNonNull { hty } | Operator::RefCastNullable { hty } => {
                let (code, id) =
                    self.cast_target(matches!(op, Operator::RefCastNullable { .. }), hty)?;
                let src = self.pop_scalar();
                let dst = self.push_temp();
                self.emit_result(I::RefCast { dst, src, id, code }, dst);
            }
            Operator::BrOnCast {
                relative_depth,
                to_ref_type,
                ..
            }
            | Operator::BrOnCastFail {
                relative_depth,
                to_ref_type,
                ..
            } => {
                let (code, id) = self.cast_target_of(to_ref_type)?;
                let (pos, o) = self.pop();
                let src = self.value_slot(pos, o);
                // A constant (`ref.null`) now lives in its temporary.
                let o = match o {
                    Operand::Const(_) => Operand::Temp,
                    other => other,
                };
                self.push(o);
                let dst = self.push_temp();
                self.emit(I::RefTest { dst, src, id, code });
                let (tpos, _) = self.pop();
                let fail = matches!(op, Operator::BrOnCastFail { .. });
                self.cond_branch_to(tpos, Operand::Temp, fail, relative_depth, false);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
