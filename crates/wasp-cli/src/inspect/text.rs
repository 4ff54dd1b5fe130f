//! `wasp inspect` without `--json`: the summary for people. A header line
//! (file, format, size, module name), then one labelled row per fact
//! (Go build info, functions, memories, tables, globals, start, data,
//! elements, features, custom sections, producers), the imports grouped by
//! module with what `wasp run` provides and what a policy denies, and the
//! exports. The layout is not a stable interface: scripts use `--json`.

use super::features::{construct_name, Feature};
use super::goinfo;
use super::model::{Report, Status};
use std::io::{self, Write};
use wasp::{ExternType, Mutability};
use wasp_wasi::profile::PROFILES;

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
    limits64(l.min.into(), l.max.map(u64::from), unit)
}

fn limits64(min_n: u64, max: Option<u64>, unit: &str) -> String {
    let min = format!(
        "{} {unit}{}",
        grouped(min_n),
        if min_n == 1 { "" } else { "s" }
    );
    match max {
        Some(max) if max == min_n => format!("{min} (fixed)"),
        Some(max) => format!("{min}, max {}", grouped(max)),
        None => format!("{min}, no maximum"),
    }
}

/// A memory type's limits, with what sets it apart from a 32-bit memory of
/// 64 KiB pages.
fn memory_limits(m: &wasp::MemoryType) -> String {
    let unit = if m.page_size_log2 == 16 {
        "page"
    } else {
        "byte page"
    };
    let mut s = limits64(m.limits.min, m.limits.max, unit);
    if m.memory64 {
        s.push_str(", i64");
    }
    s
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
        ExternType::Tag(f) => format!("tag {f}"),
        ExternType::Memory(m) => format!("memory {}", memory_limits(m)),
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

/// Writes `label` and `text` as one row of the summary.
fn row(out: &mut dyn Write, label: &str, text: impl AsRef<str>) -> io::Result<()> {
    writeln!(out, "{label:<11}{}", text.as_ref())
}

/// Writes `lines` as rows, `label` on the first.
fn rows(
    out: &mut dyn Write,
    label: &str,
    lines: impl IntoIterator<Item = String>,
) -> io::Result<()> {
    for (i, line) in lines.into_iter().enumerate() {
        row(out, if i == 0 { label } else { "" }, line)?;
    }
    Ok(())
}

fn go_module_text(m: &goinfo::GoModule) -> String {
    let mut s = format!("{} {}", m.path, m.version);
    if let Some(r) = &m.replace {
        s += &format!(" => {} {}", r.path, r.version);
    }
    s
}

/// Writes the summary of `r` to `out`.
pub fn write_report(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    write_head(r, out)?;
    write_contents(r, out)?;
    writeln!(out)?;
    write_imports(r, out)?;
    writeln!(out)?;
    write_exports(r, out)
}

/// The first line (file, format, sizes, module name) and the Go build info.
fn write_head(r: &Report, out: &mut dyn Write) -> io::Result<()> {
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
    writeln!(out, "{head}")?;

    let Some(g) = &r.go else {
        return Ok(());
    };
    let mut s = g.go_version.clone();
    if let Some(p) = &g.path {
        s += &format!(", main package {p}");
    }
    if let Some(m) = &g.main {
        s += &format!(", module {}", go_module_text(m));
    }
    row(out, "go", s)?;
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
            row(out, "", line)?;
        }
    }
    for d in &g.deps {
        row(out, "", format!("dep {}", go_module_text(d)))?;
    }
    Ok(())
}

/// Constructs shown per feature in the text report.
const MAX_CONSTRUCTS: usize = 8;

/// Functions, memories, tables, globals, start, data, elements, features,
/// custom sections and producers.
fn write_contents(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let defined = r.total_funcs - r.imported_funcs;
    row(
        out,
        "functions",
        format!(
            "{}: {} imported, {} defined; code {}",
            grouped(r.total_funcs as u64),
            grouped(r.imported_funcs as u64),
            grouped(defined as u64),
            size(r.code_size as u64)
        ),
    )?;
    if r.memories.is_empty() {
        row(out, "memory", "none")?;
    }
    let memories = r.memories.iter().enumerate().map(|(i, m)| {
        format!(
            "#{i} {} ({}){}",
            memory_limits(&m.ty),
            size(m.ty.limits.min.saturating_mul(m.ty.page_size())),
            where_from(&m.imported, &m.exports)
        )
    });
    rows(out, "memory", memories)?;
    let tables = r.tables.iter().enumerate().map(|(i, t)| {
        format!(
            "#{i} {} {}{}",
            t.ty.element,
            limits(&t.ty.limits, "element"),
            where_from(&t.imported, &t.exports)
        )
    });
    rows(out, "tables", tables)?;
    write_globals(r, out)?;
    row(
        out,
        "start",
        match &r.start {
            None => "none".to_string(),
            Some((i, Some(n))) => format!("function {i} ({n})"),
            Some((i, None)) => format!("function {i}"),
        },
    )?;
    let d = &r.data;
    let mut data = format!(
        "{}, {}",
        plural(d.active + d.passive, "segment", "segments"),
        size(d.bytes)
    );
    if d.passive > 0 {
        data += &format!(" ({} passive)", d.passive);
    }
    row(out, "data", data)?;
    if r.elems.segments > 0 {
        row(
            out,
            "elements",
            format!(
                "{}, {}",
                plural(r.elems.segments, "segment", "segments"),
                plural(r.elems.items as usize, "item", "items")
            ),
        )?;
    }
    let features: Vec<String> = Feature::ALL
        .iter()
        .filter_map(|f| {
            let uses = r.scan.features.get(f)?;
            // SIMD code uses hundreds of operators: the row shows the
            // most used (`--json` has them all).
            let mut by_use: Vec<_> = uses.iter().collect();
            by_use.sort_by_key(|(k, n)| (std::cmp::Reverse(**n), **k));
            let mut what: Vec<String> = by_use
                .iter()
                .take(MAX_CONSTRUCTS)
                .map(|(k, n)| format!("{} ×{}", construct_name(k), grouped(**n)))
                .collect();
            if by_use.len() > MAX_CONSTRUCTS {
                what.push(format!("{} more", by_use.len() - MAX_CONSTRUCTS));
            }
            Some(format!("{} ({})", f.name(), what.join(", ")))
        })
        .collect();
    if features.is_empty() {
        row(out, "features", "none beyond WebAssembly 1.0")?;
    }
    rows(out, "features", features)?;
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
        rows(out, "custom", wrap(&c, 88))?;
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
        row(out, "producers", p.join("; "))?;
    }
    Ok(())
}

