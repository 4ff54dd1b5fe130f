//! The report of `wasp inspect`: everything it says about a module, built
//! once from the loaded [`Module`] (imports and exports with their indices,
//! memories, tables, globals and their initial values, functions, start,
//! data and element segments, custom sections, Go build info from the
//! active data) and from the operator scan (`scan.rs`: features used, the
//! producers section). The text and JSON writers (`text.rs`, `json.rs`)
//! only format what this holds.

use super::goinfo::{self, GoBuildInfo};
use super::scan;
use super::InspectArgs;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use wasp::{
    Engine, EntityIndex, Extern, ExternType, GlobalInit, Linker, Module, SegmentKind, Store, Val,
};
use wasp_wasi::profile::{self, Profile};
use wasp_wasi::{WasiCtx, MODULE as WASI};

/// How `wasp run`'s host treats one import.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Provided with this signature.
    Provided,
    /// Not provided at all.
    Missing,
    /// Provided with another signature (the one given).
    TypeMismatch(String),
}

/// One distinct import.
pub struct ImportItem {
    /// The field name.
    pub name: String,
    /// The imported type.
    pub ty: ExternType,
    /// How many times the module imports it.
    pub count: usize,
    /// Whether `wasp run` provides it.
    pub status: Status,
    /// Whether the policy denies it (`None` without a policy).
    pub denied: Option<bool>,
}

/// The imports of one module name.
pub struct ImportGroup {
    /// The module name.
    pub module: String,
    /// Imports from it, duplicates included.
    pub count: usize,
    /// The distinct imports, in first-use order.
    pub items: Vec<ImportItem>,
}

/// A memory, table or global with where it comes from and goes.
pub struct Entity<T> {
    /// Its type.
    pub ty: T,
    /// `(module, name)` when imported.
    pub imported: Option<(String, String)>,
    /// The names it is exported as.
    pub exports: Vec<String>,
}

/// The policy given on the command line.
pub struct Policy {
    /// The `--profile` given.
    pub profile: Option<String>,
    /// The `--allow-wasi` lists, as given.
    pub allow: Vec<String>,
    /// The `--deny-wasi` lists, as given.
    pub deny: Vec<String>,
    /// Every WASI function the policy denies.
    pub denied: BTreeSet<&'static str>,
}

/// Data segment totals.
#[derive(Debug, Default, Clone)]
pub struct DataStats {
    /// Active segments.
    pub active: usize,
    /// Passive segments.
    pub passive: usize,
    /// Bytes in all segments.
    pub bytes: u64,
}

/// Element segment totals.
#[derive(Debug, Default, Clone)]
pub struct ElemStats {
    /// Segments (active, passive and declared).
    pub segments: usize,
    /// Items in all segments.
    pub items: u64,
}

/// Everything `wasp inspect` reports.
pub struct Report {
    /// The path as given.
    pub file: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// Whether the file is WebAssembly text.
    pub text: bool,
    /// Size of the binary module (compiled from the text for `.wat`).
    pub binary_size: usize,
    /// The module name from the name section.
    pub name: Option<String>,
    /// Imports grouped by module name, in first-use order.
    pub imports: Vec<ImportGroup>,
    /// Each export: name, type and index in its kind's index space.
    pub exports: Vec<(String, ExternType, u32)>,
    /// Imported functions.
    pub imported_funcs: usize,
    /// Functions, imported and defined.
    pub total_funcs: usize,
    /// Bytes of the defined function bodies.
    pub code_size: usize,
    /// Memories (imported first).
    pub memories: Vec<Entity<wasp::MemoryType>>,
    /// Tables (imported first).
    pub tables: Vec<Entity<wasp::TableType>>,
    /// Globals (imported first), with the initialiser of defined ones.
    pub globals: Vec<(Entity<wasp::GlobalType>, Option<String>)>,
    /// The start function and its name from the name section.
    pub start: Option<(u32, Option<String>)>,
    /// Custom sections: name and payload size.
    pub customs: Vec<(String, usize)>,
    /// Data segments.
    pub data: DataStats,
    /// Element segments.
    pub elems: ElemStats,
    /// Go's build info, if the active data holds it.
    pub go: Option<GoBuildInfo>,
    /// What the operator scan found (features, producers).
    pub scan: scan::Scan,
    /// The policy given on the command line, if any.
    pub policy: Option<Policy>,
}

