//! API profiles: resolving named profiles and allow/deny lists, and denied
//! functions returning `ENOSYS` through the linker without side effects.

use std::collections::BTreeSet;
use wasp::{Engine, Linker, Module, Store};
use wasp_wasi::profile::{self, parse_list, resolve, Profile, ProfileError, PROFILES};
use wasp_wasi::{DirPerms, MemoryOutput, WasiCtx, WasiCtxBuilder, WASI_FUNCTIONS};

const NONE: &[&str] = &[];
const ENOSYS: i32 = 52;

fn set(names: &[&'static str]) -> BTreeSet<&'static str> {
    names.iter().copied().collect()
}

fn all() -> BTreeSet<&'static str> {
    set(WASI_FUNCTIONS)
}

#[test]
fn minimal_is_what_a_println_program_imports() {
    // The imports of a Go 1.27 `println`-only program (GOOS=wasip1).
    let go_println = set(&[
        "sched_yield",
        "proc_exit",
        "args_get",
        "args_sizes_get",
        "clock_time_get",
        "environ_get",
        "environ_sizes_get",
        "fd_write",
        "random_get",
        "poll_oneoff",
    ]);
    let minimal = Profile::by_name("minimal").unwrap();
    assert_eq!(minimal.allowed(), go_println);
    assert_eq!(
        minimal.denied(),
        &all() - &go_println,
        "everything else is denied"
    );
    assert_eq!(
        resolve(Some("minimal"), NONE, NONE).unwrap(),
        minimal.denied()
    );
}

#[test]
fn profiles_nest_and_full_denies_nothing() {
    let allowed = |n: &str| Profile::by_name(n).unwrap().allowed();
    let chain = ["minimal", "stdio", "fs-read", "fs", "full"];
    for w in chain.windows(2) {
        assert!(
            allowed(w[0]).is_subset(&allowed(w[1])) && allowed(w[0]) != allowed(w[1]),
            "{} ⊊ {}",
            w[0],
            w[1]
        );
    }
    assert!(allowed("stdio").is_subset(&allowed("net")));
    assert!(allowed("net").is_subset(&allowed("full")));
    assert_eq!(allowed("full"), all());
    assert!(Profile::by_name("full").unwrap().denied().is_empty());

    // The promises the docs make about each profile.
    let stdio = allowed("stdio");
    assert!(stdio.contains("fd_read") && stdio.contains("fd_fdstat_set_flags"));
    assert!(!stdio
        .iter()
        .any(|n| n.starts_with("path_") || n.starts_with("sock_")));
    let fs_read = allowed("fs-read");
    assert!(fs_read.contains("path_open") && fs_read.contains("fd_readdir"));
    for w in [
        "path_unlink_file",
        "path_rename",
        "path_create_directory",
        "fd_pwrite",
    ] {
        assert!(!fs_read.contains(w) && allowed("fs").contains(w), "{w}");
    }
    assert!(!allowed("fs").iter().any(|n| n.starts_with("sock_")));
    let net = allowed("net");
    assert!(net.contains("sock_accept") && net.contains("sock_shutdown"));
    assert!(!net.iter().any(|n| n.starts_with("path_")));
    for p in PROFILES {
        assert!(
            p.allows("proc_exit"),
            "{}: proc_exit always allowed",
            p.name
        );
        assert!(!p.summary.is_empty());
    }
}

#[test]
fn no_flags_deny_nothing() {
    assert!(resolve(None, NONE, NONE).unwrap().is_empty());
}

#[test]
fn deny_lists_are_comma_separated_and_repeatable() {
    let d = resolve(None, NONE, &["path_open,fd_readdir", " sock_accept "]).unwrap();
    assert_eq!(d, set(&["fd_readdir", "path_open", "sock_accept"]));
}

#[test]
fn allow_lists_without_a_profile_allow_only_those() {
    let d = resolve(None, &["fd_write,proc_exit"], NONE).unwrap();
    assert_eq!(d, &all() - &set(&["fd_write", "proc_exit"]));
}

#[test]
fn allow_extends_a_profile_and_deny_wins() {
    let d = resolve(Some("stdio"), &["path_open"], NONE).unwrap();
    assert!(!d.contains("path_open"));
    assert!(d.contains("path_unlink_file"));
    let d = resolve(Some("full"), &["fd_write"], &["fd_write"]).unwrap();
    assert_eq!(d, set(&["fd_write"]), "deny wins over allow");
    let d = resolve(Some("minimal"), NONE, &["random_get"]).unwrap();
    assert!(d.contains("random_get"));
}

#[test]
fn prefix_patterns() {
    assert_eq!(
        parse_list("sock_*").unwrap(),
        set(&["sock_accept", "sock_recv", "sock_send", "sock_shutdown"])
    );
    assert_eq!(parse_list("*").unwrap(), all());
    let path = parse_list("path_*").unwrap();
    assert_eq!(path.len(), 10);
    assert!(path.iter().all(|n| n.starts_with("path_")));
    let d = resolve(Some("full"), NONE, &["path_*,fd_readdir"]).unwrap();
    assert_eq!(d.len(), 11);
}

#[test]
fn errors_name_the_problem() {
    let e = resolve(Some("tiny"), NONE, NONE).unwrap_err();
    assert_eq!(e, ProfileError::UnknownProfile("tiny".into()));
    let msg = e.to_string();
    assert!(msg.contains("`tiny`") && msg.contains("minimal") && msg.contains("fs-read"));

    let e = resolve(None, NONE, &["fd_write,path_opne"]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`path_opne` is not a wasi_snapshot_preview1 function (did you mean `path_open`?)"
    );
    let e = resolve(None, &["frobnicate_everything"], NONE).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`frobnicate_everything` is not a wasi_snapshot_preview1 function"
    );
    assert_eq!(
        parse_list("fd_read,,fd_write"),
        Err(ProfileError::EmptyItem)
    );
    assert_eq!(parse_list(""), Err(ProfileError::EmptyItem));
    assert_eq!(
        parse_list("http_*"),
        Err(ProfileError::NoMatch("http_*".into()))
    );
    // Names are exact: WASI names are lower case.
    assert!(parse_list("FD_WRITE").is_err());
}

