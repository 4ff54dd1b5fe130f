//! One `wasmparser` pass over a (validated) module for what the engine does
//! not decode: the Wasm features the module uses (with the operators or
//! constructs that show it) and the `producers` custom section. Everything
//! else in the report comes from the loaded `wasp::Module` (`model.rs`).

use super::features::{op_feature, Feature};
use std::collections::BTreeMap;
use wasmparser::{
    BlockType, CompositeInnerType, ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind,
    HeapType, KnownCustom, MemoryType, Operator, Parser, Payload, StorageType, TableType, TypeRef,
    ValType,
};

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

/// The features value type `t` shows, if any: `v128`, typed, non-nullable
/// and GC references, `exnref`, `externref`.
fn val_feature(t: ValType) -> Option<(Feature, &'static str)> {
    let r = match t {
        ValType::V128 => return Some((Feature::Simd, "v128")),
        ValType::Ref(r) => r,
        _ => return None,
    };
    use wasmparser::AbstractHeapType as A;
    Some(match r.heap_type() {
        HeapType::Concrete(_) | HeapType::Exact(_) => {
            (Feature::FunctionReferences, "typed reference")
        }
        HeapType::Abstract { ty, .. } => match ty {
            A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None | A::NoExtern | A::NoFunc => {
                (Feature::Gc, "GC reference type")
            }
            A::Exn | A::NoExn => (Feature::Exceptions, "exnref"),
            _ if !r.is_nullable() => (Feature::FunctionReferences, "non-nullable reference"),
            A::Extern => (Feature::ReferenceTypes, "externref"),
            _ => return None,
        },
    })
}

/// Notes the features of a constant expression (`extended-const`, and the
/// operators of other features, such as `ref.i31`).
fn const_expr(s: &mut Scan, e: &ConstExpr<'_>) -> Result<(), wasmparser::BinaryReaderError> {
    let mut ops = e.get_operators_reader();
    while !ops.eof() {
        let op = ops.read()?;
        if let Some((f, what)) = op_feature(&op) {
            s.note(f, what);
        }
        if matches!(
            op,
            Operator::I32Add
                | Operator::I32Sub
                | Operator::I32Mul
                | Operator::I64Add
                | Operator::I64Sub
                | Operator::I64Mul
        ) {
            s.note(
                Feature::ExtendedConst,
                "arithmetic in a constant expression",
            );
        }
    }
    Ok(())
}

/// Notes the features of memory type `m`.
fn memory(s: &mut Scan, m: &MemoryType) {
    if m.memory64 {
        s.note(Feature::Memory64, "64-bit memory");
    }
    if m.page_size_log2.is_some_and(|p| p != 16) {
        s.note(Feature::CustomPageSizes, "custom page size");
    }
}

