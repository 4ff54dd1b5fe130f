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

/// A scratch preopen with `f` (`"0123456789"`) and directory `d` holding
/// `inner`.
fn scratch() -> (tempfile::TempDir, G) {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("f"), b"0123456789").unwrap();
    fs::create_dir(d.path().join("d")).unwrap();
    fs::write(d.path().join("d/inner"), b"inner").unwrap();
    let g = with_dir(d.path());
    (d, g)
}

fn set_rights(g: &mut G, fd: u32, base: u64, inheriting: u64) -> Result<(), Errno> {
    g.ok("fd_fdstat_set_rights", &[fd as u64, base, inheriting])
}

#[test]
fn dropped_rights_are_enforced_and_never_come_back() {
    let (d, mut g) = scratch();
    let rw = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK | rights::FD_TELL;
    let fd = open(&mut g, 3, "f", 0, (rw, 0), 0).unwrap();
    assert_eq!(g.write(fd, b"ab"), Ok(2));
    assert_eq!(seek(&mut g, fd, 0, WHENCE_SET), 0);
    assert_eq!(g.read(fd, 4).unwrap(), b"ab23");
    let drop = rights::FD_READ | rights::FD_WRITE;
    set_rights(&mut g, fd, rw & !drop, 0).unwrap();
    let (_, base, _) = fdstat(&mut g, fd);
    assert_eq!(base, rights::FD_SEEK | rights::FD_TELL);
    assert_eq!(g.read(fd, 4), Err(Errno::NOTCAPABLE));
    assert_eq!(g.write(fd, b"zz"), Err(Errno::NOTCAPABLE));
    assert_eq!(seek(&mut g, fd, 0, WHENCE_SET), 0, "fd_seek kept");
    // Asking for them back (or anything more) is refused.
    assert_eq!(set_rights(&mut g, fd, rw, 0), Err(Errno::NOTCAPABLE));
    assert_eq!(
        set_rights(&mut g, fd, base, rights::FD_READ),
        Err(Errno::NOTCAPABLE)
    );
    assert_eq!(fs::read(d.path().join("f")).unwrap(), b"ab23456789");
}

#[test]
fn truncation_needs_path_filestat_set_size_and_fd_filestat_set_size() {
    let (d, mut g) = scratch();
    let file = d.path().join("f");
    // A directory opened the way wasi-libc's opendir() does.
    let dir_rights = wasi_libc_rights(&mut g, 3, true, false);
    let dir = open(&mut g, 3, "d", OFLAGS_DIRECTORY, dir_rights, 0).unwrap();
    fs::rename(&file, d.path().join("d/f")).unwrap();
    let file = d.path().join("d/f");
    let (_, base, inheriting) = fdstat(&mut g, dir);
    assert_eq!(base & rights::FD_FILESTAT_SET_SIZE, 0, "not on a directory");
    assert_ne!(base & rights::PATH_FILESTAT_SET_SIZE, 0);
    let trunc = |g: &mut G| open(g, dir, "f", OFLAGS_TRUNC, (0, 0), 0);
    let fd = trunc(&mut g).unwrap();
    g.close(fd).unwrap();
    assert_eq!(fs::read(&file).unwrap(), b"");
    fs::write(&file, b"data").unwrap();
    // Without fd_filestat_set_size to inherit, O_TRUNC still works, but
    // the file it opens cannot be resized.
    let inheriting = inheriting & !rights::FD_FILESTAT_SET_SIZE;
    set_rights(&mut g, dir, base, inheriting).unwrap();
    let fd = trunc(&mut g).unwrap();
    g.close(fd).unwrap();
    fs::write(&file, b"data").unwrap();
    let fd = open(&mut g, dir, "f", 0, (rights::FILE, 0), 0).unwrap();
    assert_eq!(fdstat(&mut g, fd).1 & rights::FD_FILESTAT_SET_SIZE, 0);
    assert_eq!(
        g.ok("fd_filestat_set_size", &[fd as u64, 0]),
        Err(Errno::NOTCAPABLE)
    );
    // Without path_filestat_set_size, O_TRUNC is refused.
    set_rights(
        &mut g,
        dir,
        base & !rights::PATH_FILESTAT_SET_SIZE,
        inheriting,
    )
    .unwrap();
    assert_eq!(trunc(&mut g), Err(Errno::NOTCAPABLE));
    assert_eq!(fs::read(&file).unwrap(), b"data");
}

