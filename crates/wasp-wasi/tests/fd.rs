//! fd_* functions: stdio, prestat, fdstat, renumber, seek, pread/pwrite,
//! filestat, readdir (cookies, 10,000 entries), non-blocking stdin.

mod common;
use common::*;
use std::fs;
use std::io::Write;
use wasp_wasi::types::{rights, *};
use wasp_wasi::{DirPerms, Errno, MemoryOutput, WasiCtx, WasiCtxBuilder};

const RW: u64 = rights::FD_READ
    | rights::FD_WRITE
    | rights::FD_SEEK
    | rights::FD_TELL
    | rights::FD_FILESTAT_GET;

fn with_dir(dir: &std::path::Path) -> G {
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(dir, "/work", DirPerms::ReadWrite).unwrap();
    G::new(b.build())
}

#[test]
fn stdio_streams() {
    let out = MemoryOutput::new();
    let err = MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.stdin(&b"line one\nline two\n"[..])
        .stdout(out.clone())
        .stderr(err.clone());
    let mut g = G::new(b.build());
    // gather write with two iovecs + an empty one, exact count written back
    let (p1, l1) = g.bytes(b"hello, ");
    let (p2, l2) = g.bytes(b"world\n");
    let iov = g.iovs(&[(p1 as u32, l1 as u32), (0, 0), (p2 as u32, l2 as u32)]);
    g.put(0, &[MARK; 8]);
    assert_eq!(g.call("fd_write", &[1, iov.0, iov.1, 0]), 0);
    assert_eq!(g.get(0, 5), &[13, 0, 0, 0, MARK]);
    assert_eq!(out.contents_string(), "hello, world\n");
    assert_eq!(g.write(2, b"oops"), Ok(4));
    assert_eq!(err.contents(), b"oops");
    // scatter read over two iovecs
    let a = g.alloc(4);
    let b2 = g.alloc(32);
    let iov = g.iovs(&[(a, 4), (b2, 32)]);
    assert_eq!(g.call("fd_read", &[0, iov.0, iov.1, 0]), 0);
    assert_eq!(g.u32(0), 18);
    assert_eq!(g.get(a, 4), b"line");
    assert_eq!(g.get(b2, 14), b" one\nline two\n");
    assert_eq!(g.read(0, 10), Ok(vec![]), "EOF");
    // wrong directions
    assert_eq!(g.write(0, b"x"), Err(Errno::BADF));
    assert_eq!(g.read(1, 4), Err(Errno::BADF));
    // fdstat of an in-process stream: character device, stream rights for
    // its one direction (stdout writes)
    let st = g.alloc(24);
    g.put(st, &[MARK; 24]);
    assert_eq!(g.call("fd_fdstat_get", &[1, st as u64]), 0);
    let mut want = [0u8; 24];
    want[0] = FILETYPE_CHARACTER_DEVICE;
    want[8..16].copy_from_slice(&(rights::STREAM & !rights::FD_READ).to_le_bytes());
    assert_eq!(g.get(st, 24), &want);
    // Go's start-up: NONBLOCK on 0, 1, 2 is accepted and reported
    for fd in 0..3u64 {
        assert_eq!(
            g.call("fd_fdstat_set_flags", &[fd, FDFLAGS_NONBLOCK as u64]),
            0
        );
    }
    assert_eq!(g.call("fd_fdstat_get", &[1, st as u64]), 0);
    assert_eq!(g.u16(st + 2), FDFLAGS_NONBLOCK);
    assert_eq!(g.write(1, b"still written\n"), Ok(14));
    assert!(out.contents_string().ends_with("still written\n"));
    // seek on a stream
    assert_eq!(g.call("fd_seek", &[1, 0, 0, 0]), errno(Errno::SPIPE));
    assert_eq!(g.call("fd_tell", &[1, 0]), errno(Errno::SPIPE));
    // filestat of an in-process stream
    let fs_ = g.alloc(64);
    assert_eq!(g.call("fd_filestat_get", &[1, fs_ as u64]), 0);
    assert_eq!(g.get(fs_, 64)[16], FILETYPE_CHARACTER_DEVICE);
    assert_eq!(g.call("fd_sync", &[1]), 0);
    assert_eq!(g.call("fd_prestat_get", &[1, 0]), errno(Errno::BADF));
}

