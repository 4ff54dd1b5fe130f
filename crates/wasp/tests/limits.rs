//! Per-store resource limits: `StoreLimits` and custom `ResourceLimiter`s,
//! one engine serving stores with different caps.

use wasp::*;

struct Tenant {
    limits: StoreLimits,
}

const GROWER: &str = r#"(module
    (memory (export "memory") 1)
    (table (export "table") 1 funcref)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "tgrow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
    (func (export "size") (param i32) (result i32) (memory.size)))"#;

fn tenant(engine: &Engine, limits: StoreLimits) -> Store<Tenant> {
    let mut store = Store::new(engine, Tenant { limits });
    store.limiter(|t| &mut t.limits);
    store
}

fn call(store: &mut Store<Tenant>, inst: &Instance, name: &str, arg: i32) -> i32 {
    inst.get_typed_func::<i32, i32>(&*store, name)
        .unwrap()
        .call(store, arg)
        .unwrap()
}

#[test]
fn one_engine_two_stores_with_different_caps() {
    let engine = Engine::default();
    let module = Module::new(&engine, GROWER).unwrap();
    let linker = Linker::new(&engine);
    let mut small = tenant(
        &engine,
        StoreLimitsBuilder::new()
            .memory_size(3 * 65536)
            .table_elements(4)
            .build(),
    );
    let mut large = tenant(
        &engine,
        StoreLimitsBuilder::new().memory_size(100 * 65536).build(),
    );
    let a = linker.instantiate(&mut small, &module).unwrap();
    let b = linker.instantiate(&mut large, &module).unwrap();
    // memory.grow: -1 once over the cap, the memory unchanged.
    assert_eq!(call(&mut small, &a, "grow", 2), 1);
    assert_eq!(call(&mut small, &a, "grow", 1), -1);
    assert_eq!(call(&mut small, &a, "size", 0), 3);
    assert_eq!(call(&mut large, &b, "grow", 50), 1);
    assert_eq!(call(&mut large, &b, "grow", 49), 51);
    assert_eq!(call(&mut large, &b, "grow", 1), -1);
    // table.grow likewise.
    assert_eq!(call(&mut small, &a, "tgrow", 3), 1);
    assert_eq!(call(&mut small, &a, "tgrow", 1), -1);
    assert_eq!(call(&mut large, &b, "tgrow", 1000), 1);
    // The host API fails the same way.
    let mem = a.get_memory(&small, "memory").unwrap();
    assert!(mem.grow(&mut small, 1).is_err());
    assert_eq!(mem.size(&small), 3);
    let table = a.get_table(&small, "table").unwrap();
    assert!(table.grow(&mut small, 1, Val::FuncRef(None)).is_err());
    // A memory the cap cannot hold cannot even be created.
    assert!(Memory::new(&mut small, MemoryType::new(4, None)).is_err());
    assert!(Memory::new(&mut small, MemoryType::new(3, None)).is_ok());
}

#[test]
fn instantiation_over_a_limit_is_an_error() {
    let engine = Engine::default();
    let module = Module::new(&engine, GROWER).unwrap();
    let linker = Linker::new(&engine);
    let mut one = tenant(&engine, StoreLimitsBuilder::new().instances(1).build());
    linker.instantiate(&mut one, &module).unwrap();
    let err = linker.instantiate(&mut one, &module).unwrap_err();
    assert!(err.to_string().contains("at most 1 instances"), "{err}");

    let mut no_mem = tenant(&engine, StoreLimitsBuilder::new().memories(0).build());
    let err = linker.instantiate(&mut no_mem, &module).unwrap_err();
    assert!(err.to_string().contains("memories"), "{err}");
    let mut no_table = tenant(&engine, StoreLimitsBuilder::new().tables(0).build());
    assert!(linker.instantiate(&mut no_table, &module).is_err());
    assert!(Table::new(
        &mut no_table,
        TableType::new(ValType::FuncRef, 1, None),
        Val::FuncRef(None)
    )
    .is_err());
    // The initial size counts: a 1-page memory does not fit in 100 bytes.
    let mut tiny = tenant(&engine, StoreLimitsBuilder::new().memory_size(100).build());
    let err = linker.instantiate(&mut tiny, &module).unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    let mut short = tenant(&engine, StoreLimitsBuilder::new().table_elements(0).build());
    assert!(linker.instantiate(&mut short, &module).is_err());
    // Without a limiter, the same store takes them all.
    let mut free = Store::new(&engine, ());
    for _ in 0..3 {
        Linker::new(&engine)
            .instantiate(&mut free, &module)
            .unwrap();
    }
}

