//! The builder features embedders of per-request platforms need: `envs`,
//! injected clocks and random sources, bounded in-memory output, and a
//! default `argv[0]` — through `WasiCtx::call` (exact bytes) and through a
//! real Go guest (`tests/go/clockrand`, built with the Go toolchain that
//! `scripts/install-go.sh` installs).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use wasp::{Engine, Linker, Module, Store};
use wasp_wasi::{Errno, MemoryOutput, SeededRandom, WasiCtx, WasiCtxBuilder, DEFAULT_ARGV0};

/// Reads the `(count, size)` and strings an args/environ pair of calls writes.
fn strings(g: &mut G, sizes: &str, get: &str) -> Vec<String> {
    assert_eq!(g.call(sizes, &[0, 4]), 0);
    let (n, size) = (g.u32(0), g.u32(4));
    assert_eq!(g.call(get, &[64, 4096]), 0);
    let buf = g.get(4096, size as usize).to_vec();
    let list: Vec<String> = buf
        .split(|b| *b == 0)
        .take(n as usize)
        .map(|s| String::from_utf8(s.to_vec()).unwrap())
        .collect();
    assert_eq!(list.len(), n as usize);
    list
}

#[test]
fn a_bare_context_gives_argv0() {
    let mut g = G::new(WasiCtx::new());
    assert_eq!(
        strings(&mut g, "args_sizes_get", "args_get"),
        [DEFAULT_ARGV0]
    );
    assert_eq!(DEFAULT_ARGV0, "main");
    // Arguments given replace the default.
    let mut b = WasiCtxBuilder::new();
    b.arg("prog").arg("x");
    let mut g = G::new(b.build());
    assert_eq!(strings(&mut g, "args_sizes_get", "args_get"), ["prog", "x"]);
}

#[test]
fn envs_sets_several_variables_in_order() {
    let mut b = WasiCtxBuilder::new();
    b.env("A", "0")
        .envs(&[("A", "1"), ("B", "two"), ("C", "")])
        .envs(&[(String::from("D"), String::from("x=y"))]);
    let mut g = G::new(b.build());
    assert_eq!(
        strings(&mut g, "environ_sizes_get", "environ_get"),
        ["A=1", "B=two", "C=", "D=x=y"]
    );
}

/// A monotonic clock that starts at `start` and advances `step` ns per read.
fn stepping(start: u64, step: u64) -> impl Fn() -> u64 + Send + Sync + Clone {
    let t = Arc::new(AtomicU64::new(start));
    move || t.fetch_add(step, Ordering::Relaxed)
}

#[test]
fn injected_clocks_and_random_are_what_the_guest_reads() {
    struct Coarse;
    impl wasp_wasi::Clock for Coarse {
        fn now(&self) -> u64 {
            1_700_000_000_123_456_789
        }
        fn resolution(&self) -> u64 {
            1_000_000
        }
    }
    let mut b = WasiCtxBuilder::new();
    b.realtime_clock(Coarse)
        .monotonic_clock(stepping(5_000, 10))
        .random_source(SeededRandom::new(42));
    let mut g = G::new(b.build());
    assert_eq!(g.call("clock_time_get", &[0, 0, 8]), 0);
    assert_eq!(g.u64(8), 1_700_000_000_123_456_789);
    assert_eq!(g.call("clock_res_get", &[0, 8]), 0);
    assert_eq!(g.u64(8), 1_000_000);
    for expected in [5_000, 5_010, 5_020] {
        assert_eq!(g.call("clock_time_get", &[1, 0, 8]), 0);
        assert_eq!(g.u64(8), expected);
    }
    // A closure clock has a resolution of 1 ns.
    assert_eq!(g.call("clock_res_get", &[1, 8]), 0);
    assert_eq!(g.u64(8), 1);
    // CPU-time clocks still read the host; unknown ids are still EINVAL.
    assert_eq!(g.call("clock_time_get", &[2, 0, 8]), 0);
    assert_eq!(g.call("clock_time_get", &[9, 0, 8]), errno(Errno::INVAL));

    // random_get: the seeded generator's bytes, the same for the same seed.
    let mut expected = [0u8; 37];
    wasp_wasi::RandomSource::fill(&mut SeededRandom::new(42), &mut expected);
    assert_eq!(g.call("random_get", &[100, 37]), 0);
    assert_eq!(g.get(100, 37), expected);
    assert_eq!(g.get(137, 1), [MARK]);
    let mut other = [0u8; 37];
    wasp_wasi::RandomSource::fill(&mut SeededRandom::new(43), &mut other);
    assert_ne!(expected, other);
    // Out of bounds: EFAULT, the source is not consulted.
    assert_eq!(
        g.call("random_get", &[MEM as u64 - 4, 8]),
        errno(Errno::FAULT)
    );

    // A closure is a random source too.
    let mut b = WasiCtxBuilder::new();
    b.random_source(|buf: &mut [u8]| buf.fill(7));
    let mut g = G::new(b.build());
    assert_eq!(g.call("random_get", &[0, 5]), 0);
    assert_eq!(g.get(0, 6), [7, 7, 7, 7, 7, MARK]);
}

