//! The Wasm features `wasp inspect` reports, and which feature each operator
//! belongs to. The operator table is not written by hand: it is generated
//! from `wasmparser::for_each_operator!`, which tags every operator with the
//! proposal that introduced it, so a new operator of a known proposal is
//! reported without a change here.

use wasmparser::Operator;

/// A Wasm feature beyond the MVP (1.0) that a module can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Feature {
    /// `i32.extend8_s` and friends.
    SignExtension,
    /// `i32.trunc_sat_f32_s` and friends.
    SaturatingFloatToInt,
    /// `memory.copy`/`fill`/`init`, `data.drop`, `table.copy`/`init`, `elem.drop`, passive segments.
    BulkMemory,
    /// `ref.*`, `table.get`/`set`/`grow`/`size`/`fill`, typed `select`, `externref`, several tables.
    ReferenceTypes,
    /// Functions with several results, blocks with parameters or several results.
    MultiValue,
    /// Importing or exporting a mutable global.
    MutableGlobal,
    /// The `v128` type and its operators (fixed-width SIMD).
    Simd,
    /// `i8x16.relaxed_swizzle` and the other relaxed SIMD operators.
    RelaxedSimd,
    /// Tags, `throw`, `throw_ref`, `try_table`, `exnref` (exception handling).
    Exceptions,
    /// `return_call`, `return_call_indirect`, `return_call_ref` (WebAssembly 3.0).
    TailCall,
    /// `call_ref`, `ref.as_non_null`, `br_on_null`, `br_on_non_null`, typed and
    /// non-nullable references (WebAssembly 3.0).
    FunctionReferences,
    /// Structs, arrays, `i31`, recursive type groups, subtypes, casts (WebAssembly 3.0).
    Gc,
    /// Memories or tables indexed by `i64` (WebAssembly 3.0).
    Memory64,
    /// More than one memory (WebAssembly 3.0).
    MultiMemory,
    /// `add`, `sub`, `mul` in constant expressions (WebAssembly 3.0).
    ExtendedConst,
    /// `i64.add128`, `i64.sub128`, `i64.mul_wide_s`/`_u` (proposal).
    WideArithmetic,
    /// Memories with a page size other than 64 KiB (proposal).
    CustomPageSizes,
}

impl Feature {
    /// Every feature, in report order.
    pub const ALL: [Feature; 17] = [
        Feature::SignExtension,
        Feature::SaturatingFloatToInt,
        Feature::BulkMemory,
        Feature::ReferenceTypes,
        Feature::MultiValue,
        Feature::MutableGlobal,
        Feature::Simd,
        Feature::RelaxedSimd,
        Feature::Exceptions,
        Feature::TailCall,
        Feature::FunctionReferences,
        Feature::Gc,
        Feature::Memory64,
        Feature::MultiMemory,
        Feature::ExtendedConst,
        Feature::WideArithmetic,
        Feature::CustomPageSizes,
    ];

    /// The feature's name (as wasm-tools and the proposals spell it).
    pub fn name(self) -> &'static str {
        match self {
            Feature::SignExtension => "sign-extension",
            Feature::SaturatingFloatToInt => "saturating-float-to-int",
            Feature::BulkMemory => "bulk-memory",
            Feature::ReferenceTypes => "reference-types",
            Feature::MultiValue => "multi-value",
            Feature::MutableGlobal => "mutable-global",
            Feature::Simd => "simd",
            Feature::RelaxedSimd => "relaxed-simd",
            Feature::Exceptions => "exceptions",
            Feature::TailCall => "tail-call",
            Feature::FunctionReferences => "function-references",
            Feature::Gc => "gc",
            Feature::Memory64 => "memory64",
            Feature::MultiMemory => "multi-memory",
            Feature::ExtendedConst => "extended-const",
            Feature::WideArithmetic => "wide-arithmetic",
            Feature::CustomPageSizes => "custom-page-sizes",
        }
    }
}