#[test]
fn narrowest_profile_for_a_set_of_imports() {
    let n = |names: &[&str]| Profile::narrowest_for(names.iter().copied()).name;
    assert_eq!(n(&[]), "minimal");
    assert_eq!(n(&["fd_write", "proc_exit"]), "minimal");
    assert_eq!(n(&["fd_write", "fd_fdstat_get"]), "stdio");
    assert_eq!(n(&["path_open", "fd_read"]), "fs-read");
    assert_eq!(n(&["path_open", "path_unlink_file"]), "fs");
    assert_eq!(n(&["sock_accept", "fd_read"]), "net");
    assert_eq!(n(&["sock_accept", "path_open"]), "full");
    assert_eq!(n(&["proc_raise"]), "full");
    assert_eq!(n(&["not_wasi"]), "minimal", "unknown names are ignored");
}

#[test]
fn apply_denies_in_the_context() {
    let denied = resolve(Some("stdio"), NONE, NONE).unwrap();
    let mut b = WasiCtxBuilder::new();
    profile::apply(&mut b, &denied);
    let ctx = b.build();
    for f in WASI_FUNCTIONS {
        assert_eq!(ctx.is_denied(f), denied.contains(f), "{f}");
    }
}

// ---------------------------------------------------------------------------------------------
// Through the linker

struct Host {
    wasi: WasiCtx,
}

/// Instantiates `wat`, calls its `_start` and returns the `i32` results it stored at 0, 4, 8
/// (errnos and probes) or the error.
fn run(wat: &str, ctx: WasiCtx) -> Result<[i32; 3], wasp::Error> {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).unwrap();
    let mut linker: Linker<Host> = Linker::new(&engine);
    wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    let mut store = Store::new(&engine, Host { wasi: ctx });
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    start.call(&mut store, ())?;
    let mem = instance.get_memory(&store, "memory").unwrap();
    let d = mem.data(&store);
    let word = |at: usize| i32::from_le_bytes(d[at..at + 4].try_into().unwrap());
    Ok([word(0), word(4), word(8)])
}