#[test]
fn bad_fds_and_pointers() {
    let mut g = G::new(WasiCtx::new());
    let bad = 77u64;
    for (name, args) in [
        ("fd_advise", vec![bad, 0, 0, 0]),
        ("fd_allocate", vec![bad, 0, 1]),
        ("fd_close", vec![bad]),
        ("fd_datasync", vec![bad]),
        ("fd_fdstat_get", vec![bad, 0]),
        ("fd_fdstat_set_flags", vec![bad, 0]),
        ("fd_fdstat_set_rights", vec![bad, 0, 0]),
        ("fd_filestat_get", vec![bad, 0]),
        ("fd_filestat_set_size", vec![bad, 0]),
        ("fd_filestat_set_times", vec![bad, 0, 0, 0]),
        ("fd_pread", vec![bad, 0, 0, 0, 0]),
        ("fd_prestat_get", vec![bad, 0]),
        ("fd_prestat_dir_name", vec![bad, 0, 0]),
        ("fd_pwrite", vec![bad, 0, 0, 0, 0]),
        ("fd_read", vec![bad, 0, 0, 0]),
        ("fd_readdir", vec![bad, 0, 0, 0, 0]),
        ("fd_renumber", vec![bad, 1]),
        ("fd_renumber", vec![1, bad]),
        ("fd_seek", vec![bad, 0, 0, 0]),
        ("fd_sync", vec![bad]),
        ("fd_tell", vec![bad, 0]),
        ("fd_write", vec![bad, 0, 0, 0]),
        ("path_create_directory", vec![bad, 0, 0]),
        ("path_filestat_get", vec![bad, 0, 0, 0, 0]),
        ("path_filestat_set_times", vec![bad, 0, 0, 0, 0, 0, 0]),
        ("path_link", vec![bad, 0, 0, 0, bad, 0, 0]),
        ("path_open", vec![bad, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("path_readlink", vec![bad, 0, 0, 0, 0, 0]),
        ("path_remove_directory", vec![bad, 0, 0]),
        ("path_rename", vec![bad, 0, 0, bad, 0, 0]),
        ("path_symlink", vec![0, 0, bad, 0, 0]),
        ("path_unlink_file", vec![bad, 0, 0]),
        ("sock_accept", vec![bad, 0, 0]),
        ("sock_recv", vec![bad, 0, 0, 0, 0, 0]),
        ("sock_send", vec![bad, 0, 0, 0, 0]),
        ("sock_shutdown", vec![bad, 1]),
    ] {
        assert_eq!(g.call(name, &args), errno(Errno::BADF), "{name}");
    }
    // a huge fd number
    assert_eq!(
        g.call("fd_write", &[u32::MAX as u64, 0, 0, 0]),
        errno(Errno::BADF)
    );
    // EFAULT: iovec array, iovec buffer, result pointer
    let end = MEM as u64;
    assert_eq!(g.call("fd_write", &[1, end - 4, 1, 0]), errno(Errno::FAULT));
    let iov = g.iovs(&[(MEM as u32 - 2, 3)]);
    assert_eq!(
        g.call("fd_write", &[1, iov.0, iov.1, 0]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("fd_read", &[0, iov.0, iov.1, 0]),
        errno(Errno::FAULT)
    );
    let iov = g.iovs(&[(0, 3)]);
    assert_eq!(
        g.call("fd_write", &[1, iov.0, iov.1, end - 3]),
        errno(Errno::FAULT)
    );
    assert_eq!(g.call("fd_fdstat_get", &[1, end - 23]), errno(Errno::FAULT));
    assert_eq!(
        g.call("fd_filestat_get", &[1, end - 63]),
        errno(Errno::FAULT)
    );
    // an iovec count whose array would pass 4 GiB
    assert_eq!(
        g.call("fd_write", &[1, 8, u32::MAX as u64, 0]),
        errno(Errno::FAULT)
    );
    // a module without memory: every pointer faults
    let mut empty: [u8; 0] = [];
    assert_eq!(
        g.ctx.call(&mut empty, "fd_fdstat_get", &[1, 0]).unwrap(),
        errno(Errno::FAULT)
    );
    assert_eq!(g.ctx.call(&mut empty, "fd_close", &[2]).unwrap(), 0);
}

#[test]
fn prestat_and_renumber() {
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(d1.path(), "/", DirPerms::ReadWrite)
        .unwrap();
    b.preopened_dir(d2.path(), "/tmp/long-name", DirPerms::ReadOnly)
        .unwrap();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    b.preopened_listener(l).unwrap();
    let mut g = G::new(b.build());
    g.put(0, &[MARK; 16]);
    assert_eq!(g.call("fd_prestat_get", &[3, 0]), 0);
    assert_eq!(
        g.get(0, 9),
        &[0, 0, 0, 0, 1, 0, 0, 0, MARK],
        "tag, zeroed padding, name length"
    );
    assert_eq!(g.call("fd_prestat_get", &[4, 0]), 0);
    assert_eq!(g.get(0, 8), &[0, 0, 0, 0, 14, 0, 0, 0]);
    // the listener (fd 5) and beyond end Go's and wasi-libc's scans
    assert_eq!(g.call("fd_prestat_get", &[5, 0]), errno(Errno::BADF));
    assert_eq!(g.call("fd_prestat_get", &[6, 0]), errno(Errno::BADF));
    assert_eq!(g.call("fd_prestat_get", &[0, 0]), errno(Errno::BADF));
    g.put(100, &[MARK; 20]);
    assert_eq!(g.call("fd_prestat_dir_name", &[4, 100, 14]), 0);
    assert_eq!(g.get(100, 15), b"/tmp/long-name\xaa");
    assert_eq!(
        g.call("fd_prestat_dir_name", &[4, 200, 13]),
        errno(Errno::NAMETOOLONG)
    );
    assert_eq!(g.call("fd_prestat_dir_name", &[3, 200, 64]), 0);
    assert_eq!(g.get(200, 2), b"/\xaa");
    assert_eq!(
        g.call("fd_prestat_dir_name", &[3, MEM as u64, 1]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("fd_prestat_dir_name", &[5, 200, 64]),
        errno(Errno::BADF)
    );
    // listener fdstat: socket_stream
    assert_eq!(g.call("fd_fdstat_get", &[5, 0]), 0);
    assert_eq!(g.get(0, 1), &[FILETYPE_SOCKET_STREAM]);
    // renumber the second preopen onto the first
    assert_eq!(g.call("fd_renumber", &[4, 3]), 0);
    assert_eq!(g.call("fd_prestat_get", &[3, 0]), 0);
    assert_eq!(g.u32(4), 14);
    assert_eq!(g.call("fd_prestat_get", &[4, 0]), errno(Errno::BADF));
    assert_eq!(g.call("fd_fdstat_get", &[4, 0]), errno(Errno::BADF));
    assert_eq!(g.call("fd_renumber", &[3, 3]), 0);
    assert_eq!(g.call("fd_renumber", &[3, 4]), errno(Errno::BADF));
    // the freed number is reused first
    let fd = g.open(3, ".", OFLAGS_DIRECTORY, rights::DIR, 0).unwrap();
    assert_eq!(fd, 4);
    assert_eq!(g.close(4), Ok(()));
    assert_eq!(g.close(4), Err(Errno::BADF));
    // stdout can be renumbered onto stderr
    assert_eq!(g.call("fd_renumber", &[1, 2]), 0);
    assert_eq!(g.write(1, b"x"), Err(Errno::BADF));
    assert_eq!(g.write(2, b"x"), Ok(1));
}

#[test]
fn file_io_seek_pread_pwrite_stat() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("f"), b"0123456789").unwrap();
    let mut g = with_dir(d.path());
    let fd = g.open(3, "f", 0, rights::FILE, 0).unwrap() as u64;
    assert_eq!(g.read(fd as u32, 4).unwrap(), b"0123");
    g.put(0, &[MARK; 16]);
    assert_eq!(g.call("fd_tell", &[fd, 0]), 0);
    assert_eq!(g.get(0, 9), &[4, 0, 0, 0, 0, 0, 0, 0, MARK]);
    assert_eq!(
        g.call("fd_seek", &[fd, (-2i64) as u64, WHENCE_END as u64, 0]),
        0
    );
    assert_eq!(g.u64(0), 8);
    assert_eq!(g.read(fd as u32, 10).unwrap(), b"89");
    assert_eq!(g.call("fd_seek", &[fd, 3, WHENCE_SET as u64, 0]), 0);
    assert_eq!(g.call("fd_seek", &[fd, 2, WHENCE_CUR as u64, 0]), 0);
    assert_eq!(g.u64(0), 5);
    assert_eq!(
        g.call("fd_seek", &[fd, (-1i64) as u64, WHENCE_SET as u64, 0]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("fd_seek", &[fd, (-100i64) as u64, WHENCE_CUR as u64, 0]),
        errno(Errno::INVAL)
    );
    assert_eq!(g.call("fd_seek", &[fd, 0, 3, 0]), errno(Errno::INVAL));
    assert_eq!(
        g.call("fd_seek", &[fd, 0, 0, MEM as u64 - 7]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("fd_seek", &[3, 0, 0, 0]),
        errno(Errno::BADF),
        "directory"
    );
    // pread/pwrite leave the position alone
    let buf = g.alloc(16);
    let iov = g.iovs(&[(buf, 3)]);
    assert_eq!(g.call("fd_pread", &[fd, iov.0, iov.1, 7, 0]), 0);
    assert_eq!(g.u32(0), 3);
    assert_eq!(g.get(buf, 3), b"789");
    assert_eq!(g.call("fd_pread", &[fd, iov.0, iov.1, 100, 0]), 0);
    assert_eq!(g.u32(0), 0);
    let (p, l) = g.bytes(b"AB");
    let iov = g.iovs(&[(p as u32, l as u32)]);
    assert_eq!(g.call("fd_pwrite", &[fd, iov.0, iov.1, 1, 0]), 0);
    assert_eq!(g.u32(0), 2);
    assert_eq!(g.call("fd_tell", &[fd, 0]), 0);
    assert_eq!(g.u64(0), 5);
    assert_eq!(fs::read(d.path().join("f")).unwrap(), b"0AB3456789");
    assert_eq!(
        g.call("fd_pread", &[0, iov.0, iov.1, 0, 0]),
        errno(Errno::SPIPE)
    );
    assert_eq!(
        g.call("fd_pwrite", &[1, iov.0, iov.1, 0, 0]),
        errno(Errno::SPIPE)
    );
    assert_eq!(
        g.call("fd_pread", &[3, iov.0, iov.1, 0, 0]),
        errno(Errno::ISDIR)
    );
    // filestat, set_size, allocate, advise, set_times, sync
    let st = g.alloc(64);
    assert_eq!(g.call("fd_filestat_get", &[fd, st as u64]), 0);
    assert_eq!(g.get(st, 64)[16], FILETYPE_REGULAR_FILE);
    assert_eq!(g.u64(st + 32), 10);
    assert_eq!(g.call("fd_filestat_set_size", &[fd, 4]), 0);
    assert_eq!(fs::read(d.path().join("f")).unwrap(), b"0AB3");
    assert_eq!(g.call("fd_filestat_set_size", &[fd, 6]), 0);
    assert_eq!(fs::read(d.path().join("f")).unwrap(), b"0AB3\0\0");
    assert_eq!(g.call("fd_filestat_set_size", &[3, 0]), errno(Errno::ISDIR));
    assert_eq!(g.call("fd_allocate", &[fd, 0, 100]), 0);
    assert_eq!(fs::metadata(d.path().join("f")).unwrap().len(), 100);
    assert_eq!(g.call("fd_allocate", &[fd, 0, 0]), errno(Errno::INVAL));
    assert_eq!(g.call("fd_advise", &[fd, 0, 0, 2]), 0);
    assert_eq!(g.call("fd_advise", &[fd, 0, 0, 6]), errno(Errno::INVAL));
    assert_eq!(g.call("fd_advise", &[1, 0, 0, 0]), errno(Errno::SPIPE));
    let t = 1_500_000_000u64 * 1_000_000_000 + 5;
    assert_eq!(
        g.call(
            "fd_filestat_set_times",
            &[fd, t, t, (FSTFLAGS_ATIM | FSTFLAGS_MTIM) as u64]
        ),
        0
    );
    assert_eq!(g.call("fd_filestat_get", &[fd, st as u64]), 0);
    assert_eq!(g.u64(st + 40), t);
    assert_eq!(g.u64(st + 48), t);
    assert_eq!(
        g.call(
            "fd_filestat_set_times",
            &[fd, 0, t, FSTFLAGS_MTIM_NOW as u64]
        ),
        0
    );
    assert_eq!(g.call("fd_filestat_get", &[fd, st as u64]), 0);
    assert_eq!(g.u64(st + 40), t, "atime untouched");
    assert!(g.u64(st + 48) > t);
    assert_eq!(
        g.call(
            "fd_filestat_set_times",
            &[fd, 0, 0, (FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW) as u64]
        ),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("fd_filestat_set_times", &[fd, 0, 0, 16]),
        errno(Errno::INVAL)
    );
    assert_eq!(g.call("fd_sync", &[fd]), 0);
    assert_eq!(g.call("fd_datasync", &[fd]), 0);
    assert_eq!(g.call("fd_sync", &[3]), 0);
    assert_eq!(g.call("fd_datasync", &[3]), 0);
    assert_eq!(
        g.call(
            "fd_filestat_set_times",
            &[3, t, t, (FSTFLAGS_ATIM | FSTFLAGS_MTIM) as u64]
        ),
        0
    );
    assert_eq!(g.call("fd_filestat_get", &[3, st as u64]), 0);
    assert_eq!(g.u64(st + 48), t, "directory mtime set");
    // fdstat of a file: regular file, the file rights asked for
    assert_eq!(g.call("fd_fdstat_get", &[fd, st as u64]), 0);
    assert_eq!(g.get(st, 1)[0], FILETYPE_REGULAR_FILE);
    assert_eq!(g.u64(st + 8), rights::FILE);
    assert_eq!(g.u64(st + 16), 0);
    let narrow = g
        .open(3, "f", 0, RW | rights::PATH_OPEN | rights::FD_READDIR, 0)
        .unwrap() as u64;
    assert_eq!(g.call("fd_fdstat_get", &[narrow, st as u64]), 0);
    assert_eq!(g.u64(st + 8), RW, "narrowed to what was asked and applies");
    // append toggling on a file
    assert_eq!(
        g.call("fd_fdstat_set_flags", &[fd, FDFLAGS_APPEND as u64]),
        0
    );
    g.write(fd as u32, b"END").unwrap();
    let data = fs::read(d.path().join("f")).unwrap();
    assert!(data.ends_with(b"END") && data.len() == 103);
    assert_eq!(
        g.call("fd_fdstat_set_flags", &[fd, FDFLAGS_SYNC as u64]),
        errno(Errno::NOTSUP)
    );
    assert_eq!(
        g.call("fd_fdstat_set_flags", &[fd, 0x40]),
        errno(Errno::INVAL)
    );
    // reading a directory fd
    assert_eq!(g.read(3, 10), Err(Errno::ISDIR));
    assert_eq!(g.write(3, b"x"), Err(Errno::BADF));
    assert_eq!(
        g.call("fd_readdir", &[fd, 0, 100, 0, 200]),
        errno(Errno::NOTDIR)
    );
    // rights can shrink, never grow, and are enforced
    assert_eq!(g.call("fd_fdstat_set_rights", &[fd, rights::FD_READ, 0]), 0);
    assert_eq!(
        g.call("fd_fdstat_set_rights", &[fd, RW, 0]),
        errno(Errno::NOTCAPABLE)
    );
    assert_eq!(g.write(fd as u32, b"x"), Err(Errno::NOTCAPABLE));
    assert_eq!(g.call("fd_tell", &[fd, 0]), errno(Errno::NOTCAPABLE));
    assert_eq!(g.read(fd as u32, 1), Ok(vec![]), "at the end");
}

/// Parses `fd_readdir` output into `(d_next, ino, type, name)`; stops at a
/// truncated entry.
/// `(d_next, d_ino, d_type, name)`.
type Dirent = (u64, u64, u8, Vec<u8>);

fn parse_dirents(buf: &[u8]) -> (Vec<Dirent>, bool) {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 24 <= buf.len() {
        let next = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
        let ino = u64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap());
        let len = u32::from_le_bytes(buf[at + 16..at + 20].try_into().unwrap()) as usize;
        assert_eq!(&buf[at + 21..at + 24], &[0, 0, 0], "dirent padding");
        if at + 24 + len > buf.len() {
            return (out, true);
        }
        out.push((
            next,
            ino,
            buf[at + 20],
            buf[at + 24..at + 24 + len].to_vec(),
        ));
        at += 24 + len;
    }
    (out, at < buf.len())
}

#[test]
fn readdir_layout_and_cookies() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("file"), b"x").unwrap();
    fs::create_dir(d.path().join("dir")).unwrap();
    std::os::unix::fs::symlink("file", d.path().join("link")).unwrap();
    let mut g = with_dir(d.path());
    let buf = g.alloc(4096);
    let used = g.alloc(4);
    g.put(buf, &[MARK; 4096]);
    assert_eq!(
        g.call("fd_readdir", &[3, buf as u64, 4096, 0, used as u64]),
        0
    );
    let n = g.u32(used) as usize;
    assert!(n < 4096);
    assert_eq!(
        g.get(buf + n as u32, 1),
        &[MARK],
        "nothing written past bufused"
    );
    let (ents, truncated) = parse_dirents(g.get(buf, n));
    assert!(!truncated);
    assert_eq!(ents.len(), 5);
    assert_eq!(n, ents.iter().map(|e| 24 + e.3.len()).sum::<usize>());
    assert_eq!(ents[0].3, b".");
    assert_eq!(ents[1].3, b"..");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(ents[0].1, fs::metadata(d.path()).unwrap().ino());
    for (i, e) in ents.iter().enumerate() {
        assert_eq!(e.0, i as u64 + 1, "d_next");
    }
    let mut kinds: Vec<(Vec<u8>, u8)> = ents.iter().map(|e| (e.3.clone(), e.2)).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            (b".".to_vec(), FILETYPE_DIRECTORY),
            (b"..".to_vec(), FILETYPE_DIRECTORY),
            (b"dir".to_vec(), FILETYPE_DIRECTORY),
            (b"file".to_vec(), FILETYPE_REGULAR_FILE),
            (b"link".to_vec(), FILETYPE_SYMBOLIC_LINK),
        ]
    );
    // resuming from each cookie gives the rest, in the same order
    for c in 0..=5u64 {
        assert_eq!(
            g.call("fd_readdir", &[3, buf as u64, 4096, c, used as u64]),
            0
        );
        let (rest, _) = parse_dirents(g.get(buf, g.u32(used) as usize));
        assert_eq!(rest, ents[c as usize..].to_vec(), "cookie {c}");
    }
    assert_eq!(
        g.call("fd_readdir", &[3, buf as u64, 4096, 1000, used as u64]),
        0
    );
    assert_eq!(g.u32(used), 0);
    // a buffer too small for one entry: filled completely (truncated entry)
    g.put(buf, &[MARK; 64]);
    assert_eq!(
        g.call("fd_readdir", &[3, buf as u64, 10, 0, used as u64]),
        0
    );
    assert_eq!(g.u32(used), 10);
    assert_eq!(
        g.get(buf, 11),
        &[
            1,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            ents[0].1 as u8,
            (ents[0].1 >> 8) as u8,
            MARK
        ]
    );
    assert_eq!(g.call("fd_readdir", &[3, buf as u64, 0, 0, used as u64]), 0);
    assert_eq!(g.u32(used), 0);
    // a subdirectory fd lists its own entries (its `..` is outside its reach)
    let sub = g.open(3, "dir", OFLAGS_DIRECTORY, rights::DIR, 0).unwrap();
    assert_eq!(
        g.call(
            "fd_readdir",
            &[sub as u64, buf as u64, 4096, 0, used as u64]
        ),
        0
    );
    let (ents, _) = parse_dirents(g.get(buf, g.u32(used) as usize));
    assert_eq!(
        ents.iter().map(|e| e.3.clone()).collect::<Vec<_>>(),
        vec![b".".to_vec(), b"..".to_vec()]
    );
    // bad pointers
    assert_eq!(
        g.call("fd_readdir", &[3, MEM as u64 - 10, 11, 0, used as u64]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("fd_readdir", &[3, buf as u64, 10, 0, MEM as u64]),
        errno(Errno::FAULT)
    );
}

