//! `wasp inspect`: what a module needs and contains, without running it.
//!
//! Reports the imports grouped by module (a `(module, name, type)` imported
//! several times is listed once with its count) and, for
//! `wasi_snapshot_preview1`, whether wasp provides each function with that
//! signature; the exports with their types; memories, tables and globals
//! with their limits, mutability and initial values; the start function;
//! function count and code size; data and element segments; custom
//! sections; the Wasm features the code uses (from a scan of every
//! operator); and, for Go binaries, the Go version, main package and
//! module and build settings embedded by Go's linker (see
//! `inspect/goinfo.rs`).
//!
//! With `--profile NAME`, `--allow-wasi LIST` or `--deny-wasi LIST` (the
//! same flags and rules as `wasp run`, see `wasp_wasi::profile`) it also
//! shows which of the module's imports that policy would deny.
//! `--list-profiles` prints the named profiles.
//!
//! Exit status: 0, or 1 when the module cannot be read or is invalid, or a
//! flag is wrong.
//!
//! # JSON output (`--json`), schema 1
//!
//! One object; keys always present in this order (`null` when absent).
//! New keys may be added; removing or changing one bumps `schema`.
//!
//! ```text
//! schema            1
//! file              the path as given
//! size              file size in bytes
//! format            "binary" | "text"
//! binary_size       size of the binary module (of the compiled text for .wat)
//! name              module name from the name section, or null
//! runnable          true when `wasp run` provides every import with its type
//! imports           [{module, count (imports incl. duplicates), items: [ITEM]}], in first-use order
//!   ITEM            {name, kind, TYPE..., count, status, expected, denied}
//!                   status: "provided" | "missing" | "type-mismatch" (by `wasp run`'s host)
//!                   expected: the signature wasp provides when status is "type-mismatch", else null
//!                   denied: true/false under a policy (see `policy`), else null
//! wasi              null, or {imported (distinct names), provided, narrowest_profile}
//! exports           [{name, kind, index, TYPE...}]
//! functions         {imported, defined, total, code_size (bytes of defined bodies)}
//! memories          [{index, min, max (pages; max null if unbounded), imported, exports}]
//! tables            [{index, element, min, max, imported, exports}]
//! globals           [{index, type, mutable, init (e.g. "i32.const 5"; null if imported), imported, exports}]
//!                   imported: null or {module, name}; exports: [export names]
//! start             null or {index, name (from the name section) or null}
//! data              {active, passive, bytes}
//! elements          {segments, items}
//! custom_sections   [{name, size}]
//! producers         {field (e.g. "language", "processed-by"): [{name, version}]} from the producers section
//! features          names in this order when used: "sign-extension", "saturating-float-to-int",
//!                   "bulk-memory", "reference-types", "multi-value", "mutable-global"
//! feature_uses      {feature: {construct (e.g. "memory.copy"): uses}}
//! go                null, or {version, path (main package), main, deps, settings}
//!                   main: {path, version, sum, replace} or null; deps: [same];
//!                   settings: {key: value} (e.g. "GOOS": "wasip1", "-trimpath": "true")
//! policy            null without policy flags, else {profile (name or null), allow, deny (as given),
//!                   denied (every denied function), denied_imports (the module's, distinct)}
//! TYPE              func: params, results ([value types]); memory: min, max;
//!                   table: element, min, max; global: type, mutable
//! ```

mod goinfo;
mod json;
mod scan;

use json::Json;
use scan::Feature;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use wasmparser::ExternalKind;
use wasp::{Engine, Extern, ExternType, Linker, Module, Mutability, Store};
use wasp_wasi::profile::{self, Profile, PROFILES};
use wasp_wasi::{WasiCtx, MODULE as WASI};

const EXAMPLES: &str = "\
Examples:
  wasp inspect hello.wasm                          summary for people
  wasp inspect --json hello.wasm | jq .imports     stable JSON for scripts
  wasp inspect --profile minimal prog.wasm         which imports would `minimal` deny?
  wasp inspect --deny-wasi 'path_*,sock_*' prog.wasm
  wasp inspect --list-profiles                     the named profiles and what they allow";

