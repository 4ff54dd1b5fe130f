//! `poll_oneoff` with more subscriptions than `RLIMIT_NOFILE` and with
//! millions of them: per-subscription answers only, and host memory per
//! call that does not grow with the count (measured with a counting global
//! allocator, which is why these tests have their own binary).

mod common;
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use wasp_wasi::types::*;
use wasp_wasi::{Errno, WasiCtxBuilder};

/// Counts the bytes live on the heap and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to `System` with the same arguments; the
// counters are plain atomics and never affect the allocation itself.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The tests measure the heap one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn fd_sub(userdata: u64, ty: u8, fd: u32) -> [u8; 48] {
    let mut b = [0u8; 48];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8] = ty;
    b[16..20].copy_from_slice(&fd.to_le_bytes());
    b
}

/// Calls `poll_oneoff` and returns (errno, nevents, peak extra heap bytes
/// during the call).
fn poll_measured(g: &mut G, input: u32, out: u32, n: u32, n_ptr: u32) -> (i32, u32, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let r = g.call(
        "poll_oneoff",
        &[input as u64, out as u64, n as u64, n_ptr as u64],
    );
    let extra = PEAK.load(Ordering::Relaxed) - before;
    (r, g.u32(n_ptr), extra)
}

/// A guest whose fd 0 is a pipe holding `data` and fd 1 a pipe with room.
fn pipes(data: &[u8], mem: usize) -> (G, std::io::PipeWriter, std::io::PipeReader) {
    let (r, mut w) = std::io::pipe().unwrap();
    let (r2, w2) = std::io::pipe().unwrap();
    w.write_all(data).unwrap();
    let mut b = WasiCtxBuilder::new();
    b.stdin_fd(r).stdout_fd(w2);
    (G::with_mem(b.build(), mem), w, r2)
}

/// The soft `RLIMIT_NOFILE`, lowered to 4,096 if it is higher (this test
/// binary opens a handful of fds), so the count below stays small.
fn nofile_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut lim = getrlimit(Resource::Nofile);
    if lim.current.is_none_or(|c| c > 4096) {
        lim.current = Some(4096);
        setrlimit(Resource::Nofile, lim).unwrap();
    }
    getrlimit(Resource::Nofile).current.unwrap()
}

#[test]
fn more_subscriptions_on_one_pipe_than_rlimit_nofile() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // Before: one pollfd per subscription, and poll(2) refuses more than
    // RLIMIT_NOFILE of them with EINVAL, which fails the whole call (Go's
    // runtime aborts on it).
    let limit = nofile_limit() as u32;
    for n in [1025, limit + 1] {
        let (mut g, _w, _r) = pipes(b"abc", 4 << 20);
        let input = g.alloc(48 * n);
        for i in 0..n {
            let (ty, fd) = if i % 4 == 3 {
                (EVENTTYPE_FD_WRITE, 1)
            } else {
                (EVENTTYPE_FD_READ, 0)
            };
            g.put(input + 48 * i, &fd_sub(i as u64, ty, fd));
        }
        let out = g.alloc(32 * n);
        let n_ptr = g.alloc(4);
        let (r, nevents, _) = poll_measured(&mut g, input, out, n, n_ptr);
        assert_eq!(r, 0, "{n} subscriptions: {:?}", Errno::from_raw(r as u16));
        assert_eq!(nevents, n, "every subscription is ready");
        for i in 0..n {
            let at = out + 32 * i;
            assert_eq!(g.u64(at), i as u64, "in subscription order");
            assert_eq!(g.u16(at + 8), 0, "no error");
            let read = i % 4 != 3;
            let ty = if read {
                EVENTTYPE_FD_READ
            } else {
                EVENTTYPE_FD_WRITE
            };
            assert_eq!(g.get(at + 10, 1), &[ty]);
            assert_eq!(g.u64(at + 16), if read { 3 } else { 0 }, "nbytes");
        }
    }
}