/// Writes one clock subscription at `p` (absolute when `abs`).
fn clock_sub(g: &mut G, p: u32, id: u32, timeout: u64, abs: bool) {
    let mut sub = [0u8; 48];
    sub[0..8].copy_from_slice(&77u64.to_le_bytes());
    sub[16..20].copy_from_slice(&id.to_le_bytes());
    sub[24..32].copy_from_slice(&timeout.to_le_bytes());
    sub[40] = abs as u8;
    g.put(p, &sub);
}

#[test]
fn absolute_poll_deadlines_follow_the_injected_clocks() {
    let mono = 1_000_000_000_000u64; // far from the host's monotonic clock
    let real = 1_700_000_000_000_000_000u64;
    let mut b = WasiCtxBuilder::new();
    b.monotonic_clock(move || mono).realtime_clock(move || real);
    let mut g = G::new(b.build());
    for (id, base) in [(1, mono), (0, real)] {
        // 60 ms after the guest's now: the call waits about 60 ms of host time.
        clock_sub(&mut g, 1024, id, base + 60_000_000, true);
        let t = Instant::now();
        assert_eq!(g.call("poll_oneoff", &[1024, 2048, 1, 4000]), 0);
        let waited = t.elapsed();
        assert_eq!(g.u32(4000), 1);
        assert_eq!(g.u64(2048), 77);
        assert!(
            waited >= Duration::from_millis(55),
            "clock {id}: {waited:?}"
        );
        assert!(waited < Duration::from_secs(5), "clock {id}: {waited:?}");
        // A deadline the guest's clock has passed fires at once.
        clock_sub(&mut g, 1024, id, base - 1, true);
        let t = Instant::now();
        assert_eq!(g.call("poll_oneoff", &[1024, 2048, 1, 4000]), 0);
        assert_eq!(g.u32(4000), 1);
        assert!(t.elapsed() < Duration::from_millis(50));
    }
}

