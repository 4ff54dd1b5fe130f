//! The NaN policy of the differential targets.
//!
//! NaN bits are compared exactly. Where the fuzzer found wasp and wasmtime
//! choosing different NaN payloads for the same operator (each allowed by
//! the spec, reported to the lead, see `docs/fuzzing.md`), the operator class
//! is listed in [`NanClass`]. [`exemptions`] probes wasp once per process and
//! keeps only the classes wasp still differs on, so an exemption ends by
//! itself when wasp changes.
//!
//! An exemption is narrow: when a module containing such an operator shows a
//! mismatch, the module is rewritten by [`canonicalize`] — a canonical NaN
//! replaces any NaN produced by those operators only — and compared again.
//! If the rewritten module agrees, the mismatch came from that payload choice
//! (counted as NaN-exempt); if not, the rewritten module is the finding.

use crate::engines::{self, Limits, Outcome, V};
use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{CodeSection, Function, Instruction as I, RawSection, ValType};
use wasmparser::{Operator as O, Parser, Payload};

/// An operator class whose NaN payload wasp and wasmtime choose differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NanClass {
    /// `f32/f64.min/max` with two NaN operands: wasmtime returns the second
    /// (quieted), wasp the first.
    MinMaxTwoNans,
    /// `f32/f64.add/mul` of two NaN constants, folded by wasp's translator:
    /// wasp returns the second operand's payload, wasmtime (and wasp's own
    /// run-time handlers) the first.
    FoldedAddMul,
}

fn probe(wat: &str) -> Outcome {
    let bytes = wat::parse_str(wat).expect("probe module");
    let mut inst = engines::wasp(&bytes, &Limits::default()).expect("probe loads");
    inst.call("f", &[])
}

/// The classes where wasp (as built) still differs from wasmtime.
pub fn exemptions() -> &'static [NanClass] {
    static P: std::sync::OnceLock<Vec<NanClass>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut v = Vec::new();
        // wasmtime: the second NaN, quieted (0x7fc00002).
        let minmax = probe(
            r#"(module (func (export "f") (result i32)
                (i32.reinterpret_f32 (f32.min (f32.const nan:0x400001) (f32.const nan:0x400002)))))"#,
        );
        if minmax != Outcome::Values(vec![V::I32(0x7fc0_0002)]) {
            v.push(NanClass::MinMaxTwoNans);
        }
        // wasmtime: the first NaN (0x7fc00001).
        let folded = probe(
            r#"(module (func (export "f") (result i32)
                (i32.reinterpret_f32 (f32.add (f32.const nan:0x400001) (f32.const nan:0x400002)))))"#,
        );
        if folded != Outcome::Values(vec![V::I32(0x7fc0_0001)]) {
            v.push(NanClass::FoldedAddMul);
        }
        v
    })
}

/// `Some(is_f64)` if `op` belongs to one of `classes`.
fn exempt(op: &O, classes: &[NanClass]) -> Option<bool> {
    let minmax = classes.contains(&NanClass::MinMaxTwoNans);
    let addmul = classes.contains(&NanClass::FoldedAddMul);
    match op {
        O::F32Min | O::F32Max if minmax => Some(false),
        O::F64Min | O::F64Max if minmax => Some(true),
        O::F32Add | O::F32Mul if addmul => Some(false),
        O::F64Add | O::F64Mul if addmul => Some(true),
        _ => None,
    }
}