#[test]
fn readdir_10000_entries_small_buffer_is_linear() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..10_000 {
        fs::File::create(d.path().join(format!("entry-{i:05}"))).unwrap();
    }
    let mut g = with_dir(d.path());
    let buf = g.alloc(128);
    let used = g.alloc(4);
    let mut cookie = 0u64;
    let mut names = Vec::new();
    let mut calls = 0;
    let start = std::time::Instant::now();
    loop {
        calls += 1;
        assert_eq!(
            g.call("fd_readdir", &[3, buf as u64, 128, cookie, used as u64]),
            0
        );
        let n = g.u32(used) as usize;
        let (ents, _) = parse_dirents(g.get(buf, n));
        for e in &ents {
            names.push(String::from_utf8(e.3.clone()).unwrap());
            cookie = e.0;
        }
        if n < 128 {
            break;
        }
        assert!(!ents.is_empty(), "128 bytes hold at least one entry");
    }
    let elapsed = start.elapsed();
    eprintln!("readdir of 10,002 entries in {calls} calls: {elapsed:?}");
    assert_eq!(names.len(), 10_002);
    assert!(calls >= 3000, "small buffer: {calls} calls");
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 10_002, "no duplicates");
    // linear: re-listing the whole directory per call (quadratic) would take
    // many seconds; serving from the cached listing takes milliseconds.
    assert!(
        elapsed < std::time::Duration::from_secs(3),
        "took {elapsed:?}"
    );
}

