//! wasp's register-based intermediate representation.
//!
//! A function is translated into a flat array of [`Instr`]. Operands are *slots*:
//! 64-bit cells of the function's frame, addressed relative to the frame base.
//! Slots `0..params` hold parameters, then the declared locals, then the
//! temporaries that replace Wasm's operand stack. `local.get` emits nothing, a
//! constant operand becomes an immediate, and a `local.set` after an operator
//! writes the operator's result straight into the local.
//!
//! Values: an i32 or f32 lives in the low 32 bits of its slot (the high bits are
//! ignored by every reader), i64/f64 use all 64 bits, a reference is 0 for null
//! or `index + 1` into the store's function or extern table.
//!
//! Branch offsets are relative to the branch instruction itself.
//!
//! The numeric operators are listed once in [`for_each_numeric!`]; the enum, the
//! executor and the translator are all generated from that list.

pub(crate) mod simd;

use simd::{
    SimdBin, SimdExtract, SimdLoad, SimdReplace, SimdShift, SimdSplat, SimdTern, SimdTest, SimdUn,
};

/// A frame-relative slot index.
pub(crate) type Slot = u16;

/// How a binary operator takes a constant right operand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ImmKind {
    /// The constant's low 32 bits (i32 and f32 operators).
    Bits32,
    /// An i64 constant that fits in a sign-extended i32.
    SignExtended32,
    /// No immediate form is used.
    None,
}

/// Properties of a binary operator, named in the operator tables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BinProps {
    pub imm: ImmKind,
    /// `a op b == b op a` (integer operators only: float NaN results are ordered).
    pub commutative: bool,
}

/// Property sets of [`for_each_numeric!`]'s binary operators.
pub(crate) mod props {
    use super::{BinProps, ImmKind};
    /// Commutative i32 operator.
    pub const C32: BinProps = BinProps {
        imm: ImmKind::Bits32,
        commutative: true,
    };
    /// Non-commutative i32 operator.
    pub const N32: BinProps = BinProps {
        imm: ImmKind::Bits32,
        commutative: false,
    };
    /// Commutative i64 operator.
    pub const C64: BinProps = BinProps {
        imm: ImmKind::SignExtended32,
        commutative: true,
    };
    /// Non-commutative i64 operator.
    pub const N64: BinProps = BinProps {
        imm: ImmKind::SignExtended32,
        commutative: false,
    };
    /// f32 operator (immediate bits, operands never swap).
    pub const F32: BinProps = BinProps {
        imm: ImmKind::Bits32,
        commutative: false,
    };
    /// f64 operator: no immediate form.
    pub const NOIMM: BinProps = BinProps {
        imm: ImmKind::None,
        commutative: false,
    };
}

