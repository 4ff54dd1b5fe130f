//! Decoding and validation of a binary module into [`ModuleInfo`].
//!
//! One pass over the payloads with `wasmparser`: the validator checks every
//! section and every function body (eagerly, so a bad module fails at load),
//! while we record what instantiation and translation will need. A module
//! the code cache knows to be valid (the very same bytes passed before) is
//! only decoded, without the validator.

use super::validate::{Bodies, PendingBody};
use super::{ConstExpr, DataSegment, ElemSegment, EntityIndex, Import, ModuleInfo, SegmentMode};
use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::gc::layout::GcType;
use crate::types::{
    FuncType, GlobalType, Limits, MemoryLimits, MemoryType, Mutability, TableType, ValType,
};
use std::ops::Range;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use wasmparser::{
    BinaryReaderError, ElementItems, ElementKind, ExternalKind, KnownCustom, Name, Parser, Payload,
    TypeRef, ValidPayload, Validator, WasmFeatures,
};

/// The features `config` accepts: [`features`], less multi-memory when
/// the config turns it off.
pub(crate) fn features_for(config: &crate::engine::Config) -> WasmFeatures {
    let mut f = features();
    if !config.multi_memory {
        f.remove(WasmFeatures::MULTI_MEMORY);
    }
    f
}

/// Every feature wasp decodes and runs: WebAssembly 2.0 (with SIMD), relaxed
/// SIMD, memory64, multi-memory, custom-page-sizes, wide-arithmetic, GC and
/// exception handling (`tag`, `throw`, `throw_ref`, `try_table`, `exnref`;
/// not the legacy `try`/`catch`/`delegate` encoding).
pub(crate) fn features() -> WasmFeatures {
    // WebAssembly 3.0's tail calls, typed function references, extended
    // constant expressions and GC (structs, arrays, i31, casts: `gc/`).
    WasmFeatures::WASM2
        | WasmFeatures::RELAXED_SIMD
        | WasmFeatures::MEMORY64
        | WasmFeatures::MULTI_MEMORY
        | WasmFeatures::CUSTOM_PAGE_SIZES
        | WasmFeatures::WIDE_ARITHMETIC
        | WasmFeatures::TAIL_CALL
        | WasmFeatures::FUNCTION_REFERENCES
        | WasmFeatures::EXTENDED_CONST
        | WasmFeatures::GC
        | WasmFeatures::EXCEPTIONS
}

/// Where the parse is, for error messages.
pub(super) struct Ctx {
    pub section: &'static str,
    pub func: Option<u32>,
}

impl Ctx {
    pub fn err(&self, e: BinaryReaderError) -> Error {
        let msg = e.message();
        // wasmparser reports both decoding and validation problems; decoding
        // problems are "malformed", the rest "invalid".
        let kind = if is_malformed(msg) {
            ErrorKind::Malformed
        } else if msg.contains("not enabled")
            || msg.contains("not supported")
            || msg.contains("feature required")
        {
            ErrorKind::Unsupported
        } else {
            ErrorKind::Invalid
        };
        let what = match kind {
            ErrorKind::Malformed => "malformed module",
            ErrorKind::Unsupported => "unsupported feature",
            _ => "invalid module",
        };
        let mut s = format!("{what}: {msg} (in the {} section", self.section);
        if let Some(f) = self.func {
            s.push_str(&format!(", function {f}"));
        }
        s.push_str(&format!(", at byte offset 0x{:x})", e.offset()));
        Error::new(kind, s)
    }
}

