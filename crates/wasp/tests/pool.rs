//! The engine's pool of released memories (`Config::memory_pool`): an
//! instance whose memory comes from a dropped store's region sees exactly
//! what a fresh one does — the module's image, zeros, its initial size, its
//! maximum and out-of-bounds traps — and modules never share a region.

use wasp::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 12) as u8)
        .collect()
}

/// A module of `pages` initial pages (at most 16) with `data` at offset 64
/// (large enough to become a memory-file image), and functions that
/// scribble over the memory, grow it and read it.
fn module(engine: &Engine, data: &[u8], pages: u32) -> Module {
    let wat = format!(
        r#"(module (memory (export "memory") {pages} 16)
            (func (export "fill") (param i32)
              (memory.fill (i32.const 0) (local.get 0) (i32.mul (memory.size) (i32.const 65536))))
            (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
            (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
            (data (i32.const 64) "{}"))"#,
        hex(data)
    );
    Module::new(engine, wat).unwrap()
}

fn expected(data: &[u8], pages: u32) -> Vec<u8> {
    let mut v = vec![0u8; pages as usize * 65536];
    v[64..64 + data.len()].copy_from_slice(data);
    v
}

/// One request: instantiate (through `InstancePre`), check the memory is
/// pristine, then scribble over it and grow it, and drop the store.
fn request(engine: &Engine, pre: &InstancePre<()>, want: &[u8], grow: i32) {
    let mut store = Store::new(engine, ());
    let inst = pre.instantiate(&mut store).unwrap();
    let mem = inst.get_memory(&store, "memory").unwrap();
    assert!(mem.data(&store) == want, "a fresh instance sees the image");
    let load = inst.get_typed_func::<i32, i32>(&store, "load").unwrap();
    let oob = load.call(&mut store, want.len() as i32).unwrap_err();
    assert_eq!(oob.trap_code(), Some(TrapCode::MemoryOutOfBounds));
    let fill = inst.get_typed_func::<i32, ()>(&store, "fill").unwrap();
    fill.call(&mut store, 0x77).unwrap();
    let g = inst.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    let pages = want.len() as i32 / 65536;
    assert_eq!(g.call(&mut store, grow).unwrap(), pages);
    assert_eq!(g.call(&mut store, 17).unwrap(), -1, "the maximum holds");
    // The grown pages are zero, then dirtied too.
    assert!(mem.data(&store)[want.len()..].iter().all(|&b| b == 0));
    fill.call(&mut store, 0x99).unwrap();
}

#[test]
fn a_reused_memory_is_pristine_after_writes_and_growth() {
    for pool in [true, false] {
        let mut config = Config::new();
        if !pool {
            config.memory_pool(0, 0);
        }
        let engine = Engine::new(&config);
        let (a, b) = (pattern(100_000, 1), pattern(100_000, 2));
        let (ma, mb) = (module(&engine, &a, 3), module(&engine, &b, 3));
        let linker = Linker::new(&engine);
        let (pa, pb) = (
            linker.instantiate_pre(&ma).unwrap(),
            linker.instantiate_pre(&mb).unwrap(),
        );
        let (wa, wb) = (expected(&a, 3), expected(&b, 3));
        // Alternating modules of the same memory type: each reuses its own
        // module's regions, never the other's.
        for i in 0..6 {
            request(&engine, &pa, &wa, 2 + i % 3);
            request(&engine, &pb, &wb, 1 + i % 2);
        }
        // Several live at once, then all dropped, then all reused.
        for _ in 0..2 {
            let live: Vec<_> = (0..4)
                .map(|_| {
                    let mut s = Store::new(&engine, ());
                    let i = pa.instantiate(&mut s).unwrap();
                    let m = i.get_memory(&s, "memory").unwrap();
                    assert!(m.data(&s) == wa);
                    m.data_mut(&mut s).fill(0xee);
                    (s, i)
                })
                .collect();
            drop(live);
        }
        request(&engine, &pa, &wa, 1);
    }
}

#[test]
fn a_memory_without_an_image_is_reused_as_zeros() {
    let engine = Engine::default();
    let wat = r#"(module (memory (export "memory") 2 8)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let m = Module::new(&engine, wat).unwrap();
    let small = Module::new(
        &engine,
        r#"(module (memory (export "memory") 1 8) (data (i32.const 5) "hello"))"#,
    )
    .unwrap();
    let linker = Linker::new(&engine);
    for round in 0..4 {
        let mut s = Store::new(&engine, ());
        let i = linker.instantiate(&mut s, &m).unwrap();
        let mem = i.get_memory(&s, "memory").unwrap();
        assert_eq!(mem.data(&s).len(), 2 * 65536);
        assert!(mem.data(&s).iter().all(|&b| b == 0), "round {round}");
        let g = i.get_typed_func::<i32, i32>(&s, "grow").unwrap();
        assert_eq!(g.call(&mut s, 3).unwrap(), 2);
        mem.data_mut(&mut s).fill(0x42);
        drop(s);
        // A small (copied) image over a region another module released.
        let mut s = Store::new(&engine, ());
        let i = linker.instantiate(&mut s, &small).unwrap();
        let mem = i.get_memory(&s, "memory").unwrap();
        let d = mem.data(&s);
        assert_eq!(d.len(), 65536);
        assert_eq!(&d[5..10], b"hello");
        assert!(d[..5].iter().chain(&d[10..]).all(|&b| b == 0));
        mem.data_mut(&mut s).fill(0x24);
    }
}

#[test]
fn threads_share_the_pool() {
    let mut config = Config::new();
    config.memory_pool(3, 64 << 20);
    let engine = Engine::new(&config);
    let data = pattern(90_000, 7);
    let m = module(&engine, &data, 2);
    let pre = Linker::new(&engine).instantiate_pre(&m).unwrap();
    let want = expected(&data, 2);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (engine, pre, want) = (&engine, &pre, &want);
            s.spawn(move || {
                for i in 0..25 {
                    request(engine, pre, want, 1 + (t + i) % 4);
                }
            });
        }
    });
}
