//! Host resources per call are bounded whatever the guest asks (issue 8,
//! defects 3 and 4): huge iovec counts, byte totals beyond what the `u32`
//! result can report, and huge path strings.
//!
//! A counting global allocator measures what the host allocates on the test's
//! thread during one call, so the bounds are asserted exactly rather than
//! through the process's RSS (other tests run in parallel).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use wasp_wasi::types::{rights, OFLAGS_CREAT};
use wasp_wasi::{DirPerms, Errno, WasiCtx, WasiCtxBuilder};

/// The system allocator, counting the live bytes of each thread.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(delta: isize) {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters are plain thread-local integers whose
// access never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as our caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as our caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this layout (we forward all).
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with this layout (we forward all).
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`; returns its result and the peak number of bytes the current
/// thread had allocated above its starting point meanwhile.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let r = f();
    (r, (PEAK.with(Cell::get) - start).max(0) as usize)
}

/// What one call may allocate at most: a bounded iovec batch (1,024 entries)
/// plus the host's 1 MiB scatter buffer, with room to spare.
const CALL_BOUND: usize = 2 << 20;

/// Most iovecs one call processes (Linux's `IOV_MAX`).
const IOV_MAX: u32 = 1024;

/// A guest: a context and a zero-filled memory (untouched pages cost nothing,
/// so a 1 GiB memory is cheap).
struct Guest {
    ctx: WasiCtx,
    mem: Vec<u8>,
}

impl Guest {
    fn new(ctx: WasiCtx, size: usize) -> Guest {
        Guest {
            ctx,
            mem: vec![0; size],
        }
    }

    fn call(&mut self, name: &str, args: &[u64]) -> Result<(), Errno> {
        match self.ctx.call(&mut self.mem, name, args).unwrap() {
            0 => Ok(()),
            e => Err(Errno::from_raw(e as u16)),
        }
    }

    fn put(&mut self, at: usize, bytes: &[u8]) {
        self.mem[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.mem[at..at + 4].try_into().unwrap())
    }

    /// Writes `count` iovecs `(buf, len)` from `at`.
    fn iovecs(&mut self, at: usize, count: usize, buf: u32, len: u32) {
        for i in 0..count {
            let e = at + i * 8;
            self.put(e, &buf.to_le_bytes());
            self.put(e + 4, &len.to_le_bytes());
        }
    }

    /// Opens `name` beneath the preopen (fd 3), creating it, for reading and
    /// writing.
    fn open(&mut self, name: &str, scratch: usize) -> u32 {
        let bytes = name.as_bytes().to_vec();
        self.put(scratch, &bytes);
        let rw = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK | rights::FD_TELL;
        let out = scratch + 256;
        self.call(
            "path_open",
            &[
                3,
                1,
                scratch as u64,
                bytes.len() as u64,
                OFLAGS_CREAT as u64,
                rw,
                rw,
                0,
                out as u64,
            ],
        )
        .unwrap();
        self.u32(out)
    }
}

/// A connected socket in the guest (fd 4) and its host-side peer.
fn connected(ctx: &mut WasiCtxBuilder) -> impl FnOnce(&mut Guest) -> TcpStream {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    ctx.preopened_listener(l).unwrap();
    move |g: &mut Guest| {
        let peer = TcpStream::connect(addr).unwrap();
        g.call("fd_fdstat_set_flags", &[4, 0]).unwrap();
        g.call("sock_accept", &[4, 0, 0]).unwrap();
        assert_eq!(g.u32(0), 5);
        peer
    }
}

#[test]
fn a_hundred_million_iovecs_cost_the_host_a_fixed_amount() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data"), vec![b'd'; 8192]).unwrap();
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(dir.path(), "/d", DirPerms::ReadWrite)
        .unwrap();
    let out = wasp_wasi::MemoryOutput::new();
    b.stdout(out.clone());
    let accept = connected(&mut b);
    let mut g = Guest::new(b.build(), 1 << 30);
    let mut peer = accept(&mut g);
    let data = g.open("data", 1024);
    // 100 M iovecs (800 MB of array) from 4096: the first 2,048 point at the
    // same guest byte (64, overlapping), the rest are empty.
    const COUNT: u64 = 100_000_000;
    const IOVS: u64 = 4096;
    g.put(64, b"x");
    g.iovecs(IOVS as usize, 2048, 64, 1);
    let nptr = 128u64;
    let mut sent = 0;
    let calls: [(&str, Vec<u64>); 7] = [
        ("fd_write", vec![1, IOVS, COUNT, nptr]),
        ("fd_write", vec![data as u64, IOVS, COUNT, nptr]),
        ("fd_pwrite", vec![data as u64, IOVS, COUNT, 0, nptr]),
        ("fd_read", vec![data as u64, IOVS, COUNT, nptr]),
        ("fd_pread", vec![data as u64, IOVS, COUNT, 0, nptr]),
        ("sock_send", vec![5, IOVS, COUNT, 0, nptr]),
        ("fd_write", vec![5, IOVS, COUNT, nptr]),
    ];
    for (name, args) in calls {
        let start = std::time::Instant::now();
        let (r, peak) = peak_during(|| g.call(name, &args));
        assert_eq!(r, Ok(()), "{name}");
        let n = g.u32(nptr as usize);
        eprintln!(
            "{name}: {n} bytes, peak {peak} bytes, {:?}",
            start.elapsed()
        );
        assert!(
            (1..=IOV_MAX).contains(&n),
            "{name}: {n} bytes (at most IOV_MAX iovecs of 1 byte)"
        );
        assert!(peak < CALL_BOUND, "{name} allocated {peak} bytes");
        if args[0] == 5 {
            sent += n as usize;
        }
    }
    assert_eq!(out.contents(), vec![b'x'; IOV_MAX as usize]);
    // What the socket sent is exactly what the calls reported.
    let mut got = vec![0; sent];
    peer.read_exact(&mut got).unwrap();
    assert!(got.iter().all(|&c| c == b'x'));
    // sock_recv: the peer sent plenty; one call takes at most IOV_MAX bytes.
    peer.write_all(&[b'p'; 8192]).unwrap();
    let (r, peak) = peak_during(|| g.call("sock_recv", &[5, IOVS, COUNT, 0, nptr, nptr + 4]));
    assert_eq!(r, Ok(()));
    let n = g.u32(nptr as usize);
    assert!((1..=IOV_MAX).contains(&n), "sock_recv: {n} bytes");
    assert!(peak < CALL_BOUND, "sock_recv allocated {peak} bytes");
}

/// Connects a guest's stdout somewhere; returns a counter if it counts.
type StdoutSetup = Box<dyn Fn(&mut WasiCtxBuilder) -> Option<CountingSink>>;

/// A `Write` that counts what it is given.
#[derive(Clone, Default)]
struct CountingSink(Arc<AtomicU64>);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_never_does_more_than_its_u32_count_can_report() {
    // 1,024 overlapping iovecs of 4 MiB each ask for exactly 4 GiB, one byte
    // more than `nwritten` can hold.
    const BUF: u32 = 1 << 20;
    const LEN: u32 = 4 << 20;
    let setups: [(&str, StdoutSetup); 2] = [
        (
            "in-process writer",
            Box::new(|b| {
                let sink = CountingSink::default();
                b.stdout(sink.clone());
                Some(sink)
            }),
        ),
        (
            "host fd (/dev/null)",
            Box::new(|b| {
                let null = std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/null")
                    .unwrap();
                b.stdout_fd(null);
                None
            }),
        ),
    ];
    for (what, setup) in setups {
        let mut b = WasiCtxBuilder::new();
        let sink = setup(&mut b);
        let mut g = Guest::new(b.build(), (BUF + LEN) as usize + 4096);
        let iovs = 4096usize;
        g.iovecs(iovs, 1024, BUF, LEN);
        g.call("fd_write", &[1, iovs as u64, 1024, 64]).unwrap();
        let n = g.u32(64) as u64;
        // The batch stops before the iovec that would overflow the count.
        assert_eq!(n, 1023 * LEN as u64, "{what}");
        if let Some(sink) = sink {
            assert_eq!(sink.0.load(Ordering::Relaxed), n, "{what}: bytes written");
        }
    }
}

#[test]
fn a_64_mib_path_is_refused_before_it_is_copied() {
    const LONG: usize = 64 << 20;
    let dir = tempfile::tempdir().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(dir.path(), "/d", DirPerms::ReadWrite)
        .unwrap();
    let mut g = Guest::new(b.build(), LONG + (1 << 20));
    let p = 4096u64;
    g.mem[p as usize..p as usize + LONG].fill(b'a');
    let (s, sl) = (LONG as u64 + 8192, 1u64);
    g.put(s as usize, b"s");
    let long = LONG as u64;
    let out = 64u64;
    let calls: [(&str, Vec<u64>); 12] = [
        ("path_open", vec![3, 1, p, long, 0, 0, 0, 0, out]),
        ("path_create_directory", vec![3, p, long]),
        ("path_filestat_get", vec![3, 1, p, long, out]),
        ("path_filestat_set_times", vec![3, 1, p, long, 0, 0, 2]),
        ("path_link", vec![3, 0, p, long, 3, s, sl]),
        ("path_link", vec![3, 0, s, sl, 3, p, long]),
        ("path_readlink", vec![3, p, long, out, 16, out]),
        ("path_remove_directory", vec![3, p, long]),
        ("path_rename", vec![3, s, sl, 3, p, long]),
        ("path_symlink", vec![p, long, 3, s, sl]),
        ("path_symlink", vec![s, sl, 3, p, long]),
        ("path_unlink_file", vec![3, p, long]),
    ];
    for (name, args) in calls {
        let (r, peak) = peak_during(|| g.call(name, &args));
        assert_eq!(r, Err(Errno::NAMETOOLONG), "{name}");
        assert!(peak < 64 << 10, "{name} allocated {peak} bytes");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