#[test]
fn nonblocking_stdin_pipe() {
    let (r, mut w) = std::io::pipe().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.stdin_fd(r);
    let mut g = G::new(b.build());
    let st = g.alloc(24);
    assert_eq!(g.call("fd_fdstat_get", &[0, st as u64]), 0);
    assert_eq!(g.get(st, 1), &[FILETYPE_UNKNOWN], "a pipe");
    assert_eq!(
        g.call("fd_fdstat_set_flags", &[0, FDFLAGS_NONBLOCK as u64]),
        0
    );
    assert_eq!(g.read(0, 10), Err(Errno::AGAIN));
    w.write_all(b"data").unwrap();
    assert_eq!(g.read(0, 10).unwrap(), b"data");
    assert_eq!(g.read(0, 10), Err(Errno::AGAIN));
    // blocking mode waits for the writer
    assert_eq!(g.call("fd_fdstat_set_flags", &[0, 0]), 0);
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        w.write_all(b"late").unwrap();
        drop(w);
    });
    assert_eq!(g.read(0, 10).unwrap(), b"late");
    t.join().unwrap();
    assert_eq!(g.read(0, 10).unwrap(), b"", "EOF after the writer closed");
}

#[test]
fn stdout_pipe_never_eagain() {
    // A full pipe on stdout with NONBLOCK set: the write still completes.
    let (mut r, w) = std::io::pipe().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.stdout_fd(w);
    let mut g = G::new(b.build());
    assert_eq!(
        g.call("fd_fdstat_set_flags", &[1, FDFLAGS_NONBLOCK as u64]),
        0
    );
    let reader = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let mut all = Vec::new();
        std::io::Read::read_to_end(&mut r, &mut all).unwrap();
        all.len()
    });
    let big = vec![b'x'; 300_000];
    let (p, l) = g.bytes(&big);
    let iov = g.iovs(&[(p as u32, l as u32)]);
    assert_eq!(g.call("fd_write", &[1, iov.0, iov.1, 0]), 0);
    assert_eq!(g.u32(0), 300_000);
    assert_eq!(g.close(1), Ok(()));
    drop(g);
    assert_eq!(reader.join().unwrap(), 300_000);
}