/// A custom policy: a budget of pages shared by all of a store's memories,
/// counting what it is asked.
#[derive(Default)]
struct Budget {
    pages_left: usize,
    asked: Vec<(usize, usize, Option<usize>)>,
}

impl ResourceLimiter for Budget {
    fn memory_growing(&mut self, cur: usize, want: usize, max: Option<usize>) -> Result<bool> {
        self.asked.push((cur, want, max));
        let pages = (want - cur) / 65536;
        if pages > self.pages_left {
            return Ok(false);
        }
        self.pages_left -= pages;
        Ok(true)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}

#[test]
fn a_custom_limiter_sees_every_growth_and_can_be_installed_late() {
    let engine = Engine::default();
    let module = Module::new(&engine, GROWER).unwrap();
    let mut store = Store::new(
        &engine,
        Budget {
            pages_left: 3,
            ..Default::default()
        },
    );
    // Created before the limiter: still governed once it is installed.
    let early = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    store.limiter(|b| b as &mut dyn ResourceLimiter);
    let late = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let grow = |store: &mut Store<Budget>, inst: &Instance, n: i32| {
        inst.get_typed_func::<i32, i32>(&*store, "grow")
            .unwrap()
            .call(store, n)
            .unwrap()
    };
    assert_eq!(grow(&mut store, &early, 1), 1);
    assert_eq!(grow(&mut store, &early, 2), -1);
    assert_eq!(grow(&mut store, &early, 0), 2, "growing by 0 is not asked");
    assert_eq!(grow(&mut store, &late, 1), 1, "the last page of the budget");
    // The store moves (into a Vec): the limiter still finds its data.
    let mut stores = vec![store];
    assert_eq!(grow(&mut stores[0], &late, 1), -1);
    let asked = &stores[0].data().asked;
    assert_eq!(
        asked,
        &[
            (0, 65536, None),
            (65536, 2 * 65536, None),
            (2 * 65536, 4 * 65536, None),
            (65536, 2 * 65536, None),
            (2 * 65536, 3 * 65536, None)
        ]
    );
    assert_eq!(stores.pop().unwrap().into_data().pages_left, 0);
}

/// A limiter whose refusal is an error: the host API returns it.
struct Strict;

impl ResourceLimiter for Strict {
    fn memory_growing(&mut self, cur: usize, _: usize, _: Option<usize>) -> Result<bool> {
        if cur == 0 {
            return Ok(true);
        }
        Err(Memory::new(
            &mut Store::new(&Engine::default(), ()),
            MemoryType::new(1, Some(0)),
        )
        .unwrap_err())
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}

#[test]
fn a_limiter_error_is_returned_by_the_host_api_and_is_minus_one_in_wasm() {
    let engine = Engine::default();
    let module = Module::new(&engine, GROWER).unwrap();
    let mut store = Store::new(&engine, Strict);
    store.limiter(|s| s as &mut dyn ResourceLimiter);
    let inst = Linker::new(&engine)
        .instantiate(&mut store, &module)
        .unwrap();
    let mem = inst.get_memory(&store, "memory").unwrap();
    let err = mem.grow(&mut store, 1).unwrap_err();
    assert!(
        err.to_string().contains("memory size exceeds the limit"),
        "{err}"
    );
    let grow = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 1).unwrap(), -1);
}
