//! path_* functions: the filesystem sandbox, read-only preopens, and the
//! bytes each call writes.

mod common;
use common::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use wasp_wasi::types::{rights, *};
use wasp_wasi::{DirPerms, Errno, WasiCtxBuilder};

const RW: u64 = rights::FD_READ
    | rights::FD_WRITE
    | rights::FD_SEEK
    | rights::FD_TELL
    | rights::FD_FILESTAT_GET;
const R: u64 = rights::FD_READ | rights::FD_SEEK | rights::FD_FILESTAT_GET;

/// root/secret.txt (outside), root/sandbox (the preopen, fd 3) with links.
fn tree() -> (tempfile::TempDir, std::path::PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fs::write(r.join("secret.txt"), "secret").unwrap();
    fs::create_dir(r.join("outdir")).unwrap();
    let sb = r.join("sandbox");
    fs::create_dir(&sb).unwrap();
    fs::write(sb.join("file.txt"), "hello").unwrap();
    fs::create_dir(sb.join("sub")).unwrap();
    fs::write(sb.join("sub/inner.txt"), "inner").unwrap();
    symlink(r.join("secret.txt"), sb.join("abs_link")).unwrap();
    symlink("/", sb.join("abs_root")).unwrap();
    symlink("../secret.txt", sb.join("rel_out")).unwrap();
    symlink("..", sb.join("dir_out")).unwrap();
    symlink("../outdir", sb.join("outdir_link")).unwrap();
    symlink("chain2", sb.join("chain1")).unwrap();
    symlink("sub/../../secret.txt", sb.join("chain2")).unwrap();
    symlink("ok2", sb.join("ok1")).unwrap();
    symlink("sub/inner.txt", sb.join("ok2")).unwrap();
    symlink("nothing-here", sb.join("dangling")).unwrap();
    symlink("../nothing-outside", sb.join("dangling_out")).unwrap();
    symlink("loop2", sb.join("loop1")).unwrap();
    symlink("loop1", sb.join("loop2")).unwrap();
    symlink("..", sb.join("sub/up")).unwrap();
    symlink("../..", sb.join("sub/upup")).unwrap();
    (root, sb)
}

/// `path_open` of a directory asking for every directory right as base and
/// every right as inheriting (what a guest that opens files beneath it does).
fn open_dir(g: &mut G, dir: u32, path: &str, oflags: u16) -> Result<u32, Errno> {
    let (p, l) = g.bytes(path.as_bytes());
    let out = g.alloc(4);
    let (base, inheriting) = (rights::DIR, rights::DIR | rights::FILE);
    let args = [
        dir as u64,
        1,
        p,
        l,
        oflags as u64,
        base,
        inheriting,
        0,
        out as u64,
    ];
    g.ok("path_open", &args)?;
    Ok(g.u32(out))
}

fn guest(sb: &Path, perms: DirPerms) -> G {
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(sb, "/sandbox", perms).unwrap();
    G::new(b.build())
}