/// Arguments of `wasp inspect`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct InspectArgs {
    /// Print JSON (stable, documented schema) instead of the summary.
    #[arg(long)]
    pub json: bool,

    /// Show which imports this WASI profile would deny (minimal, stdio, fs-read, fs, net, full).
    #[arg(long, alias = "wasi-profile", value_name = "NAME")]
    pub profile: Option<String>,

    /// Allow only these WASI functions (plus the profile's); comma-separated, `prefix*` patterns.
    #[arg(long = "allow-wasi", value_name = "NAME[,NAME...]")]
    pub allow_wasi: Vec<String>,

    /// Deny these WASI functions; comma-separated, `prefix*` patterns (e.g. path_*).
    #[arg(long = "deny-wasi", value_name = "NAME[,NAME...]")]
    pub deny_wasi: Vec<String>,

    /// List the named WASI profiles and exit.
    #[arg(long)]
    pub list_profiles: bool,

    /// The module: a .wasm binary or a .wat text file.
    #[arg(value_name = "MODULE", required_unless_present = "list_profiles")]
    pub module: Option<PathBuf>,
}

/// How `wasp run`'s host treats one import.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Provided,
    Missing,
    /// Provided with another signature (the one given).
    TypeMismatch(String),
}

/// One distinct import.
struct ImportItem {
    name: String,
    ty: ExternType,
    count: usize,
    status: Status,
    denied: Option<bool>,
}

/// The imports of one module name.
struct ImportGroup {
    module: String,
    count: usize,
    items: Vec<ImportItem>,
}

/// A memory, table or global with where it comes from and goes.
struct Entity<T> {
    ty: T,
    imported: Option<(String, String)>,
    exports: Vec<String>,
}

/// The policy given on the command line.
struct Policy {
    profile: Option<String>,
    allow: Vec<String>,
    deny: Vec<String>,
    denied: BTreeSet<&'static str>,
}

/// Everything `wasp inspect` reports.
struct Report {
    file: String,
    size: u64,
    text: bool,
    binary_size: usize,
    name: Option<String>,
    imports: Vec<ImportGroup>,
    exports: Vec<(String, ExternType, u32)>,
    imported_funcs: usize,
    total_funcs: usize,
    code_size: usize,
    memories: Vec<Entity<wasp::MemoryType>>,
    tables: Vec<Entity<wasp::TableType>>,
    globals: Vec<(Entity<wasp::GlobalType>, Option<String>)>,
    start: Option<(u32, Option<String>)>,
    customs: Vec<(String, usize)>,
    scan: scan::Scan,
    policy: Option<Policy>,
}

impl Report {
    /// Distinct `wasi_snapshot_preview1` function imports.
    fn wasi_imports(&self) -> impl Iterator<Item = &ImportItem> + Clone {
        self.imports
            .iter()
            .filter(|g| g.module == WASI)
            .flat_map(|g| &g.items)
            .filter(|i| matches!(i.ty, ExternType::Func(_)))
    }

    fn runnable(&self) -> bool {
        self.imports
            .iter()
            .flat_map(|g| &g.items)
            .all(|i| i.status == Status::Provided)
    }

