//! `wasp run`: runs a WASI preview 1 program (a command or a reactor).
//!
//! The guest sees exactly what the flags grant: its arguments, the variables
//! given with `--env`/`--inherit-env`, the directories given with `--dir`
//! and the listeners given with `--listen` — never the host's working
//! directory or environment unless asked. Stdin, stdout and stderr are
//! inherited.
//!
//! Exit status (RATIONALE.md, "Exit statuses"): the guest's `proc_exit`
//! status, which WASI limits to 0..=125 (0 when `_start` returns); 134 when
//! the guest ends abnormally: a trap (the trap kind and the wasm backtrace
//! go to stderr; running out of `--fuel` is one), or a `proc_exit` that is
//! refused (a status of 126 or more, which the WASI specification defines as
//! behaving like `unreachable`, or a denied `proc_exit`); 124 when the guest
//! ran past `--timeout` (as coreutils `timeout`); 1 when wasp itself fails
//! (unreadable or invalid module, unknown import, a `--dir` that cannot be
//! opened, a `--listen` that cannot bind, a bad flag value, `--invoke`
//! results that cannot be written to stdout).
//!
//! `--timeout` is the store's deadline ([`Store::set_timeout`], set before
//! instantiation, so the start function counts): it stops the guest in the
//! middle of computing or while it waits in WASI (`poll_oneoff`, a read).
//! `--fuel N` builds the engine with fuel metering and gives the store N
//! units (docs/embedding.md, "Fuel").

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::PathBuf;
use wasp::{Config, Engine, Linker, Module, Store, Val, ValType};
use wasp_wasi::{DirPerms, WasiCtx, WasiCtxBuilder};

mod startup;

const EXAMPLES: &str = "\
Directory syntax (--dir, compatible with `wasmtime run --dir`):
  --dir HOST              preopen HOST under the same name in the guest
  --dir HOST::GUEST       preopen HOST as the guest path GUEST (Go needs an absolute GUEST)
  --dir HOST::GUEST:ro    the same, read-only: every mutation fails with EROFS
  --dir-ro HOST[::GUEST]  another spelling of the read-only form
Preopens get fds 3, 4, ... in order, then --listen sockets.

