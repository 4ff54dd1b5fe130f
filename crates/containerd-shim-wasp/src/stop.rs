//! Stopping the guest when containerd asks: [`Stop`] records the first stop
//! request (a signal number) and, while a guest runs, turns it into wasp
//! interrupts; [`SignalWatch`] feeds it the signals containerd sends.
//!
//! The guest runs as the container's init process (PID 1 of its PID
//! namespace), which the kernel shields from every signal it has no handler
//! for, SIGKILL and SIGSTOP aside: without [`SignalWatch`], `ctr task kill`
//! (SIGTERM) and a pod's termination would wait for the grace period to end
//! in SIGKILL. With it, SIGTERM, SIGINT and SIGQUIT interrupt the guest
//! ([`wasp::InterruptHandle`]): wasm code stops at its next loop iteration,
//! call or return, and a WASI call blocked in the host (`poll_oneoff`, a
//! read, `sock_accept`) returns at once. The shim then exits with
//! 128 + the signal number, the status a process killed by it reports.
//!
//! An interrupt only applies to wasm code running when it is raised, so a
//! request that arrives while the module is still being loaded, or between
//! two calls, would be lost: the watcher started by [`Stop::watch`] raises
//! it again every [`REPEAT`] until the guest is done.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a pending stop request interrupts the guest again.
pub const REPEAT: Duration = Duration::from_millis(10);

/// The signals that stop the guest (SIGKILL needs no help).
pub const STOP_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGQUIT,
];

#[derive(Default)]
struct State {
    /// The signal of the first stop request.
    signal: Option<i32>,
    /// Set when the guest is done: the watcher returns.
    finished: bool,
}

#[derive(Default)]
struct Inner {
    state: Mutex<State>,
    changed: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two plain fields: a panic elsewhere cannot leave it
        // inconsistent, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A stop request shared between whoever asks (a signal, a test) and the
/// run that honours it. Cheap to clone: clones share the request.
#[derive(Clone, Default)]
pub struct Stop(Arc<Inner>);

impl Stop {
    /// A stop nobody has requested yet.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Asks the guest to stop because of `signal`. The first request's
    /// signal is the one reported; later ones change nothing.
    pub fn request(&self, signal: i32) {
        let mut state = self.0.lock();
        if state.signal.is_none() {
            state.signal = Some(signal);
        }
        drop(state);
        self.0.changed.notify_all();
    }

    /// The signal of the first request, if there was one.
    pub fn requested(&self) -> Option<i32> {
        self.0.lock().signal
    }

    /// Starts the thread that turns a request into interrupts of the store
    /// behind `handle` (at once, then every [`REPEAT`]) until the returned
    /// watcher is dropped. It sleeps on a condition variable until then: a
    /// guest that is never asked to stop costs nothing.
    pub fn watch(&self, handle: wasp::InterruptHandle) -> Watcher {
        let inner = self.0.clone();
        self.0.lock().finished = false;
        let thread = std::thread::Builder::new()
            .name("wasp-stop".into())
            .spawn(move || {
                let mut state = inner.lock();
                loop {
                    if state.finished {
                        return;
                    }
                    if state.signal.is_some() {
                        handle.interrupt();
                        state = match inner.changed.wait_timeout(state, REPEAT) {
                            Ok((s, _)) => s,
                            Err(e) => e.into_inner().0,
                        };
                    } else {
                        state = inner.changed.wait(state).unwrap_or_else(|e| e.into_inner());
                    }
                }
            });
        Watcher {
            stop: self.clone(),
            thread: thread.ok(),
        }
    }
}

/// The thread [`Stop::watch`] started; dropping it ends and joins the thread.
pub struct Watcher {
    stop: Stop,
    /// `None` if the thread could not be started (the guest then cannot be
    /// interrupted, but still runs).
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Whether the watching thread runs (false only if the system refused
    /// to start a thread).
    pub fn is_running(&self) -> bool {
        self.thread.is_some()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.0.lock().finished = true;
        self.stop.0.changed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Catches [`STOP_SIGNALS`] for the life of the value and turns each into
/// a [`Stop::request`]. Dropping it stops the catching thread (the
/// process-wide handler stays installed, doing nothing).
pub struct SignalWatch {
    handle: signal_hook::iterator::Handle,
    thread: Option<JoinHandle<()>>,
}

impl SignalWatch {
    /// Installs the handlers and starts the thread that forwards signals to
    /// `stop`.
    pub fn start(stop: &Stop) -> std::io::Result<SignalWatch> {
        let mut signals = signal_hook::iterator::Signals::new(STOP_SIGNALS)?;
        let handle = signals.handle();
        let stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("wasp-signals".into())
            .spawn(move || {
                for signal in signals.forever() {
                    log::info!("signal {signal}: stopping the guest");
                    stop.request(signal);
                }
            })?;
        Ok(SignalWatch {
            handle,
            thread: Some(thread),
        })
    }
}

impl Drop for SignalWatch {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The conventional name of a stop signal, for messages.
pub fn signal_name(signal: i32) -> String {
    match signal {
        signal_hook::consts::SIGTERM => "SIGTERM".into(),
        signal_hook::consts::SIGINT => "SIGINT".into(),
        signal_hook::consts::SIGQUIT => "SIGQUIT".into(),
        n => format!("signal {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_request_wins() {
        let stop = Stop::new();
        assert_eq!(stop.requested(), None);
        stop.request(15);
        stop.clone().request(2);
        assert_eq!(stop.requested(), Some(15));
    }

    #[test]
    fn names() {
        assert_eq!(signal_name(15), "SIGTERM");
        assert_eq!(signal_name(2), "SIGINT");
        assert_eq!(signal_name(3), "SIGQUIT");
        assert_eq!(signal_name(10), "signal 10");
    }

    #[test]
    fn watcher_without_request_ends_when_dropped() {
        let engine = wasp::Engine::default();
        let store = wasp::Store::new(&engine, ());
        let stop = Stop::new();
        let w = stop.watch(store.interrupt_handle());
        assert!(w.is_running());
        drop(w); // joins: the test would hang if the thread ignored `finished`
    }
}
