//! Load: arbitrary bytes, and wasm-smith modules (random feature sets)
//! unchanged, truncated or bit-flipped, fed to `wasp::Module`. Loading must
//! return an error, never panic; wasp's verdict (valid or not) must match
//! wasmparser's validator under wasp's feature set (2.0 with SIMD and the
//! 3.0 proposals wasp runs, GC included);
//! disagreements of wasmtime's (older wasmparser) are noted as oracle
//! disagreements. A module that loads is
//! instantiated (when it has no imports) and every exported function is
//! called with zero arguments, under a watchdog: errors and traps are fine,
//! panics are not.

use crate::engines::{self, Limits, V};
use crate::report::{self, bump, COUNTERS};
use arbitrary::{Arbitrary, Result, Unstructured};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

/// libFuzzer entry: never fails on short input, panics on a finding.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = check(&mut u);
}

/// A wasm-smith configuration with random features, kept small; two times
/// in three restricted to WebAssembly 2.0 so more modules get past validation.
fn smith_config(u: &mut Unstructured) -> Result<wasm_smith::Config> {
    let mut c = wasm_smith::Config::arbitrary(u)?;
    c.max_types = c.max_types.min(20);
    c.max_funcs = c.max_funcs.min(20);
    c.max_globals = c.max_globals.min(20);
    c.max_exports = c.max_exports.min(20);
    c.max_elements = c.max_elements.min(20);
    c.max_element_segments = c.max_element_segments.min(10);
    c.max_data_segments = c.max_data_segments.min(10);
    c.max_instructions = c.max_instructions.min(200);
    c.max_memories = c.max_memories.min(2);
    c.max_tables = c.max_tables.min(3);
    c.max_table_elements = c.max_table_elements.min(1000);
    c.max_memory32_bytes = c.max_memory32_bytes.min(1 << 20);
    c.max_memory64_bytes = c.max_memory64_bytes.min(1 << 20);
    c.max_tags = c.max_tags.min(5);
    if u.ratio(3, 4)? {
        c.max_imports = 0;
    } else {
        c.max_imports = c.max_imports.min(5);
    }
    if u.ratio(2, 3)? {
        c.simd_enabled = false;
        c.relaxed_simd_enabled = false;
        c.threads_enabled = false;
        c.tail_call_enabled = false;
        c.gc_enabled = false;
        c.exceptions_enabled = false;
        c.memory64_enabled = false;
        c.extended_const_enabled = false;
        c.compact_imports_enabled = false;
        c.max_memories = c.max_memories.min(1);
        c.export_everything = true;
    }
    Ok(c)
}

/// The module under test, and how it was made (for messages).
fn input(u: &mut Unstructured) -> Result<(Vec<u8>, &'static str)> {
    let mode = u.int_in_range(0..=4)?;
    if mode == 0 {
        let mut v = Vec::new();
        if u.arbitrary()? {
            v.extend_from_slice(b"\0asm\x01\0\0\0");
        }
        let n = u.arbitrary_len::<u8>()?;
        v.extend_from_slice(u.bytes(n)?);
        return Ok((v, "arbitrary bytes"));
    }
    let config = smith_config(u)?;
    let mut m = wasm_smith::Module::new(config, u)?;
    let terminating = m.ensure_termination(100).is_ok();
    let mut bytes = m.to_bytes();
    Ok(match mode {
        1 => (
            bytes,
            if terminating {
                "wasm-smith module"
            } else {
                "wasm-smith (no fuel)"
            },
        ),
        2 => {
            let at = u.int_in_range(0..=bytes.len())?;
            bytes.truncate(at);
            (bytes, "truncated wasm-smith module")
        }
        _ => {
            let flips = u.int_in_range(1..=8)?;
            for _ in 0..flips {
                if bytes.is_empty() {
                    break;
                }
                let i = u.choose_index(bytes.len())?;
                if u.arbitrary()? {
                    bytes[i] ^= 1 << u.int_in_range(0..=7)?;
                } else {
                    bytes[i] = u.arbitrary()?;
                }
            }
            (bytes, "mutated wasm-smith module")
        }
    })
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(non-string panic)".into())
}