fn is_malformed(msg: &str) -> bool {
    const MARKERS: &[&str] = &[
        "unexpected end",
        "malformed",
        "invalid leb",
        "integer representation too long",
        "integer too large",
        "magic header",
        "unknown binary version",
        "bad magic",
        "section size mismatch",
        "out of bounds",
        "invalid section",
        "unexpected content",
        "too many",
        "zero byte expected",
        "invalid var_u32",
        "invalid var_i32",
        "invalid var_u64",
        "invalid var_i64",
        "length out of bounds",
        "unknown section",
        "section out of order",
        "function and code section have inconsistent lengths",
        "data count section required",
        "data count and data section have inconsistent lengths",
        "invalid utf-8",
        "invalid UTF-8",
        "invalid leading byte",
        "illegal opcode",
        "unknown opcode",
        "unknown type",
        "invalid value type",
        "END opcode expected",
        "trailing bytes",
        "type index out of bounds",
    ];
    MARKERS.iter().any(|m| msg.contains(m))
}

/// The value type of `t` in a module whose defined types have the
/// run-time types `gc` (a reference to a struct or array type is an
/// anyref, to a function type a funcref).
fn val_type(t: wasmparser::ValType, gc: &[Arc<GcType>]) -> Result<ValType> {
    if let wasmparser::ValType::Ref(r) = t {
        if let wasmparser::HeapType::Concrete(wasmparser::UnpackedIndex::Module(i)) = r.heap_type()
        {
            if let Some(g) = gc.get(i as usize) {
                return Ok(super::canon::carrier(g.kind));
            }
        }
    }
    ValType::from_wasmparser(t).ok_or_else(|| {
        Error::new(
            ErrorKind::Unsupported,
            format!("unsupported value type {t:?}"),
        )
    })
}

fn limits(initial: u64, maximum: Option<u64>) -> Limits {
    Limits {
        min: initial as u32,
        max: maximum.map(|m| m as u32),
    }
}

fn table_type(t: &wasmparser::TableType, ids: &[u32], gc: &[Arc<GcType>]) -> Result<TableType> {
    let l = limits(t.initial, t.maximum);
    Ok(TableType::new(
        val_type(wasmparser::ValType::Ref(t.element_type), gc)?,
        l.min,
        l.max,
    )
    .with_ref_type(super::canon::ref_type(t.element_type, ids)?))
}

fn memory_type(t: &wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        limits: MemoryLimits {
            min: t.initial,
            max: t.maximum,
        },
        memory64: t.memory64,
        page_size_log2: t.page_size_log2.map_or(16, |l| l as u8),
    }
}

fn global_type(t: &wasmparser::GlobalType, ids: &[u32], gc: &[Arc<GcType>]) -> Result<GlobalType> {
    let mutability = if t.mutable {
        Mutability::Var
    } else {
        Mutability::Const
    };
    let g = GlobalType::new(val_type(t.content_type, gc)?, mutability);
    Ok(match t.content_type {
        wasmparser::ValType::Ref(r) => g.with_ref_type(super::canon::ref_type(r, ids)?),
        _ => g,
    })
}

/// What a parse cost, besides its result.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ParseCost {
    /// Function bodies validated.
    pub funcs_validated: u64,
    /// Wall-clock time from the start of their validation (once the code
    /// section is read, alongside the decoding of later sections) to its end.
    pub validate: std::time::Duration,
    /// The part of the parse spent waiting for (and helping) that
    /// validation at the end of the module: the rest is decoding.
    pub tail: std::time::Duration,
}

/// Decodes `bytes`, validating them unless `validate` is false (only for
/// bytes known to be valid: a code cache hit).
pub(crate) fn parse(
    engine: &Engine,
    bytes: &[u8],
    validate: bool,
) -> Result<(ModuleInfo, ParseCost)> {
    let queue = OnceLock::new();
    std::thread::scope(|scope| {
        let parsed = parse_in(engine, bytes, validate, &queue, scope);
        if parsed.is_err() {
            if let Some(q) = queue.get() {
                q.cancel();
            }
        }
        parsed
    })
}