/// Opens (creating) `new.txt` in the preopen fd 3: stores path_open's errno at 0, the fd slot
/// (pre-filled with 0x7777) at 4, then fd_write's errno for "hi\n" to stdout at 8.
const OPEN_AND_WRITE: &str = r#"
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "new.txt")
  (data (i32.const 96) "hi\n")
  (func (export "_start")
    (i32.store (i32.const 4) (i32.const 0x7777))
    ;; path_open(fd 3, dirflags 0, "new.txt", O_CREAT, rights all, inheriting all, fdflags 0, fd_ptr 4)
    (i32.store (i32.const 0)
      (call $path_open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 7)
        (i32.const 1) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 4)))
    ;; iovec at 16: (96, 3); nwritten at 24
    (i32.store (i32.const 16) (i32.const 96))
    (i32.store (i32.const 20) (i32.const 3))
    (i32.store (i32.const 8)
      (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
"#;

fn ctx_with(dir: &std::path::Path, denied: &BTreeSet<&'static str>) -> (WasiCtx, MemoryOutput) {
    let out = MemoryOutput::new();
    let mut b = WasiCtxBuilder::new();
    b.stdout(out.clone());
    b.preopened_dir(dir, "/data", DirPerms::ReadWrite).unwrap();
    profile::apply(&mut b, denied);
    (b.build(), out)
}

#[test]
fn denied_path_open_returns_enosys_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let denied = resolve(None, NONE, &["path_open"]).unwrap();
    let (ctx, out) = ctx_with(tmp.path(), &denied);
    let [open, fd_slot, write] = run(OPEN_AND_WRITE, ctx).unwrap();
    assert_eq!(open, ENOSYS);
    assert_eq!(fd_slot, 0x7777, "guest memory untouched");
    assert!(!tmp.path().join("new.txt").exists(), "no file created");
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    assert_eq!(write, 0, "fd_write still works");
    assert_eq!(out.contents_string(), "hi\n");
}

#[test]
fn profile_denial_through_the_linker() {
    // `stdio` denies path_open; `fs` allows it (the control: the same module creates the file).
    let tmp = tempfile::tempdir().unwrap();
    let (ctx, _) = ctx_with(tmp.path(), &resolve(Some("stdio"), NONE, NONE).unwrap());
    assert_eq!(run(OPEN_AND_WRITE, ctx).unwrap()[..2], [ENOSYS, 0x7777]);
    assert!(!tmp.path().join("new.txt").exists());

    let (ctx, out) = ctx_with(tmp.path(), &resolve(Some("fs"), NONE, NONE).unwrap());
    let [open, fd, write] = run(OPEN_AND_WRITE, ctx).unwrap();
    assert_eq!((open, write), (0, 0));
    assert!(fd >= 4, "a new fd ({fd})");
    assert!(tmp.path().join("new.txt").is_file());
    assert_eq!(out.contents_string(), "hi\n");
}

#[test]
fn denied_fd_write_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let denied = resolve(Some("full"), NONE, &["fd_write"]).unwrap();
    let (ctx, out) = ctx_with(tmp.path(), &denied);
    let [open, _, write] = run(OPEN_AND_WRITE, ctx).unwrap();
    assert_eq!((open, write), (0, ENOSYS));
    assert_eq!(out.contents_string(), "");
}

#[test]
fn denied_proc_exit_traps() {
    let wat = r#"
      (module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func (export "_start") (call $exit (i32.const 3))))"#;
    let mut b = WasiCtxBuilder::new();
    profile::apply(&mut b, resolve(None, NONE, &["proc_exit"]).unwrap());
    let e = run(wat, b.build()).unwrap_err();
    assert_eq!(e.exit_status(), None);
    assert!(e.to_string().contains("proc_exit is denied"), "{e}");
}

#[test]
fn denied_prestat_scan_reports_no_preopens_instead_of_enosys() {
    let dir = tempfile_dir();
    let mut b = WasiCtxBuilder::new();
    b.preopened_dir(&dir, "/", wasp_wasi::DirPerms::ReadWrite)
        .unwrap();
    b.deny("fd_prestat_get").unwrap();
    b.deny("fd_prestat_dir_name").unwrap();
    let mut ctx = b.build();
    let mut mem = vec![0u8; 64];
    // EBADF (8) ends Go's and wasi-libc's preopen scan cleanly; ENOSYS would abort them.
    assert_eq!(ctx.call(&mut mem, "fd_prestat_get", &[3, 0]).unwrap(), 8);
    assert_eq!(
        ctx.call(&mut mem, "fd_prestat_dir_name", &[3, 0, 1])
            .unwrap(),
        8
    );
    assert!(mem.iter().all(|&b| b == 0), "nothing written");
    let _ = std::fs::remove_dir(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("wasp-prestat-deny-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}
