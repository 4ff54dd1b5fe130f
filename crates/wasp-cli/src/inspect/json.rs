//! `wasp inspect --json`: the report as one JSON object, schema 1.
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
//!                   "bulk-memory", "reference-types", "multi-value", "mutable-global", "simd",
//!                   "relaxed-simd", "exceptions", "tail-call", "function-references", "gc",
//!                   "memory64", "multi-memory", "extended-const", "wide-arithmetic",
//!                   "custom-page-sizes"
//! feature_uses      {feature: {construct (e.g. "memory.copy"): uses}}
//! go                null, or {version, path (main package), main, deps, settings}
//!                   main: {path, version, sum, replace} or null; deps: [same];
//!                   settings: {key: value} (e.g. "GOOS": "wasip1", "-trimpath": "true")
//! policy            null without policy flags, else {profile (name or null), allow, deny (as given),
//!                   denied (every denied function), denied_imports (the module's, distinct)}
//! TYPE              func: params, results ([value types]); memory: min, max;
//!                   table: element, min, max; global: type, mutable
//! ```

mod value;

use value::Json;

use super::features::{construct_name, Feature};
use super::goinfo;
use super::model::{Entity, Report, Status};
use std::io::{self, Write};
use wasp::{ExternType, Mutability};
use wasp_wasi::profile::PROFILES;

/// Writes the JSON report of `r` to `out`.
pub fn write_report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(report(r).pretty().as_bytes())
}

/// Writes the named WASI profiles as JSON to `out` (`--list-profiles --json`).
pub fn write_profiles(out: &mut dyn Write) -> io::Result<()> {
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
    out.write_all(Json::obj().with("profiles", list).pretty().as_bytes())
}

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
        ExternType::Tag(f) => j.with("params", types(f.params())),
    }
}

/// A memory, table or global: index, the fields of its type, `extra`, where
/// it is imported from and the names it is exported as.
fn entity<T>(index: usize, e: &Entity<T>, ty: &ExternType, extra: Option<(&str, Json)>) -> Json {
    let mut j = type_fields(Json::obj().with("index", index), ty);
    if let Some((key, value)) = extra {
        j = j.with(key, value);
    }
    j.with("imported", origin_json(&e.imported))
        .with("exports", names_json(e.exports.clone()))
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

/// The report as a JSON value (schema above).
fn report(r: &Report) -> Json {
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
        .map(|(i, m)| entity(i, m, &ExternType::Memory(m.ty), None))
        .collect::<Vec<_>>();
    let tables = r
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| entity(i, t, &ExternType::Table(t.ty), None))
        .collect::<Vec<_>>();
    let globals = r
        .globals
        .iter()
        .enumerate()
        .map(|(i, (g, init))| {
            let init = ("init", Json::from(init.clone()));
            entity(i, g, &ExternType::Global(g.ty), Some(init))
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
                let inner = m.iter().map(|(k, n)| (construct_name(k), Json::from(*n)));
                (f.name().to_string(), Json::Obj(inner.collect()))
            })
            .collect(),
    );
    let go = r.go.as_ref().map_or(Json::Null, |g| {
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
                .with("active", r.data.active)
                .with("passive", r.data.passive)
                .with("bytes", r.data.bytes),
        )
        .with(
            "elements",
            Json::obj()
                .with("segments", r.elems.segments)
                .with("items", r.elems.items),
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
