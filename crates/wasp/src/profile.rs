//! Observing running wasm: a sampling profiler and positions inside frames.
//!
//! **Sampling.** [`Store::start_profiling`] starts a timer thread that raises
//! the store's `SAMPLE` attention bit `hz` times a second. The interpreter
//! notices it where it already checks for interrupts (backward branches,
//! calls and returns, and right after a host function returns), records the
//! wasm call stack — each frame's function index and, if a
//! [`PositionProbe`] is set, its position — and goes on. Each sample is
//! weighted with the CPU time the store's thread used since the previous
//! one (wall time where the platform has no thread clock), so time blocked
//! in a host call (Go's `time.Sleep` in `poll_oneoff`) weighs nothing while
//! CPU spent in one is charged to the wasm frames that called it. Identical
//! stacks are merged, so a profile's size follows the number of distinct
//! stacks, not the run time. [`Store::take_profile`] stops the timer and
//! returns the [`Profile`]; turning samples into a file format (pprof, in
//! `wasp run --profile`) is the embedder's business.
//!
//! **Positions.** A wasm backtrace knows which function each frame runs,
//! not where inside it. A producer that keeps its own position in the frame
//! (Go keeps a resume-point number in local 0 and return addresses on its
//! stack in linear memory) can say: a probe set with
//! [`Store::set_position_probe`] sees each frame ([`FrameView`]: function,
//! type, locals, memory) and returns a number that means something to it;
//! it may also report calls the wasm stack does not show
//! ([`FrameProbe::hidden_callers`]).
//! Trap backtraces ([`FrameInfo::position`](crate::FrameInfo::position)) and
//! profile samples carry it.

use crate::exec::SAMPLE;
use crate::store::{FuncKind, StoreInner};
use crate::{Error, ErrorKind, FuncType, Module, Result, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime};

/// Deepest stack recorded per sample (the innermost frames are kept).
pub const MAX_SAMPLE_DEPTH: usize = 256;

/// Highest sampling rate accepted by [`Store::start_profiling`].
pub const MAX_PROFILE_HZ: u32 = 10_000;

/// What a [`PositionProbe`] sees of one wasm frame.
pub struct FrameView<'a> {
    module: &'a Module,
    func_index: u32,
    ty: &'a FuncType,
    locals: &'a [u64],
    memory: &'a [u8],
    innermost: bool,
}

impl<'a> FrameView<'a> {
    /// The module defining the frame's function.
    pub fn module(&self) -> &'a Module {
        self.module
    }

    /// The function's index in its module's function index space.
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// The function's type.
    pub fn func_type(&self) -> &'a FuncType {
        self.ty
    }

    /// The current value of local `index` (parameters first, then declared
    /// locals) as raw bits (an `i32` in the low half), or `None` past the last.
    pub fn local(&self, index: u32) -> Option<u64> {
        self.locals.get(index as usize).copied()
    }

    /// The instance's memory 0 (empty when it has none).
    pub fn memory(&self) -> &'a [u8] {
        self.memory
    }

    /// Whether this is the executing frame (not one waiting for a call to return).
    pub fn is_innermost(&self) -> bool {
        self.innermost
    }
}

/// What a producer knows of its frames beyond the wasm stack (see the
/// module docs). Any `Fn(&FrameView) -> Option<u64>` closure is a probe
/// that only gives positions.
pub trait FrameProbe: Send + Sync {
    /// The position of `frame` inside its function, if the probe knows it.
    fn position(&self, frame: &FrameView<'_>) -> Option<u64>;

    /// Calls the producer keeps in its own stack (in linear memory) that
    /// the wasm stack does not show, between `frame` (at `position`) and
    /// its wasm caller `caller` (`None` for the outermost frame): as
    /// (function index, position), innermost first. Go, for one, resumes a
    /// goroutine by calling its innermost function from a loop, so its
    /// callers exist only on the goroutine's stack. None by default.
    fn hidden_callers(
        &self,
        frame: &FrameView<'_>,
        position: Option<u64>,
        caller: Option<&FrameView<'_>>,
    ) -> Vec<(u32, Option<u64>)> {
        let _ = (frame, position, caller);
        Vec::new()
    }
}

impl<F: Fn(&FrameView<'_>) -> Option<u64> + Send + Sync> FrameProbe for F {
    fn position(&self, frame: &FrameView<'_>) -> Option<u64> {
        self(frame)
    }
}

/// A shared [`FrameProbe`], as [`Store::set_position_probe`] takes it.
pub type PositionProbe = Arc<dyn FrameProbe>;

/// One frame of a sampled stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileFrame {
    /// Index into [`Profile::modules`].
    pub module: usize,
    /// The function's index in its module's function index space.
    pub func_index: u32,
    /// What the store's [`PositionProbe`] returned for the frame, if any.
    pub position: Option<u64>,
}

