//! The report of `wasp inspect`: everything it says about a module, built
//! once from the loaded [`Module`] (imports, exports, memories, tables,
//! globals, functions, start, custom sections) and from the operator scan
//! (`scan.rs`: features, data and element segments, global initialisers, Go
//! build info). The text and JSON writers (`text.rs`, `json.rs`) only format
//! what this holds.

use super::scan;
use super::InspectArgs;
use std::collections::{BTreeMap, BTreeSet};
use wasmparser::ExternalKind;
use wasp::{Engine, Extern, ExternType, Linker, Module, Store};
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
    /// What the operator scan found.
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

    // Imports, grouped by module name in first-use order; duplicates counted.
    let mut imports: Vec<ImportGroup> = Vec::new();
    let (mut mem_imports, mut table_imports, mut global_imports) = (vec![], vec![], vec![]);
    let mut imported_funcs = 0;
    for imp in module.imports() {
        let origin = (imp.module().to_string(), imp.name().to_string());
        match imp.ty() {
            ExternType::Func(_) => imported_funcs += 1,
            ExternType::Memory(_) => mem_imports.push(origin),
            ExternType::Table(_) => table_imports.push(origin),
            ExternType::Global(_) => global_imports.push(origin),
        }
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
        let denied = policy.as_ref().map(|p| {
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

    let exports: Vec<(String, ExternType, u32)> = module
        .exports()
        .zip(&scan.exports)
        .map(|(e, (_, idx))| (e.name().to_string(), e.ty().clone(), *idx))
        .collect();
    let exported = |kind: ExternalKind, index: usize| -> Vec<String> {
        module
            .exports()
            .zip(&scan.exports)
            .filter(|(_, (k, i))| *k == kind && *i as usize == index)
            .map(|(e, _)| e.name().to_string())
            .collect()
    };
    let memories = module
        .memories()
        .iter()
        .enumerate()
        .map(|(i, m)| Entity {
            ty: *m,
            imported: mem_imports.get(i).cloned(),
            exports: exported(ExternalKind::Memory, i),
        })
        .collect();
    let tables = module
        .tables()
        .iter()
        .enumerate()
        .map(|(i, t)| Entity {
            ty: *t,
            imported: table_imports.get(i).cloned(),
            exports: exported(ExternalKind::Table, i),
        })
        .collect();
    let n_imported_globals = global_imports.len();
    let globals = module
        .globals()
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let init = i
                .checked_sub(n_imported_globals)
                .and_then(|d| scan.global_inits.get(d).cloned());
            let e = Entity {
                ty: *g,
                imported: global_imports.get(i).cloned(),
                exports: exported(ExternalKind::Global, i),
            };
            (e, init)
        })
        .collect();
    Ok(Report {
        file,
        size: bytes.len() as u64,
        text,
        binary_size: binary.len(),
        name: module.name().map(str::to_string),
        imports,
        exports,
        imported_funcs,
        total_funcs: module.func_count(),
        code_size: module.code_size(),
        memories,
        tables,
        globals,
        start: module
            .start()
            .map(|s| (s, module.func_name(s).map(str::to_string))),
        customs: module
            .custom_sections()
            .map(|(n, d)| (n.to_string(), d.len()))
            .collect(),
        scan,
        policy,
    })
}
