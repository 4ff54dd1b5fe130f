//! WASI: sequences of preview 1 calls with random arguments against a
//! scratch preopen (fd 3, read-write) and a read-only preopen (fd 4), made
//! through wasp-wasi's public API only (`WasiCtxBuilder`, `add_to_linker`):
//! a module imports the functions and exports one wrapper per function, and
//! the host calls the wrappers with arguments from the input after laying
//! out paths, iovecs and poll subscriptions in guest memory.
//!
//! Checked: no panic; every call returns an errno (no trap, no error)
//! except `proc_exit`; every
//! errno is a valid WASI errno (0..=76); nothing outside the scratch dir
//! changes (a sibling `canary` dir and the read-only preopen are snapshotted:
//! names, types, sizes, mtimes, modes, contents, link targets); and no canary
//! content ever appears in guest memory (a read escape). Paths include `..`,
//! absolute host paths, trailing slashes, and symlinks the sequence creates
//! pointing outside.

use crate::report::{self, bump, COUNTERS};
use crate::rng::SplitMix64;
use arbitrary::{Result, Unstructured};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::OnceLock;
use wasm_encoder::{
    CodeSection, EntityType, ExportKind, ExportSection, Function, FunctionSection, ImportSection,
    Instruction as I, MemorySection, MemoryType, Module, TypeSection, ValType,
};

/// libFuzzer entry: never fails on short input, panics on a finding.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = check(&mut u);
}

/// How the harness fills one argument (some expand to several wasm params).
#[derive(Clone, Copy, Debug)]
enum A {
    /// A file descriptor.
    Fd,
    /// `(ptr, len)` of a path string.
    Path,
    /// `(ptr, len)` of an iovec array.
    Iovs,
    /// `(ptr, len)` of a byte buffer.
    Buf,
    /// A pointer for a result.
    Out,
    /// A 64-bit offset or length, small (files stay small on disk).
    Off,
    /// Any 64-bit time (or cookie).
    Time,
    /// Rights (64-bit).
    Rights,
    /// Small flag bits (lookup, oflags, fdflags, fst_flags, whence, ...).
    Flags,
    /// Clock id.
    Clock,
    /// `(in, out, nsubscriptions)` of `poll_oneoff`, with a short clock.
    Subs,
}

use A::*;

const FUNCS: &[(&str, &[A])] = &[
    ("args_get", &[Out, Out]),
    ("args_sizes_get", &[Out, Out]),
    ("clock_res_get", &[Clock, Out]),
    ("clock_time_get", &[Clock, Time, Out]),
    ("environ_get", &[Out, Out]),
    ("environ_sizes_get", &[Out, Out]),
    ("fd_advise", &[Fd, Off, Off, Flags]),
    ("fd_allocate", &[Fd, Off, Off]),
    ("fd_close", &[Fd]),
    ("fd_datasync", &[Fd]),
    ("fd_fdstat_get", &[Fd, Out]),
    ("fd_fdstat_set_flags", &[Fd, Flags]),
    ("fd_fdstat_set_rights", &[Fd, Rights, Rights]),
    ("fd_filestat_get", &[Fd, Out]),
    ("fd_filestat_set_size", &[Fd, Off]),
    ("fd_filestat_set_times", &[Fd, Time, Time, Flags]),
    ("fd_pread", &[Fd, Iovs, Off, Out]),
    ("fd_prestat_dir_name", &[Fd, Buf]),
    ("fd_prestat_get", &[Fd, Out]),
    ("fd_pwrite", &[Fd, Iovs, Off, Out]),
    ("fd_read", &[Fd, Iovs, Out]),
    ("fd_readdir", &[Fd, Buf, Time, Out]),
    ("fd_renumber", &[Fd, Fd]),
    ("fd_seek", &[Fd, Off, Flags, Out]),
    ("fd_sync", &[Fd]),
    ("fd_tell", &[Fd, Out]),
    ("fd_write", &[Fd, Iovs, Out]),
    ("path_create_directory", &[Fd, Path]),
    ("path_filestat_get", &[Fd, Flags, Path, Out]),
    (
        "path_filestat_set_times",
        &[Fd, Flags, Path, Time, Time, Flags],
    ),
    ("path_link", &[Fd, Flags, Path, Fd, Path]),
    (
        "path_open",
        &[Fd, Flags, Path, Flags, Rights, Rights, Flags, Out],
    ),
    ("path_readlink", &[Fd, Path, Buf, Out]),
    ("path_remove_directory", &[Fd, Path]),
    ("path_rename", &[Fd, Path, Fd, Path]),
    ("path_symlink", &[Path, Fd, Path]),
    ("path_unlink_file", &[Fd, Path]),
    ("poll_oneoff", &[Subs, Out]),
    ("proc_raise", &[Flags]),
    ("random_get", &[Buf]),
    ("sched_yield", &[]),
    ("sock_accept", &[Fd, Flags, Out]),
    ("sock_recv", &[Fd, Iovs, Flags, Out, Out]),
    ("sock_send", &[Fd, Iovs, Flags, Out]),
    ("sock_shutdown", &[Fd, Flags]),
    ("proc_exit", &[Flags]),
];