/// A distinct sampled stack and how often and how long it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSample {
    /// The wasm frames, innermost first (at most [`MAX_SAMPLE_DEPTH`]).
    pub frames: Vec<ProfileFrame>,
    /// Number of samples with this stack.
    pub count: u64,
    /// CPU time charged to this stack, in nanoseconds.
    pub nanos: u64,
}

/// The samples a store collected between [`Store::start_profiling`] and
/// [`Store::take_profile`].
#[derive(Debug, Clone)]
pub struct Profile {
    /// The modules the frames belong to.
    pub modules: Vec<Module>,
    /// The distinct stacks, in the order first seen.
    pub samples: Vec<ProfileSample>,
    /// The sampling rate.
    pub hz: u32,
    /// When profiling started.
    pub start: SystemTime,
    /// How long it ran (wall time).
    pub duration: Duration,
    /// Whether the samples are weighted with the thread's CPU time (true
    /// where the platform has a per-thread CPU clock) or with wall time.
    pub cpu_time: bool,
}

/// The store's observers: the position probe and a running profiler.
#[derive(Default)]
pub(crate) struct Observers {
    pub probe: Option<PositionProbe>,
    profiler: Option<Box<Profiler>>,
}

struct Profiler {
    hz: u32,
    start: SystemTime,
    started: Instant,
    /// Module of each instance (index into `modules`), filled as met.
    instance_module: Vec<Option<usize>>,
    modules: Vec<Module>,
    index: HashMap<Vec<ProfileFrame>, usize>,
    samples: Vec<ProfileSample>,
    /// The thread of the last sample and its CPU clock then.
    last: (std::thread::ThreadId, u64),
    stop: Arc<AtomicBool>,
}

impl Drop for Profiler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The calling thread's CPU time in nanoseconds (`None` without a thread clock).
fn thread_cpu_ns() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
        let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if r == 0 {
            return Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
        }
    }
    None
}

/// The clock samples are weighted with: thread CPU time, or wall time.
fn clock_ns(started: Instant) -> u64 {
    thread_cpu_ns().unwrap_or_else(|| started.elapsed().as_nanos() as u64)
}

/// Raises `SAMPLE` on `target` every `period` until `stop` or the store is gone.
fn timer(target: Weak<crate::exec::Attention>, period: Duration, stop: Arc<AtomicBool>) {
    let mut next = Instant::now() + period;
    loop {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        if stop.load(Ordering::Relaxed) {
            return;
        }
        match target.upgrade() {
            Some(a) => a.raise_quiet(SAMPLE),
            None => return,
        }
        next += period;
        // After a stall (a suspended process), do not fire a burst.
        let now = Instant::now();
        if next < now {
            next = now + period;
        }
    }
}

