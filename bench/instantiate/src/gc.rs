//! `--gc MODULE.wat N`: an allocation-heavy GC loop (the module's
//! `churn(N) -> i64`) on wasp (its default config: a module that allocates
//! runs in the interpreter, with its mark-sweep collector) and on wasmtime
//! 48 (Cranelift, its default collector), best of 5 runs each in a fresh
//! store, with the checksum both must agree on.

use std::time::{Duration, Instant};

fn best(mut run: impl FnMut() -> (Duration, i64)) -> (Duration, i64) {
    let mut out = run();
    for _ in 0..4 {
        let r = run();
        assert_eq!(r.1, out.1, "checksum changed between runs");
        out.0 = out.0.min(r.0);
    }
    out
}

pub fn run(path: &str, n: i32) {
    let text = std::fs::read_to_string(path).expect("read the module");
    let wasm = wat::parse_str(&text).expect("parse the module");

    let engine = wasp::Engine::default();
    let module = wasp::Module::from_binary(&engine, wasm.clone()).expect("wasp: load");
    let mut collections = 0;
    let (wasp_t, wasp_sum) = best(|| {
        let mut store = wasp::Store::new(&engine, ());
        let inst = wasp::Instance::new(&mut store, &module, &[]).expect("wasp: instantiate");
        let f = inst
            .get_typed_func::<i32, i64>(&store, "churn")
            .expect("wasp: churn");
        let t = Instant::now();
        let sum = f.call(&mut store, n).expect("wasp: call");
        let e = t.elapsed();
        collections = store.gc_stats().collections;
        (e, sum)
    });

    let mut config = wasmtime::Config::new();
    config.wasm_gc(true).wasm_function_references(true);
    let wengine = wasmtime::Engine::new(&config).expect("wasmtime: engine");
    let wmodule = wasmtime::Module::new(&wengine, &wasm).expect("wasmtime: compile");
    let (wt_t, wt_sum) = best(|| {
        let mut store = wasmtime::Store::new(&wengine, ());
        let inst =
            wasmtime::Instance::new(&mut store, &wmodule, &[]).expect("wasmtime: instantiate");
        let f = inst
            .get_typed_func::<i32, i64>(&mut store, "churn")
            .expect("wasmtime: churn");
        let t = Instant::now();
        let sum = f.call(&mut store, n).expect("wasmtime: call");
        (t.elapsed(), sum)
    });
    assert_eq!(wasp_sum, wt_sum, "wasp and wasmtime disagree");
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "gc churn({n}): wasp {:.1} ms ({collections} collections), wasmtime {:.1} ms, wasp/wasmtime {:.2}x, checksum {wasp_sum}",
        ms(wasp_t),
        ms(wt_t),
        wasp_t.as_secs_f64() / wt_t.as_secs_f64()
    );
}