impl Report {
    /// Distinct `wasi_snapshot_preview1` function imports.
    pub fn wasi_imports(&self) -> impl Iterator<Item = &ImportItem> + Clone {
        self.imports
            .iter()
            .filter(|g| g.module == WASI)
            .flat_map(|g| &g.items)
            .filter(|i| matches!(i.ty, ExternType::Func(_)))
    }

    /// Whether `wasp run` provides every import with its type.
    pub fn runnable(&self) -> bool {
        self.imports
            .iter()
            .flat_map(|g| &g.items)
            .all(|i| i.status == Status::Provided)
    }

    /// The narrowest named profile allowing every WASI import.
    pub fn narrowest_profile(&self) -> &'static Profile {
        Profile::narrowest_for(self.wasi_imports().map(|i| i.name.as_str()))
    }

    /// The WASI imports the policy denies, sorted, each once.
    pub fn denied_imports(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .wasi_imports()
            .filter(|i| i.denied == Some(true))
            .map(|i| i.name.as_str())
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// The signatures `wasp run` provides: `wasi_snapshot_preview1` only.
fn host_types(engine: &Engine) -> BTreeMap<&'static str, wasp::FuncType> {
    let mut linker: Linker<WasiCtx> = Linker::new(engine);
    let mut store = Store::new(engine, WasiCtx::new());
    let mut out = BTreeMap::new();
    if wasp_wasi::add_to_linker(&mut linker, |c| c).is_err() {
        return out;
    }
    for name in wasp_wasi::WASI_FUNCTIONS {
        if let Some(Extern::Func(f)) = linker.get(&mut store, WASI, name) {
            out.insert(*name, f.ty(&store));
        }
    }
    out
}

/// Reads, validates and scans the module at `path` and builds its report
/// (with the policy of `args`); the error says what is wrong.
pub fn build(args: &InspectArgs, path: &std::path::Path) -> Result<Report, String> {
    let policy =
        if args.profile.is_some() || !args.allow_wasi.is_empty() || !args.deny_wasi.is_empty() {
            let denied =
                profile::resolve(args.profile.as_deref(), &args.allow_wasi, &args.deny_wasi)
                    .map_err(|e| e.to_string())?;
            Some(Policy {
                profile: args.profile.clone(),
                allow: args.allow_wasi.clone(),
                deny: args.deny_wasi.clone(),
                denied,
            })
        } else {
            None
        };
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {file}: {e}"))?;
    let text = !bytes.starts_with(b"\0asm");
    let binary = if text {
        wat::parse_bytes(&bytes)
            .map_err(|e| format!("{file}: {e}"))?
            .into_owned()
    } else {
        bytes.clone()
    };
    let engine = Engine::default();
    let module =
        Module::from_binary(&engine, binary.clone()).map_err(|e| format!("{file}: {e}"))?;
    let scan = scan::scan(&binary).map_err(|e| format!("{file}: {e}"))?;
    let host = host_types(&engine);
    let imports = import_groups(&module, &host, policy.as_ref());

    let mut links = Links::new(&module);
    let memories = links.entities(module.memories(), EntityIndex::Memory);
    let tables = links.entities(module.tables(), EntityIndex::Table);
    let globals = links
        .entities(module.globals(), EntityIndex::Global)
        .into_iter()
        .enumerate()
        .map(|(i, g)| (g, module.global_init(i as u32).map(init_text)))
        .collect();

    let (data, go) = data_and_go(&module, &scan);
    let elems = ElemStats {
        segments: module.element_segments().len(),
        items: module.element_segments().map(|(_, _, n)| n as u64).sum(),
    };
    Ok(Report {
        file,
        size: bytes.len() as u64,
        text,
        binary_size: binary.len(),
        name: module.name().map(str::to_string),
        imports,
        exports: module
            .exports_indexed()
            .map(|(e, idx)| (e.name().to_string(), e.ty().clone(), idx.index()))
            .collect(),
        imported_funcs: module
            .imports_indexed()
            .filter(|(_, idx)| matches!(idx, EntityIndex::Func(_)))
            .count(),
        total_funcs: module.func_count(),
        code_size: module.code_size(),
        memories,
        tables,
        globals,
        start: module
            .start()
            .map(|s| (s, module.func_name(s).map(str::to_string))),
        data,
        elems,
        go,
        customs: module
            .custom_sections()
            .map(|(n, d)| (n.to_string(), d.len()))
            .collect(),
        scan,
        policy,
    })
}

