//! Constant expressions (global initialisers, segment offsets and element items),
//! decoded once at load time and evaluated at instantiation.
//!
//! Nearly every expression is one operator (`i32.const 1024` heads each of a
//! Go binary's tens of thousands of data segments), so that case is stored
//! inline and decoded straight from its bytes: no allocation and no
//! operator reader per segment.

use crate::error::{Error, ErrorKind, Result};

/// One operator of a constant expression.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ConstOp {
    /// Push a raw slot value (numbers; `ref.null` is 0).
    Value(u64),
    /// `ref.func idx` (module function index).
    RefFunc(u32),
    /// `global.get idx` (module global index).
    GlobalGet(u32),
    /// `v128.const`: its bits as the low and high halves.
    V128(u64, u64),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
    /// `ref.i31`.
    RefI31,
    /// `struct.new` of module type index (GC; `ConstExpr::eval_with`).
    StructNew(u32),
    StructNewDefault(u32),
    ArrayNew(u32),
    ArrayNewDefault(u32),
    /// `array.new_fixed` of a type and a length.
    ArrayNewFixed(u32, u32),
}

impl ConstOp {
    /// Does the operator allocate a GC object?
    pub fn allocates(self) -> bool {
        matches!(
            self,
            ConstOp::StructNew(_)
                | ConstOp::StructNewDefault(_)
                | ConstOp::ArrayNew(_)
                | ConstOp::ArrayNewDefault(_)
                | ConstOp::ArrayNewFixed(..)
        )
    }
}

/// A decoded constant expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConstExpr {
    /// A single operator.
    One(ConstOp),
    /// Several (or none).
    Many(Box<[ConstOp]>),
}

impl ConstExpr {
    /// The operators, in order.
    pub fn ops(&self) -> &[ConstOp] {
        match self {
            ConstExpr::One(op) => std::slice::from_ref(op),
            ConstExpr::Many(ops) => ops,
        }
    }