/// Host files opened read-write, given to the guest as its stdin, stdout
/// and stderr; returns their paths (each holds `"host data"`).
fn stdio_on_host_files(d: &std::path::Path) -> (G, Vec<std::path::PathBuf>) {
    let paths: Vec<_> = (0..3).map(|i| d.join(format!("stdio{i}"))).collect();
    let open = |p: &std::path::Path| {
        fs::write(p, b"host data").unwrap();
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(p)
            .unwrap()
    };
    let mut b = WasiCtxBuilder::new();
    b.stdin_fd(open(&paths[0]))
        .stdout_fd(open(&paths[1]))
        .stderr_fd(open(&paths[2]));
    (G::new(b.build()), paths)
}

#[test]
fn stdio_never_changes_the_host_files_behind_it() {
    let d = tempfile::tempdir().unwrap();
    let (mut g, paths) = stdio_on_host_files(d.path());
    let before: Vec<_> = paths.iter().map(|p| fs::metadata(p).unwrap()).collect();
    let t = 1_000_000_000u64 * 1_000_000_000;
    for fd in 0..3u64 {
        let both = (FSTFLAGS_ATIM | FSTFLAGS_MTIM) as u64;
        assert_eq!(
            g.call("fd_filestat_set_times", &[fd, t, t, both]),
            errno(Errno::BADF),
            "set_times({fd})"
        );
        assert_eq!(
            g.call("fd_filestat_set_size", &[fd, 0]),
            errno(Errno::BADF),
            "set_size({fd})"
        );
        assert_eq!(
            g.call("fd_allocate", &[fd, 0, 1 << 20]),
            errno(Errno::BADF),
            "allocate({fd})"
        );
    }
    use std::os::unix::fs::MetadataExt;
    for (p, m) in paths.iter().zip(&before) {
        let now = fs::metadata(p).unwrap();
        assert_eq!(now.len(), 9, "{}", p.display());
        assert_eq!((now.mtime(), now.mtime_nsec()), (m.mtime(), m.mtime_nsec()));
        assert_eq!((now.atime(), now.atime_nsec()), (m.atime(), m.atime_nsec()));
    }
}