/// Where each imported entity comes from and the names each is exported as.
struct Links {
    origins: HashMap<EntityIndex, (String, String)>,
    exported: HashMap<EntityIndex, Vec<String>>,
}

impl Links {
    fn new(module: &Module) -> Links {
        let origins = module
            .imports_indexed()
            .map(|(imp, idx)| (idx, (imp.module().to_string(), imp.name().to_string())))
            .collect();
        let mut exported: HashMap<EntityIndex, Vec<String>> = HashMap::new();
        for (e, idx) in module.exports_indexed() {
            exported.entry(idx).or_default().push(e.name().to_string());
        }
        Links { origins, exported }
    }

    /// The entities of one kind, `types` in index order (imported first).
    fn entities<T: Copy>(&mut self, types: &[T], kind: fn(u32) -> EntityIndex) -> Vec<Entity<T>> {
        (0u32..)
            .zip(types)
            .map(|(i, ty)| Entity {
                ty: *ty,
                imported: self.origins.remove(&kind(i)),
                exports: self.exported.remove(&kind(i)).unwrap_or_default(),
            })
            .collect()
    }
}

/// The imports, grouped by module name in first-use order; duplicates counted.
fn import_groups(
    module: &Module,
    host: &BTreeMap<&'static str, wasp::FuncType>,
    policy: Option<&Policy>,
) -> Vec<ImportGroup> {
    let mut imports: Vec<ImportGroup> = Vec::new();
    for imp in module.imports() {
        let gi = match imports.iter().position(|g| g.module == imp.module()) {
            Some(i) => i,
            None => {
                imports.push(ImportGroup {
                    module: imp.module().to_string(),
                    count: 0,
                    items: Vec::new(),
                });
                imports.len() - 1
            }
        };
        let group = &mut imports[gi];
        group.count += 1;
        if let Some(item) = group
            .items
            .iter_mut()
            .find(|i| i.name == imp.name() && &i.ty == imp.ty())
        {
            item.count += 1;
            continue;
        }
        let status = match (imp.module() == WASI, imp.ty(), host.get(imp.name())) {
            (true, ExternType::Func(want), Some(have)) if want == have => Status::Provided,
            (true, ExternType::Func(_), Some(have)) => Status::TypeMismatch(have.to_string()),
            _ => Status::Missing,
        };
        let denied = policy.map(|p| {
            imp.module() == WASI
                && matches!(imp.ty(), ExternType::Func(_))
                && p.denied.contains(imp.name())
        });
        group.items.push(ImportItem {
            name: imp.name().to_string(),
            ty: imp.ty().clone(),
            count: 1,
            status,
            denied,
        });
    }
    imports
}

/// A global's initial value as the text format writes it (`i32.const 5`,
/// `ref.null`, `global.get 0`).
fn init_text(init: GlobalInit) -> String {
    match init {
        GlobalInit::Value(Val::I32(v)) => format!("i32.const {v}"),
        GlobalInit::Value(Val::I64(v)) => format!("i64.const {v}"),
        GlobalInit::Value(Val::F32(bits)) => format!("f32.const {}", f32::from_bits(bits)),
        GlobalInit::Value(Val::F64(bits)) => format!("f64.const {}", f64::from_bits(bits)),
        GlobalInit::Value(
            Val::FuncRef(_) | Val::ExternRef(_) | Val::ExnRef(_) | Val::AnyRef(_),
        ) => "ref.null".to_string(),
        GlobalInit::Value(Val::V128(x)) => {
            format!("v128.const i64x2 0x{:x} 0x{:x}", x as u64, (x >> 64) as u64)
        }
        GlobalInit::RefFunc(f) => format!("ref.func {f}"),
        GlobalInit::GlobalGet(g) => format!("global.get {g}"),
        GlobalInit::Expression => "(expression)".to_string(),
    }
}

