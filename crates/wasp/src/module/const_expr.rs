//! Constant expressions (global initialisers, segment offsets and element items),
//! decoded once at load time and evaluated at instantiation.

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
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

/// A decoded constant expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConstExpr {
    pub ops: Vec<ConstOp>,
}

impl ConstExpr {
    pub fn decode(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
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
                O::RefFunc { function_index } => ConstOp::RefFunc(function_index),
                O::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
                O::I32Add => ConstOp::I32Add,
                O::I32Sub => ConstOp::I32Sub,
                O::I32Mul => ConstOp::I32Mul,
                O::I64Add => ConstOp::I64Add,
                O::I64Sub => ConstOp::I64Sub,
                O::I64Mul => ConstOp::I64Mul,
                O::End => break,
                other => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("unsupported constant expression operator {other:?}"),
                    ))
                }
            });
        }
        Ok(ConstExpr { ops })
    }

    /// Evaluates to a raw slot value. `func` maps a module function index to a raw
    /// funcref; `global` reads a module global's raw value.
    pub fn eval(&self, func: impl Fn(u32) -> u64, global: impl Fn(u32) -> u64) -> u64 {
        let mut stack: Vec<u64> = Vec::with_capacity(4);
        for op in &self.ops {
            let v = match *op {
                ConstOp::Value(v) => v,
                ConstOp::RefFunc(i) => func(i),
                ConstOp::GlobalGet(i) => global(i),
                bin => {
                    let b = stack.pop().unwrap_or(0);
                    let a = stack.pop().unwrap_or(0);
                    let (a32, b32) = (a as u32, b as u32);
                    match bin {
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
}