    fn narrowest_profile(&self) -> &'static Profile {
        Profile::narrowest_for(self.wasi_imports().map(|i| i.name.as_str()))
    }

    fn denied_imports(&self) -> Vec<&str> {
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

fn build(args: &InspectArgs, path: &std::path::Path) -> Result<Report, String> {
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

// ---------------------------------------------------------------------------------------------
// JSON

fn type_fields(j: Json, ty: &ExternType) -> Json {
    let types = |v: &[wasp::ValType]| Json::Arr(v.iter().map(|t| t.to_string().into()).collect());
    match ty {
        ExternType::Func(f) => j
            .with("params", types(f.params()))
            .with("results", types(f.results())),
        ExternType::Memory(m) => j.with("min", m.limits.min).with("max", m.limits.max),
        ExternType::Table(t) => j
            .with("element", t.element.to_string())
            .with("min", t.limits.min)
            .with("max", t.limits.max),
        ExternType::Global(g) => j
            .with("type", g.content.to_string())
            .with("mutable", g.mutability == Mutability::Var),
    }
}

fn origin_json(o: &Option<(String, String)>) -> Json {
    match o {
        Some((m, n)) => Json::obj()
            .with("module", m.as_str())
            .with("name", n.as_str()),
        None => Json::Null,
    }
}

fn names_json(v: impl IntoIterator<Item = impl Into<Json>>) -> Json {
    Json::Arr(v.into_iter().map(Into::into).collect())
}

fn go_module_json(m: &goinfo::GoModule) -> Json {
    Json::obj()
        .with("path", m.path.as_str())
        .with("version", m.version.as_str())
        .with("sum", m.sum.clone())
        .with(
            "replace",
            m.replace.as_ref().map_or(Json::Null, |r| go_module_json(r)),
        )
}

fn to_json(r: &Report) -> Json {
    let imports = r
        .imports
        .iter()
        .map(|g| {
            let items = g
                .items
                .iter()
                .map(|i| {
                    let j = Json::obj()
                        .with("name", i.name.as_str())
                        .with("kind", i.ty.kind_name());
                    let (status, expected) = match &i.status {
                        Status::Provided => ("provided", None),
                        Status::Missing => ("missing", None),
                        Status::TypeMismatch(t) => ("type-mismatch", Some(t.clone())),
                    };
                    type_fields(j, &i.ty)
                        .with("count", i.count)
                        .with("status", status)
                        .with("expected", expected)
                        .with("denied", i.denied)
                })
                .collect::<Vec<_>>();
            Json::obj()
                .with("module", g.module.as_str())
                .with("count", g.count)
                .with("items", items)
        })
        .collect::<Vec<_>>();
    let wasi = if r.wasi_imports().next().is_some() {
        Json::obj()
            .with("imported", r.wasi_imports().count())
            .with(
                "provided",
                r.wasi_imports()
                    .filter(|i| i.status == Status::Provided)
                    .count(),
            )
            .with("narrowest_profile", r.narrowest_profile().name)
    } else {
        Json::Null
    };
    let exports = r
        .exports
        .iter()
        .map(|(name, ty, idx)| {
            type_fields(
                Json::obj()
                    .with("name", name.as_str())
                    .with("kind", ty.kind_name())
                    .with("index", *idx),
                ty,
            )
        })
        .collect::<Vec<_>>();
    let memories = r
        .memories
        .iter()
        .enumerate()
        .map(|(i, m)| {
            Json::obj()
                .with("index", i)
                .with("min", m.ty.limits.min)
                .with("max", m.ty.limits.max)
                .with("imported", origin_json(&m.imported))
                .with("exports", names_json(m.exports.clone()))
        })
        .collect::<Vec<_>>();
    let tables = r
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Json::obj()
                .with("index", i)
                .with("element", t.ty.element.to_string())
                .with("min", t.ty.limits.min)
                .with("max", t.ty.limits.max)
                .with("imported", origin_json(&t.imported))
                .with("exports", names_json(t.exports.clone()))
        })
        .collect::<Vec<_>>();
    let globals = r
        .globals
        .iter()
        .enumerate()
        .map(|(i, (g, init))| {
            Json::obj()
                .with("index", i)
                .with("type", g.ty.content.to_string())
                .with("mutable", g.ty.mutability == Mutability::Var)
                .with("init", init.clone())
                .with("imported", origin_json(&g.imported))
                .with("exports", names_json(g.exports.clone()))
        })
        .collect::<Vec<_>>();
    let features = Feature::ALL
        .iter()
        .filter(|f| r.scan.features.contains_key(f))
        .map(|f| Json::from(f.name()))
        .collect::<Vec<_>>();
    let uses = Json::Obj(
        r.scan
            .features
            .iter()
            .map(|(f, m)| {
                let inner = m.iter().map(|(k, n)| (k.to_string(), Json::from(*n)));
                (f.name().to_string(), Json::Obj(inner.collect()))
            })
            .collect(),
    );
    let go = r.scan.go.as_ref().map_or(Json::Null, |g| {
        Json::obj()
            .with("version", g.go_version.as_str())
            .with("path", g.path.clone())
            .with("main", g.main.as_ref().map_or(Json::Null, go_module_json))
            .with(
                "deps",
                g.deps.iter().map(go_module_json).collect::<Vec<_>>(),
            )
            .with(
                "settings",
                Json::Obj(
                    g.settings
                        .iter()
                        .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                        .collect(),
                ),
            )
    });
    let policy = r.policy.as_ref().map_or(Json::Null, |p| {
        Json::obj()
            .with("profile", p.profile.clone())
            .with("allow", names_json(p.allow.clone()))
            .with("deny", names_json(p.deny.clone()))
            .with("denied", names_json(p.denied.iter().copied()))
            .with("denied_imports", names_json(r.denied_imports()))
    });
    Json::obj()
        .with("schema", 1u32)
        .with("file", r.file.as_str())
        .with("size", r.size)
        .with("format", if r.text { "text" } else { "binary" })
        .with("binary_size", r.binary_size)
        .with("name", r.name.clone())
        .with("runnable", r.runnable())
        .with("imports", imports)
        .with("wasi", wasi)
        .with("exports", exports)
        .with(
            "functions",
            Json::obj()
                .with("imported", r.imported_funcs)
                .with("defined", r.total_funcs - r.imported_funcs)
                .with("total", r.total_funcs)
                .with("code_size", r.code_size),
        )
        .with("memories", memories)
        .with("tables", tables)
        .with("globals", globals)
        .with(
            "start",
            r.start.as_ref().map_or(Json::Null, |(i, n)| {
                Json::obj().with("index", *i).with("name", n.clone())
            }),
        )
        .with(
            "data",
            Json::obj()
                .with("active", r.scan.data.active)
                .with("passive", r.scan.data.passive)
                .with("bytes", r.scan.data.bytes),
        )
        .with(
            "elements",
            Json::obj()
                .with("segments", r.scan.elems.segments)
                .with("items", r.scan.elems.items),
        )
        .with(
            "custom_sections",
            r.customs
                .iter()
                .map(|(n, s)| Json::obj().with("name", n.as_str()).with("size", *s))
                .collect::<Vec<_>>(),
        )
        .with(
            "producers",
            Json::Obj(
                r.scan
                    .producers
                    .iter()
                    .map(|(field, values)| {
                        let v = values
                            .iter()
                            .map(|(n, ver)| {
                                Json::obj()
                                    .with("name", n.as_str())
                                    .with("version", ver.as_str())
                            })
                            .collect::<Vec<_>>();
                        (field.clone(), Json::Arr(v))
                    })
                    .collect(),
            ),
        )
        .with("features", features)
        .with("feature_uses", uses)
        .with("go", go)
        .with("policy", policy)
}

