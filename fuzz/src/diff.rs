//! Differential execution: a wasm-smith module (WebAssembly 2.0 with SIMD,
//! tail calls and extended constant expressions; no imports, everything exported, terminating through wasm-smith's fuel
//! global) runs on wasp, wasmtime and wasmi in this process. Each exported
//! function is called with arguments drawn from the input; after every call
//! the results (bit patterns), the trap kind and the exported memories,
//! globals and tables must agree.
//!
//! wasmtime is the reference: wasp must match it exactly. wasmi runs only
//! the modules within WebAssembly 2.0 without SIMD (it refuses the others). wasmi 2.0.0 has
//! known bugs (see `docs/fuzzing.md`), so a wasmi mismatch where wasp agrees
//! with wasmtime is only counted and noted, and wasmi is then dropped for the
//! rest of that module (its state may have diverged).
//!
//! NaN bits are compared exactly; see [`crate::nan`] for the narrow
//! exemption of operator classes reported to the lead.

use crate::engines::{self, FuncExport, Instance, Limits, Outcome, State, TrapKind, Ty, V};
use crate::nan;
use crate::report::{self, bump, COUNTERS};
use arbitrary::{Result, Unstructured};

/// Fuel given to the module before every call (wasm-smith decrements it at
/// each function entry and loop head; it also bounds the call depth).
pub const FUEL: i32 = 1_000;

/// The name under which the harness exports wasm-smith's fuel global.
pub const FUEL_EXPORT: &str = "__fuel";

/// libFuzzer entry: never fails on short input, panics on a finding.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = check(&mut u);
}

/// The wasm-smith configuration: [`engines::diff_features`], no imports,
/// small memories and tables with a declared maximum (so `grow` is
/// deterministic), everything exported.
pub fn smith_config(u: &mut Unstructured) -> Result<wasm_smith::Config> {
    let mut c = wasm_smith::Config {
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        compact_imports_enabled: false,
        multi_value_enabled: true,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        canonicalize_nans: false,
        export_everything: true,
        max_imports: 0,
        max_memories: 1,
        memory_max_size_required: true,
        max_memory32_bytes: 4 << 16,
        table_max_size_required: true,
        max_table_elements: 64,
        min_funcs: 1,
        ..wasm_smith::Config::default()
    };
    c.max_tables = u.int_in_range(0..=3)?;
    c.max_funcs = u.int_in_range(1..=12)?;
    c.max_instructions = u.int_in_range(4..=160)?;
    c.max_globals = u.int_in_range(0..=8)?;
    c.max_data_segments = u.int_in_range(0..=4)?;
    c.max_element_segments = u.int_in_range(0..=4)?;
    c.max_nesting_depth = u.int_in_range(1..=8)?;
    c.allow_floats = u.ratio(7, 8)?;
    // WebAssembly 3.0 features all three engines run, each in a third of
    // the modules. SIMD float results may carry any NaN (the spec leaves
    // their bits open, and engines lower lanes differently), so a module
    // with SIMD has its NaNs canonicalised; scalar NaN bits stay exact in
    // the others.
    c.simd_enabled = u.ratio(1, 3)?;
    c.canonicalize_nans = c.simd_enabled;
    c.tail_call_enabled = u.ratio(1, 3)?;
    c.extended_const_enabled = u.ratio(1, 3)?;
    // GC (structs, arrays, i31, casts; typed function references with it),
    // compared with wasmtime's: a quarter of the modules.
    c.gc_enabled = u.ratio(1, 4)?;
    c.disallow_traps = u.ratio(1, 2)?;
    Ok(c)
}

