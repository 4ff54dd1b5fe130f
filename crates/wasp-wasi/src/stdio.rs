//! Standard streams: where a guest's fds 0, 1 and 2 read and write.
//!
//! A [`Stream`] is either a host file descriptor (the process's own stdio,
//! or an owned fd such as a pipe end) or an in-process reader/writer. Host
//! fds are never switched to `O_NONBLOCK` (the description may be shared with
//! the parent shell): a guest's `fdflags::nonblock` on a stream is emulated by
//! polling with a zero timeout before reading, which yields `EAGAIN` when
//! nothing is ready. Writes to streams always complete (they loop on short
//! writes and wait on `EAGAIN`), so stdout and stderr never report `EAGAIN` —
//! Go's runtime aborts when its own writes to fd 1 or 2 fail.
//!
//! A blocking read of a host stream first waits for input in `poll(2)`
//! together with the store's waker, so an interrupt or a deadline ends it
//! (`wake.rs`); so does every wait for a non-blocking fd to become ready.

use crate::errno::{Errno, WasiResult};
use crate::wake;
use rustix::event::{PollFd, PollFlags};
use std::io::{IoSlice, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex};

/// What a standard stream is connected to.
pub(crate) enum Stream {
    /// The host process's stdin (fd 0).
    HostStdin,
    /// The host process's stdout (fd 1).
    HostStdout,
    /// The host process's stderr (fd 2).
    HostStderr,
    /// An owned host file descriptor (a pipe end, a file, a socket, a tty).
    Fd(OwnedFd),
    /// An in-process source (reads only; writes fail with `EBADF`).
    Reader(Box<dyn Read + Send>),
    /// An in-process sink (writes only; reads fail with `EBADF`).
    Writer(Box<dyn Write + Send>),
}