#[test]
fn bounded_output_is_a_full_disk() {
    let out = MemoryOutput::bounded(10);
    let err = MemoryOutput::bounded(0);
    let mut b = WasiCtxBuilder::new();
    b.stdout(out.clone()).stderr(err.clone());
    let mut g = G::new(b.build());
    assert_eq!(g.write(1, b"hello "), Ok(6));
    // A short write: what fits.
    assert_eq!(g.write(1, b"world!"), Ok(4));
    assert!(out.is_full());
    // Then ENOSPC, and nothing more is kept.
    assert_eq!(g.write(1, b"more"), Err(Errno::NOSPC));
    assert_eq!(g.write(2, b"x"), Err(Errno::NOSPC));
    assert_eq!(out.contents(), b"hello worl");
    assert!(err.contents().is_empty());
    // An empty write still succeeds.
    assert_eq!(g.write(1, b""), Ok(0));
    // Two iovecs: the first fits, the second is cut.
    let drained = out.take_contents();
    assert_eq!(drained, b"hello worl");
    assert!(!out.is_full());
    let (p1, l1) = g.bytes(b"abcdef");
    let (p2, l2) = g.bytes(b"ghijkl");
    let iov = g.iovs(&[(p1 as u32, l1 as u32), (p2 as u32, l2 as u32)]);
    assert_eq!(g.call("fd_write", &[1, iov.0, iov.1, 8]), 0);
    assert_eq!(g.u32(8), 10);
    assert_eq!(out.contents_string(), "abcdefghij");
    assert_eq!(out.capacity(), Some(10));

    // A guest that writes far more than the capacity: host memory stays bounded.
    let out = MemoryOutput::bounded(1000);
    let mut b = WasiCtxBuilder::new();
    b.stdout(out.clone());
    let mut g = G::new(b.build());
    let (p, l) = g.bytes(&vec![b'z'; 64 * 1024]);
    let iov = g.iovs(&[(p as u32, l as u32)]);
    assert_eq!(g.call("fd_write", &[1, iov.0, iov.1, 8]), 0);
    assert_eq!(g.u32(8), 1000);
    for _ in 0..64 {
        assert_eq!(
            g.call("fd_write", &[1, iov.0, iov.1, 8]),
            errno(Errno::NOSPC)
        );
    }
    assert_eq!(out.contents().len(), 1000);
}

// ---------------------------------------------------------------------------------------
// The Go guest

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `tests/go/clockrand` built for wasip1 (once per test process) with the
/// toolchain and build cache the CLI's Go tests use.
fn clockrand_wasm() -> &'static Path {
    static WASM: OnceLock<PathBuf> = OnceLock::new();
    WASM.get_or_init(|| {
        let root = repo_root();
        let install = std::process::Command::new("bash")
            .arg(root.join("scripts/install-go.sh"))
            .output()
            .expect("running scripts/install-go.sh");
        assert!(install.status.success(), "install-go.sh: {install:?}");
        let go = String::from_utf8(install.stdout)
            .unwrap()
            .trim()
            .to_string();
        let work = root.join("target/go-stdlib");
        let out_dir = root.join("target/guests/wasp-wasi");
        std::fs::create_dir_all(&out_dir).unwrap();
        let out = out_dir.join(format!("clockrand-{}.wasm", std::process::id()));
        let status = std::process::Command::new(go)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go"))
            .env("GOOS", "wasip1")
            .env("GOARCH", "wasm")
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOWORK", "off")
            .env("GOFLAGS", "")
            .env("CGO_ENABLED", "0")
            .env("GOCACHE", work.join("gocache"))
            .env("GOPATH", work.join("gopath"))
            .env_remove("GOROOT")
            .args(["build", "-trimpath", "-o"])
            .arg(&out)
            .arg("./clockrand")
            .status()
            .expect("running go build");
        assert!(status.success(), "go build ./clockrand: {status}");
        let kept = out_dir.join("clockrand.wasm");
        std::fs::rename(&out, &kept).unwrap();
        kept
    })
}