Examples:
  wasp run hello.wasm                               run a command (its _start)
  wasp run prog.wasm arg1 --flag-for-the-guest      everything after MODULE goes to the guest
  echo hi | wasp run cat.wasm                       stdio is inherited
  wasp run --dir .::/work --env PWD=/work tool.wasm give Go a working directory
  wasp run --dir /srv/data::/data:ro app.wasm       a read-only preopen
  wasp run --env HOME --env LANG=C app.wasm         inherit HOME, set LANG
  wasp run --listen 127.0.0.1:8080 server.wasm      a TCP listener as fd 3 (Go: net.FileListener(os.NewFile(3, \"\")))
  wasp run --invoke add lib.wasm 2 3                call an export (after _initialize), print its results
  wasp run --max-memory 512MiB --max-stack 8MiB big.wasm
  wasp run --timeout 5s prog.wasm                   stop the guest after 5 s (exit 124); also 500ms, 2m
  wasp run --fuel 1000000 prog.wasm                 stop it after 1,000,000 wasm operators (exit 134)
  wasp run --wasi-profile stdio tool.wasm           WASI calls outside the profile return ENOSYS
  wasp run --profile cpu.pprof prog.wasm            then: go tool pprof -top cpu.pprof (docs/profiling.md)
  wasp run --deny-wasi 'path_*,sock_*' tool.wasm    so do these (--allow-wasi: only these work)
  wasp run module.wat                               text modules work too

Set WASP_TRACE_WASI=1 to print every WASI call and its errno to stderr.

Execution tiers (--tier; the same output in every tier, only the speed differs):
  tiered  the default (x86_64 and aarch64): start in the interpreter at once; a
          function called --tier-up-threshold times (default 1000) is compiled to
          native code on a background thread and runs natively from then on
  interp  interpret only: the quickest start, the slowest long runs
  jit     compile every function before the first one runs (in parallel): a slower
          start, native speed from the first instruction
  With --fuel everything is interpreted (compiled code does not meter fuel).
  Hosts without the compiler (other architectures) always interpret.

Code cache: what a run learns (the module is valid, the translated functions)
is kept in $XDG_CACHE_HOME/wasp (else ~/.cache/wasp) and used by the next run of
the same binary; --cache-dir DIR or WASP_CACHE_DIR=DIR moves it, --no-cache (or
WASP_CACHE_DIR= empty) turns it off. --timings (or WASP_TIMINGS=1) prints where
the start-up time went.

Exit status: the guest's exit status (proc_exit accepts 0 to 125); 134 after a trap
(message and wasm backtrace on stderr; running out of --fuel too) or a refused
proc_exit (a status of 126 or more); 124 when the guest ran past --timeout; 1 if
wasp cannot load, link or set up the module or write the --invoke results.";

/// Arguments of `wasp run`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct RunArgs {
    /// Preopen a host directory: HOST, HOST::GUEST or HOST::GUEST:ro (read-only).
    #[arg(long = "dir", value_name = "HOST[::GUEST][:ro]")]
    pub dirs: Vec<String>,

    /// Preopen a host directory read-only: HOST or HOST::GUEST.
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    pub dirs_ro: Vec<String>,

    /// Set an environment variable (NAME=VALUE), or inherit one from the host (NAME).
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    pub env: Vec<String>,

    /// Pass the whole host environment to the guest (--env still overrides).
    #[arg(long)]
    pub inherit_env: bool,

    /// Listen on a TCP address and hand the socket to the guest as a preopened fd.
    #[arg(long = "listen", value_name = "HOST:PORT")]
    pub listen: Vec<String>,

    /// Cap each linear memory (bytes, or with a K/M/G/KiB/MiB/GiB suffix).
    #[arg(long, value_name = "SIZE")]
    pub max_memory: Option<String>,

    /// Cap the wasm stack (bytes, or with a K/M/G/KiB/MiB/GiB suffix).
    #[arg(long, value_name = "SIZE")]
    pub max_stack: Option<String>,

    /// Stop the guest when it runs longer than this (e.g. 5s, 500ms, 2m, 1.5s;
    /// a bare number is seconds); exit status 124.
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// Meter execution: the guest may run N units of fuel (about one per wasm
    /// operator executed); exit status 134 when they run out.
    #[arg(long, value_name = "N")]
    pub fuel: Option<String>,

    /// Sample the guest's wasm call stack and write a gzip-compressed pprof profile
    /// to FILE at exit (Go guests get Go function, file and line): `go tool pprof FILE`.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Samples per second for --profile (1 to 10000).
    #[arg(long, value_name = "N", default_value_t = crate::observe::DEFAULT_HZ)]
    pub profile_hz: u32,

    /// Call this export instead of `_start` (after `_initialize` if exported); the
    /// arguments after MODULE are its parameters and its results are printed.
    #[arg(long, value_name = "FUNC")]
    pub invoke: Option<String>,

    /// Make WASI functions return ENOSYS: names or `prefix*` patterns, comma-separated,
    /// repeatable (e.g. --deny-wasi sock_accept or --deny-wasi 'path_*,fd_readdir').
    #[arg(long = "deny-wasi", value_name = "NAME[,NAME...]")]
    pub deny_wasi: Vec<String>,

    /// Allow only these WASI functions (plus the --wasi-profile's); all others return ENOSYS.
    #[arg(long = "allow-wasi", value_name = "NAME[,NAME...]")]
    pub allow_wasi: Vec<String>,

    /// Allow only a named set of WASI functions: minimal, stdio, fs-read, fs, net or full
    /// (see `wasp inspect --list-profiles`).
    #[arg(long = "wasi-profile", value_name = "NAME")]
    pub wasi_profile: Option<String>,

    /// Print the start-up breakdown to stderr at exit: reading, cache, decoding,
    /// validation, instantiation, translation, execution (also WASP_TIMINGS=1).
    #[arg(long)]
    pub timings: bool,

    /// Keep the code cache in DIR (default $XDG_CACHE_HOME/wasp, else ~/.cache/wasp;
    /// also WASP_CACHE_DIR).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Use no code cache: validate and translate as if the module were new.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,

    /// How functions run: interp, tiered (the default where wasp has a compiler
    /// for the host) or jit; see "Execution tiers" below.
    #[arg(long, value_name = "TIER", value_parser = parse_tier)]
    pub tier: Option<wasp::Tier>,

    /// Under --tier tiered: compile a function at its N-th call (default 1000;
    /// 1 = the first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub tier_up_threshold: Option<u32>,

    /// The module: a .wasm binary or a .wat text file.
    #[arg(value_name = "MODULE")]
    pub module: PathBuf,

    /// Arguments for the guest (or for the --invoke function).
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..
    )]
    pub args: Vec<OsString>,
}