/// The globals' count and the first [`MAX_GLOBALS_SHOWN`] of them.
fn write_globals(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.globals.is_empty() {
        return Ok(());
    }
    let mutable = r
        .globals
        .iter()
        .filter(|(g, _)| g.ty.mutability == Mutability::Var)
        .count();
    row(
        out,
        "globals",
        format!("{} ({mutable} mutable)", r.globals.len()),
    )?;
    for (i, (g, init)) in r.globals.iter().enumerate().take(MAX_GLOBALS_SHOWN) {
        let m = if g.ty.mutability == Mutability::Var {
            "mut "
        } else {
            ""
        };
        let init = init.as_ref().map(|v| format!(" = {v}")).unwrap_or_default();
        row(
            out,
            "",
            format!(
                "  #{i} {m}{}{init}{}",
                g.ty.content,
                where_from(&g.imported, &g.exports)
            ),
        )?;
    }
    if r.globals.len() > MAX_GLOBALS_SHOWN {
        row(
            out,
            "",
            format!(
                "  ... {} more (--json lists all)",
                r.globals.len() - MAX_GLOBALS_SHOWN
            ),
        )?;
    }
    Ok(())
}

/// The imports: totals, the narrowest profile, the policy, then each group.
fn write_imports(r: &Report, out: &mut dyn Write) -> io::Result<()> {
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
    row(out, "imports", s)?;
    if r.wasi_imports().next().is_some() {
        let p = r.narrowest_profile();
        row(
            out,
            "",
            format!(
                "narrowest WASI profile allowing them: {} (see --list-profiles)",
                p.name
            ),
        )?;
    }
    write_policy(r, out)?;
    for g in &r.imports {
        let mut s = format!("  {} ({}", g.module, plural(g.count, "import", "imports"));
        if g.items.len() != g.count {
            s += &format!(", {} distinct", g.items.len());
        }
        writeln!(out, "{s})")?;
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
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    Ok(())
}

/// The policy row and its warnings, when a policy was given.
fn write_policy(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let Some(p) = &r.policy else {
        return Ok(());
    };
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
        out,
        "policy",
        format!(
            "{}: {} of {} WASI functions denied; {verdict}",
            what.join(" "),
            p.denied.len(),
            wasp_wasi::WASI_FUNCTIONS.len()
        ),
    )?;
    if denied.contains(&"proc_exit") {
        row(
            out,
            "",
            "warning: a denied proc_exit traps instead of exiting",
        )?;
    }
    if r.go.is_some() {
        let fatal: Vec<&str> = denied
            .iter()
            .copied()
            .filter(|n| GO_FATAL.contains(n))
            .collect();
        if !fatal.is_empty() {
            row(
                out,
                "",
                format!(
                    "warning: Go's runtime stops the program when {} fail(s) (e.g. fd_prestat_get: \
                     panic in syscall's init)",
                    fatal.join(", ")
                ),
            )?;
        }
    }
    Ok(())
}

/// The exports with their types.
fn write_exports(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    row(out, "exports", plural(r.exports.len(), "export", "exports"))?;
    let width = r.exports.iter().map(|e| e.0.len()).max().unwrap_or(0);
    for (name, ty, _) in &r.exports {
        writeln!(
            out,
            "    {name:<width$}  {} {}",
            ty.kind_name(),
            match ty {
                ExternType::Func(f) => f.to_string(),
                other => type_text(other)
                    .split_once(' ')
                    .map(|x| x.1.to_string())
                    .unwrap_or_default(),
            }
        )?;
    }
    Ok(())
}

/// Writes the named WASI profiles and the functions each allows to `out`
/// (`--list-profiles`).
pub fn write_profiles(out: &mut dyn Write) -> io::Result<()> {
    for p in PROFILES {
        let mut s = format!(
            "{}: {}\n  allows {} of {}:",
            p.name,
            p.summary,
            p.allowed().len(),
            wasp_wasi::WASI_FUNCTIONS.len()
        );
        let mut col = 100;
        for n in p.allowed() {
            if col + n.len() > 96 {
                s += "\n   ";
                col = 3;
            }
            s += " ";
            s += n;
            col += n.len() + 1;
        }
        writeln!(out, "{s}")?;
    }
    Ok(())
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