#[test]
fn stdin_is_read_only_and_stdout_stderr_write_only() {
    let d = tempfile::tempdir().unwrap();
    let (mut g, paths) = stdio_on_host_files(d.path());
    // The host opened all three read-write; the guest gets one direction.
    assert_eq!(g.write(0, b"XX"), Err(Errno::BADF));
    assert_eq!(g.read(1, 4), Err(Errno::BADF));
    assert_eq!(g.read(2, 4), Err(Errno::BADF));
    for p in &paths {
        assert_eq!(fs::read(p).unwrap(), b"host data", "{}", p.display());
    }
    assert_eq!(g.read(0, 4).unwrap(), b"host");
    assert_eq!(g.write(1, b"out").unwrap(), 3);
    assert_eq!(g.write(2, b"err").unwrap(), 3);
    // fdstat reports the direction (wasi-libc's fcntl(F_GETFL) reads it).
    let st = g.alloc(24);
    for (fd, has, lacks) in [
        (0, rights::FD_READ, rights::FD_WRITE),
        (1, rights::FD_WRITE, rights::FD_READ),
        (2, rights::FD_WRITE, rights::FD_READ),
    ] {
        assert_eq!(g.call("fd_fdstat_get", &[fd, st as u64]), 0);
        let base = g.u64(st + 8);
        assert_eq!((base & has, base & lacks), (has, 0), "fd {fd}");
    }
    // The direction moves with the descriptor.
    assert_eq!(g.call("fd_renumber", &[0, 2]), 0);
    assert_eq!(g.write(2, b"x"), Err(Errno::BADF));
    assert_eq!(g.read(2, 5).unwrap(), b" data");
}