#[test]
fn inheriting_rights_bound_what_path_open_grants() {
    let (d, mut g) = scratch();
    // The preopen's inheriting rights bound a subdirectory's base rights...
    let (_, base, inheriting) = fdstat(&mut g, 3);
    set_rights(&mut g, 3, base, inheriting & !rights::PATH_UNLINK_FILE).unwrap();
    let all = (rights::DIR, rights::DIR | rights::FILE);
    let sub = open(&mut g, 3, "d", OFLAGS_DIRECTORY, all, 0).unwrap();
    let (_, sub_base, sub_inheriting) = fdstat(&mut g, sub);
    assert_eq!(sub_base, rights::DIR & !rights::PATH_UNLINK_FILE);
    assert_eq!(sub_inheriting & rights::PATH_UNLINK_FILE, 0);
    assert_eq!(
        g.path_call("path_unlink_file", sub, "inner"),
        Err(Errno::NOTCAPABLE)
    );
    // ... and its inheriting rights those of the files opened beneath it.
    let no_write = sub_inheriting & !rights::FD_WRITE;
    set_rights(&mut g, sub, sub_base, no_write).unwrap();
    let fd = open(&mut g, sub, "inner", 0, (rights::FILE, 0), 0).unwrap();
    let (_, file_base, _) = fdstat(&mut g, fd);
    assert_eq!(file_base, rights::FILE & !rights::FD_WRITE);
    assert_eq!(g.write(fd, b"x"), Err(Errno::NOTCAPABLE));
    assert_eq!(g.read(fd, 10).unwrap(), b"inner");
    assert_eq!(fs::read(d.path().join("d/inner")).unwrap(), b"inner");
}

/// Calls `name` on `fd` with arguments for a 4-byte scratch buffer.
fn fd_call(g: &mut G, name: &str, fd: u32) -> Result<(), Errno> {
    let buf = g.alloc(64);
    let iov = g.iovs(&[(buf, 4)]);
    let out = g.alloc(64) as u64;
    let fd = fd as u64;
    let now = FSTFLAGS_MTIM_NOW as u64;
    let args: Vec<u64> = match name {
        "fd_advise" => vec![fd, 0, 0, 0],
        "fd_allocate" => vec![fd, 0, 1 << 20],
        "fd_datasync" | "fd_sync" => vec![fd],
        "fd_fdstat_set_flags" => vec![fd, FDFLAGS_NONBLOCK as u64],
        "fd_filestat_get" => vec![fd, out],
        "fd_filestat_set_size" => vec![fd, 0],
        "fd_filestat_set_times" => vec![fd, 0, 0, now],
        "fd_pread" | "fd_pwrite" => vec![fd, iov.0, iov.1, 0, out],
        "fd_read" | "fd_write" => vec![fd, iov.0, iov.1, out],
        "fd_readdir" => vec![fd, buf as u64, 64, 0, out],
        "fd_seek" => vec![fd, 1, WHENCE_SET as u64, out],
        "fd_tell" => vec![fd, out],
        _ => unreachable!("{name}"),
    };
    g.ok(name, &args)
}

