//! Running processes for the tests: `wasp run` as a command; a child with piped stdio read
//! line by line, killed at a deadline, with its CPU time (`wait4`); and a child whose
//! interleaved output goes to a log file (the go command's runs).

use super::wasp_bin;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::raw::{c_int, c_long};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long one guest run may take before the test kills it and fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// `wasp run ARGS...` as a command (nothing spawned yet).
pub fn wasp_run<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(wasp_bin());
    cmd.arg("run").args(args);
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

/// What a finished run produced.
#[derive(Debug)]
pub struct Outcome {
    /// Exit status, or `None` when killed by a signal.
    pub code: Option<i32>,
    /// The signal that ended the process, if any.
    pub signal: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// User + system CPU time of the wasp process.
    pub cpu: Duration,
    /// Wall-clock time from spawn to exit.
    pub wall: Duration,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Panics with the full output unless the process exited with `code`.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit status {code}, got {:?} (signal {:?})\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code,
            self.signal,
            self.stdout_str(),
            self.stderr_str()
        );
        self
    }

    /// Panics with a readable diff unless stdout is exactly `expected`.
    pub fn assert_stdout(&self, expected: &str) -> &Self {
        let got = self.stdout_str();
        if got != expected {
            let mut diff = String::new();
            let (g, e): (Vec<_>, Vec<_>) = (got.lines().collect(), expected.lines().collect());
            for i in 0..g.len().max(e.len()) {
                let (gl, el) = (g.get(i).copied(), e.get(i).copied());
                if gl != el {
                    diff += &format!(
                        "line {}: expected {el:?}\n         got      {gl:?}\n",
                        i + 1
                    );
                }
            }
            panic!(
                "stdout differs (status {:?}):\n{diff}--- full stdout:\n{got}\n--- stderr:\n{}",
                self.code,
                self.stderr_str()
            );
        }
        self
    }
}

#[repr(C)]
struct Timeval {
    tv_sec: c_long,
    #[cfg(target_os = "linux")]
    tv_usec: c_long,
    #[cfg(not(target_os = "linux"))]
    tv_usec: i32,
}

#[repr(C)]
struct Rusage {
    ru_utime: Timeval,
    ru_stime: Timeval,
    rest: [c_long; 14],
}

extern "C" {
    fn wait4(pid: c_int, status: *mut c_int, options: c_int, rusage: *mut Rusage) -> c_int;
    fn kill(pid: c_int, sig: c_int) -> c_int;
}

const WNOHANG: c_int = 1;
const SIGKILL: c_int = 9;

/// A running wasp process: stdin can be written, stdout is read line by line, stderr is
/// collected in the background. Killed on drop if still running.
pub struct Running {
    child: Child,
    reaped: bool,
    started: Instant,
    pub stdin: Option<ChildStdin>,
    stdout_lines: mpsc::Receiver<Vec<u8>>,
    stdout_seen: Vec<u8>,
    stderr: Option<JoinHandle<Vec<u8>>>,
    stdin_writer: Option<JoinHandle<()>>,
}