/// Notes the features of table type `t`.
fn table(s: &mut Scan, t: &TableType) {
    if t.table64 {
        s.note(Feature::Memory64, "64-bit table");
    }
    if let Some((f, what)) = val_feature(ValType::Ref(t.element_type)) {
        s.note(f, what);
    }
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
    // Per type index: (params, results, features its value types show).
    type TypeFacts = (usize, usize, Vec<(Feature, &'static str)>);
    let mut types: Vec<TypeFacts> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut global_mutable: Vec<bool> = Vec::new();
    let (mut tables, mut memories) = (0usize, 0usize);
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(r) => {
                for group in r {
                    let group = group?;
                    if group.is_explicit_rec_group() {
                        s.note(Feature::Gc, "rec group");
                    }
                    for sub in group.into_types() {
                        if !sub.is_final || !sub.supertype_idxs.is_empty() {
                            s.note(Feature::Gc, "subtype");
                        }
                        let (vals, p, r) = match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => {
                                let vals = f.params().iter().chain(f.results()).copied();
                                (vals.collect(), f.params().len(), f.results().len())
                            }
                            CompositeInnerType::Struct(st) => {
                                s.note(Feature::Gc, "struct type");
                                let fields = st.fields.iter().map(|f| f.element_type);
                                (storage_vals(fields), 0, 0)
                            }
                            CompositeInnerType::Array(a) => {
                                s.note(Feature::Gc, "array type");
                                (storage_vals([a.0.element_type]), 0, 0)
                            }
                            _ => (Vec::new(), 0, 0),
                        };
                        let notes = vals.into_iter().filter_map(val_feature).collect();
                        types.push((p, r, notes));
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
                            if let Some((f, what)) = val_feature(g.content_type) {
                                s.note(f, what);
                            }
                        }
                        TypeRef::Table(t) => {
                            tables += 1;
                            table(&mut s, &t);
                        }
                        TypeRef::Memory(m) => {
                            memories += 1;
                            memory(&mut s, &m);
                        }
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
                    let t = t?;
                    tables += 1;
                    table(&mut s, &t.ty);
                    if let wasmparser::TableInit::Expr(e) = &t.init {
                        const_expr(&mut s, e)?;
                    }
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    memories += 1;
                    memory(&mut s, &m?);
                }
            }
            Payload::GlobalSection(r) => {
                for g in r {
                    let g = g?;
                    global_mutable.push(g.ty.mutable);
                    if let Some((f, what)) = val_feature(g.ty.content_type) {
                        s.note(f, what);
                    }
                    const_expr(&mut s, &g.init_expr)?;
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
                    let e = e?;
                    match &e.kind {
                        ElementKind::Passive => {
                            s.note(Feature::BulkMemory, "passive element segment")
                        }
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => {
                            if table_index.is_some_and(|t| t != 0) {
                                s.note(
                                    Feature::ReferenceTypes,
                                    "element segment for a table other than 0",
                                );
                            }
                            const_expr(&mut s, offset_expr)?;
                        }
                        ElementKind::Declared => {}
                    }
                    if let ElementItems::Expressions(t, items) = e.items {
                        if let Some((f, what)) = val_feature(ValType::Ref(t)) {
                            s.note(f, what);
                        }
                        for item in items {
                            const_expr(&mut s, &item?)?;
                        }
                    }
                }
            }
            Payload::DataSection(r) => {
                for d in r {
                    match d?.kind {
                        DataKind::Passive => s.note(Feature::BulkMemory, "passive data segment"),
                        DataKind::Active { offset_expr, .. } => const_expr(&mut s, &offset_expr)?,
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
                for local in body.get_locals_reader()? {
                    if let Some((f, what)) = val_feature(local?.1) {
                        s.note(f, what);
                    }
                }
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
        if let Some((_, r, notes)) = types.get(*t as usize) {
            if *r > 1 {
                s.note(Feature::MultiValue, "function with several results");
            }
            for &(f, what) in notes {
                s.note(f, what);
            }
        }
    }
    if tables > 1 {
        s.note(Feature::ReferenceTypes, "several tables");
    }
    if memories > 1 {
        s.note(Feature::MultiMemory, "several memories");
    }
    Ok(s)
}

/// The value types among struct fields or array elements (packed `i8` and
/// `i16` storage shows GC already).
fn storage_vals(fields: impl IntoIterator<Item = StorageType>) -> Vec<ValType> {
    fields
        .into_iter()
        .filter_map(|f| match f {
            StorageType::Val(v) => Some(v),
            StorageType::I8 | StorageType::I16 => None,
        })
        .collect()
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

    #[test]
    fn webassembly_3_features_are_detected() {
        let cases: [(&str, &[&str]); 13] = [
            ("(func (result v128) (v128.const i32x4 0 0 0 0))", &["simd"]),
            ("(global v128 (v128.const i64x2 1 2))", &["simd"]),
            (
                "(func (param v128) (result v128) (i8x16.relaxed_swizzle (local.get 0) (local.get 0)))",
                &["simd", "relaxed-simd"],
            ),
            ("(type (struct (field i8) (field (mut i64))))", &["gc"]),
            ("(type (sub (func)))", &["gc"]),
            ("(rec (type (array i32)) (type (func)))", &["gc"]),
            (
                "(func (result i32) (i31.get_s (ref.i31 (i32.const 1))))",
                &["gc"],
            ),
            ("(global anyref (ref.null any))", &["reference-types", "gc"]),
            ("(type $t (func)) (func (param (ref $t)))", &["function-references"]),
            ("(func (param exnref))", &["exceptions"]),
            ("(memory i64 1)", &["memory64"]),
            ("(memory 1) (memory 1)", &["multi-memory"]),
            (
                "(global i32 (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3))))",
                &["extended-const"],
            ),
        ];
        for (body, want) in cases {
            assert_eq!(features(&format!("(module {body})")), want, "{body}");
        }
        assert_eq!(
            features(
                "(module (func (param i64 i64) (result i64) \
                 (drop (i64.mul_wide_s (local.get 0) (local.get 1)))))"
            ),
            ["wide-arithmetic"]
        );
        assert_eq!(
            features("(module (memory 1 (pagesize 1)))"),
            ["custom-page-sizes"]
        );
        assert!(features("(module (memory 1 (pagesize 65536)))").is_empty());
    }
}
