//! [`WasiCtx`], the state of one WASI guest, and [`WasiCtxBuilder`].
//!
//! The context owns the arguments, the environment, the fd table (stdio,
//! preopened directories and listeners, everything the guest opens), the
//! set of denied functions, and the clocks and random source the embedder
//! injected, if any.

use crate::clock::Clock;
use crate::errno::Errno;
use crate::random::RandomSource;
use crate::stdio::Stream;
use crate::table::{DirDesc, Entry, FdTable, Kind};
use crate::WASI_FUNCTIONS;
use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// What a guest may do beneath a preopened directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirPerms {
    /// Read and write (create, truncate, rename, remove, ...).
    #[default]
    ReadWrite,
    /// Read only: every mutation fails with `EROFS` (creating, `O_TRUNC`,
    /// opening for writing, writing, renaming, unlinking, linking,
    /// symlinking, creating or removing directories, `set_times`,
    /// `set_size`, `fd_allocate`).
    ReadOnly,
}

/// The name passed to [`WasiCtxBuilder::deny`] is not a WASI preview 1 function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFunction(pub String);

impl std::fmt::Display for UnknownFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a wasi_snapshot_preview1 function", self.0)
    }
}

impl std::error::Error for UnknownFunction {}

/// The state of a WASI guest: arguments, environment, open descriptors.
///
/// Build one with [`WasiCtxBuilder`], keep it in the store's data, and hand
/// [`add_to_linker`](crate::add_to_linker) a closure that finds it.
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) table: FdTable,
    pub(crate) denied: u64,
    pub(crate) trace: bool,
    /// The calling store's waker, for the duration of a call through the
    /// linker: blocking waits end when it fires (`wake.rs`).
    pub(crate) waker: Option<wasp::InterruptWaker>,
    /// Injected clocks (`None`: the host's).
    pub(crate) realtime: Option<Box<dyn Clock>>,
    pub(crate) monotonic: Option<Box<dyn Clock>>,
    /// Injected random source (`None`: `getrandom(2)`).
    pub(crate) random: Option<Box<dyn RandomSource>>,
}

impl std::fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.args.len())
            .field("env", &self.env.len())
            .field("fds", &self.table.iter().count())
            .finish()
    }
}

impl WasiCtx {
    /// A context with the arguments `["main"]` (see [`DEFAULT_ARGV0`]), no
    /// environment, empty stdin, discarded output, no preopens, and the
    /// host's clocks and random generator.
    pub fn new() -> WasiCtx {
        WasiCtxBuilder::new().build()
    }

    /// Whether the function `name` was denied with [`WasiCtxBuilder::deny`].
    pub fn is_denied(&self, name: &str) -> bool {
        function_index(name).is_some_and(|i| self.denied & (1 << i) != 0)
    }

    /// Flushes in-process stdout/stderr writers (done by `proc_exit`).
    pub fn flush(&mut self) {
        for e in self.table.iter_mut() {
            if let Kind::Stream(s) = &mut e.kind {
                s.flush();
            }
        }
    }
}

impl Default for WasiCtx {
    fn default() -> Self {
        WasiCtx::new()
    }
}

pub(crate) fn function_index(name: &str) -> Option<usize> {
    WASI_FUNCTIONS.iter().position(|n| *n == name)
}

/// The `argv[0]` a guest gets when the builder was given no arguments:
/// `"main"`.
///
/// Go's runtime panics when `argv` is empty (`os.Args[0]` is read at start),
/// and wasi-libc programs expect a program name too. A context does not know
/// its module, and a fixed name keeps output reproducible; embedders that
/// want another name give it with [`WasiCtxBuilder::arg`].
pub const DEFAULT_ARGV0: &str = "main";