/// The feature an operator belongs to, with the operator's id: the name of
/// its `wasmparser` visitor method (`visit_i8x16_add`; [`construct_name`]
/// turns it into the text-format name). `None` for MVP operators.
pub fn op_feature(op: &Operator<'_>) -> Option<(Feature, &'static str)> {
    macro_rules! by_proposal {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            match op {
                $( Operator::$op { .. } => {
                    by_proposal!(@feature $proposal).map(|f| (f, stringify!($visit)))
                } )*
                _ => None,
            }
        };
        (@feature sign_extension) => { Some(Feature::SignExtension) };
        (@feature saturating_float_to_int) => { Some(Feature::SaturatingFloatToInt) };
        (@feature bulk_memory) => { Some(Feature::BulkMemory) };
        (@feature reference_types) => { Some(Feature::ReferenceTypes) };
        (@feature simd) => { Some(Feature::Simd) };
        (@feature relaxed_simd) => { Some(Feature::RelaxedSimd) };
        (@feature exceptions) => { Some(Feature::Exceptions) };
        (@feature legacy_exceptions) => { Some(Feature::Exceptions) };
        (@feature tail_call) => { Some(Feature::TailCall) };
        (@feature function_references) => { Some(Feature::FunctionReferences) };
        (@feature gc) => { Some(Feature::Gc) };
        (@feature wide_arithmetic) => { Some(Feature::WideArithmetic) };
        // The MVP, and proposals wasp does not run (validation refuses them).
        (@feature $other:ident) => { None };
    }
    // `return_call_ref` is both a tail call and a typed-reference call: the
    // tail-call proposal names it.
    if let Operator::ReturnCallRef { .. } = op {
        return Some((Feature::TailCall, "visit_return_call_ref"));
    }
    if let Operator::CallIndirect { table_index, .. } = op {
        return (*table_index != 0).then_some((
            Feature::ReferenceTypes,
            "call_indirect on a table other than 0",
        ));
    }
    wasmparser::for_each_operator!(by_proposal)
}

/// Prefixes of text-format operator names whose first `_` is a `.`
/// (`i8x16_add` is `i8x16.add`; `return_call` stays).
const DOTTED: [&str; 23] = [
    "i32", "i64", "f32", "f64", "v128", "i8x16", "i16x8", "i32x4", "i64x2", "f32x4", "f64x2",
    "memory", "table", "ref", "data", "elem", "struct", "array", "i31", "any", "extern", "global",
    "local",
];

/// The name a report shows for construct `id`: an operator's visitor name
/// becomes its text-format name (`visit_i8x16_add` → `i8x16.add`,
/// `visit_ref_test_non_null` → `ref.test`); other constructs are already
/// described in words.
pub fn construct_name(id: &str) -> String {
    let Some(op) = id.strip_prefix("visit_") else {
        return id.to_string();
    };
    let op = match op {
        "typed_select" => return "select with a type".to_string(),
        "ref_test_non_null" | "ref_test_nullable" => "ref_test",
        "ref_cast_non_null" | "ref_cast_nullable" => "ref_cast",
        other => other,
    };
    match op.split_once('_') {
        Some((prefix, rest)) if DOTTED.contains(&prefix) => format!("{prefix}.{rest}"),
        _ => op.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_ids_become_text_format_names() {
        for (id, name) in [
            ("visit_i32_extend8_s", "i32.extend8_s"),
            ("visit_i8x16_relaxed_swizzle", "i8x16.relaxed_swizzle"),
            ("visit_v128_load8_lane", "v128.load8_lane"),
            ("visit_memory_copy", "memory.copy"),
            ("visit_return_call_indirect", "return_call_indirect"),
            ("visit_br_on_non_null", "br_on_non_null"),
            ("visit_ref_cast_nullable", "ref.cast"),
            ("visit_typed_select", "select with a type"),
            ("visit_i64_mul_wide_u", "i64.mul_wide_u"),
            ("passive data segment", "passive data segment"),
        ] {
            assert_eq!(construct_name(id), name);
        }
    }

    #[test]
    fn mvp_operators_have_no_feature_and_others_their_proposal() {
        assert_eq!(op_feature(&Operator::I32Add), None);
        assert_eq!(op_feature(&Operator::Nop), None);
        assert_eq!(
            op_feature(&Operator::I8x16Add),
            Some((Feature::Simd, "visit_i8x16_add"))
        );
        assert_eq!(
            op_feature(&Operator::I64Add128),
            Some((Feature::WideArithmetic, "visit_i64_add128"))
        );
        assert_eq!(
            op_feature(&Operator::RefI31),
            Some((Feature::Gc, "visit_ref_i31"))
        );
    }
}