#[test]
fn escapes_are_refused() {
    let (root, sb) = tree();
    let mut g = guest(&sb, DirPerms::ReadWrite);
    for p in [
        "../secret.txt",
        "sub/../../secret.txt",
        "/etc/passwd",
        "/",
        "abs_link",
        "abs_root",
        "abs_root/etc/passwd",
        "rel_out",
        "dir_out/secret.txt",
        "chain1",
        "sub/upup/secret.txt",
        "sub/up/../secret.txt",
        "outdir_link/x",
    ] {
        let r = g.open(3, p, 0, R, 0);
        assert_eq!(r, Err(Errno::NOTCAPABLE), "open {p}");
        assert_eq!(
            g.stat(3, true, p).err(),
            Some(Errno::NOTCAPABLE),
            "stat {p}"
        );
    }
    // Creating through an escaping path or link must not create anything outside.
    for p in [
        "../created.txt",
        "outdir_link/created.txt",
        "dangling_out",
        "dir_out/created.txt",
    ] {
        let r = g.open(3, p, OFLAGS_CREAT, RW, 0);
        assert!(r.is_err(), "create {p} succeeded");
    }
    assert_eq!(
        g.path_call("path_create_directory", 3, "../newdir"),
        Err(Errno::NOTCAPABLE)
    );
    assert_eq!(
        g.path_call("path_create_directory", 3, "outdir_link/newdir"),
        Err(Errno::NOTCAPABLE)
    );
    assert_eq!(
        g.path_call("path_unlink_file", 3, "../secret.txt"),
        Err(Errno::NOTCAPABLE)
    );
    assert_eq!(
        g.path_call("path_unlink_file", 3, "dir_out/secret.txt"),
        Err(Errno::NOTCAPABLE)
    );
    assert_eq!(
        g.path_call("path_remove_directory", 3, "../outdir"),
        Err(Errno::NOTCAPABLE)
    );
    let names: Vec<String> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(names, ["outdir", "sandbox", "secret.txt"]);
    assert_eq!(fs::read_dir(root.path().join("outdir")).unwrap().count(), 0);
    assert_eq!(
        fs::read_to_string(root.path().join("secret.txt")).unwrap(),
        "secret"
    );

    // rename/link out of the sandbox
    let (o, ol) = g.bytes(b"file.txt");
    let (n, nl) = g.bytes(b"../moved.txt");
    assert_eq!(
        g.call("path_rename", &[3, o, ol, 3, n, nl]),
        errno(Errno::NOTCAPABLE)
    );
    assert_eq!(
        g.call("path_link", &[3, 0, o, ol, 3, n, nl]),
        errno(Errno::NOTCAPABLE)
    );
    let (s, sl) = g.bytes(b"../secret.txt");
    let (t, tl) = g.bytes(b"new_link");
    assert_eq!(
        g.call("path_link", &[3, 0, s, sl, 3, t, tl]),
        errno(Errno::NOTCAPABLE)
    );
    // absolute symlink targets are refused; relative ones can be made but never followed out
    let (a, al) = g.bytes(b"/etc/passwd");
    assert_eq!(
        g.call("path_symlink", &[a, al, 3, t, tl]),
        errno(Errno::NOTCAPABLE)
    );
    let (rel, rell) = g.bytes(b"../secret.txt");
    assert_eq!(g.call("path_symlink", &[rel, rell, 3, t, tl]), 0);
    assert_eq!(g.open(3, "new_link", 0, R, 0), Err(Errno::NOTCAPABLE));
    assert!(!root.path().join("moved.txt").exists());
}

#[test]
fn links_inside_resolve_and_odd_paths() {
    let (_root, sb) = tree();
    let mut g = guest(&sb, DirPerms::ReadWrite);
    let fd = g.open(3, "ok1", 0, R, 0).unwrap();
    assert_eq!(g.read(fd, 100).unwrap(), b"inner");
    let fd = g.open(3, "sub/up/file.txt", 0, R, 0).unwrap();
    assert_eq!(g.read(fd, 100).unwrap(), b"hello");
    let fd = g.open(3, "sub/../file.txt", 0, R, 0).unwrap();
    assert_eq!(g.read(fd, 100).unwrap(), b"hello");
    assert_eq!(g.open(3, "dangling", 0, R, 0), Err(Errno::NOENT));
    assert_eq!(g.open(3, "loop1", 0, R, 0), Err(Errno::LOOP));
    assert_eq!(g.open(3, "file.txt/", 0, R, 0), Err(Errno::NOTDIR));
    assert_eq!(g.open(3, "file.txt/.", 0, R, 0), Err(Errno::NOTDIR));
    assert_eq!(g.open(3, "missing", 0, R, 0), Err(Errno::NOENT));
    assert_eq!(g.open(3, "", 0, R, 0), Err(Errno::NOENT));
    // without symlink_follow, a final symlink is not followed
    assert_eq!(g.open_flags(3, 0, "ok1", 0, R, 0), Err(Errno::LOOP));
    // path with a NUL byte
    assert_eq!(g.open(3, "file.txt\0x", 0, R, 0), Err(Errno::INVAL));
    // a subdirectory fd is its own root
    let sub = open_dir(&mut g, 3, "sub", OFLAGS_DIRECTORY).unwrap();
    assert_eq!(g.open(sub, "../file.txt", 0, R, 0), Err(Errno::NOTCAPABLE));
    assert_eq!(g.open(sub, "up/file.txt", 0, R, 0), Err(Errno::NOTCAPABLE));
    let fd = g.open(sub, "inner.txt", 0, R, 0).unwrap();
    assert_eq!(g.read(fd, 100).unwrap(), b"inner");
    // readlink returns the raw target, even for links pointing out
    let (p, l) = g.bytes(b"abs_link");
    let buf = g.alloc(256);
    let out = g.alloc(4);
    assert_eq!(
        g.call("path_readlink", &[3, p, l, buf as u64, 256, out as u64]),
        0
    );
    let want = sb.parent().unwrap().join("secret.txt");
    assert_eq!(
        g.get(buf, g.u32(out) as usize),
        want.to_str().unwrap().as_bytes()
    );
    // truncated readlink: first buf_len bytes, nread = buf_len
    let buf2 = g.alloc(8);
    g.put(buf2, &[MARK; 8]);
    let (p, l) = g.bytes(b"ok2");
    assert_eq!(
        g.call("path_readlink", &[3, p, l, buf2 as u64, 4, out as u64]),
        0
    );
    assert_eq!(g.u32(out), 4);
    assert_eq!(g.get(buf2, 8), b"sub/\xaa\xaa\xaa\xaa");
    // readlink of a non-link
    let (p, l) = g.bytes(b"file.txt");
    assert_eq!(
        g.call("path_readlink", &[3, p, l, buf as u64, 256, out as u64]),
        errno(Errno::INVAL)
    );
}

