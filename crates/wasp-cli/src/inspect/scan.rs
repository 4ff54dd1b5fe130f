//! One `wasmparser` pass over a (validated) module for what the engine does
//! not decode: the Wasm features the module uses (with the operators or
//! constructs that show it) and the `producers` custom section. Everything
//! else in the report comes from the loaded `wasp::Module` (`model.rs`).

use std::collections::BTreeMap;
use wasmparser::{
    BlockType, CompositeInnerType, DataKind, ElementKind, ExternalKind, KnownCustom, Operator,
    Parser, Payload, RefType, TypeRef, ValType,
};

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
    /// Tags, `throw`, `throw_ref`, `try_table` (exception handling).
    Exceptions,
    /// `return_call`, `return_call_indirect`, `return_call_ref` (WebAssembly 3.0).
    TailCall,
    /// `call_ref`, `ref.as_non_null`, `br_on_null`, `br_on_non_null` (WebAssembly 3.0).
    FunctionReferences,
}

impl Feature {
    /// Every feature, in report order.
    pub const ALL: [Feature; 9] = [
        Feature::SignExtension,
        Feature::SaturatingFloatToInt,
        Feature::BulkMemory,
        Feature::ReferenceTypes,
        Feature::MultiValue,
        Feature::MutableGlobal,
        Feature::Exceptions,
        Feature::TailCall,
        Feature::FunctionReferences,
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
            Feature::Exceptions => "exceptions",
            Feature::TailCall => "tail-call",
            Feature::FunctionReferences => "function-references",
        }
    }
}

/// What the scan found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Feature → construct (operator name or description) → number of uses.
    pub features: BTreeMap<Feature, BTreeMap<&'static str, u64>>,
    /// The `producers` section: (field, [(name, version)]), e.g.
    /// `("language", [("Go", "go1.27.3")])`.
    pub producers: Vec<(String, Vec<(String, String)>)>,
}

impl Scan {
    fn note(&mut self, f: Feature, what: &'static str) {
        *self.features.entry(f).or_default().entry(what).or_default() += 1;
    }
}

/// The feature an operator belongs to (other than block types), with its name.
fn op_feature(op: &Operator<'_>) -> Option<(Feature, &'static str)> {
    use Feature::*;
    use Operator as O;
    Some(match op {
        O::I32Extend8S => (SignExtension, "i32.extend8_s"),
        O::I32Extend16S => (SignExtension, "i32.extend16_s"),
        O::I64Extend8S => (SignExtension, "i64.extend8_s"),
        O::I64Extend16S => (SignExtension, "i64.extend16_s"),
        O::I64Extend32S => (SignExtension, "i64.extend32_s"),
        O::I32TruncSatF32S => (SaturatingFloatToInt, "i32.trunc_sat_f32_s"),
        O::I32TruncSatF32U => (SaturatingFloatToInt, "i32.trunc_sat_f32_u"),
        O::I32TruncSatF64S => (SaturatingFloatToInt, "i32.trunc_sat_f64_s"),
        O::I32TruncSatF64U => (SaturatingFloatToInt, "i32.trunc_sat_f64_u"),
        O::I64TruncSatF32S => (SaturatingFloatToInt, "i64.trunc_sat_f32_s"),
        O::I64TruncSatF32U => (SaturatingFloatToInt, "i64.trunc_sat_f32_u"),
        O::I64TruncSatF64S => (SaturatingFloatToInt, "i64.trunc_sat_f64_s"),
        O::I64TruncSatF64U => (SaturatingFloatToInt, "i64.trunc_sat_f64_u"),
        O::MemoryCopy { .. } => (BulkMemory, "memory.copy"),
        O::MemoryFill { .. } => (BulkMemory, "memory.fill"),
        O::MemoryInit { .. } => (BulkMemory, "memory.init"),
        O::DataDrop { .. } => (BulkMemory, "data.drop"),
        O::TableCopy { .. } => (BulkMemory, "table.copy"),
        O::TableInit { .. } => (BulkMemory, "table.init"),
        O::ElemDrop { .. } => (BulkMemory, "elem.drop"),
        O::RefNull { .. } => (ReferenceTypes, "ref.null"),
        O::RefIsNull => (ReferenceTypes, "ref.is_null"),
        O::RefFunc { .. } => (ReferenceTypes, "ref.func"),
        O::TableGet { .. } => (ReferenceTypes, "table.get"),
        O::TableSet { .. } => (ReferenceTypes, "table.set"),
        O::TableGrow { .. } => (ReferenceTypes, "table.grow"),
        O::TableSize { .. } => (ReferenceTypes, "table.size"),
        O::TableFill { .. } => (ReferenceTypes, "table.fill"),
        O::TypedSelect { .. } => (ReferenceTypes, "select with a type"),
        O::TryTable { .. } => (Exceptions, "try_table"),
        O::Throw { .. } => (Exceptions, "throw"),
        O::ThrowRef => (Exceptions, "throw_ref"),
        O::ReturnCall { .. } => (TailCall, "return_call"),
        O::ReturnCallIndirect { .. } => (TailCall, "return_call_indirect"),
        O::ReturnCallRef { .. } => (TailCall, "return_call_ref"),
        O::CallRef { .. } => (FunctionReferences, "call_ref"),
        O::RefAsNonNull => (FunctionReferences, "ref.as_non_null"),
        O::BrOnNull { .. } => (FunctionReferences, "br_on_null"),
        O::BrOnNonNull { .. } => (FunctionReferences, "br_on_non_null"),
        O::CallIndirect { table_index, .. } if *table_index != 0 => {
            (ReferenceTypes, "call_indirect on a table other than 0")
        }
        _ => return None,
    })
}

