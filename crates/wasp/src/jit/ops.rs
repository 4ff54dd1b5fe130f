//! Numeric operators with wasm semantics, as the interpreter's
//! `exec/num.rs` defines them, bit for bit.
//!
//! - Integer division and remainder branch to a trap before Cranelift's
//!   (faulting) instruction could see a zero divisor or `MIN / -1`;
//!   `rem_s` by -1 divides by 1 instead (the result is 0).
//! - Trapping float-to-int truncations check NaN and range first, with the
//!   interpreter's bounds, then use the saturating conversion.
//! - NaN results follow RATIONALE.md "NaN results", coded explicitly (as
//!   `exec/num.rs` does), because Cranelift keeps no NaN payload promise: it
//!   swaps `fadd` operands to sink a load and rewrites `-x * -y` to `x * y`.
//!   `add`/`sub`/`mul`/`div` with a NaN operand give the first NaN operand,
//!   quieted (else the hardware's result, also for `inf - inf`); `min`/`max`
//!   give the second operand if it is a NaN, else the first, quieted, and
//!   Cranelift's `fmin`/`fmax` decide the rest (their signed-zero rule is
//!   wasm's).
//! - Shift and rotate counts wrap modulo the width, as in Cranelift.

use super::abi::Status;
use super::func::FuncTranslator;
use cranelift_codegen::ir::{
    condcodes::{FloatCC, IntCC},
    types, InstBuilder, MemFlagsData, Type, Value,
};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    fn bin(&mut self, f: impl FnOnce(&mut Self, Value, Value) -> Value) {
        let (a, b) = self.pop2();
        let v = f(self, a, b);
        self.push(v);
    }

    fn un(&mut self, f: impl FnOnce(&mut Self, Value) -> Value) {
        let a = self.pop();
        let v = f(self, a);
        self.push(v);
    }

    /// `icmp`, as an i32 0 or 1.
    fn icmp(&mut self, cc: IntCC) {
        self.bin(|t, a, b| {
            let c = t.b.ins().icmp(cc, a, b);
            t.b.ins().uextend(types::I32, c)
        })
    }

    /// `fcmp`, as an i32 0 or 1.
    fn fcmp(&mut self, cc: FloatCC) {
        self.bin(|t, a, b| {
            let c = t.b.ins().fcmp(cc, a, b);
            t.b.ins().uextend(types::I32, c)
        })
    }

    fn eqz(&mut self) {
        self.un(|t, a| {
            let c = t.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
            t.b.ins().uextend(types::I32, c)
        })
    }

    /// Sign-extends the low `from` type of an `into` value.
    fn extend_low(&mut self, from: Type, into: Type) {
        self.un(|t, a| {
            let low = t.b.ins().ireduce(from, a);
            t.b.ins().sextend(into, low)
        })
    }

    fn div(&mut self, ty: Type, signed: bool, rem: bool) {
        let (a, b) = self.pop2();
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
        self.trap_if(zero, Status::IntegerDivideByZero);
        let v = match (signed, rem) {
            (false, false) => self.b.ins().udiv(a, b),
            (false, true) => self.b.ins().urem(a, b),
            (true, false) => {
                let min = if ty == types::I32 {
                    i32::MIN as i64
                } else {
                    i64::MIN
                };
                let a_min = self.b.ins().icmp_imm_s(IntCC::Equal, a, min);
                let b_neg1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let overflow = self.b.ins().band(a_min, b_neg1);
                self.trap_if(overflow, Status::IntegerOverflow);
                self.b.ins().sdiv(a, b)
            }
            (true, true) => {
                // x rem -1 is 0 for every x: divide by 1 instead, so that
                // MIN rem -1 never reaches the faulting instruction.
                let b_neg1 = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let one = self.b.ins().iconst(ty, 1);
                let divisor = self.b.ins().select(b_neg1, one, b);
                self.b.ins().srem(a, divisor)
            }
        };
        self.push(v);
    }

    /// A float binary operator with the NaN rule: when an operand is a
    /// NaN, the first NaN operand (or, with `second_first`, the second if it
    /// is one), quieted; else `op`'s result.
    fn float_bin(&mut self, second_first: bool, op: impl FnOnce(&mut Self, Value, Value) -> Value) {
        self.bin(|t, a, b| {
            let r = op(t, a, b);
            let ty = t.b.func.dfg.value_type(a);
            let any_nan = t.b.ins().fcmp(FloatCC::Unordered, a, b);
            let (preferred, other) = if second_first { (b, a) } else { (a, b) };
            let preferred_nan = t.b.ins().fcmp(FloatCC::Unordered, preferred, preferred);
            let nan = t.b.ins().select(preferred_nan, preferred, other);
            let (int, quiet) = if ty == types::F32 {
                (types::I32, 0x0040_0000i64)
            } else {
                (types::I64, 0x0008_0000_0000_0000i64)
            };
            let bits = t.b.ins().bitcast(int, MemFlagsData::new(), nan);
            let quieted = t.b.ins().bor_imm_u(bits, quiet);
            let nan = t.b.ins().bitcast(ty, MemFlagsData::new(), quieted);
            t.b.ins().select(any_nan, nan, r)
        })
    }

    /// A trapping truncation to `into`: NaN traps with
    /// `BadConversionToInteger`, anything outside the open interval
    /// `(lo, hi)` with `IntegerOverflow`.
    fn trunc(&mut self, from: Type, into: Type, signed: bool) {
        let x = self.pop();
        let (lo, hi) = trunc_bounds(from, into, signed);
        let (lo, hi) = if from == types::F32 {
            (
                self.b.ins().f32const(lo as f32),
                self.b.ins().f32const(hi as f32),
            )
        } else {
            (self.b.ins().f64const(lo), self.b.ins().f64const(hi))
        };
        let nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
        self.trap_if(nan, Status::BadConversionToInteger);
        let above = self.b.ins().fcmp(FloatCC::GreaterThan, x, lo);
        let below = self.b.ins().fcmp(FloatCC::LessThan, x, hi);
        let in_range = self.b.ins().band(above, below);
        self.trap_unless(in_range, Status::IntegerOverflow);
        let v = if signed {
            self.b.ins().fcvt_to_sint_sat(into, x)
        } else {
            self.b.ins().fcvt_to_uint_sat(into, x)
        };
        self.push(v);
    }

    /// Translates a numeric or constant operator; `false` if `op` is not one.
    pub(super) fn numeric(&mut self, op: &Operator) -> Result<bool, String> {
        use types::{F32, F64, I16, I32, I64, I8};
        use Operator as O;
        match *op {
            O::I32Const { value } => {
                let v = self.b.ins().iconst(I32, value as i64);
                self.push(v)
            }
            O::I64Const { value } => {
                let v = self.b.ins().iconst(I64, value);
                self.push(v)
            }
            O::F32Const { value } => {
                let v =
                    self.b
                        .ins()
                        .f32const(cranelift_codegen::ir::immediates::Ieee32::with_bits(
                            value.bits(),
                        ));
                self.push(v)
            }
            O::F64Const { value } => {
                let v =
                    self.b
                        .ins()
                        .f64const(cranelift_codegen::ir::immediates::Ieee64::with_bits(
                            value.bits(),
                        ));
                self.push(v)
            }

            O::I32Add | O::I64Add => self.bin(|t, a, b| t.b.ins().iadd(a, b)),
            O::I32Sub | O::I64Sub => self.bin(|t, a, b| t.b.ins().isub(a, b)),
            O::I32Mul | O::I64Mul => self.bin(|t, a, b| t.b.ins().imul(a, b)),
            O::I32And | O::I64And => self.bin(|t, a, b| t.b.ins().band(a, b)),
            O::I32Or | O::I64Or => self.bin(|t, a, b| t.b.ins().bor(a, b)),
            O::I32Xor | O::I64Xor => self.bin(|t, a, b| t.b.ins().bxor(a, b)),
            O::I32Shl | O::I64Shl => self.bin(|t, a, b| t.b.ins().ishl(a, b)),
            O::I32ShrS | O::I64ShrS => self.bin(|t, a, b| t.b.ins().sshr(a, b)),
            O::I32ShrU | O::I64ShrU => self.bin(|t, a, b| t.b.ins().ushr(a, b)),
            O::I32Rotl | O::I64Rotl => self.bin(|t, a, b| t.b.ins().rotl(a, b)),
            O::I32Rotr | O::I64Rotr => self.bin(|t, a, b| t.b.ins().rotr(a, b)),
            O::I32DivS => self.div(I32, true, false),
            O::I32DivU => self.div(I32, false, false),
            O::I32RemS => self.div(I32, true, true),
            O::I32RemU => self.div(I32, false, true),
            O::I64DivS => self.div(I64, true, false),
            O::I64DivU => self.div(I64, false, false),
            O::I64RemS => self.div(I64, true, true),
            O::I64RemU => self.div(I64, false, true),
            O::I32Clz | O::I64Clz => self.un(|t, a| t.b.ins().clz(a)),
            O::I32Ctz | O::I64Ctz => self.un(|t, a| t.b.ins().ctz(a)),
            O::I32Popcnt | O::I64Popcnt => self.un(|t, a| t.b.ins().popcnt(a)),
            O::I32Eqz | O::I64Eqz => self.eqz(),
            O::I32Eq | O::I64Eq => self.icmp(IntCC::Equal),
            O::I32Ne | O::I64Ne => self.icmp(IntCC::NotEqual),
            O::I32LtS | O::I64LtS => self.icmp(IntCC::SignedLessThan),
            O::I32LtU | O::I64LtU => self.icmp(IntCC::UnsignedLessThan),
            O::I32GtS | O::I64GtS => self.icmp(IntCC::SignedGreaterThan),
            O::I32GtU | O::I64GtU => self.icmp(IntCC::UnsignedGreaterThan),
            O::I32LeS | O::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual),
            O::I32LeU | O::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual),
            O::I32GeS | O::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual),
            O::I32GeU | O::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual),
            O::I32Extend8S => self.extend_low(I8, I32),
            O::I32Extend16S => self.extend_low(I16, I32),
            O::I64Extend8S => self.extend_low(I8, I64),
            O::I64Extend16S => self.extend_low(I16, I64),
            O::I64Extend32S => self.extend_low(I32, I64),
            O::I64ExtendI32S => self.un(|t, a| t.b.ins().sextend(I64, a)),
            O::I64ExtendI32U => self.un(|t, a| t.b.ins().uextend(I64, a)),
            O::I32WrapI64 => self.un(|t, a| t.b.ins().ireduce(I32, a)),

            O::F32Add | O::F64Add => self.float_bin(false, |t, a, b| t.b.ins().fadd(a, b)),
            O::F32Sub | O::F64Sub => self.float_bin(false, |t, a, b| t.b.ins().fsub(a, b)),
            O::F32Mul | O::F64Mul => self.float_bin(false, |t, a, b| t.b.ins().fmul(a, b)),
            O::F32Div | O::F64Div => self.float_bin(false, |t, a, b| t.b.ins().fdiv(a, b)),
            O::F32Min | O::F64Min => self.float_bin(true, |t, a, b| t.b.ins().fmin(a, b)),
            O::F32Max | O::F64Max => self.float_bin(true, |t, a, b| t.b.ins().fmax(a, b)),
            O::F32Copysign | O::F64Copysign => self.bin(|t, a, b| t.b.ins().fcopysign(a, b)),
            O::F32Abs | O::F64Abs => self.un(|t, a| t.b.ins().fabs(a)),
            O::F32Neg | O::F64Neg => self.un(|t, a| t.b.ins().fneg(a)),
            O::F32Ceil | O::F64Ceil => self.un(|t, a| t.b.ins().ceil(a)),
            O::F32Floor | O::F64Floor => self.un(|t, a| t.b.ins().floor(a)),
            O::F32Trunc | O::F64Trunc => self.un(|t, a| t.b.ins().trunc(a)),
            O::F32Nearest | O::F64Nearest => self.un(|t, a| t.b.ins().nearest(a)),
            O::F32Sqrt | O::F64Sqrt => self.un(|t, a| t.b.ins().sqrt(a)),
            O::F32Eq | O::F64Eq => self.fcmp(FloatCC::Equal),
            O::F32Ne | O::F64Ne => self.fcmp(FloatCC::NotEqual),
            O::F32Lt | O::F64Lt => self.fcmp(FloatCC::LessThan),
            O::F32Gt | O::F64Gt => self.fcmp(FloatCC::GreaterThan),
            O::F32Le | O::F64Le => self.fcmp(FloatCC::LessThanOrEqual),
            O::F32Ge | O::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual),

            O::F32ConvertI32S | O::F32ConvertI64S => {
                self.un(|t, a| t.b.ins().fcvt_from_sint(F32, a))
            }
            O::F32ConvertI32U | O::F32ConvertI64U => {
                self.un(|t, a| t.b.ins().fcvt_from_uint(F32, a))
            }
            O::F64ConvertI32S | O::F64ConvertI64S => {
                self.un(|t, a| t.b.ins().fcvt_from_sint(F64, a))
            }
            O::F64ConvertI32U | O::F64ConvertI64U => {
                self.un(|t, a| t.b.ins().fcvt_from_uint(F64, a))
            }
            O::F32DemoteF64 => self.un(|t, a| t.b.ins().fdemote(F32, a)),
            O::F64PromoteF32 => self.un(|t, a| t.b.ins().fpromote(F64, a)),
            O::I32ReinterpretF32 => self.un(|t, a| t.b.ins().bitcast(I32, MemFlagsData::new(), a)),
            O::I64ReinterpretF64 => self.un(|t, a| t.b.ins().bitcast(I64, MemFlagsData::new(), a)),
            O::F32ReinterpretI32 => self.un(|t, a| t.b.ins().bitcast(F32, MemFlagsData::new(), a)),
            O::F64ReinterpretI64 => self.un(|t, a| t.b.ins().bitcast(F64, MemFlagsData::new(), a)),

            O::I32TruncF32S => self.trunc(F32, I32, true),
            O::I32TruncF32U => self.trunc(F32, I32, false),
            O::I32TruncF64S => self.trunc(F64, I32, true),
            O::I32TruncF64U => self.trunc(F64, I32, false),
            O::I64TruncF32S => self.trunc(F32, I64, true),
            O::I64TruncF32U => self.trunc(F32, I64, false),
            O::I64TruncF64S => self.trunc(F64, I64, true),
            O::I64TruncF64U => self.trunc(F64, I64, false),
            O::I32TruncSatF32S | O::I32TruncSatF64S => {
                self.un(|t, a| t.b.ins().fcvt_to_sint_sat(I32, a))
            }
            O::I32TruncSatF32U | O::I32TruncSatF64U => {
                self.un(|t, a| t.b.ins().fcvt_to_uint_sat(I32, a))
            }
            O::I64TruncSatF32S | O::I64TruncSatF64S => {
                self.un(|t, a| t.b.ins().fcvt_to_sint_sat(I64, a))
            }
            O::I64TruncSatF32U | O::I64TruncSatF64U => {
                self.un(|t, a| t.b.ins().fcvt_to_uint_sat(I64, a))
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// The open interval of inputs a trapping truncation accepts (the
/// interpreter's bounds: each is exactly representable in both float types
/// used with it).
fn trunc_bounds(from: Type, into: Type, signed: bool) -> (f64, f64) {
    match (from == types::F32, into == types::I32, signed) {
        (true, true, true) => (-2147483904.0, 2147483648.0),
        (false, true, true) => (-2147483649.0, 2147483648.0),
        (_, true, false) => (-1.0, 4294967296.0),
        (true, false, true) => (-9223373136366403584.0, 9223372036854775808.0),
        (false, false, true) => (-9223372036854777856.0, 9223372036854775808.0),
        (_, false, false) => (-1.0, 18446744073709551616.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounds are exact in the source float type (a rounded bound would
    /// move the trap boundary), and equal the interpreter's.
    #[test]
    fn truncation_bounds_are_exact_in_the_source_type() {
        for from in [types::F32, types::F64] {
            for into in [types::I32, types::I64] {
                for signed in [false, true] {
                    let (lo, hi) = trunc_bounds(from, into, signed);
                    if from == types::F32 {
                        assert_eq!(lo as f32 as f64, lo);
                        assert_eq!(hi as f32 as f64, hi);
                    }
                    assert!(lo < 0.0 && hi > 0.0);
                }
            }
        }
        let bits = |x: f32| crate::exec::num::i32_trunc_f32_s(x.to_bits() as u64);
        let (lo, hi) = trunc_bounds(types::F32, types::I32, true);
        assert!(bits(lo as f32).is_err() && bits(hi as f32).is_err());
        assert!(bits(f32::from_bits((lo as f32).to_bits() - 1)).is_ok());
        assert!(bits(f32::from_bits((hi as f32).to_bits() - 1)).is_ok());
    }
}