/// Loads one input on wasp and the validators; runs it if it loads.
pub fn check(u: &mut Unstructured) -> Result<()> {
    bump(&COUNTERS.inputs, 1);
    let (bytes, how) = input(u)?;
    let engine = wasp::Engine::default();
    let loaded = catch_unwind(AssertUnwindSafe(|| {
        wasp::Module::from_binary(&engine, bytes.clone())
    }))
    .unwrap_or_else(|p| {
        report::fail(
            "load",
            &bytes,
            &format!("{how}: wasp panicked while loading: {}", panic_message(&*p)),
        )
    });
    let mut validator = wasmparser::Validator::new_with_features(engines::wasp_features());
    let parser_verdict = validator.validate_all(&bytes);
    if loaded.is_ok() != parser_verdict.is_ok() {
        report::fail(
            "load",
            &bytes,
            &format!(
                "{how}: wasp {} but wasmparser (wasp's feature set) {}",
                verdict(&loaded.as_ref().map(|_| ()).map_err(|e| e.to_string())),
                verdict(&parser_verdict.map(|_| ()).map_err(|e| e.to_string())),
            ),
        );
    }
    // wasmtime 48 reads modules with its own (older) wasmparser: where it
    // disagrees with the validator wasp uses, and wasp agrees with that
    // validator, it is noted as an oracle disagreement, not a finding.
    let wasmtime_verdict = wasmtime::Module::validate(engines::wasmtime_validator(), &bytes);
    if loaded.is_ok() != wasmtime_verdict.is_ok() {
        bump(&COUNTERS.oracle_disagreements, 1);
        report::oracle_note(format!(
            "load: {how}: wasp and wasmparser 0.263 {} but wasmtime {}",
            verdict(&loaded.as_ref().map(|_| ()).map_err(|e| e.to_string())),
            verdict(&wasmtime_verdict.map_err(|e| format!("{e:?}"))),
        ));
    }
    if let Ok(module) = loaded {
        bump(&COUNTERS.modules, 1);
        // Also the text path: the module printed as text must load the same.
        if u.ratio(1, 8)? {
            let text = report::wat(&bytes);
            let again = catch_unwind(AssertUnwindSafe(|| wasp::Module::new(&engine, &text)));
            match again {
                Err(p) => report::fail(
                    "load",
                    &bytes,
                    &format!(
                        "{how}: wasp panicked on the text form: {}",
                        panic_message(&*p)
                    ),
                ),
                Ok(Err(e)) if !text.starts_with("(unprintable") => report::fail(
                    "load",
                    &bytes,
                    &format!("{how}: binary loads, its text form does not: {e}"),
                ),
                Ok(_) => {}
            }
        }
        if module.imports().next().is_none() {
            execute(&bytes, how);
        }
    }
    Ok(())
}

fn verdict(r: &std::result::Result<(), String>) -> String {
    match r {
        Ok(()) => "accepts it".into(),
        Err(e) => format!("rejects it ({e})"),
    }
}

/// Instantiates on wasp and calls every export with zero arguments.
fn execute(bytes: &[u8], how: &str) {
    let limits = Limits {
        deadline: Duration::from_millis(200),
        ..Limits::default()
    };
    let r = catch_unwind(AssertUnwindSafe(|| {
        let Ok(mut inst) = engines::wasp(bytes, &limits) else {
            return;
        };
        for f in engines::func_exports(bytes) {
            let args: Vec<V> = f.params.iter().map(|t| zero(*t)).collect();
            let _ = inst.call(&f.name, &args);
            bump(&COUNTERS.calls, 1);
        }
        let _ = inst.state();
    }));
    if let Err(p) = r {
        report::fail(
            "load",
            bytes,
            &format!("{how}: wasp panicked while running: {}", panic_message(&*p)),
        );
    }
}

fn zero(t: engines::Ty) -> V {
    use engines::Ty;
    match t {
        Ty::I32 => V::I32(0),
        Ty::I64 => V::I64(0),
        Ty::F32 => V::F32(0),
        Ty::F64 => V::F64(0),
        Ty::FuncRef => V::FuncRef(true),
        Ty::ExternRef => V::ExternRef(true),
        Ty::AnyRef => V::AnyRef(engines::AnyV::Null),
        Ty::V128 => V::V128(0),
    }
}