// ---------------------------------------------------------------------------------------------
// Human output

/// `1234567` → `1,234,567`.
fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `2530112` → `2.4 MiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n as u64), if n == 1 { one } else { many })
}

fn limits(l: &wasp::Limits, unit: &str) -> String {
    let min = format!(
        "{} {unit}{}",
        grouped(l.min.into()),
        if l.min == 1 { "" } else { "s" }
    );
    match l.max {
        Some(max) if max == l.min => format!("{min} (fixed)"),
        Some(max) => format!("{min}, max {}", grouped(max.into())),
        None => format!("{min}, no maximum"),
    }
}

fn where_from(imported: &Option<(String, String)>, exports: &[String]) -> String {
    let mut s = String::new();
    if let Some((m, n)) = imported {
        s += &format!(", imported from {m}::{n}");
    }
    if !exports.is_empty() {
        let names: Vec<String> = exports.iter().map(|e| format!("\"{e}\"")).collect();
        s += &format!(", exported as {}", names.join(", "));
    }
    s
}

fn type_text(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => f.to_string(),
        ExternType::Memory(m) => format!("memory {}", limits(&m.limits, "page")),
        ExternType::Table(t) => format!("table {} {}", t.element, limits(&t.limits, "element")),
        ExternType::Global(g) => format!(
            "global {}{}",
            if g.mutability == Mutability::Var {
                "mut "
            } else {
                ""
            },
            g.content
        ),
    }
}

/// Joins `items` with spaces into lines of at most `width` characters (an
/// item longer than that gets a line of its own).
fn wrap(items: &[String], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(l) if l.len() + 1 + item.len() <= width => {
                l.push(' ');
                l.push_str(item);
            }
            _ => lines.push(item.clone()),
        }
    }
    lines
}

/// Functions whose failure stops a Go program (measured on Go 1.27 by denying each import of
/// a `fmt`/`os` program in turn): the runtime throws on args/environ/clock errors
/// (`fatal error: args_get failed`), `syscall`'s init panics on any fd_prestat_get/
/// fd_prestat_dir_name errno but EBADF, the scheduler dies when poll_oneoff fails, and a denied
/// proc_exit traps.
const GO_FATAL: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "clock_time_get",
    "environ_get",
    "environ_sizes_get",
    "fd_prestat_dir_name",
    "fd_prestat_get",
    "poll_oneoff",
    "proc_exit",
];

/// How many globals the summary lists (the JSON has all).
const MAX_GLOBALS_SHOWN: usize = 16;

/// Appends `label` and `text` as one row of the summary.
fn row(out: &mut String, label: &str, text: impl AsRef<str>) {
    out.push_str(&format!("{label:<11}{}\n", text.as_ref()));
}

fn go_module_text(m: &goinfo::GoModule) -> String {
    let mut s = format!("{} {}", m.path, m.version);
    if let Some(r) = &m.replace {
        s += &format!(" => {} {}", r.path, r.version);
    }
    s
}

fn to_text(r: &Report) -> String {
    let mut out = String::new();
    let mut head = format!(
        "{}: WebAssembly {}, {}",
        r.file,
        if r.text { "text" } else { "binary" },
        size(r.size)
    );
    if r.text {
        head += &format!(" ({} compiled)", size(r.binary_size as u64));
    }
    if let Some(n) = &r.name {
        head += &format!(", module name \"{n}\"");
    }
    out.push_str(&head);
    out.push('\n');

    if let Some(g) = &r.scan.go {
        let mut s = g.go_version.clone();
        if let Some(p) = &g.path {
            s += &format!(", main package {p}");
        }
        if let Some(m) = &g.main {
            s += &format!(", module {}", go_module_text(m));
        }
        row(&mut out, "go", s);
        if !g.settings.is_empty() {
            let kv: Vec<String> = g
                .settings
                .iter()
                .map(|(k, v)| {
                    if v.contains(' ') {
                        format!("{k}=\"{v}\"")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            for line in wrap(&kv, 88) {
                row(&mut out, "", line);
            }
        }
        for d in &g.deps {
            row(&mut out, "", format!("dep {}", go_module_text(d)));
        }
    }

    let defined = r.total_funcs - r.imported_funcs;
    row(
        &mut out,
        "functions",
        format!(
            "{}: {} imported, {} defined; code {}",
            grouped(r.total_funcs as u64),
            grouped(r.imported_funcs as u64),
            grouped(defined as u64),
            size(r.code_size as u64)
        ),
    );
    if r.memories.is_empty() {
        row(&mut out, "memory", "none");
    }
    for (i, m) in r.memories.iter().enumerate() {
        row(
            &mut out,
            if i == 0 { "memory" } else { "" },
            format!(
                "#{i} {} ({}){}",
                limits(&m.ty.limits, "page"),
                size(u64::from(m.ty.limits.min) * 65536),
                where_from(&m.imported, &m.exports)
            ),
        );
    }
    for (i, t) in r.tables.iter().enumerate() {
        row(
            &mut out,
            if i == 0 { "tables" } else { "" },
            format!(
                "#{i} {} {}{}",
                t.ty.element,
                limits(&t.ty.limits, "element"),
                where_from(&t.imported, &t.exports)
            ),
        );
    }
    if !r.globals.is_empty() {
        let mutable = r
            .globals
            .iter()
            .filter(|(g, _)| g.ty.mutability == Mutability::Var)
            .count();
        row(
            &mut out,
            "globals",
            format!("{} ({mutable} mutable)", r.globals.len()),
        );
        for (i, (g, init)) in r.globals.iter().enumerate().take(MAX_GLOBALS_SHOWN) {
            let m = if g.ty.mutability == Mutability::Var {
                "mut "
            } else {
                ""
            };
            let init = init.as_ref().map(|v| format!(" = {v}")).unwrap_or_default();
            row(
                &mut out,
                "",
                format!(
                    "  #{i} {m}{}{init}{}",
                    g.ty.content,
                    where_from(&g.imported, &g.exports)
                ),
            );
        }
        if r.globals.len() > MAX_GLOBALS_SHOWN {
            row(
                &mut out,
                "",
                format!(
                    "  ... {} more (--json lists all)",
                    r.globals.len() - MAX_GLOBALS_SHOWN
                ),
            );
        }
    }
    row(
        &mut out,
        "start",
        match &r.start {
            None => "none".to_string(),
            Some((i, Some(n))) => format!("function {i} ({n})"),
            Some((i, None)) => format!("function {i}"),
        },
    );
    let d = &r.scan.data;
    let mut data = format!(
        "{}, {}",
        plural(d.active + d.passive, "segment", "segments"),
        size(d.bytes)
    );
    if d.passive > 0 {
        data += &format!(" ({} passive)", d.passive);
    }
    row(&mut out, "data", data);
    if r.scan.elems.segments > 0 {
        row(
            &mut out,
            "elements",
            format!(
                "{}, {}",
                plural(r.scan.elems.segments, "segment", "segments"),
                plural(r.scan.elems.items as usize, "item", "items")
            ),
        );
    }
    let features: Vec<String> = Feature::ALL
        .iter()
        .filter_map(|f| {
            let uses = r.scan.features.get(f)?;
            let what: Vec<String> = uses
                .iter()
                .map(|(k, n)| format!("{k} ×{}", grouped(*n)))
                .collect();
            Some(format!("{} ({})", f.name(), what.join(", ")))
        })
        .collect();
    if features.is_empty() {
        row(&mut out, "features", "none beyond WebAssembly 1.0");
    }
    for (i, f) in features.iter().enumerate() {
        row(&mut out, if i == 0 { "features" } else { "" }, f);
    }
    if !r.customs.is_empty() {
        let c: Vec<String> = r
            .customs
            .iter()
            .enumerate()
            .map(|(i, (n, s))| {
                let comma = if i + 1 < r.customs.len() { "," } else { "" };
                format!("{n} ({}){comma}", size(*s as u64))
            })
            .collect();
        for (i, line) in wrap(&c, 88).into_iter().enumerate() {
            row(&mut out, if i == 0 { "custom" } else { "" }, line);
        }
    }
    if !r.scan.producers.is_empty() {
        let p: Vec<String> = r
            .scan
            .producers
            .iter()
            .map(|(field, values)| {
                let v: Vec<String> = values
                    .iter()
                    .map(|(n, ver)| format!("{n} {ver}").trim_end().to_string())
                    .collect();
                format!("{field}: {}", v.join(", "))
            })
            .collect();
        row(&mut out, "producers", p.join("; "));
    }

    // Imports.
    out.push('\n');
    let total: usize = r.imports.iter().map(|g| g.count).sum();
    let distinct: usize = r.imports.iter().map(|g| g.items.len()).sum();
    let mut s = format!(
        "{} from {}",
        plural(total, "import", "imports"),
        plural(r.imports.len(), "module", "modules")
    );
    if distinct != total {
        s += &format!(" ({distinct} distinct)");
    }
    if total > 0 {
        s += if r.runnable() {
            "; wasp provides all of them"
        } else {
            "; wasp run cannot provide all of them"
        };
    }
    row(&mut out, "imports", s);
    if r.wasi_imports().next().is_some() {
        let p = r.narrowest_profile();
        row(
            &mut out,
            "",
            format!(
                "narrowest WASI profile allowing them: {} (see --list-profiles)",
                p.name
            ),
        );
    }
    if let Some(p) = &r.policy {
        let mut what = Vec::new();
        if let Some(n) = &p.profile {
            what.push(format!("profile {n}"));
        }
        for a in &p.allow {
            what.push(format!("--allow-wasi {a}"));
        }
        for d in &p.deny {
            what.push(format!("--deny-wasi {d}"));
        }
        let denied = r.denied_imports();
        let verdict = if denied.is_empty() {
            "none of this module's imports".to_string()
        } else {
            format!(
                "{} of this module's imports: {}",
                denied.len(),
                denied.join(", ")
            )
        };
        row(
            &mut out,
            "policy",
            format!(
                "{}: {} of {} WASI functions denied; {verdict}",
                what.join(" "),
                p.denied.len(),
                wasp_wasi::WASI_FUNCTIONS.len()
            ),
        );
        if denied.contains(&"proc_exit") {
            row(
                &mut out,
                "",
                "warning: a denied proc_exit traps instead of exiting",
            );
        }
        if r.scan.go.is_some() {
            let fatal: Vec<&str> = denied
                .iter()
                .copied()
                .filter(|n| GO_FATAL.contains(n))
                .collect();
            if !fatal.is_empty() {
                row(
                    &mut out,
                    "",
                    format!(
                        "warning: Go's runtime stops the program when {} fail(s) (e.g. fd_prestat_get: \
                         panic in syscall's init)",
                        fatal.join(", ")
                    ),
                );
            }
        }
    }
    for g in &r.imports {
        let mut s = format!("  {} ({}", g.module, plural(g.count, "import", "imports"));
        if g.items.len() != g.count {
            s += &format!(", {} distinct", g.items.len());
        }
        s.push(')');
        out.push_str(&s);
        out.push('\n');
        let width = g
            .items
            .iter()
            .map(|i| i.name.len() + if i.count > 1 { 4 } else { 0 })
            .max()
            .unwrap_or(0);
        for i in &g.items {
            let mut name = i.name.clone();
            if i.count > 1 {
                name += &format!(" ×{}", i.count);
            }
            let mut line = format!("    {name:<width$}  {}", type_text(&i.ty));
            match &i.status {
                Status::Provided => {}
                Status::Missing => line += "  [not provided by wasp]",
                Status::TypeMismatch(t) => line += &format!("  [wasp provides {t}]"),
            }
            if i.denied == Some(true) {
                line += "  [DENIED: returns ENOSYS]";
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }

    // Exports.
    out.push('\n');
    row(
        &mut out,
        "exports",
        plural(r.exports.len(), "export", "exports"),
    );
    let width = r.exports.iter().map(|e| e.0.len()).max().unwrap_or(0);
    for (name, ty, _) in &r.exports {
        out.push_str(&format!(
            "    {name:<width$}  {} {}\n",
            ty.kind_name(),
            match ty {
                ExternType::Func(f) => f.to_string(),
                other => type_text(other)
                    .split_once(' ')
                    .map(|x| x.1.to_string())
                    .unwrap_or_default(),
            }
        ));
    }
    out
}

fn list_profiles(json: bool) -> String {
    if json {
        let list = PROFILES
            .iter()
            .map(|p| {
                Json::obj()
                    .with("name", p.name)
                    .with("summary", p.summary)
                    .with("allowed", names_json(p.allowed()))
                    .with("denied", names_json(p.denied()))
            })
            .collect::<Vec<_>>();
        return Json::obj().with("profiles", list).pretty();
    }
    let mut out = String::new();
    for p in PROFILES {
        out += &format!(
            "{}: {}\n  allows {} of {}:",
            p.name,
            p.summary,
            p.allowed().len(),
            wasp_wasi::WASI_FUNCTIONS.len()
        );
        let mut col = 100;
        for n in p.allowed() {
            if col + n.len() > 96 {
                out += "\n   ";
                col = 3;
            }
            out += " ";
            out += n;
            col += n.len() + 1;
        }
        out.push('\n');
    }
    out
}

/// Runs `wasp inspect`; returns the exit code.
pub fn main(args: InspectArgs) -> i32 {
    if args.list_profiles {
        print!("{}", list_profiles(args.json));
        return 0;
    }
    let Some(path) = args.module.as_deref() else {
        eprintln!("wasp inspect: a MODULE is required");
        return 1;
    };
    match build(&args, path) {
        Ok(report) => {
            if args.json {
                print!("{}", to_json(&report).pretty());
            } else {
                print!("{}", to_text(&report));
            }
            0
        }
        Err(e) => {
            eprintln!("wasp inspect: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        let items: Vec<String> = ["aaaa", "bb", "cccccc", "d"].map(String::from).into();
        assert_eq!(wrap(&items, 7), ["aaaa bb", "cccccc", "d"]);
        assert_eq!(wrap(&items, 3), ["aaaa", "bb", "cccccc", "d"]);
        assert!(wrap(&[], 10).is_empty());
    }

    #[test]
    fn number_formats() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(size(512), "512 B");
        assert_eq!(size(2048), "2.0 KiB");
        assert_eq!(size(2_530_112), "2.4 MiB");
    }
}