/// The wasm parameter types an argument kind expands to.
fn params(a: A) -> &'static [ValType] {
    match a {
        Fd | Out | Flags | Clock => &[ValType::I32],
        Path | Iovs | Buf => &[ValType::I32, ValType::I32],
        Subs => &[ValType::I32, ValType::I32, ValType::I32],
        Off | Time | Rights => &[ValType::I64],
    }
}

/// The guest module: imports every function in [`FUNCS`], exports memory
/// and a wrapper `c_<name>` that passes its params through.
fn module() -> &'static [u8] {
    static M: OnceLock<Vec<u8>> = OnceLock::new();
    M.get_or_init(|| {
        let mut types = TypeSection::new();
        let mut imports = ImportSection::new();
        let mut funcs = FunctionSection::new();
        let mut exports = ExportSection::new();
        let mut code = CodeSection::new();
        let n = FUNCS.len() as u32;
        for (i, (name, args)) in FUNCS.iter().enumerate() {
            let ps: Vec<ValType> = args
                .iter()
                .flat_map(|a| params(*a).iter().copied())
                .collect();
            let rs: &[ValType] = if *name == "proc_exit" {
                &[]
            } else {
                &[ValType::I32]
            };
            types.ty().function(ps.clone(), rs.iter().copied());
            imports.import(
                "wasi_snapshot_preview1",
                name,
                EntityType::Function(i as u32),
            );
            funcs.function(i as u32);
            exports.export(&format!("c_{name}"), ExportKind::Func, n + i as u32);
            let mut f = Function::new([]);
            for p in 0..ps.len() as u32 {
                f.instruction(&I::LocalGet(p));
            }
            f.instruction(&I::Call(i as u32));
            f.instruction(&I::End);
            code.function(&f);
        }
        let mut mems = MemorySection::new();
        mems.memory(MemoryType {
            minimum: 1,
            maximum: Some(1),
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        exports.export("memory", ExportKind::Memory, 0);
        let mut m = Module::new();
        m.section(&types)
            .section(&imports)
            .section(&funcs)
            .section(&mems)
            .section(&exports)
            .section(&code);
        m.finish()
    })
}

// Guest memory layout.
const PATHS: usize = 0; // 16 slots of 128 bytes
const SLOT: usize = 128;
const IOVS: usize = 2048; // up to 8 iovecs
const OUTS: usize = 2112; // result slots, 8 bytes apart
const SUBS: usize = 2304; // up to 4 subscriptions of 48 bytes
const EVENTS: usize = 2560; // up to 4 events of 32 bytes
const BUF: usize = 4096;
const MEM: usize = 65536;

/// A marker only the canary files hold (in content and in a file name).
fn marker() -> &'static str {
    static M: OnceLock<String> = OnceLock::new();
    M.get_or_init(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("wasp-canary-{:x}-{t:x}", std::process::id())
    })
}

/// What the snapshot records per entry (atime is left out: reads are allowed).
type Snapshot = BTreeMap<String, String>;

fn snapshot(root: &Path, skip: &Path) -> Snapshot {
    let mut out = BTreeMap::new();
    fn walk(dir: &Path, root: &Path, skip: &Path, out: &mut Snapshot) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            if p == skip {
                continue;
            }
            let rel = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            let Ok(md) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            let mut desc = format!(
                "type {:?} len {} mode {:o} mtime {}.{} ino {}",
                md.file_type(),
                md.len(),
                md.mode(),
                md.mtime(),
                md.mtime_nsec(),
                md.ino()
            );
            if md.file_type().is_symlink() {
                desc.push_str(&format!(" -> {:?}", std::fs::read_link(&p).ok()));
            } else if md.is_file() {
                desc.push_str(&format!(" content {:?}", std::fs::read(&p).ok()));
            } else if md.is_dir() {
                walk(&p, root, skip, out);
            }
            out.insert(rel, desc);
        }
    }
    walk(root, root, skip, &mut out);
    out
}