/// Does the module contain an operator of one of `classes`?
pub fn has_exempt_ops(bytes: &[u8], classes: &[NanClass]) -> bool {
    if classes.is_empty() {
        return false;
    }
    for p in Parser::new(0).parse_all(bytes).flatten() {
        if let Payload::CodeSectionEntry(body) = p {
            let Ok(mut ops) = body.get_operators_reader() else {
                continue;
            };
            while !ops.eof() {
                match ops.read() {
                    Ok(op) if exempt(&op, classes).is_some() => return true,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        }
    }
    false
}

/// The module with every NaN that an operator of `classes` produces replaced
/// by the canonical NaN (two scratch locals per function). `None` if the
/// module cannot be re-encoded.
pub fn canonicalize(bytes: &[u8], classes: &[NanClass]) -> Option<Vec<u8>> {
    let mut types: Vec<usize> = Vec::new(); // param count per type
    let mut func_params: Vec<usize> = Vec::new(); // per defined function
    let mut module = wasm_encoder::Module::new();
    let mut code = CodeSection::new();
    let mut body_index = 0;
    let mut r = RoundtripReencoder;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.ok()?;
        // Every section but the code section is copied as it is.
        if !matches!(
            payload,
            Payload::CodeSectionStart { .. } | Payload::CodeSectionEntry(_)
        ) {
            if let Some((id, range)) = payload.as_section() {
                module.section(&RawSection {
                    id,
                    data: &bytes[range.start as usize..range.end as usize],
                });
            }
        }
        match &payload {
            Payload::TypeSection(s) => {
                for ty in s.clone().into_iter_err_on_gc_types() {
                    types.push(ty.ok()?.params().len());
                }
            }
            Payload::FunctionSection(s) => {
                for t in s.clone() {
                    func_params.push(*types.get(t.ok()? as usize)?);
                }
            }
            Payload::CodeSectionStart { .. } => {}
            Payload::CodeSectionEntry(body) => {
                let params = *func_params.get(body_index)?;
                body_index += 1;
                let mut locals = Vec::new();
                let mut count = params;
                for l in body.get_locals_reader().ok()? {
                    let (n, t) = l.ok()?;
                    count += n as usize;
                    locals.push((n, r.val_type(t).ok()?));
                }
                let (t32, t64) = (count as u32, count as u32 + 1);
                locals.push((1, ValType::F32));
                locals.push((1, ValType::F64));
                let mut f = Function::new(locals);
                let mut ops = body.get_operators_reader().ok()?;
                while !ops.eof() {
                    let op = ops.read().ok()?;
                    let is64 = exempt(&op, classes);
                    f.instruction(&r.instruction(op).ok()?);
                    match is64 {
                        Some(false) => {
                            f.instruction(&I::LocalSet(t32));
                            f.instruction(&I::F32Const(f32::from_bits(0x7fc0_0000).into()));
                            f.instruction(&I::LocalGet(t32));
                            f.instruction(&I::LocalGet(t32));
                            f.instruction(&I::LocalGet(t32));
                            f.instruction(&I::F32Ne);
                            f.instruction(&I::Select);
                        }
                        Some(true) => {
                            f.instruction(&I::LocalSet(t64));
                            f.instruction(&I::F64Const(
                                f64::from_bits(0x7ff8_0000_0000_0000).into(),
                            ));
                            f.instruction(&I::LocalGet(t64));
                            f.instruction(&I::LocalGet(t64));
                            f.instruction(&I::LocalGet(t64));
                            f.instruction(&I::F64Ne);
                            f.instruction(&I::Select);
                        }
                        None => {}
                    }
                }
                code.function(&f);
                if body_index == func_params.len() {
                    module.section(&code);
                }
            }
            _ => {}
        }
    }
    Some(module.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalize_replaces_only_exempt_nans() {
        let bytes = wat::parse_str(
            r#"(module
              (func (export "add") (result i32)
                (i32.reinterpret_f32 (f32.add (f32.const nan:0x1) (f32.const nan:0x2))))
              (func (export "sub") (param f64) (result i64)
                (local i32)
                (i64.reinterpret_f64 (f64.sub (local.get 0) (f64.const nan:0x2)))))"#,
        )
        .unwrap();
        let out = canonicalize(&bytes, &[NanClass::FoldedAddMul]).unwrap();
        wasmparser::validate(&out).unwrap();
        let mut i = engines::wasp(&out, &Limits::default()).unwrap();
        assert_eq!(
            i.call("add", &[]),
            Outcome::Values(vec![V::I32(0x7fc0_0000)])
        );
        let sub = i.call("sub", &[V::F64(0x7ff8_0000_0000_0001)]);
        assert_eq!(sub, Outcome::Values(vec![V::I64(0x7ff8_0000_0000_0001)]));
    }
}
