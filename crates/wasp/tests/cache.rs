//! The code cache (`Config::cache_dir`): a second load of the same module
//! skips validation and translation; a truncated or corrupt entry is ignored,
//! deleted and rebuilt; concurrent writers leave a usable entry; the
//! directory stays within its size bound; another version or setting never
//! uses an entry it did not write. Every test uses its own temporary
//! directory, never the user's cache.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use wasp::*;

/// A temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wasp-cache-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Six functions, four reached from `run` (`$inc` through `call_indirect`,
/// whose signature id the cache must map between engines), and a data segment.
fn module_text(k: i32) -> String {
    format!(
        r#"(module
          (type $un (func (param i32) (result i32)))
          (type $bin (func (param i32 i32) (result i32)))
          (memory 1)
          (data (i32.const 16) "\2a\00\00\00")
          (table funcref (elem $double $inc))
          (func $double (type $un) (i32.mul (local.get 0) (i32.const 2)))
          (func $inc (type $un) (i32.add (local.get 0) (i32.const {k})))
          (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
          (func $loop (param i32) (result i32) (local i32)
            (block (loop
              (br_if 1 (i32.eqz (local.get 0)))
              (local.set 1 (i32.add (local.get 1) (local.get 0)))
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              (br 0)))
            (local.get 1))
          (func (export "run") (param i32) (result i32)
            (call $add
              (call_indirect (type $un) (local.get 0) (i32.const 1))
              (call $add (call $loop (local.get 0)) (i32.load (i32.const 16)))))
          (func (export "unused") (result i32) (i32.const 7)))"#
    )
}

/// `run(x)` of `module_text(k)`: `(x + k) + x(x+1)/2 + 42`.
fn expected(k: i32, x: i32) -> i32 {
    x + k + x * (x + 1) / 2 + 42
}

fn config(dir: &Path) -> Config {
    let mut c = Config::new();
    c.cache_dir(Some(dir));
    c
}

/// Loads `wat` in a new engine of `config`, calls `run(10)`, checks the
/// result, saves to the cache; returns the module and the engine's stats.
fn run_once(config: &Config, k: i32) -> (Module, EngineStats) {
    let engine = Engine::new(config);
    let module = Module::new(&engine, module_text(k)).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 10).unwrap(), expected(k, 10));
    module.save_to_cache().unwrap();
    (module, engine.stats())
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn the_library_default_is_no_cache() {
    let engine = Engine::default();
    let module = Module::new(&engine, module_text(1)).unwrap();
    assert_eq!(module.load_timings().cache, CacheStatus::Off);
    assert!(!module.save_to_cache().unwrap());
}

#[test]
fn a_hit_skips_validation_and_translation() {
    let dir = TempDir::new("hit");
    let (first, stats) = run_once(&config(&dir.0), 3);
    let t = first.load_timings();
    assert_eq!(t.cache, CacheStatus::Miss);
    assert!(t.funcs_validated >= 6, "{t:?}");
    assert_eq!(stats.cache_misses, 1);
    assert_eq!(stats.funcs_translated, 4, "{stats:?}");
    assert_eq!(stats.funcs_from_cache, 0);
    assert_eq!(entries(&dir.0).len(), 1);

    let (second, stats) = run_once(&config(&dir.0), 3);
    let t = second.load_timings();
    assert_eq!(t.cache, CacheStatus::Hit, "{t:?}");
    assert_eq!(t.funcs_validated, 0);
    assert_eq!(t.validate, std::time::Duration::ZERO);
    assert_eq!(t.cached_funcs, 4);
    assert_eq!(stats.cache_hits, 1);
    assert_eq!(stats.funcs_validated, 0);
    assert_eq!(stats.funcs_translated, 0, "{stats:?}");
    assert_eq!(stats.funcs_from_cache, 4);
    // Nothing new was learned: nothing written.
    assert_eq!(stats.cache_writes, 0);
}