    pub fn decode(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
        if let Some(op) = Self::decode_simple(expr) {
            return Ok(ConstExpr::One(op));
        }
        use wasmparser::Operator as O;
        let mut ops = Vec::new();
        let mut reader = expr.get_operators_reader();
        while !reader.eof() {
            let op = reader
                .read()
                .map_err(|e| Error::new(ErrorKind::Malformed, e.to_string()))?;
            ops.push(match op {
                O::I32Const { value } => ConstOp::Value(value as u32 as u64),
                O::I64Const { value } => ConstOp::Value(value as u64),
                O::F32Const { value } => ConstOp::Value(value.bits() as u64),
                O::F64Const { value } => ConstOp::Value(value.bits()),
                O::RefNull { .. } => ConstOp::Value(0),
                O::V128Const { value } => {
                    let v = value.i128() as u128;
                    ConstOp::V128(v as u64, (v >> 64) as u64)
                }
                O::RefFunc { function_index } => ConstOp::RefFunc(function_index),
                O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                O::I32Add => ConstOp::I32Add,
                O::I32Sub => ConstOp::I32Sub,
                O::I32Mul => ConstOp::I32Mul,
                O::I64Add => ConstOp::I64Add,
                O::I64Sub => ConstOp::I64Sub,
                O::I64Mul => ConstOp::I64Mul,
                O::RefI31 => ConstOp::RefI31,
                O::StructNew { struct_type_index } => ConstOp::StructNew(struct_type_index),
                O::StructNewDefault { struct_type_index } => {
                    ConstOp::StructNewDefault(struct_type_index)
                }
                O::ArrayNew { array_type_index } => ConstOp::ArrayNew(array_type_index),
                O::ArrayNewDefault { array_type_index } => {
                    ConstOp::ArrayNewDefault(array_type_index)
                }
                O::ArrayNewFixed {
                    array_type_index,
                    array_size,
                } => ConstOp::ArrayNewFixed(array_type_index, array_size),
                // `any` and `extern` share their encoding (`gc/mod.rs`).
                O::AnyConvertExtern | O::ExternConvertAny => continue,
                O::End => break,
                other => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("unsupported constant expression operator {other:?}"),
                    ))
                }
            });
        }
        Ok(match <[ConstOp; 1]>::try_from(ops) {
            Ok([op]) => ConstExpr::One(op),
            Err(ops) => ConstExpr::Many(ops.into_boxed_slice()),
        })
    }

    /// `i32.const`, `i64.const`, `ref.func` or `global.get` and `end`, read
    /// from the raw bytes; `None` for anything else (the general path decides).
    fn decode_simple(expr: &wasmparser::ConstExpr<'_>) -> Option<ConstOp> {
        let mut r = expr.get_binary_reader();
        let op = match r.read_u8().ok()? {
            0x41 => ConstOp::Value(r.read_var_i32().ok()? as u32 as u64),
            0x42 => ConstOp::Value(r.read_var_i64().ok()? as u64),
            0x23 => ConstOp::GlobalGet(r.read_var_u32().ok()?),
            0xd2 => ConstOp::RefFunc(r.read_var_u32().ok()?),
            _ => return None,
        };
        (r.read_u8().ok()? == 0x0b && r.eof()).then_some(op)
    }

    /// Does evaluating the expression allocate GC objects (so it must go
    /// through [`ConstExpr::eval_with`])?
    pub fn allocates(&self) -> bool {
        self.ops().iter().any(|op| op.allocates())
    }

    /// Evaluates to a raw slot value. `func` maps a module function index to a raw
    /// funcref; `global` reads a module global's raw value. Allocating
    /// operators give null here ([`ConstExpr::eval_with`] runs them).
    pub fn eval(&self, func: impl Fn(u32) -> u64, global: impl Fn(u32) -> u64) -> u64 {
        self.eval_with(func, global, &|_| None, &mut |_, stack| stack.push(0))
    }

    /// [`ConstExpr::eval`], with `alloc` running the allocating operators:
    /// it pops their operands from the stack (slots: a `v128` takes two)
    /// and pushes the new reference; `global_hi` gives the high half of a
    /// `v128` global (`None` for others), which such an operand needs.
    pub fn eval_with(
        &self,
        func: impl Fn(u32) -> u64,
        global: impl Fn(u32) -> u64,
        global_hi: &dyn Fn(u32) -> Option<u64>,
        alloc: &mut dyn FnMut(ConstOp, &mut Vec<u64>),
    ) -> u64 {
        let leaf = |op: ConstOp| match op {
            ConstOp::Value(v) => Some(v),
            ConstOp::RefFunc(i) => Some(func(i)),
            ConstOp::GlobalGet(i) => Some(global(i)),
            ConstOp::V128(lo, _) => Some(lo),
            _ => None,
        };
        let ops = self.ops();
        if let [op] = ops {
            if let Some(v) = leaf(*op) {
                return v;
            }
        }
        let mut stack: Vec<u64> = Vec::with_capacity(4);
        let gc = self.allocates();
        for &op in ops.iter() {
            if op.allocates() {
                alloc(op, &mut stack);
                continue;
            }
            match op {
                ConstOp::V128(lo, hi) if gc => {
                    stack.extend([lo, hi]);
                    continue;
                }
                ConstOp::GlobalGet(g) if gc => {
                    stack.push(global(g));
                    stack.extend(global_hi(g));
                    continue;
                }
                ConstOp::RefI31 => {
                    let v = stack.pop().unwrap_or(0);
                    stack.push(crate::gc::i31(v as u32));
                    continue;
                }
                _ => {}
            }
            let v = match leaf(op) {
                Some(v) => v,
                None => {
                    let b = stack.pop().unwrap_or(0);
                    let a = stack.pop().unwrap_or(0);
                    let (a32, b32) = (a as u32, b as u32);
                    match op {
                        ConstOp::I32Add => a32.wrapping_add(b32) as u64,
                        ConstOp::I32Sub => a32.wrapping_sub(b32) as u64,
                        ConstOp::I32Mul => a32.wrapping_mul(b32) as u64,
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    }
                }
            };
            stack.push(v);
        }
        stack.pop().unwrap_or(0)
    }

    /// Evaluates a `v128` initialiser (`v128.const` or `global.get` of a
    /// `v128` global, the only valid forms); `global` reads a module global.
    pub fn eval_v128(&self, global: impl Fn(u32) -> u128) -> u128 {
        match self.ops() {
            [ConstOp::V128(lo, hi)] => *lo as u128 | (*hi as u128) << 64,
            [ConstOp::GlobalGet(g)] => global(*g),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path and the operator reader agree, and both evaluate right.
    #[test]
    fn simple_expressions_decode_like_the_general_path() {
        let cases: &[(&[u8], ConstOp)] = &[
            (&[0x41, 0x80, 0x08, 0x0b], ConstOp::Value(1024)),
            (&[0x41, 0x7f, 0x0b], ConstOp::Value(u32::MAX as u64)),
            (&[0x42, 0x7f, 0x0b], ConstOp::Value(u64::MAX)),
            (&[0x23, 0x03, 0x0b], ConstOp::GlobalGet(3)),
            (&[0xd2, 0x81, 0x01, 0x0b], ConstOp::RefFunc(129)),
        ];
        for (bytes, op) in cases {
            let e = wasmparser::ConstExpr::new(wasmparser::BinaryReader::new(bytes, 0));
            assert_eq!(ConstExpr::decode_simple(&e), Some(*op), "{bytes:x?}");
            assert_eq!(ConstExpr::decode(&e).unwrap(), ConstExpr::One(*op));
        }
        // Not simple: f64.const, trailing bytes, two operators.
        for bytes in [
            &[0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0b][..],
            &[0x41, 0x01, 0x0b, 0x00],
            &[0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b],
        ] {
            let e = wasmparser::ConstExpr::new(wasmparser::BinaryReader::new(bytes, 0));
            assert_eq!(ConstExpr::decode_simple(&e), None, "{bytes:x?}");
        }
        // As wasmparser hands them over from a real data section.
        let wasm = wat::parse_str(r#"(module (memory 1) (data (i32.const 8) "x"))"#).unwrap();
        let mut seen = 0;
        for p in wasmparser::Parser::new(0).parse_all(&wasm) {
            if let wasmparser::Payload::DataSection(r) = p.unwrap() {
                for d in r {
                    let wasmparser::DataKind::Active { offset_expr, .. } = d.unwrap().kind else {
                        panic!("passive")
                    };
                    assert_eq!(
                        ConstExpr::decode_simple(&offset_expr),
                        Some(ConstOp::Value(8))
                    );
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 1);
        let e =
            ConstExpr::Many(vec![ConstOp::Value(2), ConstOp::GlobalGet(0), ConstOp::I32Mul].into());
        assert_eq!(e.eval(|_| 0, |_| 21), 42);
        assert_eq!(
            ConstExpr::One(ConstOp::RefFunc(4)).eval(|f| f as u64 + 1, |_| 0),
            5
        );
    }
}