/// The sandbox of one run: `root/{scratch,canary,ro}`.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        // On tmpfs when there is one: fsync and friends stay cheap.
        let shm = Path::new("/dev/shm");
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("temp dir");
        let r = dir.path();
        for d in ["scratch/a", "canary/sub", "ro/sub"] {
            std::fs::create_dir_all(r.join(d)).expect("mkdir");
        }
        std::fs::write(r.join("canary/secret.txt"), marker()).expect("canary");
        std::fs::write(r.join("canary").join(marker()), b"").expect("canary");
        std::fs::write(r.join("canary/sub/x"), b"canary file").expect("canary");
        std::fs::write(r.join("ro/f.txt"), b"read-only preopen file").expect("ro");
        std::fs::write(r.join("ro/sub/g"), b"g").expect("ro");
        std::fs::write(r.join("scratch/f.txt"), b"scratch file").expect("scratch");
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink("../canary/secret.txt", r.join("scratch/esc"));
            let _ = std::os::unix::fs::symlink(r.join("canary"), r.join("scratch/abs"));
        }
        Sandbox { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn scratch(&self) -> std::path::PathBuf {
        self.root().join("scratch")
    }
}

/// Candidate path strings for one run.
fn paths(u: &mut Unstructured, sb: &Sandbox) -> Result<Vec<Vec<u8>>> {
    const COMPS: &[&str] = &[
        "a",
        "b",
        "c",
        "d",
        ".",
        "..",
        "",
        "f.txt",
        "sub",
        "esc",
        "abs",
        "canary",
        "ro",
        "secret.txt",
    ];
    let abs_canary = sb.root().join("canary/secret.txt").display().to_string();
    let abs_root = sb.root().display().to_string();
    let mut out: Vec<Vec<u8>> = vec![
        b"../canary/secret.txt".to_vec(),
        b"a/../../canary/sub/x".to_vec(),
        abs_canary.into_bytes(),
        format!("{abs_root}/canary").into_bytes(),
        b"/etc/passwd".to_vec(),
        b"../../../../../../../../etc/passwd".to_vec(),
        b"esc".to_vec(),
        b"abs/secret.txt".to_vec(),
    ];
    while out.len() < 16 {
        let mut s = String::new();
        if u.ratio(1, 10)? {
            s.push('/');
        }
        let n = u.int_in_range(1..=4)?;
        for i in 0..n {
            if i > 0 {
                s.push('/');
            }
            s.push_str(u.choose(COMPS)?);
        }
        match u.int_in_range(0..=9)? {
            0 => s.push('/'),
            1 => s.push_str("///"),
            2 => s.push('\0'),
            _ => {}
        }
        out.push(s.into_bytes());
    }
    // Shuffle the fixed ones in among the random ones.
    for i in (1..out.len()).rev() {
        let j = u.int_in_range(0..=i)?;
        out.swap(i, j);
    }
    Ok(out)
}

fn fd(u: &mut Unstructured) -> Result<u32> {
    Ok(match u.int_in_range(0..=19)? {
        0 | 1 => u.int_in_range(0..=2)?,
        2..=8 => 3,
        9..=10 => 4,
        11..=18 => u.int_in_range(5..=12)?,
        _ => u.arbitrary()?,
    })
}

fn flags(u: &mut Unstructured) -> Result<u32> {
    Ok(match u.int_in_range(0..=9)? {
        0..=2 => 0,
        3..=7 => u.int_in_range(0..=0x1f)?,
        8 => 1,
        _ => u.arbitrary()?,
    })
}

fn ptr(u: &mut Unstructured, good: usize, span: usize) -> Result<u32> {
    Ok(match u.int_in_range(0..=19)? {
        0 => u.arbitrary()?,
        1 => (MEM - u.int_in_range(0..=8)?) as u32,
        _ => (good + u.int_in_range(0..=span)?) as u32,
    })
}