/// Exit status after a trap or a refused `proc_exit` (like a process killed
/// by SIGABRT). No guest can exit with it: `proc_exit` refuses 126 and above.
const TRAP_EXIT: i32 = 134;

/// The statuses a guest can exit with (WASI: `proc_exit` refuses 126 and
/// above, so they never collide with 134 or with the shell's 126-255).
const GUEST_STATUSES: std::ops::RangeInclusive<i32> = 0..=125;

/// Exit status when the guest ran past `--timeout`, as coreutils `timeout`.
const TIMEOUT_EXIT: i32 = 124;

/// Parses `5s`, `500ms`, `2m`, `1.5s`, `1h` or a bare number of seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let bad = || format!("invalid duration `{s}` (expected e.g. 5s, 500ms, 2m or 1.5s)");
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return Err(bad());
    }
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(bad()),
    };
    if secs <= 0.0 {
        return Err(format!("duration `{s}` must be more than zero"));
    }
    std::time::Duration::try_from_secs_f64(secs).map_err(|_| format!("duration `{s}` is too long"))
}

/// The limits the guest runs under, for the messages when one is reached.
struct Limits {
    timeout: Option<std::time::Duration>,
    fuel: Option<u64>,
}

/// Parses `HOST[::GUEST][:ro]` into (host, guest, read-only).
fn parse_dir(spec: &str, force_ro: bool) -> (String, String, bool) {
    let (host, rest) = match spec.split_once("::") {
        Some((h, g)) => (h.to_string(), Some(g)),
        None => (spec.to_string(), None),
    };
    match rest {
        Some(g) => {
            let (guest, ro) = match g.strip_suffix(":ro") {
                Some(g) => (g, true),
                None => (g, false),
            };
            (host, guest.to_string(), ro || force_ro)
        }
        None => {
            let (host, ro) = match host.strip_suffix(":ro") {
                Some(h) => (h.to_string(), true),
                None => (host, false),
            };
            (host.clone(), host, ro || force_ro)
        }
    }
}

/// Parses `1234`, `64K`, `512MiB`, `4G` into bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("invalid size `{s}` (expected e.g. 65536, 64KiB, 512MiB, 4GiB)"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => {
            return Err(format!(
                "invalid size unit in `{s}` (use K, M, G, KiB, MiB or GiB)"
            ))
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size `{s}` is too large"))
}

/// The run's host state.
struct Host {
    wasi: WasiCtx,
}

fn fail(msg: impl std::fmt::Display) -> i32 {
    errln!("wasp run: {msg}");
    1
}