#[test]
fn every_fd_call_needs_its_right() {
    let (d, mut g) = scratch();
    let file_calls = [
        ("fd_advise", rights::FD_ADVISE),
        ("fd_allocate", rights::FD_ALLOCATE),
        ("fd_datasync", rights::FD_DATASYNC),
        ("fd_sync", rights::FD_SYNC),
        ("fd_fdstat_set_flags", rights::FD_FDSTAT_SET_FLAGS),
        ("fd_filestat_get", rights::FD_FILESTAT_GET),
        ("fd_filestat_set_size", rights::FD_FILESTAT_SET_SIZE),
        ("fd_filestat_set_times", rights::FD_FILESTAT_SET_TIMES),
        ("fd_pread", rights::FD_READ),
        ("fd_pread", rights::FD_SEEK),
        ("fd_pwrite", rights::FD_WRITE),
        ("fd_pwrite", rights::FD_SEEK),
        ("fd_read", rights::FD_READ),
        ("fd_write", rights::FD_WRITE),
        ("fd_seek", rights::FD_SEEK),
        ("fd_tell", rights::FD_SEEK | rights::FD_TELL),
    ];
    let mtime = || {
        fs::metadata(d.path().join("f"))
            .unwrap()
            .modified()
            .unwrap()
    };
    for (name, right) in file_calls {
        let before = mtime();
        let fd = open(&mut g, 3, "f", 0, (rights::FILE, 0), 0).unwrap();
        set_rights(&mut g, fd, rights::FILE & !right, 0).unwrap();
        assert_eq!(fd_call(&mut g, name, fd), Err(Errno::NOTCAPABLE), "{name}");
        g.close(fd).unwrap();
        let unchanged = fs::read(d.path().join("f")).unwrap() == b"0123456789";
        assert!(unchanged && mtime() == before, "{name} changed the file");
        // With the right, the same call goes through.
        let fd = open(&mut g, 3, "f", 0, (rights::FILE, 0), 0).unwrap();
        assert_eq!(
            fd_call(&mut g, name, fd).err(),
            None,
            "{name} with {right:#x}"
        );
        g.close(fd).unwrap();
        fs::write(d.path().join("f"), b"0123456789").unwrap();
    }
    // fd_tell is satisfied by either right.
    let fd = open(&mut g, 3, "f", 0, (rights::FD_TELL, 0), 0).unwrap();
    assert_eq!(fd_call(&mut g, "fd_tell", fd), Ok(()));
    assert_eq!(fd_call(&mut g, "fd_seek", fd), Err(Errno::NOTCAPABLE));
    // Directories: fd_readdir, and the fd calls a directory supports.
    for (name, right) in [
        ("fd_readdir", rights::FD_READDIR),
        ("fd_filestat_get", rights::FD_FILESTAT_GET),
        ("fd_filestat_set_times", rights::FD_FILESTAT_SET_TIMES),
        ("fd_sync", rights::FD_SYNC),
    ] {
        let all = (rights::DIR, rights::DIR | rights::FILE);
        let dir = open(&mut g, 3, "d", OFLAGS_DIRECTORY, all, 0).unwrap();
        set_rights(&mut g, dir, rights::DIR & !right, 0).unwrap();
        assert_eq!(fd_call(&mut g, name, dir), Err(Errno::NOTCAPABLE), "{name}");
        g.close(dir).unwrap();
    }
    // Rights that do not apply leave the kind's own errno.
    let dir = open(&mut g, 3, "d", OFLAGS_DIRECTORY, (0, 0), 0).unwrap();
    assert_eq!(fd_call(&mut g, "fd_read", dir), Err(Errno::ISDIR));
    assert_eq!(fd_call(&mut g, "fd_seek", dir), Err(Errno::BADF));
    let fd = open(&mut g, 3, "f", 0, (0, 0), 0).unwrap();
    assert_eq!(fd_call(&mut g, "fd_readdir", fd), Err(Errno::NOTDIR));
}

#[test]
fn every_path_call_needs_its_right() {
    let (d, mut g) = scratch();
    let p = |g: &mut G, s: &str| g.bytes(s.as_bytes());
    type Args = fn(&mut G, u64, (u64, u64), (u64, u64)) -> (&'static str, Vec<u64>);
    let calls: [(u64, Args); 13] = [
        (rights::PATH_CREATE_DIRECTORY, |_, fd, new, _| {
            ("path_create_directory", vec![fd, new.0, new.1])
        }),
        (rights::PATH_FILESTAT_GET, |g, fd, _, old| {
            let out = g.alloc(64) as u64;
            ("path_filestat_get", vec![fd, 1, old.0, old.1, out])
        }),
        (rights::PATH_FILESTAT_SET_TIMES, |_, fd, _, old| {
            let now = FSTFLAGS_MTIM_NOW as u64;
            (
                "path_filestat_set_times",
                vec![fd, 1, old.0, old.1, 0, 0, now],
            )
        }),
        (rights::PATH_LINK_SOURCE, |_, fd, new, old| {
            ("path_link", vec![fd, 0, old.0, old.1, 3, new.0, new.1])
        }),
        (rights::PATH_LINK_TARGET, |_, fd, new, old| {
            ("path_link", vec![3, 0, old.0, old.1, fd, new.0, new.1])
        }),
        (rights::PATH_OPEN, |g, fd, _, old| {
            let out = g.alloc(4) as u64;
            ("path_open", vec![fd, 1, old.0, old.1, 0, 0, 0, 0, out])
        }),
        (rights::PATH_CREATE_FILE, |g, fd, new, _| {
            let out = g.alloc(4) as u64;
            let creat = OFLAGS_CREAT as u64;
            ("path_open", vec![fd, 1, new.0, new.1, creat, 0, 0, 0, out])
        }),
        (rights::PATH_READLINK, |g, fd, _, old| {
            let out = g.alloc(64) as u64;
            ("path_readlink", vec![fd, old.0, old.1, out, 16, out + 32])
        }),
        (rights::PATH_REMOVE_DIRECTORY, |_, fd, _, old| {
            ("path_remove_directory", vec![fd, old.0, old.1])
        }),
        (rights::PATH_RENAME_SOURCE, |_, fd, new, old| {
            ("path_rename", vec![fd, old.0, old.1, 3, new.0, new.1])
        }),
        (rights::PATH_RENAME_TARGET, |_, fd, new, old| {
            ("path_rename", vec![3, old.0, old.1, fd, new.0, new.1])
        }),
        (rights::PATH_SYMLINK, |_, fd, new, old| {
            ("path_symlink", vec![old.0, old.1, fd, new.0, new.1])
        }),
        (rights::PATH_UNLINK_FILE, |_, fd, _, old| {
            ("path_unlink_file", vec![fd, old.0, old.1])
        }),
    ];
    let tree = |d: &std::path::Path| {
        let mut v: Vec<_> = walk(d);
        v.sort();
        v
    };
    let before = tree(d.path());
    for (right, args) in calls {
        let all = (rights::DIR, rights::DIR | rights::FILE);
        let dir = open(&mut g, 3, "d", OFLAGS_DIRECTORY, all, 0).unwrap();
        set_rights(
            &mut g,
            dir,
            rights::DIR & !right,
            rights::DIR | rights::FILE,
        )
        .unwrap();
        let (new, old) = (p(&mut g, "new"), p(&mut g, "inner"));
        let (name, args) = args(&mut g, dir as u64, new, old);
        assert_eq!(
            g.ok(name, &args),
            Err(Errno::NOTCAPABLE),
            "{name} without {right:#x}"
        );
        g.close(dir).unwrap();
    }
    assert_eq!(tree(d.path()), before, "nothing changed");
}

/// Every path beneath `d` with its contents (directories as `None`).
fn walk(d: &std::path::Path) -> Vec<(std::path::PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    for e in fs::read_dir(d).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.push((e.clone(), None));
            out.extend(walk(&e));
        } else {
            out.push((e.clone(), Some(fs::read(&e).unwrap())));
        }
    }
    out
}