/// The wasm arguments of one call to `args`, writing what they point to.
fn make_args(
    u: &mut Unstructured,
    mem: &mut [u8],
    paths: &[Vec<u8>],
    args: &[A],
) -> Result<Vec<wasp::Val>> {
    use wasp::Val;
    let mut v = Vec::new();
    let mut iovs_written = false;
    for a in args {
        match a {
            Fd => v.push(Val::I32(fd(u)? as i32)),
            Flags => v.push(Val::I32(flags(u)? as i32)),
            Clock => v.push(Val::I32(u.int_in_range(0..=4)?)),
            Out => v.push(Val::I32(ptr(u, OUTS, 23 * 8)? as i32)),
            Off => {
                let x: u64 = match u.int_in_range(0..=9)? {
                    0..=5 => u.int_in_range(0..=4096)?,
                    6 | 7 => u.int_in_range(0..=1 << 20)?,
                    8 => u64::MAX - u.int_in_range(0..=4)?,
                    _ => (1u64 << 63) | u.int_in_range(0..=4096)?,
                };
                v.push(Val::I64(x as i64));
            }
            Time => v.push(Val::I64(if u.arbitrary()? {
                u.int_in_range(0..=10)?
            } else {
                u.arbitrary()?
            })),
            Rights => v.push(Val::I64(match u.int_in_range(0..=3)? {
                0 | 1 => -1,
                2 => 0,
                _ => u.arbitrary()?,
            })),
            Path => {
                if u.ratio(1, 12)? {
                    v.push(Val::I32(ptr(u, 0, MEM)? as i32));
                    v.push(Val::I32(u.arbitrary()?));
                } else {
                    let k = u.choose_index(16)?;
                    let p = &paths[k];
                    let len = p.len().min(SLOT);
                    mem[PATHS + k * SLOT..PATHS + k * SLOT + len].copy_from_slice(&p[..len]);
                    v.push(Val::I32((PATHS + k * SLOT) as i32));
                    let l = if u.ratio(1, 10)? {
                        u.int_in_range(0..=len)?
                    } else {
                        len
                    };
                    v.push(Val::I32(l as i32));
                }
            }
            Iovs => {
                let n = u.int_in_range(0..=8)?;
                if !iovs_written {
                    for i in 0..n {
                        let base = ptr(u, BUF, MEM - BUF - 512)?;
                        let len: u32 = if u.ratio(1, 12)? {
                            u.arbitrary()?
                        } else {
                            u.int_in_range(0..=512)?
                        };
                        let at = IOVS + 8 * i;
                        mem[at..at + 4].copy_from_slice(&base.to_le_bytes());
                        mem[at + 4..at + 8].copy_from_slice(&len.to_le_bytes());
                    }
                    iovs_written = true;
                }
                v.push(Val::I32(ptr(u, IOVS, 0)? as i32));
                let count: u32 = if u.ratio(1, 16)? {
                    u.arbitrary()?
                } else {
                    n as u32
                };
                v.push(Val::I32(count as i32));
            }
            Buf => {
                v.push(Val::I32(ptr(u, BUF, MEM - BUF - 1024)? as i32));
                let len: u32 = if u.ratio(1, 12)? {
                    u.arbitrary()?
                } else {
                    u.int_in_range(0..=1024)?
                };
                v.push(Val::I32(len as i32));
            }
            Subs => {
                let n = u.int_in_range(0..=4)?;
                for i in 0..n {
                    let s = &mut mem[SUBS + 48 * i..SUBS + 48 * (i + 1)];
                    s.fill(0);
                    s[0..8].copy_from_slice(&(i as u64).to_le_bytes());
                    // The first is always a short relative clock: poll returns soon.
                    let tag: u8 = if i == 0 { 0 } else { u.int_in_range(0..=3)? };
                    s[8] = tag;
                    if tag == 0 {
                        s[16..20].copy_from_slice(&u.int_in_range(0u32..=3)?.to_le_bytes());
                        let timeout: u64 = u.int_in_range(0..=100_000)?;
                        s[24..32].copy_from_slice(&timeout.to_le_bytes());
                        s[40..42].copy_from_slice(&0u16.to_le_bytes());
                    } else {
                        s[16..20].copy_from_slice(&fd(u)?.to_le_bytes());
                    }
                }
                v.push(Val::I32(SUBS as i32));
                v.push(Val::I32(ptr(u, EVENTS, 0)? as i32));
                v.push(Val::I32(n as i32));
            }
        }
    }
    Ok(v)
}