#[test]
fn directories_open_with_or_without_o_directory() {
    let (_root, sb) = tree();
    let mut g = guest(&sb, DirPerms::ReadWrite);
    // Without O_DIRECTORY a directory opens too (the WASI test suite and
    // wasmtime): with no rights at all, and through trailing slashes.
    let st = g.alloc(24);
    for (path, lookup) in [
        ("sub", 1),
        (".", 1),
        ("sub/", 0),
        ("sub///", 0),
        ("sub/up//", 1),
    ] {
        let fd = g.open_flags(3, lookup, path, 0, 0, 0).unwrap();
        assert_eq!(g.call("fd_fdstat_get", &[fd as u64, st as u64]), 0);
        assert_eq!(g.get(st, 1)[0], FILETYPE_DIRECTORY, "{path}");
        g.close(fd).unwrap();
    }
    // ... and works as a directory.
    let fd = open_dir(&mut g, 3, "sub", 0).unwrap();
    let inner = g.open(fd, "inner.txt", 0, R, 0).unwrap();
    assert_eq!(g.read(inner, 100).unwrap(), b"inner");
    let (buf, used) = (g.alloc(256), g.alloc(4));
    assert_eq!(
        g.call("fd_readdir", &[fd as u64, buf as u64, 256, 0, used as u64]),
        0
    );
    assert_eq!(
        g.u32(used),
        5 * 24 + 1 + 2 + 9 + 2 + 4,
        ". .. inner.txt up upup"
    );
    g.close(inner).unwrap();
    g.close(fd).unwrap();
    // A file with a trailing slash is not a directory.
    for path in ["file.txt/", "file.txt///"] {
        assert_eq!(g.open(3, path, 0, 0, 0), Err(Errno::NOTDIR), "{path}");
    }
    // Asking to write a directory: EISDIR, with or without O_DIRECTORY.
    assert_eq!(g.open(3, "sub", 0, RW, 0), Err(Errno::ISDIR));
    let rw = rights::FD_READ | rights::FD_WRITE;
    assert_eq!(g.open(3, ".", OFLAGS_DIRECTORY, rw, 0), Err(Errno::ISDIR));
    assert_eq!(g.open(3, ".", 0, rw, 0), Err(Errno::ISDIR));
    let fd = g.open(3, "sub", OFLAGS_DIRECTORY, rights::DIR, 0).unwrap();
    assert_eq!(fd, 4);
    assert_eq!(g.call("fd_fdstat_get", &[fd as u64, st as u64]), 0);
    assert_eq!(g.get(st, 1)[0], FILETYPE_DIRECTORY);
    assert_eq!(
        g.open(3, "file.txt", OFLAGS_DIRECTORY, rights::DIR, 0),
        Err(Errno::NOTDIR)
    );
    assert_eq!(g.open(3, ".", OFLAGS_DIRECTORY, rights::DIR, 0), Ok(5));
    // a file with O_DIRECTORY through a link to a dir works
    assert_eq!(g.open(3, "sub/up", OFLAGS_DIRECTORY, rights::DIR, 0), Ok(6));
    // directory | creat is invalid
    assert_eq!(
        g.open(3, "newdir", OFLAGS_DIRECTORY | OFLAGS_CREAT, rights::DIR, 0),
        Err(Errno::INVAL)
    );
    // fd 0 is not a directory
    assert_eq!(g.open(0, "file.txt", 0, R, 0), Err(Errno::NOTDIR));
    assert_eq!(g.open(99, "file.txt", 0, R, 0), Err(Errno::BADF));
}