/// Builds a [`WasiCtx`].
///
/// By default the guest gets the arguments `["main"]` ([`DEFAULT_ARGV0`]),
/// no environment, an empty stdin, stdout and stderr that discard
/// everything, no filesystem or network access at all, and the host's
/// clocks and random generator.
///
/// ```
/// use wasp_wasi::{MemoryOutput, SeededRandom, WasiCtxBuilder};
/// let out = MemoryOutput::bounded(64 * 1024);
/// let mut b = WasiCtxBuilder::new();
/// b.arg("handler")
///     .envs(&[("METHOD", "GET"), ("PATH", "/")])
///     .stdout(out.clone())
///     .realtime_clock(|| 1_700_000_000_000_000_000)
///     .random_source(SeededRandom::new(7));
/// let ctx = b.build();
/// ```
///
/// ```no_run
/// use wasp_wasi::{DirPerms, WasiCtxBuilder};
/// let mut b = WasiCtxBuilder::new();
/// b.arg("prog").arg("--flag").env("HOME", "/home").inherit_stdio();
/// b.preopened_dir("/srv/data", "/data", DirPerms::ReadOnly).unwrap();
/// let ctx = b.build();
/// ```
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdin: Stream,
    stdout: Stream,
    stderr: Stream,
    dirs: Vec<DirDesc>,
    listeners: Vec<TcpListener>,
    denied: u64,
    trace: bool,
    realtime: Option<Box<dyn Clock>>,
    monotonic: Option<Box<dyn Clock>>,
    random: Option<Box<dyn RandomSource>>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl WasiCtxBuilder {
    /// A builder with the defaults described above.
    pub fn new() -> Self {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Stream::Reader(Box::new(io::empty())),
            stdout: Stream::Writer(Box::new(io::sink())),
            stderr: Stream::Writer(Box::new(io::sink())),
            dirs: Vec::new(),
            listeners: Vec::new(),
            denied: 0,
            trace: false,
            realtime: None,
            monotonic: None,
            random: None,
        }
    }

    /// Appends one argument (the first is the program name, `argv[0]`;
    /// without any, the guest gets [`DEFAULT_ARGV0`]).
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Self {
        self.args.push(arg.as_ref().as_bytes().to_vec());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self.arg(a);
        }
        self
    }

    /// Sets an environment variable (replacing an earlier one of that name).
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        let key = key.as_ref().as_bytes();
        self.env
            .retain(|kv| !(kv.starts_with(key) && kv.get(key.len()) == Some(&b'=')));
        let mut kv = key.to_vec();
        kv.push(b'=');
        kv.extend_from_slice(value.as_ref().as_bytes());
        self.env.push(kv);
        self
    }

    /// Sets several environment variables ([`env`](Self::env) for each, in order).
    pub fn envs<K: AsRef<OsStr>, V: AsRef<OsStr>>(&mut self, vars: &[(K, V)]) -> &mut Self {
        for (k, v) in vars {
            self.env(k, v);
        }
        self
    }

    /// Gives the guest `clock` as its realtime clock (`clock_time_get(0)`,
    /// Go's `time.Now()`): nanoseconds since the Unix epoch. Absolute
    /// realtime waits in `poll_oneoff` are measured against it.
    pub fn realtime_clock(&mut self, clock: impl Clock + 'static) -> &mut Self {
        self.realtime = Some(Box::new(clock));
        self
    }

    /// Gives the guest `clock` as its monotonic clock (`clock_time_get(1)`,
    /// Go's `time.Since`, timers). It must never go backwards and should
    /// advance (see [`Clock`]). Relative waits in `poll_oneoff` (a Go
    /// `time.Sleep`) still last their host duration; absolute monotonic
    /// waits are measured against this clock.
    pub fn monotonic_clock(&mut self, clock: impl Clock + 'static) -> &mut Self {
        self.monotonic = Some(Box::new(clock));
        self
    }

    /// Gives the guest's `random_get` its bytes from `source` (e.g. a
    /// [`SeededRandom`](crate::SeededRandom) for reproducible runs) instead
    /// of the host's secure generator.
    pub fn random_source(&mut self, source: impl RandomSource + 'static) -> &mut Self {
        self.random = Some(Box::new(source));
        self
    }

    /// Copies every environment variable of the host process.
    pub fn inherit_env(&mut self) -> &mut Self {
        for (k, v) in std::env::vars_os() {
            self.env(k, v);
        }
        self
    }

    /// Reads stdin from `reader` (never blocks the poller: always "ready").
    pub fn stdin(&mut self, reader: impl Read + Send + 'static) -> &mut Self {
        self.stdin = Stream::Reader(Box::new(reader));
        self
    }

    /// Sends stdout to `writer` (e.g. a [`MemoryOutput`](crate::MemoryOutput)
    /// the embedder reads afterwards). A write error (such as a full
    /// [`MemoryOutput::bounded`](crate::MemoryOutput::bounded)) is the
    /// guest's errno, after the bytes written before it are reported.
    pub fn stdout(&mut self, writer: impl Write + Send + 'static) -> &mut Self {
        self.stdout = Stream::Writer(Box::new(writer));
        self
    }

    /// Sends stderr to `writer`.
    pub fn stderr(&mut self, writer: impl Write + Send + 'static) -> &mut Self {
        self.stderr = Stream::Writer(Box::new(writer));
        self
    }

    /// Uses a host fd (e.g. the read end of a pipe) as stdin; it can be
    /// polled and made non-blocking like the process's own stdin.
    pub fn stdin_fd(&mut self, fd: impl Into<OwnedFd>) -> &mut Self {
        self.stdin = Stream::Fd(fd.into());
        self
    }

    /// Uses a host fd as stdout.
    pub fn stdout_fd(&mut self, fd: impl Into<OwnedFd>) -> &mut Self {
        self.stdout = Stream::Fd(fd.into());
        self
    }

    /// Uses a host fd as stderr.
    pub fn stderr_fd(&mut self, fd: impl Into<OwnedFd>) -> &mut Self {
        self.stderr = Stream::Fd(fd.into());
        self
    }

    /// Connects the guest's stdin to the host process's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin = Stream::HostStdin;
        self
    }

    /// Connects the guest's stdout to the host process's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout = Stream::HostStdout;
        self
    }

    /// Connects the guest's stderr to the host process's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr = Stream::HostStderr;
        self
    }

    /// Inherits stdin, stdout and stderr.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// Preopens the host directory `host_path` under the guest name
    /// `guest_name` (an absolute guest path such as `/` or `/tmp`, which Go
    /// needs; any name is accepted). Preopens get fds 3, 4, ... in call order.
    ///
    /// Fails if `host_path` cannot be opened as a directory.
    pub fn preopened_dir(
        &mut self,
        host_path: impl AsRef<Path>,
        guest_name: impl AsRef<str>,
        perms: DirPerms,
    ) -> io::Result<&mut Self> {
        let dir = cap_std::fs::Dir::open_ambient_dir(host_path, cap_std::ambient_authority())?;
        self.dirs.push(DirDesc {
            dir,
            preopen: Some(guest_name.as_ref().as_bytes().to_vec()),
            read_only: perms == DirPerms::ReadOnly,
            listing: None,
        });
        Ok(self)
    }

    /// Preopens a listening TCP socket. Listeners get the fds right after
    /// all preopened directories, in call order. The guest accepts
    /// connections with `sock_accept`; `fd_fdstat_get` reports
    /// `socket_stream` with `fdflags::nonblock` set (clear it with
    /// `fd_fdstat_set_flags` for a blocking accept), and `fd_prestat_get`
    /// reports `EBADF`.
    pub fn preopened_listener(&mut self, listener: TcpListener) -> io::Result<&mut Self> {
        listener.set_nonblocking(true)?;
        self.listeners.push(listener);
        Ok(self)
    }

    /// Denies the WASI function `name`: calls return `ENOSYS` without
    /// touching the host or guest memory. The import still links.
    pub fn deny(&mut self, name: &str) -> Result<&mut Self, UnknownFunction> {
        let i = function_index(name).ok_or_else(|| UnknownFunction(name.to_string()))?;
        self.denied |= 1 << i;
        Ok(self)
    }

    /// Prints every WASI call (through the linker or [`WasiCtx::call`],
    /// denied ones too), its arguments and its errno or outcome, to the
    /// host's stderr (`[wasi] fd_write(1, 1024, 1, 1032) -> ok`,
    /// `[wasi] proc_exit(3) -> exit with status 3`); write errors are ignored.
    pub fn trace(&mut self, on: bool) -> &mut Self {
        self.trace = on;
        self
    }

    /// Builds the context, leaving this builder reset to its defaults.
    pub fn build(&mut self) -> WasiCtx {
        let b = std::mem::take(self);
        let mut table = FdTable::default();
        let mut push = |kind: Kind, flags: u16| {
            table
                .insert(Entry::new(kind, flags))
                .expect("fresh fd table has room");
        };
        push(Kind::Stream(b.stdin), 0);
        push(Kind::Stream(b.stdout), 0);
        push(Kind::Stream(b.stderr), 0);
        for d in b.dirs {
            push(Kind::Dir(d), 0);
        }
        // Listeners start non-blocking: Go's `os.NewFile` uses its netpoller
        // only for fds whose flags already say so, and a blocking accept
        // would stall every goroutine of the single-threaded guest.
        for l in b.listeners {
            push(Kind::Listener(l), crate::types::FDFLAGS_NONBLOCK);
        }
        let mut args = b.args;
        if args.is_empty() {
            args.push(DEFAULT_ARGV0.as_bytes().to_vec());
        }
        WasiCtx {
            args,
            env: b.env,
            table,
            denied: b.denied,
            trace: b.trace,
            waker: None,
            realtime: b.realtime,
            monotonic: b.monotonic,
            random: b.random,
        }
    }
}

/// An `Errno` that says a function was denied by the embedder.
pub(crate) const DENIED: Errno = Errno::NOSYS;

/// The errno a denied function returns: `ENOSYS`, except that a denied
/// `fd_prestat_get`/`fd_prestat_dir_name` answers `EBADF` ("no preopens"),
/// because Go and wasi-libc abort on any other errno from the preopen scan.
pub(crate) fn denied_errno(idx: usize) -> i32 {
    let prestat = [
        function_index("fd_prestat_get"),
        function_index("fd_prestat_dir_name"),
    ];
    if prestat.contains(&Some(idx)) {
        Errno::BADF.raw() as i32
    } else {
        DENIED.raw() as i32
    }
}