/// Calls `$m!` with the tables of numeric operators:
/// - `bin`: pure binary ops `(Variant, ImmVariant, semantic fn, wasm operator name, props)`,
///   where `props` names a [`BinProps`] constant: how a constant right operand
///   becomes an immediate and whether the operands may swap
/// - `bin_trap`: binary ops that can trap
/// - `un`: pure unary ops `(Variant, fn, Operator)`
/// - `un_trap`: unary ops that can trap
/// - `cmp`: integer comparisons that can fuse with a branch:
///   `(Variant, ImmVariant, BranchVariant, BranchImmVariant, fn, Operator, NegatedBranch, NegatedBranchImm, props)`
/// - `load`: `(Variant, AbsVariant, MemVariant, WideVariant, bytes, fn)`: the
///   first two address memory 0 (32-bit) through the hot state; `M` a 32-bit
///   memory by index, `W` a 64-bit (memory64) memory by index (`mem.rs`)
/// - `store`: `(Variant, ImmVariant, MemVariant, WideVariant, bytes)`, likewise
macro_rules! for_each_numeric {
    ($m:ident) => {
        $m! {
            bin: [
                (I32Add, I32AddImm, i32_add, I32Add, C32), (I32Sub, I32SubImm, i32_sub, I32Sub, N32),
                (I32Mul, I32MulImm, i32_mul, I32Mul, C32), (I32And, I32AndImm, i32_and, I32And, C32),
                (I32Or, I32OrImm, i32_or, I32Or, C32), (I32Xor, I32XorImm, i32_xor, I32Xor, C32),
                (I32Shl, I32ShlImm, i32_shl, I32Shl, N32), (I32ShrS, I32ShrSImm, i32_shr_s, I32ShrS, N32),
                (I32ShrU, I32ShrUImm, i32_shr_u, I32ShrU, N32), (I32Rotl, I32RotlImm, i32_rotl, I32Rotl, N32),
                (I32Rotr, I32RotrImm, i32_rotr, I32Rotr, N32),
                (I64Add, I64AddImm, i64_add, I64Add, C64), (I64Sub, I64SubImm, i64_sub, I64Sub, N64),
                (I64Mul, I64MulImm, i64_mul, I64Mul, C64), (I64And, I64AndImm, i64_and, I64And, C64),
                (I64Or, I64OrImm, i64_or, I64Or, C64), (I64Xor, I64XorImm, i64_xor, I64Xor, C64),
                (I64Shl, I64ShlImm, i64_shl, I64Shl, N64), (I64ShrS, I64ShrSImm, i64_shr_s, I64ShrS, N64),
                (I64ShrU, I64ShrUImm, i64_shr_u, I64ShrU, N64), (I64Rotl, I64RotlImm, i64_rotl, I64Rotl, N64),
                (I64Rotr, I64RotrImm, i64_rotr, I64Rotr, N64),
                (F32Add, F32AddImm, f32_add, F32Add, F32), (F32Sub, F32SubImm, f32_sub, F32Sub, F32),
                (F32Mul, F32MulImm, f32_mul, F32Mul, F32), (F32Div, F32DivImm, f32_div, F32Div, F32),
                (F32Min, F32MinImm, f32_min, F32Min, F32), (F32Max, F32MaxImm, f32_max, F32Max, F32),
                (F32Copysign, F32CopysignImm, f32_copysign, F32Copysign, F32),
                (F64Add, F64AddImm, f64_add, F64Add, NOIMM), (F64Sub, F64SubImm, f64_sub, F64Sub, NOIMM),
                (F64Mul, F64MulImm, f64_mul, F64Mul, NOIMM), (F64Div, F64DivImm, f64_div, F64Div, NOIMM),
                (F64Min, F64MinImm, f64_min, F64Min, NOIMM), (F64Max, F64MaxImm, f64_max, F64Max, NOIMM),
                (F64Copysign, F64CopysignImm, f64_copysign, F64Copysign, NOIMM),
                (F32Eq, F32EqImm, f32_eq, F32Eq, F32), (F32Ne, F32NeImm, f32_ne, F32Ne, F32),
                (F32Lt, F32LtImm, f32_lt, F32Lt, F32), (F32Gt, F32GtImm, f32_gt, F32Gt, F32),
                (F32Le, F32LeImm, f32_le, F32Le, F32), (F32Ge, F32GeImm, f32_ge, F32Ge, F32),
                (F64Eq, F64EqImm, f64_eq, F64Eq, NOIMM), (F64Ne, F64NeImm, f64_ne, F64Ne, NOIMM),
                (F64Lt, F64LtImm, f64_lt, F64Lt, NOIMM), (F64Gt, F64GtImm, f64_gt, F64Gt, NOIMM),
                (F64Le, F64LeImm, f64_le, F64Le, NOIMM), (F64Ge, F64GeImm, f64_ge, F64Ge, NOIMM)
            ],
            bin_trap: [
                (I32DivS, I32DivSImm, i32_div_s, I32DivS, N32), (I32DivU, I32DivUImm, i32_div_u, I32DivU, N32),
                (I32RemS, I32RemSImm, i32_rem_s, I32RemS, N32), (I32RemU, I32RemUImm, i32_rem_u, I32RemU, N32),
                (I64DivS, I64DivSImm, i64_div_s, I64DivS, N64), (I64DivU, I64DivUImm, i64_div_u, I64DivU, N64),
                (I64RemS, I64RemSImm, i64_rem_s, I64RemS, N64), (I64RemU, I64RemUImm, i64_rem_u, I64RemU, N64)
            ],
            un: [
                (I32Clz, i32_clz, I32Clz), (I32Ctz, i32_ctz, I32Ctz), (I32Popcnt, i32_popcnt, I32Popcnt),
                (I32Eqz, i32_eqz, I32Eqz), (I32Extend8S, i32_extend8_s, I32Extend8S),
                (I32Extend16S, i32_extend16_s, I32Extend16S),
                (I64Clz, i64_clz, I64Clz), (I64Ctz, i64_ctz, I64Ctz), (I64Popcnt, i64_popcnt, I64Popcnt),
                (I64Eqz, i64_eqz, I64Eqz), (I64Extend8S, i64_extend8_s, I64Extend8S),
                (I64Extend16S, i64_extend16_s, I64Extend16S), (I64Extend32S, i64_extend32_s, I64Extend32S),
                (I64ExtendI32S, i64_extend32_s, I64ExtendI32S), (I64ExtendI32U, i64_extend_i32_u, I64ExtendI32U),
                (F32Abs, f32_abs, F32Abs), (F32Neg, f32_neg, F32Neg), (F32Ceil, f32_ceil, F32Ceil),
                (F32Floor, f32_floor, F32Floor), (F32Trunc, f32_trunc, F32Trunc),
                (F32Nearest, f32_nearest, F32Nearest), (F32Sqrt, f32_sqrt, F32Sqrt),
                (F64Abs, f64_abs, F64Abs), (F64Neg, f64_neg, F64Neg), (F64Ceil, f64_ceil, F64Ceil),
                (F64Floor, f64_floor, F64Floor), (F64Trunc, f64_trunc, F64Trunc),
                (F64Nearest, f64_nearest, F64Nearest), (F64Sqrt, f64_sqrt, F64Sqrt),
                (F32ConvertI32S, f32_convert_i32_s, F32ConvertI32S),
                (F32ConvertI32U, f32_convert_i32_u, F32ConvertI32U),
                (F32ConvertI64S, f32_convert_i64_s, F32ConvertI64S),
                (F32ConvertI64U, f32_convert_i64_u, F32ConvertI64U),
                (F32DemoteF64, f32_demote_f64, F32DemoteF64),
                (F64ConvertI32S, f64_convert_i32_s, F64ConvertI32S),
                (F64ConvertI32U, f64_convert_i32_u, F64ConvertI32U),
                (F64ConvertI64S, f64_convert_i64_s, F64ConvertI64S),
                (F64ConvertI64U, f64_convert_i64_u, F64ConvertI64U),
                (F64PromoteF32, f64_promote_f32, F64PromoteF32),
                (I32TruncSatF32S, i32_trunc_sat_f32_s, I32TruncSatF32S),
                (I32TruncSatF32U, i32_trunc_sat_f32_u, I32TruncSatF32U),
                (I32TruncSatF64S, i32_trunc_sat_f64_s, I32TruncSatF64S),
                (I32TruncSatF64U, i32_trunc_sat_f64_u, I32TruncSatF64U),
                (I64TruncSatF32S, i64_trunc_sat_f32_s, I64TruncSatF32S),
                (I64TruncSatF32U, i64_trunc_sat_f32_u, I64TruncSatF32U),
                (I64TruncSatF64S, i64_trunc_sat_f64_s, I64TruncSatF64S),
                (I64TruncSatF64U, i64_trunc_sat_f64_u, I64TruncSatF64U),
                (RefIsNull, i64_eqz, RefIsNull)
            ],
            un_trap: [
                (I32TruncF32S, i32_trunc_f32_s, I32TruncF32S), (I32TruncF32U, i32_trunc_f32_u, I32TruncF32U),
                (I32TruncF64S, i32_trunc_f64_s, I32TruncF64S), (I32TruncF64U, i32_trunc_f64_u, I32TruncF64U),
                (I64TruncF32S, i64_trunc_f32_s, I64TruncF32S), (I64TruncF32U, i64_trunc_f32_u, I64TruncF32U),
                (I64TruncF64S, i64_trunc_f64_s, I64TruncF64S), (I64TruncF64U, i64_trunc_f64_u, I64TruncF64U)
            ],
            cmp: [
                (I32Eq, I32EqImm, BrI32Eq, BrI32EqImm, i32_eq, I32Eq, BrI32Ne, BrI32NeImm, C32),
                (I32Ne, I32NeImm, BrI32Ne, BrI32NeImm, i32_ne, I32Ne, BrI32Eq, BrI32EqImm, C32),
                (I32LtS, I32LtSImm, BrI32LtS, BrI32LtSImm, i32_lt_s, I32LtS, BrI32GeS, BrI32GeSImm, N32),
                (I32LtU, I32LtUImm, BrI32LtU, BrI32LtUImm, i32_lt_u, I32LtU, BrI32GeU, BrI32GeUImm, N32),
                (I32GtS, I32GtSImm, BrI32GtS, BrI32GtSImm, i32_gt_s, I32GtS, BrI32LeS, BrI32LeSImm, N32),
                (I32GtU, I32GtUImm, BrI32GtU, BrI32GtUImm, i32_gt_u, I32GtU, BrI32LeU, BrI32LeUImm, N32),
                (I32LeS, I32LeSImm, BrI32LeS, BrI32LeSImm, i32_le_s, I32LeS, BrI32GtS, BrI32GtSImm, N32),
                (I32LeU, I32LeUImm, BrI32LeU, BrI32LeUImm, i32_le_u, I32LeU, BrI32GtU, BrI32GtUImm, N32),
                (I32GeS, I32GeSImm, BrI32GeS, BrI32GeSImm, i32_ge_s, I32GeS, BrI32LtS, BrI32LtSImm, N32),
                (I32GeU, I32GeUImm, BrI32GeU, BrI32GeUImm, i32_ge_u, I32GeU, BrI32LtU, BrI32LtUImm, N32),
                (I64Eq, I64EqImm, BrI64Eq, BrI64EqImm, i64_eq, I64Eq, BrI64Ne, BrI64NeImm, C64),
                (I64Ne, I64NeImm, BrI64Ne, BrI64NeImm, i64_ne, I64Ne, BrI64Eq, BrI64EqImm, C64),
                (I64LtS, I64LtSImm, BrI64LtS, BrI64LtSImm, i64_lt_s, I64LtS, BrI64GeS, BrI64GeSImm, N64),
                (I64LtU, I64LtUImm, BrI64LtU, BrI64LtUImm, i64_lt_u, I64LtU, BrI64GeU, BrI64GeUImm, N64),
                (I64GtS, I64GtSImm, BrI64GtS, BrI64GtSImm, i64_gt_s, I64GtS, BrI64LeS, BrI64LeSImm, N64),
                (I64GtU, I64GtUImm, BrI64GtU, BrI64GtUImm, i64_gt_u, I64GtU, BrI64LeU, BrI64LeUImm, N64),
                (I64LeS, I64LeSImm, BrI64LeS, BrI64LeSImm, i64_le_s, I64LeS, BrI64GtS, BrI64GtSImm, N64),
                (I64LeU, I64LeUImm, BrI64LeU, BrI64LeUImm, i64_le_u, I64LeU, BrI64GtU, BrI64GtUImm, N64),
                (I64GeS, I64GeSImm, BrI64GeS, BrI64GeSImm, i64_ge_s, I64GeS, BrI64LtS, BrI64LtSImm, N64),
                (I64GeU, I64GeUImm, BrI64GeU, BrI64GeUImm, i64_ge_u, I64GeU, BrI64LtU, BrI64LtUImm, N64)
            ],
            load: [
                (I32Load, I32LoadAbs, I32LoadM, I32LoadW, 4, load_u32),
                (I64Load, I64LoadAbs, I64LoadM, I64LoadW, 8, load_u64),
                (I32Load8S, I32Load8SAbs, I32Load8SM, I32Load8SW, 1, load_i8_32),
                (I32Load8U, I32Load8UAbs, I32Load8UM, I32Load8UW, 1, load_u8),
                (I32Load16S, I32Load16SAbs, I32Load16SM, I32Load16SW, 2, load_i16_32),
                (I32Load16U, I32Load16UAbs, I32Load16UM, I32Load16UW, 2, load_u16),
                (I64Load8S, I64Load8SAbs, I64Load8SM, I64Load8SW, 1, load_i8_64),
                (I64Load16S, I64Load16SAbs, I64Load16SM, I64Load16SW, 2, load_i16_64),
                (I64Load32S, I64Load32SAbs, I64Load32SM, I64Load32SW, 4, load_i32_64)
            ],
            store: [
                (Store8, Store8Imm, Store8M, Store8W, 1), (Store16, Store16Imm, Store16M, Store16W, 2),
                (Store32, Store32Imm, Store32M, Store32W, 4), (Store64, Store64Imm, Store64M, Store64W, 8)
            ]
        }
    };
}
pub(crate) use for_each_numeric;