fn parse_in<'scope, 'env>(
    engine: &Engine,
    bytes: &'env [u8],
    validate: bool,
    queue: &'env OnceLock<Bodies<'env>>,
    scope: &'scope std::thread::Scope<'scope, 'env>,
) -> Result<(ModuleInfo, ParseCost)> {
    let mut helpers = Vec::new();
    let mut started = None;
    let mut code_count = None;
    let start_validation =
        |pending: &mut Vec<PendingBody<'env>>,
         helpers: &mut Vec<std::thread::ScopedJoinHandle<'scope, ()>>| {
            let q = queue.get_or_init(|| Bodies::new(std::mem::take(pending)));
            for _ in 0..q.helpers() {
                helpers.push(scope.spawn(move || q.work()));
            }
            (q, Instant::now())
        };
    let mut validator = Validator::new_with_features(features_for(engine.config()));
    let mut cost = ParseCost::default();
    let mut info = ModuleInfo::default();
    let mut ctx = Ctx {
        section: "module header",
        func: None,
    };
    let mut pending = Vec::new();
    let mut code_index = 0u32;
    let base = bytes.as_ptr() as usize;
    let range_of = |s: &[u8]| {
        let start = s.as_ptr() as usize - base;
        start..start + s.len()
    };

    // The decoder must know the same feature set as the validator: with
    // wasmparser's defaults it would accept encodings of later proposals
    // (compact imports, for one) that WebAssembly 2.0 calls malformed.
    let mut parser = Parser::new(0);
    parser.set_features(features_for(engine.config()));
    for payload in parser.parse_all(bytes) {
        let payload = payload.map_err(|e| ctx.err(e))?;
        ctx.section = section_name(&payload);
        ctx.func = None;
        // A data section of the common shape is decoded and checked here,
        // in one pass, instead of by the validator and then again by us.
        let mut fast_data = match &payload {
            Payload::DataSection(reader) => {
                let r = reader.range();
                decode_data_fast(bytes, r.start as usize..r.end as usize)
                    .filter(|d| data_valid(d, &info.memories))
            }
            _ => None,
        };
        let valid = if validate && fast_data.is_none() {
            validator.payload(&payload).map_err(|e| ctx.err(e))?
        } else {
            ValidPayload::Ok
        };
        match payload {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group.map_err(|e| ctx.err(e))?;
                    let start = info.types.len() as u32;
                    let (key, members) =
                        super::canon::group(&group, start, &info.type_ids, engine)?;
                    let types: Vec<FuncType> = members.iter().map(|m| m.ty.clone()).collect();
                    let first = engine.intern_group(key, members);
                    for (i, ty) in types.into_iter().enumerate() {
                        let id = first + i as u32;
                        let gc = engine.gc_type(id);
                        info.allocates |= gc.kind != super::canon::TypeKind::Func;
                        info.type_ids.push(id);
                        info.types.push(ty);
                        info.gc_types.push(gc);
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for imp in reader.into_imports() {
                    let imp = imp.map_err(|e| ctx.err(e))?;
                    let index = match imp.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            info.funcs.push(t);
                            info.num_imported_funcs += 1;
                            EntityIndex::Func(info.funcs.len() as u32 - 1)
                        }
                        TypeRef::Table(t) => {
                            info.tables
                                .push(table_type(&t, &info.type_ids, &info.gc_types)?);
                            info.num_imported_tables += 1;
                            EntityIndex::Table(info.tables.len() as u32 - 1)
                        }
                        TypeRef::Memory(m) => {
                            info.memories.push(memory_type(&m));
                            info.num_imported_memories += 1;
                            EntityIndex::Memory(info.memories.len() as u32 - 1)
                        }
                        TypeRef::Global(g) => {
                            info.globals
                                .push(global_type(&g, &info.type_ids, &info.gc_types)?);
                            info.num_imported_globals += 1;
                            EntityIndex::Global(info.globals.len() as u32 - 1)
                        }
                        TypeRef::Tag(t) => {
                            info.tags.push(t.func_type_idx);
                            info.num_imported_tags += 1;
                            EntityIndex::Tag(info.tags.len() as u32 - 1)
                        }
                    };
                    info.imports.push(Import {
                        module: imp.module.to_string(),
                        name: imp.name.to_string(),
                        index,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    info.funcs.push(t.map_err(|e| ctx.err(e))?);
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    let t = t.map_err(|e| ctx.err(e))?;
                    info.tables
                        .push(table_type(&t.ty, &info.type_ids, &info.gc_types)?);
                    info.table_inits.push(match t.init {
                        wasmparser::TableInit::RefNull => None,
                        wasmparser::TableInit::Expr(e) => Some(ConstExpr::decode(&e)?),
                    });
                }
            }
            Payload::MemorySection(reader) => {
                let r = reader.range();
                check_memory_lebs(bytes, r.start as usize..r.end as usize)?;
                for m in reader {
                    info.memories.push(memory_type(&m.map_err(|e| ctx.err(e))?));
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    let g = g.map_err(|e| ctx.err(e))?;
                    info.globals
                        .push(global_type(&g.ty, &info.type_ids, &info.gc_types)?);
                    info.global_inits.push(ConstExpr::decode(&g.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e.map_err(|e| ctx.err(e))?;
                    let idx = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => EntityIndex::Func(e.index),
                        ExternalKind::Table => EntityIndex::Table(e.index),
                        ExternalKind::Memory => EntityIndex::Memory(e.index),
                        ExternalKind::Global => EntityIndex::Global(e.index),
                        ExternalKind::Tag => EntityIndex::Tag(e.index),
                    };
                    info.exports.push((e.name.to_string(), idx));
                }
            }
            Payload::TagSection(reader) => {
                for t in reader {
                    info.tags.push(t.map_err(|e| ctx.err(e))?.func_type_idx);
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(func),
            Payload::ElementSection(reader) => {
                for e in reader {
                    let e = e.map_err(|e| ctx.err(e))?;
                    let mode = match e.kind {
                        ElementKind::Passive => SegmentMode::Passive,
                        ElementKind::Declared => SegmentMode::Declared,
                        ElementKind::Active {
                            table_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: table_index.unwrap_or(0),
                            offset: ConstExpr::decode(&offset_expr)?,
                        },
                    };
                    let (ty, items) = match e.items {
                        ElementItems::Functions(r) => {
                            let mut items = Vec::new();
                            for f in r {
                                let f = f.map_err(|e| ctx.err(e))?;
                                items.push(ConstExpr::One(super::const_expr::ConstOp::RefFunc(f)));
                            }
                            (ValType::FuncRef, items)
                        }
                        ElementItems::Expressions(rt, r) => {
                            let mut items = Vec::new();
                            for x in r {
                                items.push(ConstExpr::decode(&x.map_err(|e| ctx.err(e))?)?);
                            }
                            (
                                val_type(wasmparser::ValType::Ref(rt), &info.gc_types)?,
                                items,
                            )
                        }
                    };
                    info.elems.push(ElemSegment { mode, ty, items });
                }
            }
            Payload::DataSection(reader) => {
                if let Some(datas) = fast_data.take() {
                    info.datas = datas;
                    continue;
                }
                for d in reader {
                    let d = d.map_err(|e| ctx.err(e))?;
                    let mode = match d.kind {
                        wasmparser::DataKind::Passive => SegmentMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => SegmentMode::Active {
                            index: memory_index,
                            offset: ConstExpr::decode(&offset_expr)?,
                        },
                    };
                    info.datas.push(DataSegment {
                        mode,
                        bytes: range_of(d.data),
                    });
                }
            }
            Payload::CodeSectionEntry(body) => {
                let func_index = info.num_imported_funcs + code_index;
                code_index += 1;
                ctx.func = Some(func_index);
                let reader = body.get_binary_reader();
                let start = reader.original_position() as usize;
                let end = start + reader.bytes_remaining();
                info.bodies.push(start..end);
                if let ValidPayload::Func(f, body) = valid {
                    pending.push((func_index, f, body));
                }
                if validate && code_count == Some(code_index) {
                    started = Some(start_validation(&mut pending, &mut helpers));
                }
            }
            Payload::CodeSectionStart { count, .. } => code_count = Some(count),
            Payload::CustomSection(reader) => {
                info.customs
                    .push((reader.name().to_string(), range_of(reader.data())));
                if let KnownCustom::Name(names) = reader.as_known() {
                    // The name section is advisory: a broken one is ignored.
                    // Function names are decoded on first use (`names.rs`).
                    for n in names.into_iter().flatten() {
                        if let Name::Module { name, .. } = n {
                            info.name = Some(name.to_string());
                        }
                    }
                    info.func_names
                        .add_section(reader.data(), reader.data_offset());
                }
            }
            Payload::End(_) if validate => {
                let tail = Instant::now();
                let (q, since) = match started {
                    Some(s) => s,
                    None => start_validation(&mut pending, &mut helpers),
                };
                q.work();
                for h in helpers.drain(..) {
                    if h.join().is_err() {
                        return Err(Error::msg("validator thread panicked"));
                    }
                }
                cost.funcs_validated = q.len() as u64;
                cost.validate = since.elapsed();
                cost.tail = tail.elapsed();
                q.result()?;
            }
            _ => {}
        }
    }
    Ok((info, cost))
}

/// Decodes a data section whose active segments all start at an
/// `i32.const` offset (Go's tens of thousands do) straight from its bytes,
/// one pass with no per-segment reader; `None` for anything else, left to
/// the general path. Only ever given bytes the validator has accepted
/// (this parse, or the one a cache hit stands for).
fn decode_data_fast(bytes: &[u8], range: Range<usize>) -> Option<Vec<DataSegment>> {
    use super::const_expr::ConstOp;
    let mut r = wasmparser::BinaryReader::new(&bytes[range.clone()], range.start as u64);
    let count = r.read_var_u32().ok()? as usize;
    let mut out = Vec::with_capacity(count.min(range.len()));
    for _ in 0..count {
        let flags = r.read_var_u32().ok()?;
        let mode = match flags {
            1 => SegmentMode::Passive,
            0 | 2 => {
                let index = if flags == 2 {
                    r.read_var_u32().ok()?
                } else {
                    0
                };
                if r.read_u8().ok()? != 0x41 {
                    return None;
                }
                let offset = r.read_var_i32().ok()? as u32 as u64;
                if r.read_u8().ok()? != 0x0b {
                    return None;
                }
                SegmentMode::Active {
                    index,
                    offset: ConstExpr::One(ConstOp::Value(offset)),
                }
            }
            _ => return None,
        };
        let len = r.read_var_u32().ok()? as usize;
        let start = r.original_position() as usize;
        r.read_bytes(len).ok()?;
        out.push(DataSegment {
            mode,
            bytes: start..start + len,
        });
    }
    r.eof().then_some(out)
}

/// What the validator checks of a data section that [`decode_data_fast`]
/// decoded (every active offset is an `i32.const`, every memory 32-bit):
/// at most [`MAX_DATA_SEGMENTS`] segments, each active one naming a memory
/// that exists. On `false` the validator runs and reports the error.
fn data_valid(datas: &[DataSegment], memories: &[MemoryType]) -> bool {
    datas.len() <= MAX_DATA_SEGMENTS
        && datas.iter().all(|d| match d.mode {
            SegmentMode::Active { index, .. } => {
                memories.get(index as usize).is_some_and(|m| !m.memory64)
            }
            _ => true,
        })
}

/// wasmparser's limit on data segments in a module.
const MAX_DATA_SEGMENTS: usize = 100_000;

fn section_name(p: &Payload<'_>) -> &'static str {
    match p {
        Payload::Version { .. } => "module header",
        Payload::TypeSection(_) => "type",
        Payload::ImportSection(_) => "import",
        Payload::FunctionSection(_) => "function",
        Payload::TableSection(_) => "table",
        Payload::MemorySection(_) => "memory",
        Payload::TagSection(_) => "tag",
        Payload::GlobalSection(_) => "global",
        Payload::ExportSection(_) => "export",
        Payload::StartSection { .. } => "start",
        Payload::ElementSection(_) => "element",
        Payload::DataCountSection { .. } => "data count",
        Payload::DataSection(_) => "data",
        Payload::CodeSectionStart { .. } | Payload::CodeSectionEntry(_) => "code",
        Payload::CustomSection(_) => "custom",
        Payload::End(_) => "end of module",
        _ => "unknown",
    }
}

/// wasmparser reads memory limits as 64-bit LEBs; a 32-bit memory's limits
/// must not take more than 5 bytes ("integer representation too long").
fn check_memory_lebs(bytes: &[u8], range: Range<usize>) -> Result<()> {
    let data = &bytes[range.clone()];
    let mut p = 0usize;
    let too_long = |at: usize| {
        Error::new(
            ErrorKind::Malformed,
            format!(
                "malformed module: integer representation too long (in the memory section, at byte offset 0x{:x})",
                range.start + at
            ),
        )
    };
    let leb = |p: &mut usize| -> Result<()> {
        let start = *p;
        loop {
            let Some(&b) = data.get(*p) else {
                return Ok(()); // truncation is reported by the decoder
            };
            *p += 1;
            if *p - start > 5 {
                return Err(too_long(start));
            }
            if b & 0x80 == 0 {
                return Ok(());
            }
        }
    };
    leb(&mut p)?; // count (already validated as a u32 by the reader)
    let count = data.len(); // bounded by the loop below
    for _ in 0..count {
        let Some(&flags) = data.get(p) else { break };
        p += 1;
        if flags & 0x04 != 0 {
            break; // memory64: 64-bit limits are read by wasmparser
        }
        leb(&mut p)?;
        if flags & 0x01 != 0 {
            leb(&mut p)?;
        }
        if flags & 0x08 != 0 {
            leb(&mut p)?; // custom page size (its log2)
        }
        if p >= data.len() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast data-section decoder gives what wasmparser's reader gives,
    /// and declines what it does not handle.
    fn section(wasm: &[u8]) -> wasmparser::DataSectionReader<'_> {
        Parser::new(0)
            .parse_all(wasm)
            .find_map(|p| match p.unwrap() {
                Payload::DataSection(r) => Some(r),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn fast_data_decoding_matches_the_reader() {
        let wat = r#"(module (memory 1) (global i32 (i32.const 0))
            (data (i32.const 8) "abc") (data "passive") (data (memory 0) (i32.const -1) "")
            (data (i32.const 0x10000) "xyz"))"#;
        let wasm = wat::parse_str(wat).unwrap();
        let with_global = wat::parse_str(
            r#"(module (memory 1) (global i32 (i32.const 0)) (data (global.get 0) "g"))"#,
        )
        .unwrap();
        let r = section(&wasm);
        let range = r.range();
        let fast = decode_data_fast(&wasm, range.start as usize..range.end as usize).unwrap();
        let base = wasm.as_ptr() as usize;
        let slow: Vec<(Option<u64>, Range<usize>)> = r
            .into_iter()
            .map(|d| {
                let d = d.unwrap();
                let start = d.data.as_ptr() as usize - base;
                let offset = match d.kind {
                    wasmparser::DataKind::Passive => None,
                    wasmparser::DataKind::Active { offset_expr, .. } => {
                        Some(ConstExpr::decode(&offset_expr).unwrap().eval(|_| 0, |_| 0))
                    }
                };
                (offset, start..start + d.data.len())
            })
            .collect();
        let got: Vec<(Option<u64>, Range<usize>)> = fast
            .iter()
            .map(|d| match &d.mode {
                SegmentMode::Active { offset, .. } => {
                    (Some(offset.eval(|_| 0, |_| 0)), d.bytes.clone())
                }
                _ => (None, d.bytes.clone()),
            })
            .collect();
        assert_eq!(got, slow);
        assert_eq!(&wasm[got[0].1.clone()], b"abc");
        assert_eq!(got[2].0, Some(u32::MAX as u64));
        let r = section(&with_global);
        let range = r.range();
        assert!(decode_data_fast(&with_global, range.start as usize..range.end as usize).is_none());
    }
}