#[test]
fn a_miss_validates_and_an_invalid_module_is_never_cached() {
    let dir = TempDir::new("miss");
    let engine = Engine::new(&config(&dir.0));
    let bad = "(module (func (result i32) (i64.const 1)))";
    for _ in 0..2 {
        let e = Module::new(&engine, bad).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Invalid), "{e}");
    }
    assert!(entries(&dir.0).is_empty());
    // A different module is a miss, even next to another's entry.
    run_once(&config(&dir.0), 1);
    let (m, _) = run_once(&config(&dir.0), 2);
    assert_eq!(m.load_timings().cache, CacheStatus::Miss);
    assert_eq!(entries(&dir.0).len(), 2);
}

#[test]
fn functions_learned_later_are_merged_into_the_entry() {
    let dir = TempDir::new("merge");
    let (_, _) = run_once(&config(&dir.0), 4);
    // Another run calls `unused` as well: the entry gains it.
    let engine = Engine::new(&config(&dir.0));
    let module = Module::new(&engine, module_text(4)).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let unused = instance
        .get_typed_func::<(), i32>(&store, "unused")
        .unwrap();
    assert_eq!(unused.call(&mut store, ()).unwrap(), 7);
    assert_eq!(engine.stats().funcs_translated, 1);
    assert!(module.save_to_cache().unwrap());
    let third = Module::new(&Engine::new(&config(&dir.0)), module_text(4)).unwrap();
    assert_eq!(third.load_timings().cached_funcs, 5);
}

#[test]
fn cached_code_works_in_an_engine_with_other_type_ids() {
    let dir = TempDir::new("types");
    run_once(&config(&dir.0), 5);
    // An engine that interned other signatures first gives the module's
    // types other ids: `call_indirect`'s check must still pass.
    let engine = Engine::new(&config(&dir.0));
    Module::new(
        &engine,
        "(module (func (param f64 f64 f64)) (func (param i64) (result f32) f32.const 0))",
    )
    .unwrap();
    let module = Module::new(&engine, module_text(5)).unwrap();
    assert_eq!(module.load_timings().cache, CacheStatus::Hit);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 6).unwrap(), expected(5, 6));
    assert_eq!(engine.stats().funcs_translated, 0);
}

#[test]
fn corrupt_entries_are_ignored_deleted_and_rebuilt() {
    let dir = TempDir::new("corrupt");
    run_once(&config(&dir.0), 6);
    let path = entries(&dir.0).pop().unwrap();
    let good = std::fs::read(&path).unwrap();
    let mut flipped_payload = good.clone();
    let last = flipped_payload.len() - 3;
    flipped_payload[last] ^= 0x55;
    let mut flipped_header = good.clone();
    flipped_header[9] ^= 0x01; // the format number
    let mut flipped_key = good.clone();
    flipped_key[20] ^= 0x80;
    let corruptions: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated header", good[..10].to_vec()),
        ("truncated payload", good[..good.len() / 2].to_vec()),
        ("one byte short", good[..good.len() - 1].to_vec()),
        ("one byte long", [&good[..], &[0]].concat()),
        ("flipped payload byte", flipped_payload),
        ("flipped format", flipped_header),
        ("flipped key", flipped_key),
        ("garbage", vec![0xa5; 4096]),
    ];
    for (what, bytes) in corruptions {
        std::fs::write(&path, &bytes).unwrap();
        let (module, stats) = run_once(&config(&dir.0), 6);
        let t = module.load_timings();
        assert_eq!(t.cache, CacheStatus::Rejected, "{what}: {t:?}");
        assert!(t.rejected.is_some(), "{what}");
        assert!(t.funcs_validated > 0, "{what}: validated again");
        assert_eq!(stats.cache_rejected, 1, "{what}");
        assert_eq!(stats.funcs_translated, 4, "{what}");
        // Rebuilt: the next load is a hit again.
        let (again, _) = run_once(&config(&dir.0), 6);
        assert_eq!(again.load_timings().cache, CacheStatus::Hit, "{what}");
        assert_eq!(again.load_timings().cached_funcs, 4, "{what}");
    }
    // A directory where the entry should be: loading is a miss and works;
    // saving reports the failure as an error.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let engine = Engine::new(&config(&dir.0));
    let module = Module::new(&engine, module_text(6)).unwrap();
    assert_eq!(module.load_timings().cache, CacheStatus::Miss);
    let mut store = Store::new(&engine, ());
    let instance = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, 3).unwrap(), expected(6, 3));
    let e = module.save_to_cache().unwrap_err();
    assert!(e.to_string().contains("code cache"), "{e}");
}