macro_rules! define_instr {
    (
        bin: [$(($b:ident, $bi:ident, $bf:ident, $bo:ident, $bp:ident)),* $(,)?],
        bin_trap: [$(($t:ident, $ti:ident, $tf:ident, $to:ident, $tp:ident)),* $(,)?],
        un: [$(($u:ident, $uf:ident, $uo:ident)),* $(,)?],
        un_trap: [$(($ut:ident, $utf:ident, $uto:ident)),* $(,)?],
        cmp: [$(($c:ident, $ci:ident, $cb:ident, $cbi:ident, $cf:ident, $co:ident, $cn:ident, $cni:ident, $cp:ident)),* $(,)?],
        load: [$(($l:ident, $la:ident, $lm:ident, $lw:ident, $ln:literal, $lf:ident)),* $(,)?],
        store: [$(($s:ident, $si:ident, $sm:ident, $sw:ident, $sn:literal)),* $(,)?]
    ) => {
        /// One instruction of the register IR. See the module docs for operand conventions.
        /// Serializable for the code cache (`cache/entry.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
        #[allow(missing_docs)]
        pub(crate) enum Instr {
            $( $b { dst: Slot, lhs: Slot, rhs: Slot }, $bi { dst: Slot, lhs: Slot, imm: i32 }, )*
            $( $t { dst: Slot, lhs: Slot, rhs: Slot }, $ti { dst: Slot, lhs: Slot, imm: i32 }, )*
            $( $u { dst: Slot, src: Slot }, )*
            $( $ut { dst: Slot, src: Slot }, )*
            $( $c { dst: Slot, lhs: Slot, rhs: Slot }, $ci { dst: Slot, lhs: Slot, imm: i32 },
               $cb { lhs: Slot, rhs: Slot, offset: i32 }, $cbi { lhs: Slot, imm: i16, offset: i32 }, )*
            $( $l { dst: Slot, addr: Slot, offset: u32 }, $la { dst: Slot, addr: u32 }, )*
            $( $s { addr: Slot, src: Slot, offset: u32 }, $si { addr: Slot, imm: i32, offset: u32 }, )*
            $( $lm { dst: Slot, addr: Slot, offset: u32, mem: u16 },
               $lw { dst: Slot, addr: Slot, offset: u32, mem: u16 }, )*
            $( $sm { addr: Slot, src: Slot, offset: u32, mem: u16 },
               $sw { addr: Slot, src: Slot, offset: u32, mem: u16 }, )*

            /// Trap unconditionally with `unreachable`.
            Unreachable,
            /// Unconditional branch.
            Br { offset: i32 },
            /// Branch if the i32 in `cond` is not zero.
            BrIfNez { cond: Slot, offset: i32 },
            /// Branch if the i32 in `cond` is zero.
            BrIfEqz { cond: Slot, offset: i32 },
            /// Branch if the i64 in `cond` is not zero.
            BrIfNez64 { cond: Slot, offset: i32 },
            /// Branch if the i64 in `cond` is zero.
            BrIfEqz64 { cond: Slot, offset: i32 },
            /// Jump to the `min(index, len)`-th of the `len + 1` `Br` instructions that follow.
            BrTable { index: Slot, len: u32 },
            /// Return; results were already copied to slots `0..n`.
            Return,
            /// Copy `src` to slot 0, then return.
            Return1 { src: Slot },
            /// Write `val` (zero-extended) to slot 0, then return.
            Return1Imm { val: u32 },
            /// Call function `func` of the current instance; arguments start at `base`,
            /// which becomes the callee's frame base; results land at `base`.
            Call { func: u32, base: Slot },
            /// `Call` whose first argument is the constant `val` (Go passes the
            /// resume point 0 on every call): writes it to `base` first.
            CallImm { func: u32, base: Slot, val: u32 },
            /// Indirect call through `table` at the index in slot `index`, checking that
            /// the callee's engine type id is `ty`.
            CallIndirect { ty: u32, index: Slot, base: Slot, table: u16 },
            /// `return_call func`: replaces the current frame with the callee's
            /// (arguments at `base` move to slot 0). Falls through to the next
            /// instruction (a plain `Call` and return) when the callee is a host
            /// function or runs native code.
            ReturnCall { func: u32, base: Slot },
            /// `return_call_indirect`: `CallIndirect`'s checks, then as `ReturnCall`
            /// (falling through to a `CallIndirect` and return).
            ReturnCallIndirect { ty: u32, index: Slot, base: Slot, table: u16 },
            /// `call_ref`: call the function referenced by slot `func`
            /// (trap if null); arguments start at `base`.
            CallRef { func: Slot, base: Slot },
            /// `return_call_ref`: as `CallRef`, replacing the current frame
            /// (falling through to a `CallRef` and return).
            ReturnCallRef { func: Slot, base: Slot },
            /// Trap with `NullReference` if the reference in `src` is null.
            RefAsNonNull { src: Slot },
            /// `dst = src`
            Copy { dst: Slot, src: Slot },
            /// `dst0 = src0; dst1 = src1` (in that order).
            Copy2 { dst0: Slot, src0: Slot, dst1: Slot, src1: Slot },
            /// `dst = val` (32-bit constant, zero-extended).
            Const32 { dst: Slot, val: u32 },
            /// `dst = lo | hi << 32`
            Const64 { dst: Slot, lo: u32, hi: u32 },
            /// `dst = if cond != 0 { a } else { b }`
            Select { dst: Slot, cond: Slot, a: Slot, b: Slot },
            GlobalGet { dst: Slot, index: u32 },
            GlobalSet { src: Slot, index: u32 },
            MemorySize { dst: Slot },
            MemoryGrow { dst: Slot, delta: Slot },
            MemoryFill { dst: Slot, val: Slot, len: Slot },
            MemoryCopy { dst: Slot, src: Slot, len: Slot },
            MemoryInit { dst: Slot, src: Slot, len: Slot, seg: u32 },
            DataDrop { seg: u32 },
            TableGet { dst: Slot, index: Slot, table: u32 },
            TableSet { index: Slot, val: Slot, table: u32 },
            TableSize { dst: Slot, table: u32 },
            TableGrow { dst: Slot, init: Slot, delta: Slot, table: u32 },
            TableFill { dst: Slot, val: Slot, len: Slot, table: u32 },
            TableCopy { dst: Slot, src: Slot, len: Slot, dst_table: u16, src_table: u16 },
            TableInit { dst: Slot, src: Slot, len: Slot, table: u16, seg: u16 },
            ElemDrop { seg: u32 },
            RefFunc { dst: Slot, func: u32 },
            /// `memory.size` of memory `mem` in its own page size (any memory
            /// but a 32-bit memory 0 of 64 KiB pages, which has `MemorySize`).
            MemorySizeX { dst: Slot, mem: u32 },
            /// `memory.grow` of memory `mem` (as `MemorySizeX`); i64 delta and
            /// result for a memory64 memory.
            MemoryGrowX { dst: Slot, delta: Slot, mem: u32 },
            /// `memory.fill` of memory `mem` (index or 64-bit operands).
            MemoryFillX { dst: Slot, val: Slot, len: Slot, mem: u16 },
            /// `memory.copy` between any two memories.
            MemoryCopyX { dst: Slot, src: Slot, len: Slot, dst_mem: u16, src_mem: u16 },
            /// `memory.init` of data segment `seg_mem & 0xff_ffff` into
            /// memory `seg_mem >> 24`.
            MemoryInitX { dst: Slot, src: Slot, len: Slot, seg_mem: u32 },
            /// Trap with `MemoryOutOfBounds`: a memory64 access whose static
            /// offset exceeds every memory wasp can allocate (4 GiB).
            MemoryTrap,
            /// `i64.add128`: `dst, dst+1 = (a_lo, a_hi) + (b_lo, b_hi)` (wide-arithmetic).
            I64Add128 { dst: Slot, a_lo: Slot, a_hi: Slot, b_lo: Slot, b_hi: Slot },
            /// `i64.sub128`, as `I64Add128`.
            I64Sub128 { dst: Slot, a_lo: Slot, a_hi: Slot, b_lo: Slot, b_hi: Slot },
            /// `i64.mul_wide_s`: `dst, dst+1` = the 128-bit signed product (low, high).
            I64MulWideS { dst: Slot, lhs: Slot, rhs: Slot },
            /// `i64.mul_wide_u`: as `I64MulWideS`, unsigned.
            I64MulWideU { dst: Slot, lhs: Slot, rhs: Slot },
            /// Charge `amount` units of fuel, or trap with `OutOfFuel` if
            /// fewer are left. Heads every fuel region (`translate/fuel.rs`);
            /// emitted only when the engine's `Config::consume_fuel` is on.
            Fuel { amount: u32 },

            // SIMD (`ir/simd.rs`, `exec/simd/`): a v128 operand names the
            // first of its two slots.
            V128Bin { op: SimdBin, dst: Slot, lhs: Slot, rhs: Slot },
            /// `rhs` is the i32 shift count.
            V128Shift { op: SimdShift, dst: Slot, lhs: Slot, rhs: Slot },
            V128Un { op: SimdUn, dst: Slot, src: Slot },
            /// `dst` is an i32.
            V128Test { op: SimdTest, dst: Slot, src: Slot },
            /// `src` is a scalar.
            V128Splat { op: SimdSplat, dst: Slot, src: Slot },
            V128Tern { op: SimdTern, dst: Slot, a: Slot, b: Slot, c: Slot },
            /// `dst` is a scalar.
            V128Extract { op: SimdExtract, lane: u8, dst: Slot, src: Slot },
            /// `val` is a scalar.
            V128Replace { op: SimdReplace, lane: u8, dst: Slot, src: Slot, val: Slot },
            V128Load { dst: Slot, addr: Slot, offset: u32 },
            V128LoadExt { op: SimdLoad, dst: Slot, addr: Slot, offset: u32 },
            V128Store { addr: Slot, src: Slot, offset: u32 },
            /// `lane_op` is `log2(bytes) << 4 | lane`. The address is in slot
            /// `base`, the vector in the two slots above it; the result (the
            /// vector with that lane loaded) goes to `base` and `base + 1`.
            V128LoadLane { lane_op: u8, base: Slot, offset: u32 },
            /// `lane_op` as in `V128LoadLane`.
            V128StoreLane { lane_op: u8, addr: Slot, src: Slot, offset: u32 },
            V128GlobalGet { dst: Slot, index: u32 },
            V128GlobalSet { src: Slot, index: u32 },
            // The SIMD memory instructions on a memory by index (any memory
            // but a 32-bit memory 0, `translate/simd.rs`): as the five above,
            // plus the memory and whether it is a memory64 one (`wide`: the
            // address is the whole slot). The handler is chosen per `wide`
            // (`exec/simd/indexed.rs`), so it never tests it at run time.
            V128LoadX { dst: Slot, addr: Slot, offset: u32, mem: u16, wide: bool },
            V128LoadExtX { op: SimdLoad, dst: Slot, addr: Slot, offset: u32, mem: u16, wide: bool },
            V128StoreX { addr: Slot, src: Slot, offset: u32, mem: u16, wide: bool },
            V128LoadLaneX { lane_op: u8, base: Slot, offset: u32, mem: u16, wide: bool },
            V128StoreLaneX { lane_op: u8, addr: Slot, src: Slot, offset: u32, mem: u16, wide: bool },
            /// Throw a new exception of the instance's tag `tag` whose
            /// payload is in slots `base..base + n` (exception handling:
            /// `exec/exceptions.rs`).
            Throw { tag: u32, base: Slot },
            /// Throw the exception `src` refers to (trap if null).
            ThrowRef { src: Slot },

            // GC (`translate/gc.rs`, `exec/gc.rs`). `ty` is a module type
            // index; `mode` says how a field or element moves between an
            // object and slots (`gc::layout::Storage::mode`). Operands that
            // are a run of values sit in consecutive slots from `base`.
            /// A struct of type `ty` from the fields at `base..`.
            StructNew { dst: Slot, base: Slot, ty: u32 },
            StructNewDefault { dst: Slot, ty: u32 },
            /// Field at slot `offset` of the struct `obj` (trap if null).
            StructGet { dst: Slot, obj: Slot, offset: u16, mode: u8 },
            StructSet { obj: Slot, src: Slot, offset: u16, mode: u8 },
            /// `base`: the initial element, then the length.
            ArrayNew { dst: Slot, base: Slot, ty: u32 },
            ArrayNewDefault { dst: Slot, len: Slot, ty: u32 },
            /// The `n` elements at `base..`.
            ArrayNewFixed { dst: Slot, base: Slot, ty: u32, n: u32 },
            /// `base`: segment offset, length.
            ArrayNewData { dst: Slot, base: Slot, ty: u32, seg: u32 },
            ArrayNewElem { dst: Slot, base: Slot, ty: u32, seg: u32 },
            ArrayGet { dst: Slot, arr: Slot, index: Slot, mode: u8 },
            ArraySet { arr: Slot, index: Slot, src: Slot, mode: u8 },
            ArrayLen { dst: Slot, arr: Slot },
            /// `base`: array, offset, value, length.
            ArrayFill { base: Slot, mode: u8 },
            /// `base`: destination array, offset, source array, offset, length.
            ArrayCopy { base: Slot },
            /// `base`: array, offset, segment offset, length.
            ArrayInitData { base: Slot, ty: u32, seg: u32 },
            ArrayInitElem { base: Slot, seg: u32 },
            RefI31 { dst: Slot, src: Slot },
            I31Get { dst: Slot, src: Slot, signed: bool },
            /// `dst` = 1 if `src` has the target type `(code, id)`
            /// (`gc/cast.rs`), else 0.
            RefTest { dst: Slot, src: Slot, id: u32, code: u8 },
            /// `dst = src`, trapping if it has not the target type.
            RefCast { dst: Slot, src: Slot, id: u32, code: u8 },
        }
    };
}
for_each_numeric!(define_instr);