/// Builds the WASI context from the flags.
fn build_ctx(args: &RunArgs) -> Result<WasiCtx, String> {
    let mut b = WasiCtxBuilder::new();
    b.inherit_stdio();
    b.trace(std::env::var_os("WASP_TRACE_WASI").is_some_and(|v| !v.is_empty() && v != "0"));
    b.arg(args.module.as_os_str());
    if args.invoke.is_none() {
        b.args(&args.args);
    }
    if args.inherit_env {
        b.inherit_env();
    }
    for e in &args.env {
        match e.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                b.env(k, v);
            }
            Some(_) => return Err(format!("--env `{e}`: the name is empty")),
            None => {
                if let Some(v) = std::env::var_os(e) {
                    b.env(e, v);
                }
            }
        }
    }
    let dirs = args
        .dirs
        .iter()
        .map(|d| parse_dir(d, false))
        .chain(args.dirs_ro.iter().map(|d| parse_dir(d, true)));
    for (host, guest, ro) in dirs {
        let perms = if ro {
            DirPerms::ReadOnly
        } else {
            DirPerms::ReadWrite
        };
        b.preopened_dir(&host, &guest, perms)
            .map_err(|e| format!("--dir {host}: {e}"))?;
    }
    for addr in &args.listen {
        let l = TcpListener::bind(addr).map_err(|e| format!("--listen {addr}: {e}"))?;
        b.preopened_listener(l)
            .map_err(|e| format!("--listen {addr}: {e}"))?;
    }
    // API profile: denied functions return ENOSYS (wasp_wasi::profile).
    let denied = wasp_wasi::profile::resolve(
        args.wasi_profile.as_deref(),
        &args.allow_wasi,
        &args.deny_wasi,
    )
    .map_err(|e| format!("WASI policy: {e}"))?;
    wasp_wasi::profile::apply(&mut b, &denied);
    Ok(b.build())
}

/// Parses the --invoke arguments for the function's parameter types.
fn invoke_params(func: &str, tys: &[ValType], raw: &[OsString]) -> Result<Vec<Val>, String> {
    if tys.len() != raw.len() {
        return Err(format!(
            "`{func}` takes {} argument(s), {} given",
            tys.len(),
            raw.len()
        ));
    }
    tys.iter()
        .zip(raw)
        .map(|(ty, a)| {
            let s = a.to_string_lossy();
            let bad = || format!("`{s}` is not a valid {ty}");
            Ok(match ty {
                ValType::I32 => Val::I32(
                    s.parse::<i32>()
                        .or_else(|_| s.parse::<u32>().map(|u| u as i32))
                        .map_err(|_| bad())?,
                ),
                ValType::I64 => Val::I64(
                    s.parse::<i64>()
                        .or_else(|_| s.parse::<u64>().map(|u| u as i64))
                        .map_err(|_| bad())?,
                ),
                ValType::F32 => Val::F32(s.parse::<f32>().map_err(|_| bad())?.to_bits()),
                ValType::F64 => Val::F64(s.parse::<f64>().map_err(|_| bad())?.to_bits()),
                _ => return Err(format!("cannot pass a {ty} from the command line")),
            })
        })
        .collect()
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::FuncRef(f) => if f.is_some() { "funcref" } else { "null" }.to_string(),
        Val::ExternRef(e) => if e.is_some() { "externref" } else { "null" }.to_string(),
        Val::V128(x) => format!("0x{x:032x}"),
        Val::ExnRef(e) => if e.is_some() { "exnref" } else { "null" }.to_string(),
        Val::AnyRef(e) => if e.is_some() { "anyref" } else { "null" }.to_string(),
    }
}

/// The backtrace part of a trap's report (everything after its first line).
fn backtrace_of(e: &wasp::Error) -> String {
    let text = crate::observe::trap_text(e);
    match text.split_once('\n') {
        Some((_, rest)) => format!("\n{rest}"),
        None => String::new(),
    }
}