#[test]
fn concurrent_writers_leave_a_usable_entry() {
    let dir = TempDir::new("concurrent");
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let config = config(&dir.0);
            std::thread::spawn(move || {
                let engine = Engine::new(&config);
                let module = Module::new(&engine, module_text(9)).unwrap();
                let mut store = Store::new(&engine, ());
                let instance = Linker::new(&engine)
                    .instantiate(&mut store, &module)
                    .unwrap();
                let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
                for x in 0..50 {
                    assert_eq!(run.call(&mut store, x + i).unwrap(), expected(9, x + i));
                }
                module.save_to_cache().unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // One whole entry, no temporary files left behind.
    let files = entries(&dir.0);
    assert_eq!(files.len(), 1, "{files:?}");
    let (module, stats) = run_once(&config(&dir.0), 9);
    assert_eq!(module.load_timings().cache, CacheStatus::Hit);
    assert_eq!(stats.funcs_translated, 0);
}

#[test]
fn the_directory_stays_within_its_bound_oldest_first() {
    let dir = TempDir::new("bound");
    let one = {
        run_once(&config(&dir.0), 100);
        let files = entries(&dir.0);
        let len = std::fs::metadata(&files[0]).unwrap().len();
        std::fs::remove_file(&files[0]).unwrap();
        len
    };
    let mut bounded = config(&dir.0);
    // Room for three entries of this size (theirs vary by a few bytes).
    bounded.cache_max_bytes(one * 3 + one / 2);
    for k in 0..6 {
        run_once(&bounded, k);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let files = entries(&dir.0);
    let total: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert!(total <= one * 3 + one / 2, "{total} bytes in {files:?}");
    assert_eq!(files.len(), 3, "{files:?}");
    // The newest three stay, the oldest went.
    for k in 3..6 {
        let (m, _) = run_once(&bounded, k);
        assert_eq!(m.load_timings().cache, CacheStatus::Hit, "module {k}");
    }
    let (m, _) = run_once(&bounded, 0);
    assert_eq!(m.load_timings().cache, CacheStatus::Miss);
    // A bound smaller than one entry: nothing is written, runs still work.
    let tiny_dir = TempDir::new("tiny");
    let mut tiny = config(&tiny_dir.0);
    tiny.cache_max_bytes(16);
    run_once(&tiny, 1);
    let (m, _) = run_once(&tiny, 1);
    assert_eq!(m.load_timings().cache, CacheStatus::Miss);
    assert!(entries(&tiny_dir.0).is_empty());
}

#[test]
fn another_version_or_translation_setting_uses_its_own_entry() {
    let dir = TempDir::new("keys");
    run_once(&config(&dir.0), 2);
    let mut upgraded = config(&dir.0);
    upgraded.cache_version("999.0.0");
    let (m, stats) = run_once(&upgraded, 2);
    assert_eq!(m.load_timings().cache, CacheStatus::Miss);
    assert_eq!(stats.funcs_translated, 4);
    let mut fuel = config(&dir.0);
    fuel.consume_fuel(true);
    let engine = Engine::new(&fuel);
    let m = Module::new(&engine, module_text(2)).unwrap();
    assert_eq!(m.load_timings().cache, CacheStatus::Miss);
    assert_eq!(entries(&dir.0).len(), 3);
    // Settings that do not change translated code share the entry.
    let mut limits = config(&dir.0);
    limits.max_stack_bytes(1 << 20).max_memory_pages(100);
    let (m, stats) = run_once(&limits, 2);
    assert_eq!(m.load_timings().cache, CacheStatus::Hit);
    assert_eq!(stats.funcs_translated, 0);
}

#[test]
fn eager_translation_caches_every_function_at_load() {
    let dir = TempDir::new("eager");
    let mut eager = config(&dir.0);
    eager.lazy_translation(false);
    let engine = Engine::new(&eager);
    Module::new(&engine, module_text(8)).unwrap();
    assert_eq!(engine.stats().funcs_translated, 6);
    let engine = Engine::new(&eager);
    let m = Module::new(&engine, module_text(8)).unwrap();
    assert_eq!(m.load_timings().cache, CacheStatus::Hit);
    assert_eq!(m.load_timings().cached_funcs, 6);
    assert_eq!(engine.stats().funcs_translated, 0);
    assert_eq!(engine.stats().funcs_from_cache, 6);
}

/// 40 functions, each calling the next: `chain(x) = x + 40`.
fn chain_text() -> String {
    let mut m = String::from("(module\n");
    for i in 0..40 {
        if i == 39 {
            m.push_str(
                "(func $f39 (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))\n",
            );
        } else {
            m.push_str(&format!(
                "(func $f{i} (param i32) (result i32) (call $f{} (i32.add (local.get 0) (i32.const 1))))\n",
                i + 1
            ));
        }
    }
    m.push_str("(export \"chain\" (func $f0)))");
    m
}

#[test]
fn a_hit_with_many_functions_decodes_them_ahead_on_another_thread() {
    let dir = TempDir::new("prefetch");
    let call = |engine: &Engine| {
        let module = Module::new(engine, chain_text()).unwrap();
        let mut store = Store::new(engine, ());
        let instance = Linker::new(engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let chain = instance
            .get_typed_func::<i32, i32>(&store, "chain")
            .unwrap();
        assert_eq!(chain.call(&mut store, 2).unwrap(), 42);
        module
    };
    let first = Engine::new(&config(&dir.0));
    call(&first).save_to_cache().unwrap();
    assert_eq!(first.stats().funcs_translated, 40);
    let second = Engine::new(&config(&dir.0));
    let module = call(&second);
    assert_eq!(module.load_timings().cache, CacheStatus::Hit);
    let stats = second.stats();
    assert_eq!(stats.funcs_translated, 0, "{stats:?}");
    // Every function came from the entry, on one thread or the other (a
    // function both raced for counts twice).
    assert!(
        stats.funcs_from_cache + stats.funcs_prefetched >= 40,
        "{stats:?}"
    );
    // Dropping a module while its functions are being decoded ahead is fine.
    for _ in 0..20 {
        drop(Module::new(&second, chain_text()).unwrap());
    }
}

/// `return_call_indirect` carries an engine type id too: cached code of it
/// must work in an engine that numbers the types differently.
#[test]
fn cached_tail_call_indirect_maps_its_type_id() {
    let dir = TempDir::new("tailtypes");
    let text = r#"(module
        (type $un (func (param i32) (result i32)))
        (table funcref (elem $inc))
        (func $inc (type $un) (i32.add (local.get 0) (i32.const 1)))
        (func (export "run") (param i32) (result i32)
          (return_call_indirect (type $un) (local.get 0) (i32.const 0))))"#;
    let run = |engine: &Engine| {
        let module = Module::new(engine, text).unwrap();
        let mut store = Store::new(engine, ());
        let instance = Linker::new(engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        assert_eq!(run.call(&mut store, 41).unwrap(), 42);
        module
    };
    let first = run(&Engine::new(&config(&dir.0)));
    assert!(first.save_to_cache().unwrap());
    let engine = Engine::new(&config(&dir.0));
    Module::new(&engine, "(module (func (param f64 f64 f64)))").unwrap();
    let second = run(&engine);
    assert_eq!(second.load_timings().cache, CacheStatus::Hit);
    assert_eq!(engine.stats().funcs_translated, 0);
}