/// Go's `syscall/fs_wasip1.go` rights sets (`fileRights`, `dirRights`,
/// `writeRights`, `readRights`): Go asks `fileRights` minus the access
/// mode's opposite (`& dirRights` for `O_DIRECTORY`) and passes `fileRights`
/// as inheriting.
mod go {
    use wasp_wasi::types::rights::*;
    /// Every right below `sock_shutdown` (bits 0-27).
    pub const FILE: u64 = (1 << 28) - 1;
    /// `fileRights` minus what makes no sense on a directory.
    pub const DIR: u64 = FILE
        & !(FD_DATASYNC
            | FD_READ
            | FD_TELL
            | FD_WRITE
            | FD_ADVISE
            | FD_ALLOCATE
            | FD_FILESTAT_SET_SIZE
            | POLL_FD_READWRITE);
    pub const WRITE: u64 = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | PATH_FILESTAT_SET_SIZE;
    pub const READ: u64 = FD_READ | FD_READDIR;
}

#[test]
fn the_rights_go_and_wasi_libc_ask_for_are_enough() {
    let (d, mut g) = scratch();
    // Go: os.OpenRoot("d") opens the directory O_RDONLY (without
    // O_DIRECTORY), then root.Create("new") is Openat(O_RDWR|O_CREATE|O_TRUNC).
    let root = open(&mut g, 3, "d", 0, (go::FILE & !go::WRITE, go::FILE), 0).unwrap();
    let create = OFLAGS_CREAT | OFLAGS_TRUNC;
    for round in 0..2 {
        let f = open(&mut g, root, "new", create, (go::FILE, go::FILE), 0).unwrap();
        assert_eq!(g.write(f, b"go"), Ok(2), "round {round}");
        assert_eq!(seek(&mut g, f, 0, WHENCE_SET), 0);
        assert_eq!(g.read(f, 10).unwrap(), b"go");
        assert_eq!(g.ok("fd_filestat_set_size", &[f as u64, 1]), Ok(()));
        g.close(f).unwrap();
    }
    assert_eq!(fs::read(d.path().join("d/new")).unwrap(), b"g");
    // The rest of os.Root on that fd, and a subdirectory the way Go opens one.
    assert_eq!(g.path_call("path_create_directory", root, "sub"), Ok(()));
    assert!(g.stat(root, true, "new").is_ok());
    let (o, ol) = g.bytes(b"new");
    let (n, nl) = g.bytes(b"sub/renamed");
    let r = root as u64;
    assert_eq!(g.ok("path_rename", &[r, o, ol, r, n, nl]), Ok(()));
    let sub = open(
        &mut g,
        root,
        "sub",
        OFLAGS_DIRECTORY,
        (go::FILE & !go::WRITE & go::DIR, go::FILE),
        0,
    )
    .unwrap();
    assert_eq!(fd_call(&mut g, "fd_readdir", sub), Ok(()));
    let f = open(
        &mut g,
        sub,
        "renamed",
        OFLAGS_TRUNC,
        (go::FILE, go::FILE),
        0,
    )
    .unwrap();
    g.close(f).unwrap();
    assert_eq!(g.path_call("path_unlink_file", sub, "renamed"), Ok(()));
    // Go files: O_RDONLY and O_WRONLY.
    let ro = open(&mut g, 3, "f", 0, (go::FILE & !go::WRITE, go::FILE), 0).unwrap();
    for call in [
        "fd_read",
        "fd_pread",
        "fd_seek",
        "fd_tell",
        "fd_filestat_get",
        "fd_fdstat_set_flags",
        "fd_sync",
    ] {
        assert_eq!(fd_call(&mut g, call, ro), Ok(()), "Go O_RDONLY: {call}");
    }
    let wo = open(&mut g, 3, "f", 0, (go::FILE & !go::READ, go::FILE), 0).unwrap();
    for call in [
        "fd_write",
        "fd_pwrite",
        "fd_filestat_set_size",
        "fd_datasync",
    ] {
        assert_eq!(fd_call(&mut g, call, wo), Ok(()), "Go O_WRONLY: {call}");
    }
    // wasi-libc: opendir() and an O_RDWR file.
    let dir_rights = wasi_libc_rights(&mut g, 3, true, false);
    let dir = open(&mut g, 3, "d", OFLAGS_DIRECTORY, dir_rights, 0).unwrap();
    assert_eq!(fd_call(&mut g, "fd_readdir", dir), Ok(()));
    let rw_rights = wasi_libc_rights(&mut g, 3, true, true);
    let rw = open(&mut g, 3, "f", 0, rw_rights, 0).unwrap();
    for call in [
        "fd_read",
        "fd_write",
        "fd_pread",
        "fd_pwrite",
        "fd_seek",
        "fd_tell",
        "fd_filestat_get",
        "fd_filestat_set_size",
        "fd_filestat_set_times",
        "fd_allocate",
        "fd_advise",
        "fd_sync",
        "fd_datasync",
    ] {
        assert_eq!(
            fd_call(&mut g, call, rw),
            Ok(()),
            "wasi-libc O_RDWR: {call}"
        );
    }
}