#[test]
fn create_write_rename_stat_unlink() {
    let (_root, sb) = tree();
    let mut g = guest(&sb, DirPerms::ReadWrite);
    let fd = g
        .open(3, "new.txt", OFLAGS_CREAT | OFLAGS_EXCL, RW, 0)
        .unwrap();
    assert_eq!(g.write(fd, b"abc").unwrap(), 3);
    assert_eq!(
        g.open(3, "new.txt", OFLAGS_CREAT | OFLAGS_EXCL, RW, 0),
        Err(Errno::EXIST)
    );
    g.close(fd).unwrap();
    // append
    let fd = g.open(3, "new.txt", 0, RW, FDFLAGS_APPEND).unwrap();
    g.write(fd, b"def").unwrap();
    g.close(fd).unwrap();
    assert_eq!(fs::read(sb.join("new.txt")).unwrap(), b"abcdef");
    // truncate
    let fd = g.open(3, "new.txt", OFLAGS_TRUNC, RW, 0).unwrap();
    g.write(fd, b"xy").unwrap();
    g.close(fd).unwrap();
    assert_eq!(fs::read(sb.join("new.txt")).unwrap(), b"xy");
    // stat layout
    let st = g.stat(3, true, "new.txt").unwrap();
    let meta = fs::metadata(sb.join("new.txt")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(u64::from_le_bytes(st[0..8].try_into().unwrap()), meta.dev());
    assert_eq!(
        u64::from_le_bytes(st[8..16].try_into().unwrap()),
        meta.ino()
    );
    assert_eq!(st[16], FILETYPE_REGULAR_FILE);
    assert_eq!(&st[17..24], &[0; 7]);
    assert_eq!(u64::from_le_bytes(st[24..32].try_into().unwrap()), 1);
    assert_eq!(u64::from_le_bytes(st[32..40].try_into().unwrap()), 2);
    let mtim = meta.mtime() as u64 * 1_000_000_000 + meta.mtime_nsec() as u64;
    assert_eq!(u64::from_le_bytes(st[48..56].try_into().unwrap()), mtim);
    // symlink stat without follow
    let st = g.stat(3, false, "ok2").unwrap();
    assert_eq!(st[16], FILETYPE_SYMBOLIC_LINK);
    assert_eq!(
        u64::from_le_bytes(st[32..40].try_into().unwrap()),
        "sub/inner.txt".len() as u64
    );
    let st = g.stat(3, true, "ok2").unwrap();
    assert_eq!(st[16], FILETYPE_REGULAR_FILE);
    assert_eq!(g.stat(3, true, "sub").unwrap()[16], FILETYPE_DIRECTORY);
    assert_eq!(g.stat(3, true, "nope").err(), Some(Errno::NOENT));
    assert_eq!(
        g.stat(3, 2 == 3, "dangling").unwrap()[16],
        FILETYPE_SYMBOLIC_LINK
    );
    // rename, link, mkdir, rmdir, unlink
    let (o, ol) = g.bytes(b"new.txt");
    let (n, nl) = g.bytes(b"sub/renamed.txt");
    assert_eq!(g.call("path_rename", &[3, o, ol, 3, n, nl]), 0);
    assert!(sb.join("sub/renamed.txt").exists());
    let (l, ll) = g.bytes(b"hard.txt");
    assert_eq!(g.call("path_link", &[3, 0, n, nl, 3, l, ll]), 0);
    assert_eq!(
        g.call("path_link", &[3, 1, n, nl, 3, l, ll]),
        errno(Errno::INVAL)
    );
    assert_eq!(fs::read(sb.join("hard.txt")).unwrap(), b"xy");
    assert_eq!(g.path_call("path_create_directory", 3, "d1"), Ok(()));
    assert_eq!(
        g.path_call("path_create_directory", 3, "d1"),
        Err(Errno::EXIST)
    );
    assert_eq!(g.path_call("path_unlink_file", 3, "d1"), Err(Errno::ISDIR));
    assert_eq!(
        g.path_call("path_remove_directory", 3, "sub"),
        Err(Errno::NOTEMPTY)
    );
    assert_eq!(
        g.path_call("path_remove_directory", 3, "file.txt"),
        Err(Errno::NOTDIR)
    );
    assert_eq!(g.path_call("path_remove_directory", 3, "d1"), Ok(()));
    assert_eq!(
        g.path_call("path_unlink_file", 3, "hard.txt/"),
        Err(Errno::NOTDIR)
    );
    assert_eq!(g.path_call("path_unlink_file", 3, "hard.txt"), Ok(()));
    assert_eq!(
        g.path_call("path_unlink_file", 3, "hard.txt"),
        Err(Errno::NOENT)
    );
    // unlinking a symlink removes the link, not its target
    assert_eq!(g.path_call("path_unlink_file", 3, "rel_out"), Ok(()));
    assert!(sb.parent().unwrap().join("secret.txt").exists());
    // set times through a path
    let (p, pl) = g.bytes(b"file.txt");
    let t = 1_000_000_000u64 * 1_600_000_000 + 123;
    assert_eq!(
        g.call(
            "path_filestat_set_times",
            &[3, 1, p, pl, t, t, (FSTFLAGS_ATIM | FSTFLAGS_MTIM) as u64]
        ),
        0
    );
    let meta = fs::metadata(sb.join("file.txt")).unwrap();
    assert_eq!(meta.mtime(), 1_600_000_000);
    assert_eq!(meta.mtime_nsec(), 123);
    assert_eq!(
        g.call(
            "path_filestat_set_times",
            &[
                3,
                1,
                p,
                pl,
                t,
                t,
                (FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW) as u64
            ]
        ),
        errno(Errno::INVAL)
    );
}

#[test]
fn read_only_preopen_refuses_every_mutation() {
    let (_root, sb) = tree();
    let before = snapshot(&sb);
    let mut g = guest(&sb, DirPerms::ReadOnly);
    // reading works
    let fd = g
        .open(3, "file.txt", 0, R | rights::FD_FDSTAT_SET_FLAGS, 0)
        .unwrap();
    assert_eq!(g.read(fd, 100).unwrap(), b"hello");
    // the file fd refuses mutations
    assert_eq!(g.write(fd, b"x"), Err(Errno::ROFS));
    assert_eq!(
        g.ok("fd_filestat_set_size", &[fd as u64, 0]),
        Err(Errno::ROFS)
    );
    assert_eq!(g.ok("fd_allocate", &[fd as u64, 0, 10]), Err(Errno::ROFS));
    assert_eq!(
        g.ok(
            "fd_filestat_set_times",
            &[fd as u64, 0, 0, FSTFLAGS_MTIM_NOW as u64]
        ),
        Err(Errno::ROFS)
    );
    let (p, l) = g.bytes(b"x");
    let iov = g.iovs(&[(p as u32, l as u32)]);
    let out = g.alloc(4);
    assert_eq!(
        g.ok("fd_pwrite", &[fd as u64, iov.0, iov.1, 0, out as u64]),
        Err(Errno::ROFS)
    );
    assert_eq!(
        g.ok("fd_fdstat_set_flags", &[fd as u64, FDFLAGS_APPEND as u64]),
        Err(Errno::ROFS)
    );
    // opening for any kind of writing
    assert_eq!(g.open(3, "file.txt", 0, RW, 0), Err(Errno::ROFS));
    assert_eq!(g.open(3, "file.txt", OFLAGS_TRUNC, R, 0), Err(Errno::ROFS));
    assert_eq!(
        g.open(3, "file.txt", 0, R, FDFLAGS_APPEND),
        Err(Errno::ROFS)
    );
    assert_eq!(g.open(3, "new.txt", OFLAGS_CREAT, R, 0), Err(Errno::ROFS));
    assert_eq!(
        g.open(3, "new.txt", OFLAGS_CREAT | OFLAGS_EXCL, RW, 0),
        Err(Errno::ROFS)
    );
    // path mutations
    assert_eq!(
        g.path_call("path_create_directory", 3, "d"),
        Err(Errno::ROFS)
    );
    assert_eq!(
        g.path_call("path_unlink_file", 3, "file.txt"),
        Err(Errno::ROFS)
    );
    assert_eq!(g.path_call("path_unlink_file", 3, "ok1"), Err(Errno::ROFS));
    assert_eq!(
        g.path_call("path_remove_directory", 3, "sub"),
        Err(Errno::ROFS)
    );
    let (o, ol) = g.bytes(b"file.txt");
    let (n, nl) = g.bytes(b"renamed.txt");
    assert_eq!(
        g.call("path_rename", &[3, o, ol, 3, n, nl]),
        errno(Errno::ROFS)
    );
    assert_eq!(
        g.call("path_link", &[3, 0, o, ol, 3, n, nl]),
        errno(Errno::ROFS)
    );
    assert_eq!(
        g.call("path_symlink", &[o, ol, 3, n, nl]),
        errno(Errno::ROFS)
    );
    assert_eq!(
        g.call(
            "path_filestat_set_times",
            &[3, 1, o, ol, 0, 0, FSTFLAGS_MTIM_NOW as u64]
        ),
        errno(Errno::ROFS)
    );
    // a subdirectory opened from it inherits read-only
    let sub = g.open(3, "sub", OFLAGS_DIRECTORY, rights::DIR, 0).unwrap();
    assert_eq!(
        g.path_call("path_unlink_file", sub, "inner.txt"),
        Err(Errno::ROFS)
    );
    assert_eq!(g.open(sub, "x", OFLAGS_CREAT, RW, 0), Err(Errno::ROFS));
    assert_eq!(
        g.ok(
            "fd_filestat_set_times",
            &[sub as u64, 0, 0, FSTFLAGS_MTIM_NOW as u64]
        ),
        Err(Errno::ROFS)
    );
    // reported rights have no mutating bits
    let st = g.alloc(24);
    assert_eq!(g.call("fd_fdstat_get", &[3, st as u64]), 0);
    assert_eq!(g.u64(st + 8) & rights::PATH_CREATE_FILE, 0);
    assert_eq!(g.u64(st + 16) & rights::FD_WRITE, 0);
    assert_eq!(snapshot(&sb), before, "the tree changed");

    // a read-only and a read-write preopen: no moving or linking between them
    let rw = tempfile::tempdir().unwrap();
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(&sb, "/ro", DirPerms::ReadOnly).unwrap();
    b.preopened_dir(rw.path(), "/rw", DirPerms::ReadWrite)
        .unwrap();
    let mut g = G::new(b.build());
    let (o, ol) = g.bytes(b"file.txt");
    let (n, nl) = g.bytes(b"stolen.txt");
    assert_eq!(
        g.call("path_rename", &[3, o, ol, 4, n, nl]),
        errno(Errno::ROFS)
    );
    assert_eq!(
        g.call("path_link", &[3, 0, o, ol, 4, n, nl]),
        errno(Errno::ROFS)
    );
    assert_eq!(snapshot(&sb), before);
    assert_eq!(fs::read_dir(rw.path()).unwrap().count(), 0);
}

/// Names, sizes and mtimes of everything under `dir` (links not followed).
fn snapshot(dir: &Path) -> Vec<(String, u64, i64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = fs::symlink_metadata(e.path()).unwrap();
            out.push((
                e.path().display().to_string(),
                m.size(),
                m.mtime_nsec() + m.mtime() * 1_000_000_000,
            ));
            if m.is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn bad_pointers_and_flags() {
    let (_root, sb) = tree();
    let mut g = guest(&sb, DirPerms::ReadWrite);
    let huge = MEM as u64;
    // path out of bounds
    assert_eq!(
        g.call("path_open", &[3, 1, huge - 2, 8, 0, R, R, 0, 0]),
        errno(Errno::FAULT)
    );
    assert_eq!(
        g.call("path_create_directory", &[3, u32::MAX as u64, 2]),
        errno(Errno::FAULT)
    );
    // result pointer out of bounds: nothing is opened
    let (p, l) = g.bytes(b"file.txt");
    assert_eq!(
        g.call("path_open", &[3, 1, p, l, 0, R, R, 0, huge]),
        errno(Errno::FAULT)
    );
    assert_eq!(g.open(3, "file.txt", 0, R, 0), Ok(4), "no fd was leaked");
    assert_eq!(
        g.call("path_filestat_get", &[3, 1, p, l, huge - 63]),
        errno(Errno::FAULT)
    );
    // undefined flag bits
    assert_eq!(
        g.call("path_open", &[3, 2, p, l, 0, R, R, 0, 0]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("path_open", &[3, 1, p, l, 0x10, R, R, 0, 0]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("path_open", &[3, 1, p, l, 0, R, R, 0x20, 0]),
        errno(Errno::INVAL)
    );
    assert_eq!(
        g.call("path_filestat_get", &[3, 4, p, l, 0]),
        errno(Errno::INVAL)
    );
}
