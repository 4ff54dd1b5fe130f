//! Sockets: a preopened listener, sock_accept (blocking and non-blocking),
//! sock_recv/sock_send, fd_read/fd_write and poll on connections, shutdown.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use wasp_wasi::types::*;
use wasp_wasi::{Errno, WasiCtxBuilder};

fn setup() -> (G, std::net::SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.preopened_listener(l).unwrap();
    (G::new(b.build()), addr)
}

fn accept(g: &mut G, flags: u16) -> Result<u32, Errno> {
    let out = g.alloc(4);
    g.ok("sock_accept", &[3, flags as u64, out as u64])?;
    Ok(g.u32(out))
}

#[test]
fn accept_read_write_shutdown() {
    let (mut g, addr) = setup();
    let st = g.alloc(24);
    assert_eq!(g.call("fd_fdstat_get", &[3, st as u64]), 0);
    assert_eq!(g.get(st, 1), &[FILETYPE_SOCKET_STREAM]);
    assert_eq!(
        g.call("fd_prestat_get", &[3, st as u64]),
        errno(Errno::BADF)
    );
    // listeners start non-blocking (Go's os.NewFile needs to see the flag)
    assert_eq!(g.u16(st + 2), FDFLAGS_NONBLOCK);
    // non-blocking accept with nothing pending
    assert_eq!(accept(&mut g, 0), Err(Errno::AGAIN));
    // blocking accept waits for the client
    assert_eq!(g.call("fd_fdstat_set_flags", &[3, 0]), 0);
    let client = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let mut resp = Vec::new();
        c.read_to_end(&mut resp).unwrap();
        resp
    });
    let conn = accept(&mut g, 0).unwrap();
    assert_eq!(conn, 4);
    assert_eq!(g.call("fd_fdstat_get", &[conn as u64, st as u64]), 0);
    assert_eq!(g.get(st, 1), &[FILETYPE_SOCKET_STREAM]);
    // wait for readability with poll, then fd_read
    let input = g.alloc(48);
    let mut sub = [0u8; 48];
    sub[8] = EVENTTYPE_FD_READ;
    sub[16..20].copy_from_slice(&conn.to_le_bytes());
    g.put(input, &sub);
    let out = g.alloc(32);
    let n = g.alloc(4);
    assert_eq!(
        g.call("poll_oneoff", &[input as u64, out as u64, 1, n as u64]),
        0
    );
    assert_eq!(g.u32(n), 1);
    let mut got = Vec::new();
    while got.len() < 18 {
        got.extend(g.read(conn, 100).unwrap());
    }
    assert_eq!(got, b"GET / HTTP/1.0\r\n\r\n");
    // non-blocking read with nothing left
    assert_eq!(
        g.call(
            "fd_fdstat_set_flags",
            &[conn as u64, FDFLAGS_NONBLOCK as u64]
        ),
        0
    );
    assert_eq!(g.read(conn, 100), Err(Errno::AGAIN));
    assert_eq!(g.write(conn, b"HTTP/1.0 200 OK\r\n\r\nhi"), Ok(21));
    // sock_send with two iovecs
    let (p1, l1) = g.bytes(b" the");
    let (p2, l2) = g.bytes(b"re");
    let iov = g.iovs(&[(p1 as u32, l1 as u32), (p2 as u32, l2 as u32)]);
    let sent = g.alloc(4);
    assert_eq!(
        g.call("sock_send", &[conn as u64, iov.0, iov.1, 0, sent as u64]),
        0
    );
    assert_eq!(g.u32(sent), 6);
    assert_eq!(
        g.call("sock_send", &[conn as u64, iov.0, iov.1, 1, sent as u64]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("sock_shutdown", &[conn as u64, SDFLAGS_WR as u64]),
        0
    );
    assert_eq!(client.join().unwrap(), b"HTTP/1.0 200 OK\r\n\r\nhi there");
    assert_eq!(
        g.call("sock_shutdown", &[conn as u64, 0]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("sock_shutdown", &[conn as u64, 4]),
        errno(Errno::INVAL)
    );
    assert_eq!(g.close(conn), Ok(()));
}

#[test]
fn recv_flags_and_errors() {
    let (mut g, addr) = setup();
    let mut c = TcpStream::connect(addr).unwrap();
    assert_eq!(g.call("fd_fdstat_set_flags", &[3, 0]), 0, "blocking accept");
    let conn = accept(&mut g, FDFLAGS_NONBLOCK).unwrap();
    let st = g.alloc(24);
    assert_eq!(g.call("fd_fdstat_get", &[conn as u64, st as u64]), 0);
    assert_eq!(g.u16(st + 2), FDFLAGS_NONBLOCK, "accept flags apply");
    let buf = g.alloc(64);
    let iov = g.iovs(&[(buf, 3), (buf + 10, 10)]);
    let len = g.alloc(4);
    let fl = g.alloc(2);
    let recv = |g: &mut G, flags: u64| {
        g.call(
            "sock_recv",
            &[conn as u64, iov.0, iov.1, flags, len as u64, fl as u64],
        )
    };
    assert_eq!(recv(&mut g, 0), errno(Errno::AGAIN));
    c.write_all(b"abcdefgh").unwrap();
    // wait until the data arrived
    let t = Instant::now();
    while recv(&mut g, RIFLAGS_RECV_PEEK as u64) == errno(Errno::AGAIN) {
        assert!(t.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(g.get(buf, 3), b"abc");
    g.put(fl, &[MARK, MARK]);
    assert_eq!(recv(&mut g, 0), 0);
    assert_eq!(g.u32(len), 8);
    assert_eq!(g.get(fl, 2), &[0, 0]);
    assert_eq!(g.get(buf, 3), b"abc");
    assert_eq!(g.get(buf + 10, 5), b"defgh");
    assert_eq!(recv(&mut g, 4), errno(Errno::INVAL));
    // peer closes: read returns 0 (EOF)
    drop(c);
    let t = Instant::now();
    loop {
        match recv(&mut g, 0) {
            0 => break,
            e if e == errno(Errno::AGAIN) => {
                assert!(t.elapsed() < Duration::from_secs(5));
                std::thread::sleep(Duration::from_millis(5));
            }
            e => panic!("recv errno {e}"),
        }
    }
    assert_eq!(g.u32(len), 0);
    // writing to a closed peer: EPIPE or ECONNRESET, never SIGPIPE
    let mut last = 0;
    for _ in 0..100 {
        match g.write(conn, &[0u8; 65536]) {
            Ok(_) => continue,
            Err(e) => {
                last = e.raw();
                break;
            }
        }
    }
    assert!(
        last == Errno::PIPE.raw() || last == Errno::CONNRESET.raw(),
        "errno {last}"
    );
    // socket calls on non-sockets
    assert_eq!(
        g.call("sock_accept", &[1, 0, len as u64]),
        errno(Errno::NOTSOCK)
    );
    assert_eq!(
        g.call("sock_accept", &[conn as u64, 0, len as u64]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("sock_accept", &[3, 1, len as u64]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("sock_recv", &[1, iov.0, iov.1, 0, len as u64, fl as u64]),
        errno(Errno::NOTSOCK)
    );
    assert_eq!(
        g.call("sock_send", &[0, iov.0, iov.1, 0, len as u64]),
        errno(Errno::NOTSOCK)
    );
    assert_eq!(g.call("sock_shutdown", &[2, 1]), errno(Errno::NOTSOCK));
    assert_eq!(
        g.call("sock_recv", &[3, iov.0, iov.1, 0, len as u64, fl as u64]),
        errno(Errno::NOTCONN)
    );
    assert_eq!(g.read(3, 10), Err(Errno::NOTCONN));
    assert_eq!(
        g.call("sock_accept", &[3, 0, MEM as u64]),
        errno(Errno::FAULT)
    );
}

#[test]
fn poll_on_listener_wakes_on_connect() {
    let (mut g, addr) = setup();
    let input = g.alloc(96);
    let mut sub = [0u8; 48];
    sub[0] = 5;
    sub[8] = EVENTTYPE_FD_READ;
    sub[16] = 3;
    g.put(input, &sub);
    let mut clk = [0u8; 48];
    clk[0] = 6;
    clk[8] = EVENTTYPE_CLOCK;
    clk[16] = CLOCK_MONOTONIC as u8;
    clk[24..32].copy_from_slice(&10_000_000_000u64.to_le_bytes());
    g.put(input + 48, &clk);
    let out = g.alloc(64);
    let n = g.alloc(4);
    let client = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        TcpStream::connect(addr).unwrap()
    });
    let t = Instant::now();
    assert_eq!(
        g.call("poll_oneoff", &[input as u64, out as u64, 2, n as u64]),
        0
    );
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(g.u32(n), 1);
    assert_eq!(g.u64(out), 5);
    let _c = client.join().unwrap();
    assert_eq!(
        g.call("fd_fdstat_set_flags", &[3, FDFLAGS_NONBLOCK as u64]),
        0
    );
    assert_eq!(accept(&mut g, 0), Ok(4));
}