#[test]
fn millions_of_subscriptions_in_bounded_host_memory() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 2 M subscriptions (96 MB of guest memory), the events written over
    // them (out == in). Before: ~80 bytes of host memory per subscription.
    let n: u32 = 2_000_000;
    // In-process stdio (always ready, nothing to poll) and bad fds.
    let mut g = G::with_mem(wasp_wasi::WasiCtx::new(), 200 << 20);
    let input = g.alloc(48 * n);
    for i in 0..n {
        g.put(input + 48 * i, &fd_sub(i as u64, EVENTTYPE_FD_WRITE, i % 3));
    }
    let n_ptr = g.alloc(4);
    let (r, nevents, extra) = poll_measured(&mut g, input, input, n, n_ptr);
    assert_eq!((r, nevents), (0, n));
    assert!(
        extra < 256 << 10,
        "{extra} bytes of host memory for {n} subscriptions"
    );
    assert_eq!(g.u64(input + 32 * (n - 1)), (n - 1) as u64);
    drop(g);
    // Host pipes (polled) and bad fds.
    let (mut g, _w, _r) = pipes(b"x", 200 << 20);
    let input = g.alloc(48 * n);
    for i in 0..n {
        let s = match i % 3 {
            0 => fd_sub(i as u64, EVENTTYPE_FD_READ, 0),
            1 => fd_sub(i as u64, EVENTTYPE_FD_WRITE, 1),
            _ => fd_sub(i as u64, EVENTTYPE_FD_READ, 77), // EBADF
        };
        g.put(input + 48 * i, &s);
    }
    let n_ptr = g.alloc(4);
    let (r, nevents, extra) = poll_measured(&mut g, input, input, n, n_ptr);
    assert_eq!(r, 0);
    assert_eq!(nevents, n);
    assert!(
        extra < 256 << 10,
        "{extra} bytes of host memory for {n} subscriptions"
    );
    for i in (0..n).step_by(997) {
        let at = input + 32 * i;
        assert_eq!(g.u64(at), i as u64);
        let want = if i % 3 == 2 {
            Errno::BADF
        } else {
            Errno::SUCCESS
        };
        assert_eq!(g.u16(at + 8), want.raw());
    }
    // Nothing ready but an error in the middle of many waits: one event.
    let (mut g, _w, _r) = pipes(b"", 200 << 20);
    let input = g.alloc(48 * n);
    for i in 0..n {
        let fd = if i == n / 2 { 99 } else { 0 };
        g.put(input + 48 * i, &fd_sub(i as u64, EVENTTYPE_FD_READ, fd));
    }
    let n_ptr = g.alloc(4);
    let (r, nevents, extra) = poll_measured(&mut g, input, input, n, n_ptr);
    assert_eq!((r, nevents), (0, 1));
    assert!(extra < 256 << 10, "{extra} bytes");
    assert_eq!(g.u64(input), (n / 2) as u64);
    assert_eq!(g.u16(input + 8), Errno::BADF.raw());
}

#[test]
fn huge_counts_and_overlapping_buffers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (mut g, _w, _r) = pipes(b"x", 4 << 20);
    // 100 M subscriptions cannot be in a 4 MiB memory: EFAULT, at once.
    let (r, _, extra) = poll_measured(&mut g, 0, 0, 100_000_000, 64);
    assert_eq!(r, errno(Errno::FAULT));
    assert!(extra < 4096);
    let (r, _, _) = poll_measured(&mut g, 0, 0, u32::MAX, 64);
    assert_eq!(r, errno(Errno::FAULT));
    // Up to 1,024 subscriptions, `out` may overlap `in` anywhere: all are
    // read before any event is written.
    let n = 1024u32;
    let input = g.alloc(48 * n + 32 * n);
    for i in 0..n {
        g.put(input + 48 * i, &fd_sub(i as u64, EVENTTYPE_FD_READ, 0));
    }
    let out = input + 48 * n - 32;
    let n_ptr = g.alloc(4);
    let (r, nevents, _) = poll_measured(&mut g, input, out, n, n_ptr);
    assert_eq!((r, nevents), (0, n));
    for i in 0..n {
        assert_eq!(g.u64(out + 32 * i), i as u64);
    }
    // More than that: an `out` starting up to 16 KiB past `in` works...
    let n = 4000u32;
    let input = g.alloc(48 * n + 32 * n);
    for i in 0..n {
        g.put(input + 48 * i, &fd_sub(i as u64, EVENTTYPE_FD_READ, 0));
    }
    let out = input + 16 * 1024;
    let (r, nevents, _) = poll_measured(&mut g, input, out, n, n_ptr);
    assert_eq!((r, nevents), (0, n));
    for i in 0..n {
        assert_eq!(g.u64(out + 32 * i), i as u64);
    }
    // ...one further would overwrite unread subscriptions: EINVAL.
    for i in 0..n {
        g.put(input + 48 * i, &fd_sub(i as u64, EVENTTYPE_FD_READ, 0));
    }
    let (r, _, _) = poll_measured(&mut g, input, out + 8, n, n_ptr);
    assert_eq!(r, errno(Errno::INVAL));
}
