//! Compile speed on a real Go program: how many of its functions the
//! translator supports, why the others are left out, and how long
//! translation and code generation take. Ignored by default (it needs the
//! Go guest that `scripts/` build and is meaningful in release builds):
//!
//! ```sh
//! cargo test -p wasp --release --lib jit::tests::speed -- --ignored --nocapture
//! ```
//!
//! `WASP_JIT_SPEED_MODULE=path.wasm` measures another module.

use crate::jit::{Compiler, JitOptions};
use crate::{Config, Engine, Module};
use std::collections::BTreeMap;
use std::time::Instant;

/// The reason's kind: the operator's name, or the message up to a digit.
fn kind(reason: &str) -> String {
    let r = reason
        .strip_prefix("unsupported operator ")
        .unwrap_or(reason);
    r.split(|c: char| c == ' ' || c == '{' || c.is_ascii_digit())
        .next()
        .unwrap_or(r)
        .to_string()
}

#[test]
#[ignore = "measurement: needs target/guests/go/hello.wasm, run in release"]
fn go_hello_compile_speed() {
    let path = std::env::var("WASP_JIT_SPEED_MODULE").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../target/guests/go/hello.wasm"
        )
        .to_string()
    });
    let Ok(bytes) = std::fs::read(&path) else {
        println!("{path} is missing: build the Go guests first");
        return;
    };
    let engine = Engine::new(&Config::default());
    let module = Module::new(&engine, &bytes).unwrap();
    let info = &module.inner.info;
    let funcs: Vec<u32> = (info.num_imported_funcs..info.funcs.len() as u32).collect();
    println!(
        "{path}: {} defined functions, {} bytes of code",
        funcs.len(),
        module.code_size()
    );
    for optimize in [true, false] {
        let compiler = Compiler::new(JitOptions {
            optimize,
            verify: false,
        })
        .unwrap();
        let batch = compiler.compile(&module.inner, &funcs).unwrap();
        let s = batch.stats;
        let per_s = |n: usize, t: std::time::Duration| n as f64 / t.as_secs_f64().max(1e-9);
        let total = s.translate_time + s.codegen_time + s.link_time;
        println!(
            "opt_level={}: {} of {} compiled ({} bytes of machine code); \
             translate {:.0?} ({:.0} functions/s), codegen {:.0?} ({:.0} compiled functions/s), \
             link {:.0?}; total {:.0?}",
            if optimize { "speed" } else { "none" },
            s.compiled,
            funcs.len(),
            s.code_bytes,
            s.translate_time,
            per_s(s.translated, s.translate_time),
            s.codegen_time,
            per_s(s.compiled, s.codegen_time),
            s.link_time,
            total,
        );
        println!(
            "per compiled function: {:.0} µs; native frames: mean {:.0} bytes, max {}",
            total.as_secs_f64() * 1e6 / s.compiled.max(1) as f64,
            s.frame_sum as f64 / s.compiled.max(1) as f64,
            s.max_frame
        );
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for reason in batch.unsupported.values() {
            *kinds.entry(kind(reason)).or_default() += 1;
        }
        println!("left out by kind: {kinds:?}");
        assert!(s.compiled > 0);
    }
}

/// Run speed of compiled code against the interpreter on two small kernels
/// (recursive calls; a memory loop), as a sanity check of the code quality.
#[test]
#[ignore = "measurement: run in release"]
fn kernels_run_speed() {
    let wat = r#"(module (memory 1)
      (func $fib (export "fib") (param i32) (result i32)
        (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
          (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                         (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
      (func (export "sum") (param i32) (result i64) (local i32 i64)
        (loop $l
          (i32.store (i32.and (local.get 1) (i32.const 0xfffc)) (local.get 1))
          (local.set 2 (i64.add (local.get 2)
            (i64.extend_i32_u (i32.load (i32.and (i32.mul (local.get 1) (i32.const 7)) (i32.const 0xfffc))))))
          (br_if $l (i32.ne (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))
        (local.get 2)))"#;
    super::with_big_stack(|| {
        let mut d = super::Diff::new(wat);
        for (name, arg) in [("fib", 30u64), ("sum", 50_000_000)] {
            let index = d.export(name);
            let func = d.func_handle(index);
            let start = Instant::now();
            let a = d.interp.interpret(func.0, &[arg]);
            let interp = start.elapsed();
            let start = Instant::now();
            let b = d.jit.run_compiled(&d.batch, index, &[arg], 1);
            let jit = start.elapsed();
            assert_eq!(a, b);
            println!(
                "{name}({arg}): interpreter {interp:.0?}, compiled {jit:.0?} ({:.1}x)",
                interp.as_secs_f64() / jit.as_secs_f64()
            );
        }
    });
}