/// A translated function.
#[derive(Debug)]
pub(crate) struct CompiledFunc {
    pub instrs: Box<[crate::exec::Op]>,
    /// Number of parameter slots.
    pub params: u16,
    /// Number of declared (non-parameter) locals, zeroed on entry.
    pub locals: u16,
    /// Total slots the frame needs (params + locals + temporaries + call areas).
    pub frame_size: u32,
    /// The function's `try_table`s, innermost first (empty for most
    /// functions: only the unwinder reads it, `exec/exceptions.rs`).
    pub handlers: Box<[TryRange]>,
    /// On-stack replacement points, ascending by instruction index: `(ip,
    /// wasm)` where being about to run instruction `ip` with an empty
    /// operand stack is the same as being at the wasm operator at byte
    /// offset `wasm` (a `loop` with no parameters, or the `end` of a block
    /// with no results) with every local in its slot. Compiled code can
    /// take over an interpreted frame there (`exec/osr.rs`).
    pub osr: Box<[(u32, u32)]>,
}

/// The instructions `start..end` of a `try_table`'s body and its catch
/// clauses, tried in order when an exception unwinds through them.
#[derive(Debug, Clone)]
pub(crate) struct TryRange {
    pub start: u32,
    pub end: u32,
    pub catches: Box<[Catch]>,
}

/// One catch clause of a [`TryRange`], resolved to the handler's code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Catch {
    /// The instance tag it catches, `None` for `catch_all`.
    pub tag: Option<u32>,
    /// Also deliver the `exnref` (after the payload).
    pub with_ref: bool,
    /// First slot of the values delivered to the label.
    pub dst: Slot,
    /// Instruction index the label continues at.
    pub target: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instruction and its handler fill 24 bytes: with more than 256
    /// instruction kinds (SIMD, memory64, multi-memory) the tag takes two
    /// bytes and `Instr` 16, which the handler pointer's alignment pads to
    /// anyway.
    #[test]
    fn instr_is_compact() {
        let (instr, op) = (
            std::mem::size_of::<Instr>(),
            std::mem::size_of::<crate::exec::run::Op>(),
        );
        assert!(instr <= 16 && op <= 24, "Instr {instr}, Op {op} bytes");
    }
}
