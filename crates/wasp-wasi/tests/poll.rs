//! poll_oneoff: clocks (relative/absolute, realtime/monotonic), fds of every
//! kind, mixes, errors, 65,535 subscriptions, no spinning.

mod common;
use common::*;
use std::io::Write;
use std::time::{Duration, Instant};
use wasp_wasi::types::{rights, *};
use wasp_wasi::{DirPerms, Errno, WasiCtx, WasiCtxBuilder};

fn clock_sub(userdata: u64, id: u32, timeout: u64, flags: u16) -> [u8; 48] {
    let mut b = [0u8; 48];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8] = EVENTTYPE_CLOCK;
    b[16..20].copy_from_slice(&id.to_le_bytes());
    b[24..32].copy_from_slice(&timeout.to_le_bytes());
    b[40..42].copy_from_slice(&flags.to_le_bytes());
    b
}

fn fd_sub(userdata: u64, ty: u8, fd: u32) -> [u8; 48] {
    let mut b = [0u8; 48];
    b[0..8].copy_from_slice(&userdata.to_le_bytes());
    b[8] = ty;
    b[16..20].copy_from_slice(&fd.to_le_bytes());
    b
}

#[derive(Debug, PartialEq)]
struct Ev {
    userdata: u64,
    error: u16,
    ty: u8,
    nbytes: u64,
    flags: u16,
}

/// Runs poll_oneoff; returns the events (checking padding is zero).
fn poll(g: &mut G, subs: &[[u8; 48]]) -> Result<Vec<Ev>, Errno> {
    let input = g.alloc(48 * subs.len() as u32);
    for (i, s) in subs.iter().enumerate() {
        g.put(input + 48 * i as u32, s);
    }
    let out = g.alloc(32 * subs.len() as u32);
    let n_ptr = g.alloc(4);
    g.ok(
        "poll_oneoff",
        &[input as u64, out as u64, subs.len() as u64, n_ptr as u64],
    )?;
    let n = g.u32(n_ptr);
    assert!(n as usize <= subs.len());
    let mut evs = Vec::new();
    for i in 0..n {
        let at = out + 32 * i;
        let b = g.get(at, 32);
        assert_eq!(b[11..16], [0; 5], "padding");
        assert_eq!(b[26..32], [0; 6], "padding");
        evs.push(Ev {
            userdata: g.u64(at),
            error: g.u16(at + 8),
            ty: b[10],
            nbytes: g.u64(at + 16),
            flags: g.u16(at + 24),
        });
    }
    // nothing written past the events
    if (n as usize) < subs.len() {
        assert_eq!(g.get(out + 32 * n, 1), &[MARK]);
    }
    Ok(evs)
}

fn clock_ev(userdata: u64) -> Ev {
    Ev {
        userdata,
        error: 0,
        ty: EVENTTYPE_CLOCK,
        nbytes: 0,
        flags: 0,
    }
}