/// What a failed guest call means for the exit status: the guest's exit
/// status, 124 when it ran past the timeout, or 134 for anything else that
/// ended it (a trap, running out of fuel, a refused `proc_exit`, a host
/// error).
fn outcome(e: wasp::Error, module: &str, limits: &Limits) -> i32 {
    // wasp-wasi only ever exits with 0..=125; an out-of-range status from
    // elsewhere is reported like a refused proc_exit, never truncated.
    if let Some(status) = e.exit_status().filter(|s| GUEST_STATUSES.contains(s)) {
        return status;
    }
    match e.trap_code() {
        Some(wasp::TrapCode::DeadlineExceeded) => {
            let limit = limits
                .timeout
                .map_or("its deadline".to_string(), |d| format!("{d:?}"));
            errln!(
                "wasp run: {module}: timeout: the guest ran past {limit}{}",
                backtrace_of(&e)
            );
            return TIMEOUT_EXIT;
        }
        Some(wasp::TrapCode::OutOfFuel) => {
            let fuel = limits.fuel.map_or(String::new(), |n| format!(" {n}"));
            errln!(
                "wasp run: {module}: out of fuel: the guest used all{fuel} units of fuel (--fuel){}",
                backtrace_of(&e)
            );
            return TRAP_EXIT;
        }
        _ => {}
    }
    if e.trap().is_some() {
        errln!("wasp run: {module}: {}", crate::observe::trap_text(&e));
    } else {
        errln!("wasp run: {module}: error: {e}");
    }
    TRAP_EXIT
}

/// Runs `wasp run`; returns the exit code. When the guest is done, what the
/// run learned goes into the code cache and `--timings` prints its breakdown.
pub fn main(args: RunArgs) -> i32 {
    let timings = startup::timings_wanted(args.timings);
    let mut session = startup::Session::new();
    let code = run_guest(args, &mut session);
    session.finish(timings);
    code
}

/// Parses a `--tier` value: `interp`, `tiered` or `jit`.
pub(crate) fn parse_tier(s: &str) -> Result<wasp::Tier, String> {
    s.parse()
}

/// Applies `--tier` and `--tier-up-threshold` to `config`.
pub(crate) fn apply_tier(config: &mut Config, tier: Option<wasp::Tier>, threshold: Option<u32>) {
    if let Some(t) = tier {
        config.tier(t);
    }
    if let Some(n) = threshold {
        config.tier_up_threshold(n);
    }
}