#[test]
fn preopens_have_the_rights_userlands_expect() {
    let (_d, mut g) = scratch();
    // The wasi-testsuite's path_open_preopen list: what userlands expect of
    // every directory, and of what files beneath it may get.
    let dir_base = rights::PATH_CREATE_DIRECTORY
        | rights::PATH_CREATE_FILE
        | rights::PATH_LINK_SOURCE
        | rights::PATH_LINK_TARGET
        | rights::PATH_OPEN
        | rights::FD_READDIR
        | rights::PATH_READLINK
        | rights::PATH_RENAME_SOURCE
        | rights::PATH_RENAME_TARGET
        | rights::PATH_SYMLINK
        | rights::PATH_REMOVE_DIRECTORY
        | rights::PATH_UNLINK_FILE
        | rights::PATH_FILESTAT_GET
        | rights::PATH_FILESTAT_SET_TIMES
        | rights::FD_FILESTAT_GET
        | rights::FD_FILESTAT_SET_TIMES;
    let dir_inheriting = dir_base | rights::FILE;
    let (flags, base, inheriting) = fdstat(&mut g, 3);
    assert_eq!(flags, 0);
    assert_eq!(base & dir_base, dir_base);
    assert_eq!(inheriting & dir_inheriting, dir_inheriting);
    assert_eq!(base & rights::FD_FILESTAT_SET_SIZE, 0);
    // "." opens with the same rights, none, O_DIRECTORY and none, and
    // O_DIRECTORY with just fd_read; O_DIRECTORY and fd_write is EISDIR.
    let rd = rights::FD_READ;
    let wr = rights::FD_READ | rights::FD_WRITE;
    for (oflags, rights, want) in [
        (0, (base, inheriting), Ok(())),
        (0, (0, 0), Ok(())),
        (OFLAGS_DIRECTORY, (0, 0), Ok(())),
        (OFLAGS_DIRECTORY, (rd, 0), Ok(())),
        (OFLAGS_DIRECTORY, (wr, 0), Err(Errno::ISDIR)),
    ] {
        let r = open(&mut g, 3, ".", oflags, rights, 0).map(|fd| g.close(fd).unwrap());
        assert_eq!(r, want, "oflags {oflags} rights {rights:x?}");
    }
}