fn thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[test]
fn errors() {
    let mut g = G::new(WasiCtx::new());
    assert_eq!(
        g.call("poll_oneoff", &[0, 4096, 0, 8192]),
        errno(Errno::INVAL)
    );
    let s = clock_sub(1, CLOCK_MONOTONIC, 0, 0);
    g.put(0, &s);
    let end = MEM as u64;
    assert_eq!(
        g.call("poll_oneoff", &[end - 40, 4096, 1, 8192]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("poll_oneoff", &[0, end - 31, 1, 8192]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("poll_oneoff", &[0, 4096, 1, end - 3]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("poll_oneoff", &[0, 4096, 100_000, 8192]),
        errno(Errno::FAULT)
    );
    // unknown tag
    let mut bad = clock_sub(1, 0, 0, 0);
    bad[8] = 3;
    assert_eq!(poll(&mut g, &[bad]).unwrap_err(), Errno::INVAL);
    // per-subscription errors come back as events
    let evs = poll(
        &mut g,
        &[
            clock_sub(1, CLOCK_PROCESS_CPUTIME, 10, 0),
            clock_sub(2, 9, 10, 0),
            clock_sub(3, CLOCK_MONOTONIC, 10, 2),
            fd_sub(4, EVENTTYPE_FD_READ, 99),
        ],
    )
    .unwrap();
    let err = |u, e: Errno, ty| Ev {
        userdata: u,
        error: e.raw(),
        ty,
        nbytes: 0,
        flags: 0,
    };
    assert_eq!(
        evs,
        vec![
            err(1, Errno::NOTSUP, EVENTTYPE_CLOCK),
            err(2, Errno::INVAL, EVENTTYPE_CLOCK),
            err(3, Errno::INVAL, EVENTTYPE_CLOCK),
            err(4, Errno::BADF, EVENTTYPE_FD_READ),
        ]
    );
}

#[test]
fn relative_sleep_uses_no_cpu() {
    let mut g = G::new(WasiCtx::new());
    let cpu = thread_cpu();
    let t = Instant::now();
    let evs = poll(
        &mut g,
        &[clock_sub(
            0xdead_beef_0000_0001,
            CLOCK_MONOTONIC,
            200_000_000,
            0,
        )],
    )
    .unwrap();
    let wall = t.elapsed();
    let used = thread_cpu() - cpu;
    assert_eq!(evs, vec![clock_ev(0xdead_beef_0000_0001)]);
    assert!(wall >= Duration::from_millis(200), "{wall:?}");
    assert!(wall < Duration::from_millis(1500), "{wall:?}");
    assert!(
        used < Duration::from_millis(20),
        "spent {used:?} of CPU sleeping"
    );
    // relative realtime behaves the same; timeout 0 fires at once
    let t = Instant::now();
    assert_eq!(
        poll(&mut g, &[clock_sub(7, CLOCK_REALTIME, 30_000_000, 0)]).unwrap(),
        vec![clock_ev(7)]
    );
    assert!(t.elapsed() >= Duration::from_millis(30));
    assert_eq!(
        poll(&mut g, &[clock_sub(8, CLOCK_MONOTONIC, 0, 0)]).unwrap(),
        vec![clock_ev(8)]
    );
}

#[test]
fn absolute_clocks() {
    let mut g = G::new(WasiCtx::new());
    g.call("clock_time_get", &[CLOCK_MONOTONIC as u64, 0, 0]);
    let mono = g.u64(0);
    g.call("clock_time_get", &[CLOCK_REALTIME as u64, 0, 0]);
    let real = g.u64(0);
    // deadlines in the past fire at once
    let t = Instant::now();
    let evs = poll(
        &mut g,
        &[
            clock_sub(1, CLOCK_MONOTONIC, mono - 1, SUBCLOCKFLAGS_ABSTIME),
            clock_sub(
                2,
                CLOCK_REALTIME,
                real - 1_000_000_000,
                SUBCLOCKFLAGS_ABSTIME,
            ),
            clock_sub(3, CLOCK_MONOTONIC, 10_000_000_000, 0),
        ],
    )
    .unwrap();
    assert_eq!(evs, vec![clock_ev(1), clock_ev(2)]);
    assert!(t.elapsed() < Duration::from_millis(500));
    // future absolute deadlines: the nearest one fires, the other does not
    g.call("clock_time_get", &[CLOCK_MONOTONIC as u64, 0, 0]);
    let mono = g.u64(0);
    g.call("clock_time_get", &[CLOCK_REALTIME as u64, 0, 0]);
    let real = g.u64(0);
    let t = Instant::now();
    let evs = poll(
        &mut g,
        &[
            clock_sub(
                10,
                CLOCK_MONOTONIC,
                mono + 5_000_000_000,
                SUBCLOCKFLAGS_ABSTIME,
            ),
            clock_sub(11, CLOCK_REALTIME, real + 80_000_000, SUBCLOCKFLAGS_ABSTIME),
        ],
    )
    .unwrap();
    assert_eq!(evs, vec![clock_ev(11)]);
    let e = t.elapsed();
    assert!(
        e >= Duration::from_millis(70) && e < Duration::from_millis(2000),
        "{e:?}"
    );
    let t = Instant::now();
    let evs = poll(
        &mut g,
        &[clock_sub(
            12,
            CLOCK_MONOTONIC,
            mono + 150_000_000,
            SUBCLOCKFLAGS_ABSTIME,
        )],
    )
    .unwrap();
    assert_eq!(evs, vec![clock_ev(12)]);
    assert!(t.elapsed() >= Duration::from_millis(40));
}

#[test]
fn mixed_fds_and_clocks() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("f"), b"0123456789").unwrap();
    let (r, mut w) = std::io::pipe().unwrap();
    let (r2, w2) = std::io::pipe().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.stdin_fd(r).stdout_fd(w2);
    b.preopened_dir(d.path(), "/d", DirPerms::ReadWrite)
        .unwrap();
    let mut g = G::new(b.build());
    let f = g
        .open(3, "f", 0, rights::FD_READ | rights::FD_SEEK, 0)
        .unwrap();
    g.read(f, 3).unwrap();
    // empty pipe + file: only the file (always ready) and the writable pipe
    let evs = poll(
        &mut g,
        &[
            clock_sub(1, CLOCK_MONOTONIC, 5_000_000_000, 0),
            fd_sub(2, EVENTTYPE_FD_READ, 0),
            fd_sub(3, EVENTTYPE_FD_READ, f),
            fd_sub(4, EVENTTYPE_FD_WRITE, f),
            fd_sub(5, EVENTTYPE_FD_WRITE, 1),
            fd_sub(6, EVENTTYPE_FD_READ, 3),
        ],
    )
    .unwrap();
    let ready = |u, ty, nbytes| Ev {
        userdata: u,
        error: 0,
        ty,
        nbytes,
        flags: 0,
    };
    assert_eq!(
        evs,
        vec![
            ready(3, EVENTTYPE_FD_READ, 7),
            ready(4, EVENTTYPE_FD_WRITE, 0),
            ready(5, EVENTTYPE_FD_WRITE, 0),
            ready(6, EVENTTYPE_FD_READ, 0),
        ]
    );
    // data in the pipe: reported with its byte count, the clock does not fire
    w.write_all(b"hello").unwrap();
    let evs = poll(
        &mut g,
        &[
            clock_sub(1, CLOCK_MONOTONIC, 5_000_000_000, 0),
            fd_sub(2, EVENTTYPE_FD_READ, 0),
        ],
    )
    .unwrap();
    assert_eq!(evs, vec![ready(2, EVENTTYPE_FD_READ, 5)]);
    // level-triggered: still ready until read
    let evs = poll(&mut g, &[fd_sub(2, EVENTTYPE_FD_READ, 0)]).unwrap();
    assert_eq!(evs, vec![ready(2, EVENTTYPE_FD_READ, 5)]);
    assert_eq!(g.read(0, 100).unwrap(), b"hello");
    // blocks without a clock until the writer writes
    let t = Instant::now();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        w.write_all(b"x").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        drop(w);
    });
    let evs = poll(&mut g, &[fd_sub(9, EVENTTYPE_FD_READ, 0)]).unwrap();
    assert!(t.elapsed() >= Duration::from_millis(90));
    assert_eq!(evs, vec![ready(9, EVENTTYPE_FD_READ, 1)]);
    g.read(0, 10).unwrap();
    // the writer hangs up: ready with the hangup flag
    writer.join().unwrap();
    let evs = poll(
        &mut g,
        &[
            clock_sub(1, CLOCK_MONOTONIC, 5_000_000_000, 0),
            fd_sub(9, EVENTTYPE_FD_READ, 0),
        ],
    )
    .unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].userdata, 9);
    assert_eq!(evs[0].flags, EVENTRWFLAGS_HANGUP);
    // the clock fires when the fd stays quiet
    let (r3, _w3) = std::io::pipe().unwrap();
    drop(r2);
    let mut b = WasiCtxBuilder::new();
    b.stdin_fd(r3);
    let mut g = G::new(b.build());
    let t = Instant::now();
    let evs = poll(
        &mut g,
        &[
            fd_sub(2, EVENTTYPE_FD_READ, 0),
            clock_sub(1, CLOCK_MONOTONIC, 50_000_000, 0),
        ],
    )
    .unwrap();
    assert_eq!(evs, vec![clock_ev(1)]);
    assert!(t.elapsed() >= Duration::from_millis(50));
}

