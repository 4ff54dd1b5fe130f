//! Function body validation that refuses the GC proposal's instructions.
//!
//! wasp enables wasmparser's `gc` feature for WebAssembly 3.0's type system
//! (recursion groups, subtypes, struct and array type definitions), but does
//! not execute GC instructions (`struct.*`, `array.*`, `ref.i31`, casts,
//! `ref.eq`, `any.convert_extern`, ...). Validation runs every operator
//! through [`Guard`], which forwards to wasmparser's validator and turns a
//! GC operator into an "unsupported feature" error naming it, so such a
//! module fails at load, cleanly, and no such operator ever reaches the
//! translator. Forwarding is one inlined call per operator.

use super::parse::Ctx;
use crate::error::{Error, ErrorKind};
use wasmparser::{
    BinaryReaderError, FrameKind, FrameStack, FuncValidator, FunctionBody, ValidatorResources,
    VisitOperator,
};

/// Validates `body` like `FuncValidator::validate`, rejecting GC operators;
/// errors are described with `ctx`.
pub(super) fn validate(
    v: &mut FuncValidator<ValidatorResources>,
    body: &FunctionBody<'_>,
    ctx: &Ctx,
) -> Result<(), Error> {
    let wasm = |e: BinaryReaderError| ctx.err(e);
    let mut reader = body.get_binary_reader();
    v.read_locals(&mut reader).map_err(wasm)?;
    reader.set_features(*v.features());
    while !reader.eof() {
        let offset = reader.original_position();
        let mut g = Guard {
            inner: v.visitor(offset),
            offset,
        };
        match reader.visit_operator(&mut g).map_err(wasm)? {
            Ok(()) => {}
            Err(Refusal::Wasm(e)) => return Err(wasm(e)),
            Err(Refusal::Simd(at)) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "unsupported feature: SIMD support is not enabled (in the code section, \
                         function {}, at byte offset 0x{at:x})",
                        ctx.func.unwrap_or(0)
                    ),
                ))
            }
            Err(Refusal::Gc(visit, at)) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "unsupported feature: GC instruction {} (wasp runs GC types, not GC \
                         instructions) (in the code section, function {}, at byte offset 0x{at:x})",
                        op_name(visit),
                        ctx.func.unwrap_or(0)
                    ),
                ))
            }
        }
    }
    let offset = reader.original_position();
    reader.finish_expression(&v.visitor(offset)).map_err(wasm)
}

/// Why an operator was not accepted.
enum Refusal {
    /// The validator's verdict.
    Wasm(BinaryReaderError),
    /// A GC operator (its visitor method's name) at this offset.
    Gc(&'static str, u64),
    /// A SIMD operator while SIMD is off, at this offset.
    Simd(u64),
}

/// Forwards every operator to the validator `inner`, except GC ones.
struct Guard<V> {
    inner: V,
    offset: u64,
}

impl<V: FrameStack> FrameStack for Guard<V> {
    fn current_frame(&self) -> Option<FrameKind> {
        self.inner.current_frame()
    }
}

/// The text name of a GC operator from its visitor method's name.
fn op_name(visit: &str) -> String {
    let name = visit.trim_start_matches("visit_");
    if name.starts_with("br_on_") {
        return name.to_string();
    }
    name.replacen('_', ".", 1)
}

#[cold]
fn refuse(visit: &'static str, offset: u64) -> Result<(), Refusal> {
    Err(Refusal::Gc(visit, offset))
}

macro_rules! guard_one {
    (gc $self:ident $visit:ident ($($arg:ident),*)) => {{
        let _ = ($($arg,)*);
        refuse(stringify!($visit), $self.offset)
    }};
    ($other:ident $self:ident $visit:ident ($($arg:ident),*)) => {
        $self.inner.$visit($($arg),*).map_err(Refusal::Wasm)
    };
}

macro_rules! define_guard {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            #[inline(always)]
            fn $visit(&mut self $($(,$arg: $argty)*)?) -> Self::Output {
                guard_one!($proposal self $visit ($($($arg),*)?))
            }
        )*
    };
}

impl<'a, V: VisitOperator<'a, Output = Result<(), BinaryReaderError>>> VisitOperator<'a>
    for Guard<V>
{
    type Output = Result<(), Refusal>;

    fn simd_visitor(
        &mut self,
    ) -> Option<&mut dyn wasmparser::VisitSimdOperator<'a, Output = Self::Output>> {
        Some(self)
    }

    wasmparser::for_each_visit_operator!(define_guard);
}

/// SIMD operators go to the validator's own SIMD visitor (which exists
/// when the SIMD feature is on; otherwise the operator is refused as the
/// validator would refuse it).
macro_rules! define_simd_guard {
    ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
        $(
            #[inline(always)]
            fn $visit(&mut self $($(,$arg: $argty)*)?) -> Self::Output {
                match self.inner.simd_visitor() {
                    Some(v) => v.$visit($($($arg),*)?).map_err(Refusal::Wasm),
                    None => {
                        $($(let _ = $arg;)*)?
                        Err(Refusal::Simd(self.offset))
                    }
                }
            }
        )*
    };
}

impl<'a, V: VisitOperator<'a, Output = Result<(), BinaryReaderError>>>
    wasmparser::VisitSimdOperator<'a> for Guard<V>
{
    wasmparser::for_each_visit_simd_operator!(define_simd_guard);
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Module};

    /// A body using a GC instruction is refused at load, naming it; the
    /// same module's types (a struct) alone load fine.
    #[test]
    fn gc_instructions_are_refused_by_name() {
        let engine = Engine::default();
        let ok = r#"(module (type $s (struct (field i32))) (func (param (ref null $s))))"#;
        Module::new(&engine, wat::parse_str(ok).unwrap()).unwrap();
        for (wat, name) in [
            (
                r#"(module (type $s (struct (field i32))) (func (drop (struct.new $s (i32.const 1)))))"#,
                "struct.new",
            ),
            (
                r#"(module (func (drop (ref.i31 (i32.const 1)))))"#,
                "ref.i31",
            ),
            (
                r#"(module (func (param eqref eqref) (result i32) (ref.eq (local.get 0) (local.get 1))))"#,
                "ref.eq",
            ),
        ] {
            let e = Module::new(&engine, wat::parse_str(wat).unwrap()).unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains("unsupported feature"), "{msg}");
            assert!(msg.contains(name), "{msg}");
        }
    }
}
