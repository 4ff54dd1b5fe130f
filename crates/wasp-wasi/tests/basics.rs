//! args, environ, clocks, random, sched, proc, denial: exact bytes in memory
//! and every errno path.

mod common;
use common::*;
use wasp_wasi::types::*;
use wasp_wasi::{Errno, WasiCtx, WasiCtxBuilder, WASI_FUNCTIONS};

#[test]
fn args_exact_bytes() {
    let mut b = WasiCtxBuilder::new();
    b.arg("a").arg("bc").arg("");
    let mut g = G::new(b.build());
    assert_eq!(g.call("args_sizes_get", &[100, 104]), 0);
    assert_eq!(
        g.get(96, 12),
        &[MARK, MARK, MARK, MARK, 3, 0, 0, 0, 6, 0, 0, 0]
    );
    assert_eq!(g.get(108, 1), &[MARK]);
    assert_eq!(g.call("args_get", &[200, 300]), 0);
    assert_eq!(
        g.get(200, 13),
        &[44, 1, 0, 0, 46, 1, 0, 0, 49, 1, 0, 0, MARK]
    );
    assert_eq!(g.get(299, 8), &[MARK, b'a', 0, b'b', b'c', 0, 0, MARK]);
}

#[test]
fn args_efault_writes_nothing() {
    let mut b = WasiCtxBuilder::new();
    b.arg("prog").arg("x");
    let mut g = G::new(b.build());
    let end = MEM as u64;
    assert_eq!(g.call("args_sizes_get", &[end - 3, 0]), errno(Errno::FAULT));
    assert_eq!(g.call("args_sizes_get", &[0, end]), errno(Errno::FAULT));
    assert_eq!(
        g.get(0, 4),
        &[MARK; 4],
        "first result not written when second is bad"
    );
    assert_eq!(g.call("args_get", &[end - 4, 0]), errno(Errno::FAULT));
    assert_eq!(g.call("args_get", &[0, end - 6]), errno(Errno::FAULT));
    assert_eq!(g.get(0, 16), &[MARK; 16]);
    assert_eq!(
        g.call("args_get", &[u32::MAX as u64, 0]),
        errno(Errno::FAULT)
    );
    // the pointer array may not wrap around the 4 GiB space either
    assert_eq!(
        g.call("args_get", &[0, u32::MAX as u64 - 2]),
        errno(Errno::FAULT)
    );
}

#[test]
fn environ_exact_bytes() {
    let mut b = WasiCtxBuilder::new();
    b.env("A", "1").env("B", "").env("A", "2");
    let mut g = G::new(b.build());
    assert_eq!(g.call("environ_sizes_get", &[0, 4]), 0);
    assert_eq!(g.get(0, 8), &[2, 0, 0, 0, 7, 0, 0, 0]);
    assert_eq!(g.call("environ_get", &[16, 64]), 0);
    assert_eq!(g.get(16, 9), &[64, 0, 0, 0, 67, 0, 0, 0, MARK]);
    assert_eq!(g.get(64, 7), b"B=\0A=2\0");
    assert_eq!(
        g.call("environ_get", &[MEM as u64 - 4, 64]),
        errno(Errno::FAULT)
    );
    // empty environment
    let mut g = G::new(WasiCtx::new());
    assert_eq!(g.call("environ_sizes_get", &[0, 4]), 0);
    assert_eq!(g.get(0, 8), &[0; 8]);
    assert_eq!(g.call("environ_get", &[16, 64]), 0);
    assert_eq!(g.get(16, 1), &[MARK]);
}