fn run_guest(args: RunArgs, session: &mut startup::Session) -> i32 {
    let mut config = Config::new();
    apply_tier(&mut config, args.tier, args.tier_up_threshold);
    config.cache_dir(startup::cache_dir(args.no_cache, args.cache_dir.as_ref()));
    if let Some(s) = &args.max_memory {
        match parse_size(s) {
            Ok(bytes) => {
                config.max_memory_pages((bytes / 65536).min(65536) as u32);
            }
            Err(e) => return fail(format!("--max-memory: {e}")),
        }
    }
    if let Some(s) = &args.max_stack {
        match parse_size(s) {
            Ok(bytes) => {
                config.max_stack_bytes(bytes.min(usize::MAX as u64) as usize);
            }
            Err(e) => return fail(format!("--max-stack: {e}")),
        }
    }
    let timeout = match args.timeout.as_deref().map(parse_duration) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => return fail(format!("--timeout: {e}")),
    };
    let fuel = match args
        .fuel
        .as_deref()
        .map(|s| s.trim().replace('_', "").parse::<u64>())
    {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            return fail(format!(
                "--fuel: invalid amount `{}` (expected a whole number of units, e.g. 1000000)",
                args.fuel.as_deref().unwrap_or_default()
            ))
        }
    };
    let limits = Limits { timeout, fuel };
    config.consume_fuel(fuel.is_some());
    let engine = Engine::new(&config);
    let name = args.module.display().to_string();
    let module = match Module::from_file(&engine, &args.module) {
        Ok(m) => m,
        Err(e) => return fail(format!("{name}: {e}")),
    };
    session.module = Some(module.clone());
    let ctx = match build_ctx(&args) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let mut linker: Linker<Host> = Linker::new(&engine);
    if let Err(e) = wasp_wasi::add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi) {
        return fail(e);
    }
    let mut store = Store::new(&engine, Host { wasi: ctx });
    if let Some(n) = fuel {
        if let Err(e) = store.set_fuel(n) {
            return fail(format!("--fuel: {e}"));
        }
    }
    // The deadline covers everything the guest runs, its start function too.
    if let Some(d) = timeout {
        store.set_timeout(d);
    }
    // Instantiation resolves every import before running anything (even the
    // start function): a missing one is a link error naming module and field.
    let instance = match linker.instantiate(&mut store, &module) {
        Ok(i) => i,
        Err(e) if e.trap().is_some() || e.exit_status().is_some() => {
            store.data_mut().wasi.flush();
            return outcome(e, &name, &limits);
        }
        Err(e) => return fail(format!("{name}: {e}")),
    };
    let profile = args.profile.as_deref();
    let mut observe =
        match crate::observe::Observe::start(profile, args.profile_hz, &module, &mut store) {
            Ok(o) => o,
            Err(e) => return fail(e),
        };

    let func_name = match &args.invoke {
        Some(f) => f.clone(),
        None if instance.get_func(&store, "_start").is_some() => "_start".to_string(),
        None if instance.get_func(&store, "_initialize").is_some() => "_initialize".to_string(),
        None => {
            return fail(format!(
                "{name}: exports neither `_start` nor `_initialize`; use --invoke FUNC"
            ))
        }
    };
    if func_name != "_initialize" && func_name != "_start" {
        if let Some(init) = instance.get_func(&store, "_initialize") {
            if let Err(e) = init.call(&mut store, &[], &mut []) {
                store.data_mut().wasi.flush();
                observe.finish(&mut store, &name);
                return outcome(e, &name, &limits);
            }
        }
    }
    let Some(func) = instance.get_func(&store, &func_name) else {
        return fail(format!("{name}: no exported function `{func_name}`"));
    };
    let ty = func.ty(&store);
    let params = if args.invoke.is_some() {
        match invoke_params(&func_name, ty.params(), &args.args) {
            Ok(p) => p,
            Err(e) => return fail(e),
        }
    } else if ty.params().is_empty() {
        Vec::new()
    } else {
        return fail(format!("{name}: `{func_name}` takes parameters"));
    };
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    session.running = Some(std::time::Instant::now());
    let r = func.call(&mut store, &params, &mut results);
    store.data_mut().wasi.flush();
    observe.finish(&mut store, &name);
    match r {
        Ok(()) => {
            if args.invoke.is_none() {
                return 0;
            }
            let text: String = results.iter().map(|r| show(r) + "\n").collect();
            match crate::write_stdout(&text) {
                Ok(()) => 0,
                Err(e) => {
                    crate::output_failed("wasp run", &format!("the results of `{func_name}`"), e)
                }
            }
        }
        Err(e) => outcome(e, &name, &limits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_specs() {
        let d = |s| parse_dir(s, false);
        assert_eq!(d("/a"), ("/a".into(), "/a".into(), false));
        assert_eq!(d("/a:ro"), ("/a".into(), "/a".into(), true));
        assert_eq!(d("/a::/"), ("/a".into(), "/".into(), false));
        assert_eq!(d("/a::/g:ro"), ("/a".into(), "/g".into(), true));
        assert_eq!(d("."), (".".into(), ".".into(), false));
        assert_eq!(parse_dir("/a::/g", true), ("/a".into(), "/g".into(), true));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert_eq!(parse_size("8M"), Ok(8 << 20));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("MiB").is_err());
    }

    #[test]
    fn durations() {
        use std::time::Duration;
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "s", "5x", "-1s", ".5s", "5.s", "1.2.3s", "5 sec"] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("invalid duration"), "{bad}: {e}");
        }
        assert!(parse_duration("0s").unwrap_err().contains("more than zero"));
        assert!(parse_duration("1e300").is_err());
    }
}