/// Adds an export of global `index` under `name` to a binary module (wasm-smith
/// does not export the fuel global it adds).
pub fn add_global_export(bytes: &[u8], index: u32, name: &str) -> Vec<u8> {
    fn leb(mut x: u64, out: &mut Vec<u8>) {
        loop {
            let b = (x & 0x7f) as u8;
            x >>= 7;
            if x == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    fn read_leb(b: &[u8], pos: &mut usize) -> u64 {
        let (mut x, mut shift) = (0u64, 0);
        loop {
            let byte = b[*pos];
            *pos += 1;
            x |= ((byte & 0x7f) as u64) << shift;
            if byte & 0x80 == 0 {
                return x;
            }
            shift += 7;
        }
    }
    let mut entry = Vec::new();
    leb(name.len() as u64, &mut entry);
    entry.extend_from_slice(name.as_bytes());
    entry.push(0x03);
    leb(index as u64, &mut entry);

    let mut out = bytes[..8].to_vec();
    let mut pos = 8;
    let mut done = false;
    while pos < bytes.len() {
        let start = pos;
        let id = bytes[pos];
        pos += 1;
        let size = read_leb(bytes, &mut pos) as usize;
        let body = &bytes[pos..pos + size];
        pos += size;
        if !done && id == 7 {
            let mut p = 0;
            let count = read_leb(body, &mut p);
            let mut content = Vec::new();
            leb(count + 1, &mut content);
            content.extend_from_slice(&body[p..]);
            content.extend_from_slice(&entry);
            out.push(7);
            leb(content.len() as u64, &mut out);
            out.extend_from_slice(&content);
            done = true;
            continue;
        }
        if !done && matches!(id, 8..=12) {
            push_export_section(&entry, &mut out, leb);
            done = true;
        }
        out.extend_from_slice(&bytes[start..pos]);
    }
    if !done {
        push_export_section(&entry, &mut out, leb);
    }
    out
}

fn push_export_section(entry: &[u8], out: &mut Vec<u8>, leb: fn(u64, &mut Vec<u8>)) {
    let mut content = vec![1];
    content.extend_from_slice(entry);
    out.push(7);
    leb(content.len() as u64, out);
    out.extend_from_slice(&content);
}

/// Generates a terminating module and its exported functions.
pub fn generate(u: &mut Unstructured) -> Result<Vec<u8>> {
    let config = smith_config(u)?;
    let mut m = wasm_smith::Module::new(config, u)?;
    let fuel = m
        .ensure_termination(FUEL as u32)
        .map_err(|_| arbitrary::Error::IncorrectFormat)?;
    let bytes = add_global_export(&m.to_bytes(), fuel, FUEL_EXPORT);
    let mut v = wasmparser::Validator::new_with_features(engines::diff_features());
    if let Err(e) = v.validate_all(&bytes) {
        report::fail(
            "diff",
            &bytes,
            &format!("harness bug: generated module invalid: {e}"),
        );
    }
    Ok(bytes)
}

/// Interesting argument values, one list per type (as bit patterns).
const I32S: &[u32] = &[
    0,
    1,
    2,
    5,
    0x7f,
    0x80,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    u32::MAX,
];
const I64S: &[u64] = &[
    0,
    1,
    5,
    0xffff_ffff,
    0x8000_0000_0000_0000,
    u64::MAX,
    1 << 32,
];
const F32S: &[u32] = &[
    0,
    0x8000_0000,
    0x3f80_0000,
    0xbf80_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0000,
    0x7fa0_0001,
    0x7fc0_0123,
    1,
    0x7f7f_ffff,
    0x4f00_0000,
    0xcf00_0000,
    0x3f00_0000,
];
const F64S: &[u64] = &[
    0,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0xfff0_0000_0000_0000,
    0x7ff8_0000_0000_0000,
    0xfff8_0000_0000_0000,
    0x7ff4_0000_0000_0001,
    0x7ff8_0000_0000_0abc,
    1,
    0x43e0_0000_0000_0000,
    0xc3e0_0000_0000_0000,
    0x41e0_0000_0000_0000,
];

/// An argument of type `ty`: half the time an interesting value, else random bits.
pub fn arg(u: &mut Unstructured, ty: Ty) -> Result<V> {
    let pick = u.ratio(1, 2)?;
    Ok(match ty {
        Ty::I32 => V::I32(if pick {
            *u.choose(I32S)?
        } else {
            u.arbitrary()?
        }),
        Ty::I64 => V::I64(if pick {
            *u.choose(I64S)?
        } else {
            u.arbitrary()?
        }),
        Ty::F32 => V::F32(if pick {
            *u.choose(F32S)?
        } else {
            u.arbitrary()?
        }),
        Ty::F64 => V::F64(if pick {
            *u.choose(F64S)?
        } else {
            u.arbitrary()?
        }),
        Ty::FuncRef => V::FuncRef(true),
        Ty::ExternRef => V::ExternRef(true),
        Ty::AnyRef => V::AnyRef(crate::engines::AnyV::Null),
        // Lanes of interesting i32 values (NaN, infinity, 0, -1 as f32),
        // else random bits.
        Ty::V128 => V::V128(if pick {
            let mut x = 0u128;
            for lane in 0..4 {
                x |= u128::from(*u.choose(I32S)?) << (32 * lane);
            }
            x
        } else {
            u.arbitrary()?
        }),
    })
}

/// The module an input generates, as text (for `diff --print`).
pub fn print(data: &[u8]) -> String {
    let mut u = Unstructured::new(data);
    match generate(&mut u) {
        Ok(b) => report::wat(&b),
        Err(e) => format!("(no module: {e})"),
    }
}

fn same_outcome(a: &Outcome, b: &Outcome) -> bool {
    a == b
}

/// Where two states differ, or `None`.
pub fn state_diff(a: &State, b: &State) -> Option<String> {
    for ((na, ma), (nb, mb)) in a.memories.iter().zip(&b.memories) {
        if na != nb || ma != mb {
            let first = ma.iter().zip(mb).position(|(x, y)| x != y);
            return Some(format!(
                "memory {na}: sizes {} / {}, first differing byte {first:?}",
                ma.len(),
                mb.len()
            ));
        }
    }
    for ((na, va), (nb, vb)) in a.globals.iter().zip(&b.globals) {
        if na != nb || va != vb {
            return Some(format!("global {na}: {va} / {vb}"));
        }
    }
    if a.tables != b.tables {
        return Some("tables differ (size or null entries)".into());
    }
    if a.memories.len() != b.memories.len() || a.globals.len() != b.globals.len() {
        return Some("different export lists".into());
    }
    None
}

fn fmt_args(args: &[V]) -> String {
    args.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs one module on all engines with calls drawn from `u`; panics (through
/// [`report::fail`]) when wasp and wasmtime disagree.
pub fn check(u: &mut Unstructured) -> Result<()> {
    bump(&COUNTERS.inputs, 1);
    let bytes = generate(u)?;
    let limits = Limits::default();
    let exports = engines::func_exports(&bytes);
    let calls: Vec<(usize, Vec<V>)> = if exports.is_empty() {
        Vec::new()
    } else {
        let n = u.int_in_range(1..=12)?;
        let mut v = Vec::new();
        for _ in 0..n {
            let i = u.choose_index(exports.len())?;
            let args = exports[i]
                .params
                .iter()
                .map(|t| arg(u, *t))
                .collect::<Result<Vec<_>>>()?;
            v.push((i, args));
        }
        v
    };
    compare(&bytes, &limits, &exports, &calls, "diff");
    Ok(())
}

/// Instantiates `bytes` on the three engines and makes `calls` on each,
/// comparing after every step; panics (through [`report::fail`]) on a
/// mismatch between wasp and wasmtime, unless it is NaN-exempt (see
/// [`crate::nan`]). Shared with the control-flow target.
pub fn compare(
    bytes: &[u8],
    limits: &Limits,
    exports: &[FuncExport],
    calls: &[(usize, Vec<V>)],
    target: &str,
) {
    let Err(msg) = run_compare(bytes, limits, exports, calls, target) else {
        return;
    };
    let classes = nan::exemptions();
    if nan::has_exempt_ops(bytes, classes) {
        if let Some(canon) = nan::canonicalize(bytes, classes) {
            match run_compare(&canon, limits, exports, calls, target) {
                Ok(()) => {
                    bump(&COUNTERS.nan_exempt, 1);
                    return;
                }
                Err(m) => report::fail(
                    target,
                    &canon,
                    &format!(
                        "{m}\n(module with the NaNs of {classes:?} canonicalised; before: {msg})"
                    ),
                ),
            }
        }
    }
    report::fail(target, bytes, &msg);
}

fn run_compare(
    bytes: &[u8],
    limits: &Limits,
    exports: &[FuncExport],
    calls: &[(usize, Vec<V>)],
    target: &str,
) -> std::result::Result<(), String> {
    let reference = match engines::wasmtime(bytes, limits) {
        Ok(i) => Ok(i),
        Err(Outcome::Error(_)) => {
            // wasmtime refused a valid module (an implementation limit).
            bump(&COUNTERS.skipped, 1);
            return Ok(());
        }
        Err(e) => Err(e),
    };
    bump(&COUNTERS.modules, 1);
    let wasp = engines::wasp(bytes, limits);
    let wasmi = engines::wasmi(bytes, limits);
    let (mut reference, mut wasp) = match (reference, wasp) {
        (Ok(r), Ok(w)) => (r, w),
        (Err(r), Err(w)) if same_outcome(&r, &w) => return Ok(()),
        (Err(Outcome::Trap(TrapKind::GcOom)), _) | (_, Err(Outcome::Trap(TrapKind::GcOom))) => {
            // A constant expression allocated past one engine's GC heap
            // limit (see the calls below): inconclusive.
            bump(&COUNTERS.skipped, 1);
            return Ok(());
        }
        (r, w) => {
            let show = |x: &std::result::Result<Box<dyn Instance>, Outcome>| match x {
                Ok(_) => "instantiated".to_string(),
                Err(o) => format!("{o:?}"),
            };
            return Err(format!(
                "instantiation: wasp {} / wasmtime {}",
                show(&w),
                show(&r)
            ));
        }
    };
    let mut wasmi = wasmi.ok();
    if let Some(msg) = state_diff(&wasp.state(), &reference.state()) {
        return Err(format!("after instantiation: {msg}"));
    }
    let fuel = V::I32(FUEL as u32);
    for (step, (i, args)) in calls.iter().enumerate() {
        let f = &exports[*i];
        for inst in [&mut reference, &mut wasp] {
            inst.set_global(FUEL_EXPORT, fuel);
        }
        let r = reference.call(&f.name, args);
        let w = wasp.call(&f.name, args);
        bump(&COUNTERS.calls, 1);
        if matches!(r, Outcome::Trap(_)) {
            bump(&COUNTERS.traps, 1);
        }
        let overflow = |o: &Outcome| *o == Outcome::Trap(TrapKind::StackOverflow);
        let gc_oom = |o: &Outcome| *o == Outcome::Trap(TrapKind::GcOom);
        if overflow(&r) != overflow(&w)
            || r == Outcome::Trap(TrapKind::OutOfFuel)
            || gc_oom(&r)
            || gc_oom(&w)
        {
            // One side hit its own stack, fuel or GC heap limit (wasp keeps
            // packed array elements in 64-bit slots, so its heap fills
            // first): the rest is inconclusive.
            bump(&COUNTERS.skipped, 1);
            return Ok(());
        }
        let call = format!("call #{step} {}({})", f.name, fmt_args(args));
        if !same_outcome(&r, &w) {
            return Err(format!("{call}: wasp {w:?} / wasmtime {r:?}"));
        }
        let (rs, ws) = (reference.state(), wasp.state());
        if let Some(msg) = state_diff(&ws, &rs) {
            return Err(format!("{call}: returned {w:?}; then {msg}"));
        }
        if let Some(mut mi) = wasmi.take() {
            mi.set_global(FUEL_EXPORT, fuel);
            let m = mi.call(&f.name, args);
            let ms = mi.state();
            let agrees = same_outcome(&m, &r) && state_diff(&ms, &rs).is_none();
            if agrees {
                wasmi = Some(mi);
            } else {
                bump(&COUNTERS.oracle_disagreements, 1);
                report::oracle_note(format!(
                    "{target}: {call}: wasmi {m:?} / wasmtime and wasp {r:?}{}",
                    state_diff(&ms, &rs)
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuel_export_is_added() {
        let bytes = wat::parse_str("(module (global (mut i32) (i32.const 3)) (func))").unwrap();
        let out = add_global_export(&bytes, 0, FUEL_EXPORT);
        wasmparser::validate(&out).unwrap();
        let mut i = engines::wasp(&out, &Limits::default()).unwrap();
        assert_eq!(
            i.state().globals,
            vec![(FUEL_EXPORT.to_string(), V::I32(3))]
        );
        let bytes = wat::parse_str(
            "(module (global (mut i32) (i32.const 4)) (func (export \"f\")) (start 0))",
        )
        .unwrap();
        let out = add_global_export(&bytes, 0, FUEL_EXPORT);
        let mut i = engines::wasp(&out, &Limits::default()).unwrap();
        assert_eq!(i.state().globals.len(), 1);
        assert_eq!(engines::func_exports(&out).len(), 1);
    }
}