/// Spawns `cmd` with piped stdin, stdout and stderr.
pub fn spawn(mut cmd: Command) -> Running {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        loop {
            let mut line = Vec::new();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let stderr = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    Running {
        stdin: child.stdin.take(),
        child,
        reaped: false,
        started: Instant::now(),
        stdout_lines: rx,
        stdout_seen: Vec::new(),
        stderr: Some(stderr),
        stdin_writer: None,
    }
}

impl Running {
    /// Writes all of `data` to stdin from a background thread, then closes stdin.
    pub fn feed_stdin(&mut self, data: Vec<u8>) {
        let mut stdin = self.stdin.take().expect("stdin already closed");
        self.stdin_writer = Some(thread::spawn(move || {
            let _ = stdin.write_all(&data);
        }));
    }

    /// Writes `data` to stdin now (blocking) and flushes.
    pub fn write_stdin(&mut self, data: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin closed");
        stdin.write_all(data).unwrap();
        stdin.flush().unwrap();
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line of stdout (without its newline), waiting up to `timeout`.
    pub fn next_line(&mut self, timeout: Duration) -> String {
        match self.stdout_lines.recv_timeout(timeout) {
            Ok(line) => {
                self.stdout_seen.extend_from_slice(&line);
                let s = String::from_utf8_lossy(&line).into_owned();
                s.strip_suffix('\n').unwrap_or(&s).to_owned()
            }
            Err(e) => {
                let seen = String::from_utf8_lossy(&self.stdout_seen).into_owned();
                self.kill();
                let stderr = self.stderr.take().unwrap().join().unwrap();
                panic!(
                    "no stdout line within {timeout:?} ({e}); stdout so far:\n{seen}\n--- stderr:\n{}",
                    String::from_utf8_lossy(&stderr)
                );
            }
        }
    }

    /// Waits for the next stdout line and asserts it equals `expected`.
    pub fn expect_line(&mut self, expected: &str, timeout: Duration) {
        let line = self.next_line(timeout);
        assert_eq!(line, expected, "unexpected stdout line");
    }

    fn kill(&mut self) {
        if !self.reaped {
            // SAFETY: kill(2) takes plain integers; the child is not reaped yet, so the pid
            // still names it.
            unsafe {
                kill(self.child.id() as c_int, SIGKILL);
            }
        }
    }

    /// Kills the process and returns what it printed (for failure messages).
    pub fn kill_and_collect(mut self) -> Outcome {
        self.kill();
        let mut out = self.finish_inner(Duration::from_secs(30));
        out.stderr.extend_from_slice(b"\n(killed by the test)\n");
        out
    }

    /// Waits for the process to exit (killing it after `timeout`) and returns everything it
    /// printed (including stdout lines already read) and its CPU time.
    pub fn finish(mut self, timeout: Duration) -> Outcome {
        let (outcome, timed_out) = self.wait_and_collect(timeout);
        assert!(
            !timed_out,
            "wasp did not finish within {timeout:?} and was killed\n--- stdout:\n{}\n--- stderr:\n{}",
            outcome.stdout_str(),
            outcome.stderr_str()
        );
        outcome
    }

    fn finish_inner(&mut self, timeout: Duration) -> Outcome {
        self.wait_and_collect(timeout).0
    }

    fn wait_and_collect(&mut self, timeout: Duration) -> (Outcome, bool) {
        let pid = self.child.id() as c_int;
        let mut status: c_int = 0;
        // SAFETY: `Rusage` is plain integers, for which all-zero bytes are a valid value.
        let mut usage: Rusage = unsafe { std::mem::zeroed() };
        let deadline = Instant::now() + timeout;
        let mut timed_out = false;
        loop {
            // SAFETY: `status` and `usage` are live and writable for the call, and `Rusage` has
            // the layout of `struct rusage`.
            let r = unsafe { wait4(pid, &mut status, WNOHANG, &mut usage) };
            if r == pid {
                break;
            }
            assert!(r == 0, "wait4 failed: {}", std::io::Error::last_os_error());
            if Instant::now() >= deadline && !timed_out {
                timed_out = true;
                // SAFETY: as in `kill`: wait4 has not reaped the child, so the pid names it.
                unsafe {
                    kill(pid, SIGKILL);
                }
            }
            thread::sleep(Duration::from_millis(5));
        }
        self.reaped = true;
        let wall = self.started.elapsed();
        self.stdin = None;
        if let Some(w) = self.stdin_writer.take() {
            let _ = w.join();
        }
        let mut stdout = std::mem::take(&mut self.stdout_seen);
        while let Ok(line) = self.stdout_lines.recv_timeout(Duration::from_secs(10)) {
            stdout.extend_from_slice(&line);
        }
        let stderr = self.stderr.take().unwrap().join().unwrap();
        let tv = |t: &Timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        let (code, signal) = if status & 0x7f == 0 {
            (Some((status >> 8) & 0xff), None)
        } else {
            (None, Some(status & 0x7f))
        };
        let outcome = Outcome {
            code,
            signal,
            stdout,
            stderr,
            cpu: tv(&usage.ru_utime) + tv(&usage.ru_stime),
            wall,
        };
        (outcome, timed_out)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `cmd` to completion with `stdin` as its standard input.
pub fn run_with_stdin(cmd: Command, stdin: Vec<u8>) -> Outcome {
    let mut r = spawn(cmd);
    r.feed_stdin(stdin);
    r.finish(RUN_TIMEOUT)
}

/// Runs `cmd` to completion with an empty standard input.
pub fn run(cmd: Command) -> Outcome {
    run_with_stdin(cmd, Vec::new())
}

// ---------------------------------------------------------------------------------------------
// A child with its output in a log file

/// How a child process ended.
#[derive(Debug)]
pub struct Logged {
    /// `None` when it was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub elapsed: Duration,
    /// stdout and stderr, interleaved.
    pub output: String,
}

impl Logged {
    pub fn success(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The last `n` lines of the output.
    pub fn tail(&self, n: usize) -> String {
        let lines: Vec<&str> = self.output.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    pub fn describe(&self) -> String {
        match self.status {
            Some(s) => format!("{s} after {:.1}s", self.elapsed.as_secs_f64()),
            None => format!("killed after {:.1}s (timeout)", self.elapsed.as_secs_f64()),
        }
    }
}

/// Runs `cmd` with stdout and stderr going to `log`, killing it after `timeout`.
pub fn run_logged(cmd: &mut Command, log: &Path, timeout: Duration) -> Logged {
    let file = std::fs::File::create(log).unwrap();
    cmd.stdout(file.try_clone().unwrap()).stderr(file);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let output = String::from_utf8_lossy(&std::fs::read(log).unwrap()).into_owned();
    Logged {
        status,
        elapsed,
        output,
    }
}