#[test]
fn in_process_stdio_is_always_ready() {
    let mut b = WasiCtxBuilder::new();
    b.stdin(&b"abc"[..]);
    let mut g = G::new(b.build());
    let evs = poll(
        &mut g,
        &[
            fd_sub(1, EVENTTYPE_FD_READ, 0),
            fd_sub(2, EVENTTYPE_FD_WRITE, 1),
        ],
    )
    .unwrap();
    assert_eq!(evs.len(), 2);
}

#[test]
fn max_subscriptions() {
    let n = 65_535u32;
    let mut g = G::with_mem(WasiCtx::new(), 16 << 20);
    let input = g.alloc(48 * n);
    for i in 0..n {
        let s = if i % 2 == 0 {
            clock_sub(i as u64, CLOCK_MONOTONIC, 0, 0)
        } else {
            fd_sub(i as u64, EVENTTYPE_FD_WRITE, 1)
        };
        g.put(input + 48 * i, &s);
    }
    let out = g.alloc(32 * n);
    let n_ptr = g.alloc(4);
    assert_eq!(
        g.call(
            "poll_oneoff",
            &[input as u64, out as u64, n as u64, n_ptr as u64]
        ),
        0
    );
    assert_eq!(g.u32(n_ptr), n);
    for i in 0..n {
        assert_eq!(g.u64(out + 32 * i), i as u64);
    }
}
