//! Validation of function bodies, spread over the available cores and
//! started as soon as the code section has been read: a Go binary's
//! thousands of bodies are validated while the loader still decodes its
//! data section (which follows the code).
//!
//! Bodies are handed out in chunks, in order, from a shared counter; the
//! loader's own thread joins in when it reaches the end of the module. The
//! error reported is the one of the lowest-numbered failing function, as a
//! sequential pass would find: after a failure in chunk `k`, later chunks
//! are skipped, earlier ones still finish.

use super::parse::Ctx;
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A body waiting for validation: function index, validator, body.
pub(super) type PendingBody<'a> = (
    u32,
    wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
    wasmparser::FunctionBody<'a>,
);

/// Bodies per chunk handed to a thread.
const CHUNK: usize = 16;

/// The bodies of one module, validated by whoever takes them.
pub(super) struct Bodies<'a> {
    chunks: Vec<Mutex<Option<Vec<PendingBody<'a>>>>>,
    next: AtomicUsize,
    /// Chunks after this one are not validated (a failure, or cancelled).
    stop_after: AtomicUsize,
    /// The failure of the lowest-numbered function so far.
    error: Mutex<Option<(u32, Error)>>,
    count: usize,
}

impl<'a> Bodies<'a> {
    pub fn new(bodies: Vec<PendingBody<'a>>) -> Bodies<'a> {
        let count = bodies.len();
        let mut chunks = Vec::with_capacity(count.div_ceil(CHUNK));
        let mut rest = bodies.into_iter();
        loop {
            let c: Vec<_> = rest.by_ref().take(CHUNK).collect();
            if c.is_empty() {
                break;
            }
            chunks.push(Mutex::new(Some(c)));
        }
        Bodies {
            chunks,
            next: AtomicUsize::new(0),
            stop_after: AtomicUsize::new(usize::MAX),
            error: Mutex::new(None),
            count,
        }
    }

    /// Number of bodies.
    pub fn len(&self) -> usize {
        self.count
    }

    /// How many other threads are worth starting for these bodies.
    pub fn helpers(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores.min(8) - 1).min(self.count / 64)
    }

    /// Validates chunks until none are left.
    pub fn work(&self) {
        let mut allocs = wasmparser::FuncValidatorAllocations::default();
        loop {
            let k = self.next.fetch_add(1, Ordering::Relaxed);
            if k >= self.chunks.len() || k > self.stop_after.load(Ordering::Relaxed) {
                return;
            }
            let Some(chunk) = self.chunks[k]
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
            else {
                continue;
            };
            for (index, f, body) in chunk {
                let mut v = f.into_validator(std::mem::take(&mut allocs));
                let ctx = Ctx {
                    section: "code",
                    func: Some(index),
                };
                if let Err(e) = super::body_guard::validate(&mut v, &body, &ctx) {
                    self.fail(k, index, e);
                    break;
                }
                allocs = v.into_allocations();
            }
        }
    }

    fn fail(&self, chunk: usize, index: u32, e: Error) {
        self.stop_after.fetch_min(chunk, Ordering::Relaxed);
        let mut slot = self.error.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_none_or(|(i, _)| index < *i) {
            *slot = Some((index, e));
        }
    }

    /// Stops handing out chunks (the load failed elsewhere).
    pub fn cancel(&self) {
        self.stop_after.store(0, Ordering::Relaxed);
        self.next.store(usize::MAX / 2, Ordering::Relaxed);
    }

    /// The verdict, once every thread is done.
    pub fn result(&self) -> Result<()> {
        match self.error.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }
}