impl Stream {
    /// The host fd behind the stream, if any (pollable).
    pub fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Stream::HostStdin => Some(rustix::stdio::stdin()),
            Stream::HostStdout => Some(rustix::stdio::stdout()),
            Stream::HostStderr => Some(rustix::stdio::stderr()),
            Stream::Fd(fd) => Some(fd.as_fd()),
            Stream::Reader(_) | Stream::Writer(_) => None,
        }
    }

    /// Reads into `buf`. With `nonblock`, a host fd that has nothing to read
    /// gives `EAGAIN` instead of blocking; without, the wait for input ends
    /// with `EINTR` when `waker` fires.
    pub fn read(
        &mut self,
        buf: &mut [u8],
        nonblock: bool,
        waker: Option<&wasp::InterruptWaker>,
    ) -> WasiResult<usize> {
        match self {
            Stream::Reader(r) => loop {
                match r.read(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e.into()),
                }
            },
            Stream::Writer(_) => Err(Errno::BADF),
            _ => {
                let fd = self.host_fd().expect("host stream");
                if nonblock && !ready(fd, PollFlags::IN)? {
                    return Err(Errno::AGAIN);
                }
                if !nonblock && waker.is_some() {
                    wait(fd, PollFlags::IN, waker)?;
                }
                read_fd(fd, buf)
            }
        }
    }

    /// Writes all of `data` (several slices, in order); returns the total.
    /// A wait for a non-blocking host fd to drain ends with `EINTR` when
    /// `waker` fires.
    pub fn write_all(
        &mut self,
        data: &[IoSlice<'_>],
        waker: Option<&wasp::InterruptWaker>,
    ) -> WasiResult<usize> {
        let total: usize = data.iter().map(|d| d.len()).sum();
        match self {
            Stream::Writer(w) => {
                // Like a file on a full disk: the bytes written before an
                // error are reported; the error is reported when nothing
                // could be written.
                let mut written = 0;
                for d in data {
                    let mut d: &[u8] = d;
                    while !d.is_empty() {
                        match w.write(d) {
                            Ok(0) if written > 0 => return Ok(written),
                            Ok(0) => return Err(Errno::NOSPC),
                            Ok(n) => {
                                written += n;
                                d = &d[n..];
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(_) if written > 0 => return Ok(written),
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                w.flush()?;
                Ok(total)
            }
            Stream::Reader(_) => Err(Errno::BADF),
            _ => {
                let fd = self.host_fd().expect("host stream");
                for d in data {
                    write_all_fd(fd, d, waker)?;
                }
                Ok(total)
            }
        }
    }

    /// Flushes an in-process writer (host fds are unbuffered).
    pub fn flush(&mut self) {
        if let Stream::Writer(w) = self {
            let _ = w.flush();
        }
    }
}

/// Whether `fd` is ready for `events` right now (poll with a zero timeout).
/// Errors and hang-ups count as ready (the next operation reports them).
pub(crate) fn ready(fd: BorrowedFd<'_>, events: PollFlags) -> WasiResult<bool> {
    let mut fds = [PollFd::from_borrowed_fd(fd, events)];
    let zero = rustix::time::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        match rustix::event::poll(&mut fds, Some(&zero)) {
            Ok(n) => return Ok(n > 0),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Blocks until `fd` is ready for `events` (or has an error or hang-up);
/// `EINTR` if `waker` fires for a requested stop first.
pub(crate) fn wait(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    waker: Option<&wasp::InterruptWaker>,
) -> WasiResult<()> {
    let wake_fd = wake::arm(waker)?;
    let mut fds = [
        PollFd::from_borrowed_fd(fd, events),
        PollFd::from_borrowed_fd(wake_fd.unwrap_or(fd), PollFlags::IN),
    ];
    let n = 1 + usize::from(wake_fd.is_some());
    loop {
        match rustix::event::poll(&mut fds[..n], None) {
            Ok(_) => {}
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        wake::woke(waker, fds[..n].get(1))?;
        if !fds[0].revents().is_empty() {
            return Ok(());
        }
    }
}

/// `read(2)` retried on `EINTR`.
pub(crate) fn read_fd(fd: BorrowedFd<'_>, buf: &mut [u8]) -> WasiResult<usize> {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Ok(n) => return Ok(n),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Writes all of `data` to `fd`, waiting for writability if the host fd
/// happens to be non-blocking.
pub(crate) fn write_all_fd(
    fd: BorrowedFd<'_>,
    mut data: &[u8],
    waker: Option<&wasp::InterruptWaker>,
) -> WasiResult<()> {
    while !data.is_empty() {
        match rustix::io::write(fd, data) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => data = &data[n..],
            Err(rustix::io::Errno::INTR) => continue,
            Err(rustix::io::Errno::AGAIN) => wait(fd, PollFlags::OUT, waker)?,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// An in-memory capture of a guest's output, cloneable so the embedder keeps
/// a handle while the [`WasiCtx`](crate::WasiCtx) owns the other.
///
/// [`MemoryOutput::new`] grows without limit; [`MemoryOutput::bounded`]
/// holds at most `capacity` bytes and then behaves like a full disk: a write
/// stores what fits and reports it (a short write), the next one fails with
/// `ENOSPC` (`std::io::ErrorKind::StorageFull` for a host writer), and host
/// memory never grows past the capacity, whatever the guest writes.
///
/// ```
/// use std::io::Write;
/// let out = wasp_wasi::MemoryOutput::bounded(4);
/// let mut b = wasp_wasi::WasiCtxBuilder::new();
/// b.stdout(out.clone());
/// let mut w = out.clone();
/// assert_eq!(w.write(b"hello").unwrap(), 4);
/// assert_eq!(w.write(b"!").unwrap_err().kind(), std::io::ErrorKind::StorageFull);
/// assert_eq!(out.contents(), b"hell");
/// assert!(out.is_full());
/// ```
#[derive(Clone, Debug)]
pub struct MemoryOutput(Arc<Mutex<Pipe>>);

#[derive(Debug, Default)]
struct Pipe {
    bytes: Vec<u8>,
    capacity: Option<usize>,
}

impl Default for MemoryOutput {
    fn default() -> Self {
        MemoryOutput(Arc::new(Mutex::new(Pipe::default())))
    }
}

impl MemoryOutput {
    /// An empty capture without a size limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty capture that holds at most `capacity` bytes (see above).
    /// Host memory for it is allocated as output arrives, never past the
    /// capacity.
    pub fn bounded(capacity: usize) -> Self {
        MemoryOutput(Arc::new(Mutex::new(Pipe {
            bytes: Vec::new(),
            capacity: Some(capacity),
        })))
    }

    fn pipe(&self) -> std::sync::MutexGuard<'_, Pipe> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The capacity given to [`bounded`](Self::bounded), if any.
    pub fn capacity(&self) -> Option<usize> {
        self.pipe().capacity
    }

    /// Whether a bounded capture is full (the next write fails).
    pub fn is_full(&self) -> bool {
        let p = self.pipe();
        p.capacity.is_some_and(|c| p.bytes.len() >= c)
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.pipe().bytes.clone()
    }

    /// Everything written so far, as (lossy) UTF-8.
    pub fn contents_string(&self) -> String {
        String::from_utf8_lossy(&self.pipe().bytes).into_owned()
    }

    /// Takes everything written so far, leaving the capture empty (and a
    /// bounded one with its whole capacity free again).
    pub fn take_contents(&self) -> Vec<u8> {
        std::mem::take(&mut self.pipe().bytes)
    }
}

impl Write for MemoryOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut p = self.pipe();
        let room = match p.capacity {
            Some(c) => c.saturating_sub(p.bytes.len()),
            None => usize::MAX,
        };
        if room == 0 && !buf.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "memory output is full",
            ));
        }
        let n = buf.len().min(room);
        if let Some(c) = p.capacity {
            // Grow geometrically, but never allocate past the capacity.
            let need = p.bytes.len() + n;
            if need > p.bytes.capacity() {
                let target = need.max(p.bytes.capacity() * 2).min(c);
                let extra = target - p.bytes.len();
                p.bytes.reserve_exact(extra);
            }
        }
        p.bytes.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