/// Runs one sequence of calls in a fresh sandbox and checks it.
pub fn check(u: &mut Unstructured) -> Result<()> {
    bump(&COUNTERS.inputs, 1);
    let sb = Sandbox::new();
    let before = snapshot(sb.root(), &sb.scratch());
    let paths = paths(u, &sb)?;
    let engine = wasp::Engine::default();
    let guest = wasp::Module::new(&engine, module()).expect("harness module loads");
    let mut linker: wasp::Linker<wasp_wasi::WasiCtx> = wasp::Linker::new(&engine);
    wasp_wasi::add_to_linker(&mut linker, |c| c).expect("WASI links");
    let mut b = wasp_wasi::WasiCtxBuilder::new();
    b.args(["fuzz", "a b"])
        .env("K", "V")
        .stdin(std::io::empty())
        .stdout(std::io::sink())
        .stderr(std::io::sink());
    b.preopened_dir(sb.scratch(), "/", wasp_wasi::DirPerms::ReadWrite)
        .expect("preopen");
    b.preopened_dir(sb.root().join("ro"), "/ro", wasp_wasi::DirPerms::ReadOnly)
        .expect("preopen");
    let mut store = wasp::Store::new(&engine, b.build());
    let inst = linker
        .instantiate(&mut store, &guest)
        .expect("harness module instantiates");
    let memory = inst.get_memory(&store, "memory").expect("memory");
    let mut seed = SplitMix64::new(u.arbitrary()?);
    seed.fill(&mut memory.data_mut(&mut store)[BUF..]);
    let n = u.int_in_range(1..=40)?;
    let mut log = Vec::new();
    let mark = marker().as_bytes();
    for _ in 0..n {
        let (name, args) = FUNCS[u.choose_index(FUNCS.len())?];
        if name == "proc_exit" && !u.ratio(1, 8)? {
            continue;
        }
        let vals = make_args(u, memory.data_mut(&mut store), &paths, args)?;
        log.push(format!("{name}{vals:?}"));
        let f = inst
            .get_func(&store, &format!("c_{name}"))
            .expect("wrapper");
        let mut out = vec![wasp::Val::I32(0); usize::from(name != "proc_exit")];
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            f.call(&mut store, &vals, &mut out)
        }));
        bump(&COUNTERS.calls, 1);
        let fail = |msg: String| -> ! {
            report::fail_plain("wasi", &format!("{msg}\nsequence:\n  {}", log.join("\n  ")))
        };
        match r {
            Err(p) => fail(format!(
                "{name} panicked: {}",
                p.downcast_ref::<String>().cloned().unwrap_or_default()
            )),
            // proc_exit never returns: an exit, or an error for a status
            // outside 0..=125 (wasmtime's rule, issue 8 item 7).
            Ok(Err(_)) if name == "proc_exit" => break,
            Ok(Err(e)) => fail(format!("{name} failed instead of returning an errno: {e}")),
            Ok(Ok(())) => {}
        }
        if let Some(wasp::Val::I32(errno)) = out.first() {
            if *errno != 0 {
                bump(&COUNTERS.traps, 1);
            }
            if !(0..=76).contains(errno) {
                fail(format!("{name} returned errno {errno}, not a WASI errno"));
            }
        }
        let m = memory.data(&store);
        if m.windows(mark.len()).any(|w| w == mark) || m.windows(10).any(|w| w == b"root:x:0:0") {
            fail(format!(
                "{name}: host data from outside the sandbox reached guest memory"
            ));
        }
    }
    drop(store);
    let after = snapshot(sb.root(), &sb.scratch());
    if before != after {
        let diff: Vec<String> = before
            .iter()
            .filter(|(k, v)| after.get(*k) != Some(v))
            .map(|(k, v)| format!("{k}: {v} -> {:?}", after.get(k)))
            .chain(
                after
                    .iter()
                    .filter(|(k, _)| !before.contains_key(*k))
                    .map(|(k, v)| format!("new {k}: {v}")),
            )
            .collect();
        report::fail_plain(
            "wasi",
            &format!(
                "files outside the scratch dir changed:\n  {}\nsequence:\n  {}",
                diff.join("\n  "),
                log.join("\n  ")
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_sees_changes_outside_scratch() {
        let sb = Sandbox::new();
        let a = snapshot(sb.root(), &sb.scratch());
        assert!(a.keys().any(|k| k.contains("canary/secret.txt")));
        std::fs::write(sb.scratch().join("new"), b"x").unwrap();
        assert_eq!(
            a,
            snapshot(sb.root(), &sb.scratch()),
            "scratch is not watched"
        );
        std::fs::write(sb.root().join("canary/sub/x"), b"changed").unwrap();
        assert_ne!(a, snapshot(sb.root(), &sb.scratch()));
        std::fs::write(sb.root().join("escaped"), b"x").unwrap();
        assert!(snapshot(sb.root(), &sb.scratch()).contains_key("escaped"));
    }

    #[test]
    fn harness_module_links_every_function() {
        assert_eq!(FUNCS.len(), 46, "every preview 1 function");
        let engine = wasp::Engine::default();
        let m = wasp::Module::new(&engine, module()).unwrap();
        let mut linker: wasp::Linker<wasp_wasi::WasiCtx> = wasp::Linker::new(&engine);
        wasp_wasi::add_to_linker(&mut linker, |c| c).unwrap();
        let mut store = wasp::Store::new(&engine, wasp_wasi::WasiCtxBuilder::new().build());
        linker.instantiate(&mut store, &m).unwrap();
    }
}