#[test]
fn clocks() {
    let mut g = G::new(WasiCtx::new());
    for id in 0..4u64 {
        g.put(0, &[MARK; 16]);
        assert_eq!(g.call("clock_res_get", &[id, 0]), 0, "clock {id}");
        let res = g.u64(0);
        assert!((1..=1_000_000).contains(&res), "clock {id} res {res}");
        assert_eq!(g.get(8, 1), &[MARK]);
        assert_eq!(g.call("clock_time_get", &[id, 0, 8]), 0);
        assert_ne!(g.u64(8), u64::from_le_bytes([MARK; 8]));
    }
    assert_eq!(g.call("clock_time_get", &[4, 0, 0]), errno(Errno::INVAL));
    assert_eq!(g.call("clock_res_get", &[99, 0]), errno(Errno::INVAL));
    assert_eq!(
        g.call("clock_time_get", &[0, 0, MEM as u64 - 7]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("clock_res_get", &[0, MEM as u64]),
        errno(Errno::FAULT)
    );
    // realtime is near the host's clock
    g.call("clock_time_get", &[CLOCK_REALTIME as u64, 1, 0]);
    let host = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    assert!(host.abs_diff(g.u64(0)) < 5_000_000_000);
    // monotonic never goes back; CPU clocks advance with work
    g.call("clock_time_get", &[CLOCK_MONOTONIC as u64, 0, 0]);
    g.call("clock_time_get", &[CLOCK_PROCESS_CPUTIME as u64, 0, 8]);
    g.call("clock_time_get", &[CLOCK_THREAD_CPUTIME as u64, 0, 16]);
    // Burn CPU until the thread clock has advanced 20 ms (bounded by wall time).
    let mut x = 0u64;
    let spin = std::time::Instant::now();
    loop {
        for _ in 0..100_000 {
            x = x.wrapping_mul(31).wrapping_add(1);
        }
        g.call("clock_time_get", &[CLOCK_THREAD_CPUTIME as u64, 0, 40]);
        if g.u64(40) >= g.u64(16) + 20_000_000 || spin.elapsed().as_secs() > 30 {
            break;
        }
    }
    std::hint::black_box(x);
    g.call("clock_time_get", &[CLOCK_MONOTONIC as u64, 0, 24]);
    g.call("clock_time_get", &[CLOCK_PROCESS_CPUTIME as u64, 0, 32]);
    let thread_delta = g.u64(40) - g.u64(16);
    assert!(thread_delta >= 20_000_000, "thread cpu time advanced");
    assert!(
        g.u64(32) - g.u64(8) >= thread_delta,
        "process cpu >= thread cpu"
    );
    assert!(
        g.u64(24) - g.u64(0) >= thread_delta,
        "wall time >= cpu time"
    );
}

#[test]
fn random_fills_everything() {
    let mut g = G::new(WasiCtx::new());
    let n = 100_000u32;
    assert_eq!(g.call("random_get", &[16, n as u64]), 0);
    assert_eq!(g.get(15, 1), &[MARK]);
    assert_eq!(g.get(16 + n, 1), &[MARK]);
    // no long run of the marker byte survives
    let data = g.get(16, n as usize);
    let longest = data
        .split(|b| *b != MARK)
        .map(|run| run.len())
        .max()
        .unwrap();
    assert!(longest < 8, "marker run of {longest}");
    let counts = data.iter().fold([0u32; 256], |mut c, b| {
        c[*b as usize] += 1;
        c
    });
    assert!(counts.iter().all(|c| *c > 200), "bytes are spread");
    assert_eq!(
        g.call("random_get", &[MEM as u64 - 10, 11]),
        errno(Errno::FAULT)
    );
    assert_eq!(g.get(MEM as u32 - 10, 10), &[MARK; 10]);
    assert_eq!(g.call("random_get", &[MEM as u64, 0]), 0);
}

#[test]
fn sched_proc_and_argument_checks() {
    let mut g = G::new(WasiCtx::new());
    assert_eq!(g.call("sched_yield", &[]), 0);
    assert_eq!(g.call("proc_raise", &[6]), errno(Errno::NOSYS));
    assert_eq!(g.call("proc_raise", &[31]), errno(Errno::INVAL));
    let e = g.ctx.call(&mut g.mem, "proc_exit", &[3]).unwrap_err();
    assert_eq!(e.exit_status(), Some(3));
    assert!(g.ctx.call(&mut g.mem, "fd_write", &[1]).is_err());
    assert!(g.ctx.call(&mut g.mem, "no_such_function", &[]).is_err());
}

#[test]
fn proc_exit_accepts_only_statuses_below_126() {
    // WASI: a status of 126 or more behaves like `unreachable`. It must
    // never become an exit status (256 would be 0 = success to a shell, 134
    // would pass for a trap, -1 for 255).
    let out = wasp_wasi::MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.stdout(std::io::BufWriter::new(out.clone()));
    let mut g = G::new(b.build());
    for status in [0u32, 1, 42, 125] {
        let e = g.ctx.call(&mut g.mem, "proc_exit", &[status as u64]);
        assert_eq!(e.unwrap_err().exit_status(), Some(status as i32));
    }
    assert_eq!(g.write(1, b"last words\n"), Ok(11));
    for status in [126u32, 127, 134, 255, 256, 257, 1 << 31, u32::MAX] {
        let e = g
            .ctx
            .call(&mut g.mem, "proc_exit", &[status as u64])
            .unwrap_err();
        assert_eq!(e.exit_status(), None, "proc_exit({status}) is no exit");
        assert!(e.trap().is_none(), "proc_exit({status}) is no wasm trap");
        let msg = e.to_string();
        assert!(msg.contains(&format!("proc_exit({status})")), "{msg}");
        assert!(msg.contains("invalid exit status"), "{msg}");
    }
    // a refused exit still flushes what the guest wrote
    assert_eq!(out.contents_string(), "last words\n");
}

#[test]
fn proc_exit_flushes_output() {
    struct Buffered(std::io::BufWriter<wasp_wasi::MemoryOutput>);
    impl std::io::Write for Buffered {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.write(b)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0.flush()
        }
    }
    let out = wasp_wasi::MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.stdout(Buffered(std::io::BufWriter::new(out.clone())));
    let mut g = G::new(b.build());
    assert_eq!(g.write(1, b"bye\n"), Ok(4));
    let e = g.ctx.call(&mut g.mem, "proc_exit", &[0]).unwrap_err();
    assert_eq!(e.exit_status(), Some(0));
    assert_eq!(out.contents(), b"bye\n");
}