fn is_extern(t: ValType) -> bool {
    matches!(t, ValType::Ref(r) if r == RefType::EXTERNREF)
}

fn read_producers(
    r: wasmparser::ProducersSectionReader<'_>,
    out: &mut Vec<(String, Vec<(String, String)>)>,
) -> Result<(), wasmparser::BinaryReaderError> {
    for field in r {
        let field = field?;
        let mut values = Vec::new();
        for v in field.values {
            let v = v?;
            values.push((v.name.to_string(), v.version.to_string()));
        }
        out.push((field.name.to_string(), values));
    }
    Ok(())
}

/// Scans `bytes`, a module that already passed validation.
pub fn scan(bytes: &[u8]) -> Result<Scan, wasmparser::BinaryReaderError> {
    let mut s = Scan::default();
    // Per type index: (params, results, mentions externref).
    let mut types: Vec<(usize, usize, bool)> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut global_mutable: Vec<bool> = Vec::new();
    let mut tables = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(r) => {
                for group in r {
                    for sub in group?.into_types() {
                        if let CompositeInnerType::Func(f) = &sub.composite_type.inner {
                            let ext = f.params().iter().chain(f.results()).any(|t| is_extern(*t));
                            types.push((f.params().len(), f.results().len(), ext));
                        } else {
                            types.push((0, 0, false));
                        }
                    }
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    match imp?.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => func_types.push(t),
                        TypeRef::Tag(_) => s.note(Feature::Exceptions, "tag import"),
                        TypeRef::Global(g) => {
                            global_mutable.push(g.mutable);
                            if g.mutable {
                                s.note(Feature::MutableGlobal, "mutable global import");
                            }
                            if is_extern(g.content_type) {
                                s.note(Feature::ReferenceTypes, "externref");
                            }
                        }
                        TypeRef::Table(t) => {
                            tables += 1;
                            if t.element_type == RefType::EXTERNREF {
                                s.note(Feature::ReferenceTypes, "externref");
                            }
                        }
                        _ => {}
                    }
                }
            }
            Payload::TagSection(r) => {
                for t in r {
                    t?;
                    s.note(Feature::Exceptions, "tag");
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t?);
                }
            }
            Payload::TableSection(r) => {
                for t in r {
                    tables += 1;
                    if t?.ty.element_type == RefType::EXTERNREF {
                        s.note(Feature::ReferenceTypes, "externref");
                    }
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g?;
                    global_mutable.push(g.ty.mutable);
                    if is_extern(g.ty.content_type) {
                        s.note(Feature::ReferenceTypes, "externref");
                    }
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e?;
                    if e.kind == ExternalKind::Global
                        && global_mutable.get(e.index as usize) == Some(&true)
                    {
                        s.note(Feature::MutableGlobal, "mutable global export");
                    }
                }
            }
            Payload::ElementSection(r) => {
                for e in r {
                    match e?.kind {
                        ElementKind::Passive => {
                            s.note(Feature::BulkMemory, "passive element segment")
                        }
                        ElementKind::Active {
                            table_index: Some(t),
                            ..
                        } if t != 0 => s.note(
                            Feature::ReferenceTypes,
                            "element segment for a table other than 0",
                        ),
                        _ => {}
                    }
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    if let DataKind::Passive = d?.kind {
                        s.note(Feature::BulkMemory, "passive data segment");
                    }
                }
            }
            Payload::CustomSection(c) => {
                if let KnownCustom::Producers(r) = c.as_known() {
                    // Advisory, like the name section: a malformed one is ignored.
                    let _ = read_producers(r, &mut s.producers);
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    let op = ops.read()?;
                    if let Some((f, what)) = op_feature(&op) {
                        s.note(f, what);
                        continue;
                    }
                    let blockty = match &op {
                        Operator::Block { blockty }
                        | Operator::Loop { blockty }
                        | Operator::If { blockty } => blockty,
                        _ => continue,
                    };
                    if let BlockType::FuncType(t) = blockty {
                        if let Some(&(p, r, _)) = types.get(*t as usize) {
                            if p > 0 || r > 1 {
                                s.note(
                                    Feature::MultiValue,
                                    "block with parameters or several results",
                                );
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for t in &func_types {
        if let Some(&(_, r, ext)) = types.get(*t as usize) {
            if r > 1 {
                s.note(Feature::MultiValue, "function with several results");
            }
            if ext {
                s.note(Feature::ReferenceTypes, "externref");
            }
        }
    }
    if tables > 1 {
        s.note(Feature::ReferenceTypes, "several tables");
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(wat: &str) -> Vec<&'static str> {
        let bytes = wat::parse_str(wat).unwrap();
        let s = scan(&bytes).unwrap();
        s.features.keys().map(|f| f.name()).collect()
    }

    #[test]
    fn mvp_uses_nothing() {
        let wat = r#"(module (memory 1) (global (mut i32) (i32.const 5))
            (func (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))"#;
        assert!(features(wat).is_empty());
    }

    #[test]
    fn each_feature_is_detected() {
        let cases = [
            (
                "(func (param i32) (result i32) (i32.extend8_s (local.get 0)))",
                "sign-extension",
            ),
            (
                "(func (param f32) (result i32) (i32.trunc_sat_f32_u (local.get 0)))",
                "saturating-float-to-int",
            ),
            (
                "(memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))",
                "bulk-memory",
            ),
            ("(memory 1) (data \"x\")", "bulk-memory"),
            (
                "(table 1 funcref) (func (drop (table.size 0)))",
                "reference-types",
            ),
            (
                "(global (mut externref) (ref.null extern))",
                "reference-types",
            ),
            (
                "(func (result i32 i32) (i32.const 1) (i32.const 2))",
                "multi-value",
            ),
            (
                "(func (result i32) (block (param i32) (result i32) (nop)) ) ",
                "multi-value",
            ),
            (
                "(global (export \"g\") (mut i32) (i32.const 0))",
                "mutable-global",
            ),
            ("(import \"m\" \"g\" (global (mut i64)))", "mutable-global"),
            ("(tag)", "exceptions"),
            ("(import \"m\" \"t\" (tag (param i32)))", "exceptions"),
            (
                "(func (block $h (try_table (catch_all $h) (nop))))",
                "exceptions",
            ),
            ("(func $f (return_call $f))", "tail-call"),
            (
                "(type $t (func)) (func (param (ref null $t)) (call_ref $t (local.get 0)))",
                "function-references",
            ),
        ];
        for (body, want) in cases {
            let wat = format!("(module {body})");
            let wat = wat.replace("(block (param i32)", "(i32.const 1) (block (param i32)");
            assert_eq!(features(&wat), vec![want], "{body}");
        }
    }
}