/// The data segment totals, and Go's build info from the active segments
/// at constant addresses of memory 0 (where Go's linker puts it).
fn data_and_go(module: &Module, scan: &scan::Scan) -> (DataStats, Option<GoBuildInfo>) {
    let mut data = DataStats::default();
    let mut memory0 = Vec::new();
    for (kind, bytes) in module.data_segments() {
        data.bytes += bytes.len() as u64;
        match kind {
            SegmentKind::Passive => data.passive += 1,
            SegmentKind::Active { index, offset } => {
                data.active += 1;
                if let (0, Some(at)) = (index, offset) {
                    memory0.push((at, bytes));
                }
            }
            SegmentKind::Declared => {}
        }
    }
    let go_version = scan
        .producers
        .iter()
        .filter(|(field, _)| field == "language")
        .flat_map(|(_, values)| values)
        .find(|(name, _)| name == "Go")
        .map(|(_, version)| version.as_str());
    let go = goinfo::read(&goinfo::Memory::new(memory0), go_version);
    (data, go)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(wat: &str) -> Report {
        let dir = std::env::temp_dir().join(format!("wasp-inspect-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}.wat", wat.len()));
        std::fs::write(&path, wat).unwrap();
        let args = InspectArgs {
            json: false,
            profile: None,
            allow_wasi: Vec::new(),
            deny_wasi: Vec::new(),
            list_profiles: false,
            module: None,
        };
        let r = build(&args, &path).unwrap();
        let _ = std::fs::remove_file(&path);
        r
    }

    #[test]
    fn entities_know_their_imports_and_exports_by_index() {
        let r = report(
            r#"(module
              (import "a" "t0" (table 1 funcref)) (import "b" "t1" (table 2 externref))
              (import "a" "f" (func)) (import "c" "g" (global i32))
              (table 3 funcref)
              (global (mut i64) (i64.const -1)) (global funcref (ref.func 1))
              (func (export "f1"))
              (export "t1" (table 1)) (export "t2" (table 2)) (export "again" (table 1))
              (export "f0" (func 0)) (export "g0" (global 0)))"#,
        );
        let tables: Vec<_> = r
            .tables
            .iter()
            .map(|t| (t.ty.limits.min, t.imported.clone(), t.exports.clone()))
            .collect();
        let origin = |m: &str, n: &str| Some((m.to_string(), n.to_string()));
        assert_eq!(
            tables,
            [
                (1, origin("a", "t0"), vec![]),
                (
                    2,
                    origin("b", "t1"),
                    vec!["t1".to_string(), "again".to_string()]
                ),
                (3, None, vec!["t2".to_string()]),
            ]
        );
        let exports: Vec<(&str, &str, u32)> = r
            .exports
            .iter()
            .map(|(n, ty, i)| (n.as_str(), ty.kind_name(), *i))
            .collect();
        assert_eq!(
            exports,
            [
                ("f1", "func", 1),
                ("t1", "table", 1),
                ("t2", "table", 2),
                ("again", "table", 1),
                ("f0", "func", 0),
                ("g0", "global", 0),
            ]
        );
        let globals: Vec<_> = r
            .globals
            .iter()
            .map(|(g, init)| (g.imported.clone(), g.exports.clone(), init.clone()))
            .collect();
        assert_eq!(
            globals,
            [
                (origin("c", "g"), vec!["g0".to_string()], None),
                (None, vec![], Some("i64.const -1".to_string())),
                (None, vec![], Some("ref.func 1".to_string())),
            ]
        );
        assert_eq!((r.imported_funcs, r.total_funcs), (1, 2));
    }

    #[test]
    fn data_elements_and_no_go_info() {
        let r = report(
            r#"(module (memory 1) (table 4 funcref)
              (global i32 (i32.const 65536)) (global f32 (f32.const -0.5))
              (func $f) (elem (i32.const 0) $f $f) (elem func $f)
              (data (i32.const 8) "abc") (data (i32.const 100) "de") (data "xyz!"))"#,
        );
        let inits: Vec<_> = r.globals.iter().map(|(_, i)| i.clone().unwrap()).collect();
        assert_eq!(inits, ["i32.const 65536", "f32.const -0.5"]);
        assert_eq!((r.data.active, r.data.passive, r.data.bytes), (2, 1, 9));
        assert_eq!((r.elems.segments, r.elems.items), (2, 3));
        assert!(r.go.is_none());
    }
}