#[test]
fn denied_functions_return_enosys_and_touch_nothing() {
    let out = wasp_wasi::MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.stdout(out.clone()).arg("x");
    for name in [
        "fd_write",
        "args_sizes_get",
        "random_get",
        "proc_exit",
        "path_open",
    ] {
        b.deny(name).unwrap();
    }
    assert!(b.deny("fd_frobnicate").is_err());
    let mut g = G::new(b.build());
    assert!(g.ctx.is_denied("fd_write"));
    assert!(!g.ctx.is_denied("fd_read"));
    assert_eq!(g.write(1, b"hi"), Err(Errno::NOSYS));
    assert!(out.contents().is_empty());
    assert_eq!(g.call("args_sizes_get", &[0, 4]), errno(Errno::NOSYS));
    assert_eq!(g.get(0, 8), &[MARK; 8]);
    assert_eq!(g.call("random_get", &[0, 8]), errno(Errno::NOSYS));
    assert_eq!(g.get(0, 8), &[MARK; 8]);
    let e = g.ctx.call(&mut g.mem, "proc_exit", &[0]).unwrap_err();
    assert_eq!(e.exit_status(), None);
    assert_eq!(g.call("args_get", &[0, 64]), 0);
}

#[test]
fn function_list() {
    assert_eq!(WASI_FUNCTIONS.len(), 46);
    assert!(WASI_FUNCTIONS.contains(&"poll_oneoff"));
    assert!(WASI_FUNCTIONS.contains(&"sock_accept"));
    assert_eq!(wasp_wasi::MODULE, "wasi_snapshot_preview1");
}