/// Runs the Go guest with `ctx` (stdout captured in `out`); returns stdout.
fn run_go(ctx: WasiCtx, out: &MemoryOutput) -> String {
    static MODULE: OnceLock<(Engine, Module)> = OnceLock::new();
    let (engine, module) = MODULE.get_or_init(|| {
        let engine = Engine::default();
        let module = Module::from_file(&engine, clockrand_wasm()).unwrap();
        (engine, module)
    });
    let mut linker: Linker<WasiCtx> = Linker::new(engine);
    wasp_wasi::add_to_linker(&mut linker, |c| c).unwrap();
    let pre = linker.instantiate_pre(module).unwrap();
    let mut store = Store::new(engine, ctx);
    store.set_timeout(Duration::from_secs(60));
    let inst = pre.instantiate(&mut store).unwrap();
    let start = inst.get_typed_func::<(), ()>(&store, "_start").unwrap();
    match start.call(&mut store, ()) {
        Ok(()) => {}
        Err(e) if e.exit_status() == Some(0) => {}
        Err(e) => panic!("guest failed: {e}\nstdout: {}", out.contents_string()),
    }
    out.contents_string()
}

fn deterministic_ctx(seed: u64, out: &MemoryOutput) -> WasiCtx {
    let mut b = WasiCtxBuilder::new();
    b.arg("handler")
        .envs(&[("REQUEST", "7"), ("METHOD", "GET")])
        .stdout(out.clone())
        .realtime_clock(|| 1_700_000_000_123_456_789)
        .monotonic_clock(stepping(1_000_000, 50_000))
        .random_source(SeededRandom::new(seed));
    b.build()
}

#[test]
fn go_output_is_deterministic_with_injected_clocks_and_random() {
    let runs: Vec<String> = [1, 1, 2]
        .iter()
        .map(|&seed| {
            let out = MemoryOutput::bounded(1 << 20);
            run_go(deterministic_ctx(seed, &out), &out)
        })
        .collect();
    let first = &runs[0];
    assert!(
        first.starts_with("now=2023-11-14T22:13:20.123456789Z\n"),
        "{first}"
    );
    assert!(first.contains("\nslept=true\n"), "{first}");
    assert!(first.contains("\nargs=[\"handler\"]\n"), "{first}");
    assert!(
        first.contains("\nenv=[\"REQUEST=7\" \"METHOD=GET\"]\n"),
        "{first}"
    );
    // Byte for byte the same with the same seed...
    assert_eq!(runs[0], runs[1]);
    // ...and other random values (rand, crypto/rand, map order) with another.
    let line = |s: &str, key: &str| {
        s.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("no {key} in {s}"))
            .to_string()
    };
    for key in ["rand=", "crypto=", "map="] {
        assert_ne!(line(&runs[0], key), line(&runs[2], key), "{key}");
    }
    // The clock does not depend on the seed.
    assert_eq!(line(&runs[0], "now="), line(&runs[2], "now="));
}

/// From the third request on, each Go instance's memory is a region the
/// previous request released (the engine's memory pool), reset to the
/// module's image: Go's runtime must find the same initial heap and data
/// every time, and so print the same bytes.
#[test]
fn go_output_is_the_same_from_pooled_memories() {
    let runs: Vec<String> = (0..6)
        .map(|_| {
            let out = MemoryOutput::bounded(1 << 20);
            run_go(deterministic_ctx(3, &out), &out)
        })
        .collect();
    assert!(runs[0].contains("\nslept=true\n"), "{}", runs[0]);
    for (i, r) in runs.iter().enumerate() {
        assert_eq!(r, &runs[0], "request {i}");
    }
}

#[test]
fn go_runs_with_a_bare_context_and_sees_argv0() {
    // WasiCtx::new() discards output: give only stdout.
    let out = MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.stdout(out.clone());
    let stdout = run_go(b.build(), &out);
    assert!(stdout.contains("\nargs=[\"main\"]\n"), "{stdout}");
    assert!(stdout.contains("\nenv=[]\n"), "{stdout}");
}

#[test]
fn go_with_a_small_output_pipe_keeps_running() {
    // 20 bytes hold only part of the first line; Go's later writes fail
    // with ENOSPC (fmt ignores the error) and the program still ends normally.
    let out = MemoryOutput::bounded(20);
    let stdout = run_go(deterministic_ctx(1, &out), &out);
    assert_eq!(stdout, "now=2023-11-14T22:13");
}
