//! What the official WASI test suite (WebAssembly/wasi-testsuite) and
//! wasmtime expect from preview 1, driven with the exact arguments real
//! toolchains pass (issue 8, defect 12): wasi-libc's `open` with
//! `O_APPEND|O_TRUNC`, append semantics, and rights.

mod common;
use common::*;
use std::fs;
use wasp_wasi::types::{rights, *};
use wasp_wasi::{DirPerms, Errno, WasiCtxBuilder};

fn with_dir(dir: &std::path::Path) -> G {
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(dir, "/", DirPerms::ReadWrite).unwrap();
    G::new(b.build())
}

/// `fd_fdstat_get(fd)`: `(flags, rights_base, rights_inheriting)`.
fn fdstat(g: &mut G, fd: u32) -> (u16, u64, u64) {
    let st = g.alloc(24);
    assert_eq!(g.call("fd_fdstat_get", &[fd as u64, st as u64]), 0);
    (g.u16(st + 2), g.u64(st + 8), g.u64(st + 16))
}

/// `path_open` with separate base and inheriting rights.
fn open(
    g: &mut G,
    dir: u32,
    path: &str,
    oflags: u16,
    (base, inheriting): (u64, u64),
    fdflags: u16,
) -> Result<u32, Errno> {
    let (p, l) = g.bytes(path.as_bytes());
    let out = g.alloc(4);
    let args = [
        dir as u64,
        LOOKUP_SYMLINK_FOLLOW as u64,
        p,
        l,
        oflags as u64,
        base,
        inheriting,
        fdflags as u64,
        out as u64,
    ];
    g.ok("path_open", &args)?;
    Ok(g.u32(out))
}

/// `fd_seek(fd, offset, whence)`: the new offset.
fn seek(g: &mut G, fd: u32, offset: i64, whence: u8) -> u64 {
    let out = g.alloc(8);
    let args = [fd as u64, offset as u64, whence as u64, out as u64];
    assert_eq!(g.call("fd_seek", &args), 0);
    g.u64(out)
}

/// The rights wasi-libc's `openat` asks for (cloudlibc `openat.c`): every
/// right except those contradicting the access mode, masked by the
/// directory's inheriting rights, which it passes on as inheriting.
fn wasi_libc_rights(g: &mut G, dir: u32, read: bool, write: bool) -> (u64, u64) {
    let mode_rights = |w: bool| {
        if w {
            rights::FD_DATASYNC
                | rights::FD_WRITE
                | rights::FD_ALLOCATE
                | rights::FD_FILESTAT_SET_SIZE
        } else {
            rights::FD_READ | rights::FD_READDIR
        }
    };
    let mut max = !(mode_rights(true) | mode_rights(false));
    if read {
        max |= mode_rights(false);
    }
    if write {
        max |= mode_rights(true);
    }
    let (_, _, inheriting) = fdstat(g, dir);
    (max & inheriting, inheriting)
}

#[test]
fn wasi_libc_open_creat_trunc_wronly_append() {
    let d = tempfile::tempdir().unwrap();
    let mut g = with_dir(d.path());
    let rights = wasi_libc_rights(&mut g, 3, false, true);
    for round in 0..2 {
        // open("f", O_CREAT | O_TRUNC | O_WRONLY | O_APPEND)
        let fd = open(
            &mut g,
            3,
            "f",
            OFLAGS_CREAT | OFLAGS_TRUNC,
            rights,
            FDFLAGS_APPEND,
        )
        .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        assert_eq!(fdstat(&mut g, fd).0, FDFLAGS_APPEND);
        assert_eq!(g.write(fd, b"ab"), Ok(2));
        // Every write appends, even after seeking to the start.
        assert_eq!(seek(&mut g, fd, 0, WHENCE_SET), 0);
        assert_eq!(g.write(fd, b"cd"), Ok(2));
        assert_eq!(seek(&mut g, fd, 0, WHENCE_CUR), 4);
        // pwrite at 0 leaves the offset alone and, as on Linux, appends.
        let (p, l) = g.bytes(b"XYZ");
        let iov = g.iovs(&[(p as u32, l as u32)]);
        let out = g.alloc(4);
        let args = [fd as u64, iov.0, iov.1, 0, out as u64];
        assert_eq!(g.call("fd_pwrite", &args), 0);
        assert_eq!(g.u32(out), 3);
        assert_eq!(seek(&mut g, fd, 0, WHENCE_CUR), 4);
        assert_eq!(seek(&mut g, fd, 0, WHENCE_END), 7);
        assert_eq!(fs::read(d.path().join("f")).unwrap(), b"abcdXYZ");
        g.close(fd).unwrap();
    }
}