impl<T> Store<T> {
    /// Starts sampling the wasm call stack `hz` times a second (1 to
    /// [`MAX_PROFILE_HZ`]) from a timer thread, until
    /// [`take_profile`](Self::take_profile). Fails if the store is already
    /// profiling or the thread cannot be started.
    pub fn start_profiling(&mut self, hz: u32) -> Result<()> {
        if hz == 0 || hz > MAX_PROFILE_HZ {
            return Err(Error::new(
                ErrorKind::Usage,
                format!("profiling rate {hz} Hz is outside 1..={MAX_PROFILE_HZ}"),
            ));
        }
        let obs = &mut self.inner.observers;
        if obs.profiler.is_some() {
            return Err(Error::new(
                ErrorKind::Usage,
                "the store is already profiling",
            ));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let target = Arc::downgrade(&self.inner.stack.attention);
        let period = Duration::from_nanos(1_000_000_000 / u64::from(hz));
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("wasp-profiler".into())
            .spawn(move || timer(target, period, flag))
            .map_err(|e| Error::new(ErrorKind::Usage, format!("cannot start the profiler: {e}")))?;
        let started = Instant::now();
        obs.profiler = Some(Box::new(Profiler {
            hz,
            start: SystemTime::now(),
            started,
            instance_module: Vec::new(),
            modules: Vec::new(),
            index: HashMap::new(),
            samples: Vec::new(),
            last: (std::thread::current().id(), clock_ns(started)),
            stop,
        }));
        Ok(())
    }

    /// Whether the store is profiling.
    pub fn is_profiling(&self) -> bool {
        self.inner.observers.profiler.is_some()
    }

    /// Stops profiling and returns what was sampled (`None` if the store
    /// was not profiling).
    pub fn take_profile(&mut self) -> Option<Profile> {
        let mut p = self.inner.observers.profiler.take()?;
        self.inner.stack.attention.take(SAMPLE);
        Some(Profile {
            modules: std::mem::take(&mut p.modules),
            samples: std::mem::take(&mut p.samples),
            hz: p.hz,
            start: p.start,
            duration: p.started.elapsed(),
            cpu_time: thread_cpu_ns().is_some(),
        })
    }

    /// Sets (or with `None` removes) the probe that gives each wasm frame
    /// its position in trap backtraces and profile samples.
    pub fn set_position_probe(&mut self, probe: Option<PositionProbe>) {
        self.inner.observers.probe = probe;
    }
}

/// One wasm frame on the store's stack.
pub(crate) struct StackFrame {
    /// Store index of the function.
    pub func: u32,
    pub instance: u32,
    /// Index in the module's function index space.
    pub func_index: u32,
    /// Its first slot, when known (not for a frame that called the host
    /// which re-entered wasm).
    pub base: Option<usize>,
}

/// The wasm frames of the store's stack, innermost first, at most `max`;
/// `innermost_base` is the executing frame's first slot, if known.
pub(crate) fn frames(
    inner: &StoreInner,
    innermost_base: Option<usize>,
    max: usize,
) -> Vec<StackFrame> {
    let stack = &inner.stack.frames;
    let mut out = Vec::new();
    for k in (0..stack.len()).rev() {
        if out.len() >= max {
            break;
        }
        let base = match stack.get(k + 1) {
            None => innermost_base,
            Some(next) if !next.ret_ip.is_null() => Some(next.ret_base as usize),
            Some(_) => None,
        };
        let func = stack[k].func;
        if let FuncKind::Wasm { instance, def, .. } = inner.func(func).kind {
            let info = &inner.instances[instance as usize].module.inner.info;
            out.push(StackFrame {
                func,
                instance,
                func_index: info.num_imported_funcs + def,
                base,
            });
        }
    }
    out
}

/// What the store's probe says of a compiled frame of store instance
/// `instance` whose first locals were `locals` when a trap unwound it.
pub(crate) fn compiled_position(
    inner: &StoreInner,
    instance: u32,
    func_index: u32,
    locals: &[u64],
    innermost: bool,
) -> Option<u64> {
    let probe = inner.observers.probe.as_ref()?;
    let inst = &inner.instances[instance as usize];
    let memory = match inst.memories.first() {
        Some(&m) => &inner.memories[m as usize].data[..],
        None => &[],
    };
    let ty = inst.module.inner.info.func_type(func_index);
    let view = FrameView {
        module: &inst.module,
        func_index,
        ty,
        locals,
        memory,
        innermost,
    };
    probe.position(&view)
}

/// Calls `f` with the view of `frame` (`None` without a base).
fn with_view<R>(
    inner: &StoreInner,
    frame: &StackFrame,
    innermost: bool,
    f: impl FnOnce(&FrameView<'_>) -> R,
) -> Option<R> {
    let base = frame.base?;
    let FuncKind::Wasm { instance, def } = inner.func(frame.func).kind else {
        return None;
    };
    let code = inner.instances[instance as usize].module.inner.compiled[def as usize].get()?;
    let n = code.params as usize + code.locals as usize;
    let locals = inner.stack.slots.get(base..base + n)?;
    let instance = &inner.instances[frame.instance as usize];
    let memory = match instance.memories.first() {
        Some(&m) => &inner.memories[m as usize].data[..],
        None => &[],
    };
    let view = FrameView {
        module: &instance.module,
        func_index: frame.func_index,
        ty: instance.module.inner.info.func_type(frame.func_index),
        locals,
        memory,
        innermost,
    };
    Some(f(&view))
}

/// A frame of a backtrace or sample: the wasm frame `wasm` of the stack
/// (`None` for a hidden caller the probe reported), function index and position.
pub(crate) struct Positioned {
    pub wasm: Option<usize>,
    pub func_index: u32,
    pub position: Option<u64>,
}

/// `frames` with the store's probe's positions and hidden callers, at most
/// `max`. `running`: the first frame is the one executing (not the caller
/// of compiled code, whose position is its call's, as for every caller).
pub(crate) fn positioned(
    inner: &StoreInner,
    frames: &[StackFrame],
    max: usize,
    running: bool,
) -> Vec<Positioned> {
    let probe = inner.observers.probe.as_ref();
    let mut out = Vec::with_capacity(frames.len());
    for (i, frame) in frames.iter().enumerate() {
        if out.len() >= max {
            break;
        }
        let Some(probe) = probe else {
            out.push(Positioned {
                wasm: Some(i),
                func_index: frame.func_index,
                position: None,
            });
            continue;
        };
        let innermost = running && i == 0;
        let (position, hidden) = with_view(inner, frame, innermost, |view| {
            let position = probe.position(view);
            let caller = frames.get(i + 1).and_then(|c| {
                with_view(inner, c, false, |cv| {
                    probe.hidden_callers(view, position, Some(cv))
                })
            });
            let hidden = match (frames.get(i + 1), caller) {
                (Some(_), Some(h)) => h,
                (Some(_), None) => Vec::new(),
                (None, _) => probe.hidden_callers(view, position, None),
            };
            (position, hidden)
        })
        .unwrap_or((None, Vec::new()));
        out.push(Positioned {
            wasm: Some(i),
            func_index: frame.func_index,
            position,
        });
        for (func_index, position) in hidden {
            out.push(Positioned {
                wasm: None,
                func_index,
                position,
            });
        }
    }
    out.truncate(max);
    out
}

/// Records one sample of the current stack, if the store is profiling.
#[cold]
#[inline(never)]
pub(crate) fn sample(inner: &mut StoreInner, innermost_base: Option<usize>) {
    sample_with_leaf(inner, innermost_base, None);
}

/// [`sample`], with compiled function `leaf` (store instance, module
/// function index) running innermost, above the store's frames.
pub(crate) fn sample_with_leaf(
    inner: &mut StoreInner,
    innermost_base: Option<usize>,
    leaf: Option<(u32, u32)>,
) {
    let Some(mut p) = inner.observers.profiler.take() else {
        return;
    };
    let now = (std::thread::current().id(), clock_ns(p.started));
    let nanos = if now.0 == p.last.0 {
        now.1.saturating_sub(p.last.1)
    } else {
        1_000_000_000 / u64::from(p.hz)
    };
    p.last = now;
    let mut stack = Vec::new();
    let mut wasm = frames(inner, innermost_base, MAX_SAMPLE_DEPTH);
    if let Some((instance, func_index)) = leaf {
        let inst = &inner.instances[instance as usize];
        wasm.insert(
            0,
            StackFrame {
                func: inst.funcs[func_index as usize],
                instance,
                func_index,
                base: None,
            },
        );
        wasm.truncate(MAX_SAMPLE_DEPTH);
    }
    let mut instance = 0;
    for f in positioned(inner, &wasm, MAX_SAMPLE_DEPTH, true) {
        // A hidden caller belongs to the instance of the wasm frame above it.
        if let Some(w) = f.wasm {
            instance = wasm[w].instance;
        }
        let slot = instance as usize;
        if p.instance_module.len() <= slot {
            p.instance_module.resize(slot + 1, None);
        }
        let module = *p.instance_module[slot].get_or_insert_with(|| {
            let m = &inner.instances[slot].module;
            match p
                .modules
                .iter()
                .position(|x| Arc::ptr_eq(&x.inner, &m.inner))
            {
                Some(i) => i,
                None => {
                    p.modules.push(m.clone());
                    p.modules.len() - 1
                }
            }
        });
        stack.push(ProfileFrame {
            module,
            func_index: f.func_index,
            position: f.position,
        });
    }
    if !stack.is_empty() {
        let next = p.samples.len();
        let i = *p.index.entry(stack.clone()).or_insert(next);
        if i == next {
            p.samples.push(ProfileSample {
                frames: stack,
                count: 0,
                nanos: 0,
            });
        }
        p.samples[i].count += 1;
        p.samples[i].nanos += nanos;
    }
    inner.observers.profiler = Some(p);
}
