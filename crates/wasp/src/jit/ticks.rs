//! Hotness by time: a function that runs long inside few calls (a loop in
//! `main`, Go's `sha256.block` hashing megabytes per call) never reaches
//! the call-count threshold of `tier.rs`. A ticker thread raises the `HOT`
//! attention bit of every store running under `Tier::Tiered` every
//! [`PERIOD`]; the executor notices it at its usual check points (no new
//! work on any hot path: the attention word is checked there anyway) and
//! charges [`TICK_CALLS`] calls to the innermost interpreted function
//! ([`on_tick`]). A function found running in a few consecutive ticks is
//! queued like one called often, and its next call runs native code. A tick
//! that finds the function native already asks for on-stack replacement of
//! the running call (`exec/osr.rs`): [`on_tick`] says so.

use crate::exec::Attention;
use crate::store::{FuncKind, StoreInner};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

/// Time between two ticks.
pub(crate) const PERIOD: Duration = Duration::from_millis(5);

/// Calls a tick is worth: with the default threshold (1,000), a function
/// seen in 4 ticks in a row (~20 ms of running) is queued.
pub(crate) const TICK_CALLS: u32 = 250;

/// The stores the ticker raises `HOT` on (weakly: a store that is gone
/// drops out at the next tick).
fn watched() -> &'static Mutex<Vec<Weak<Attention>>> {
    static W: OnceLock<&'static Mutex<Vec<Weak<Attention>>>> = OnceLock::new();
    W.get_or_init(|| {
        let w: &'static Mutex<Vec<Weak<Attention>>> = Box::leak(Box::default());
        // Without the thread nothing ticks: functions tier up by calls only.
        let _ = std::thread::Builder::new()
            .name("wasp-ticks".into())
            .spawn(move || loop {
                std::thread::sleep(PERIOD);
                let mut list = w.lock().unwrap_or_else(|e| e.into_inner());
                list.retain(|a| match a.upgrade() {
                    Some(a) => {
                        a.raise_quiet(crate::exec::HOT);
                        true
                    }
                    None => false,
                });
            });
        w
    })
}

/// Ticks the store whose attention word is `attention` from now on (a
/// store of `Tier::Tiered`, made by `Stack::new`).
pub(crate) fn watch(attention: &Arc<Attention>) {
    watched()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Arc::downgrade(attention));
}

/// A tick seen by the executor: charges [`TICK_CALLS`] calls to the
/// innermost interpreted function of `inner` (the interpreter's frame, or
/// the interpreted caller of the running compiled code). True when that
/// function has native code already: its frame could continue natively.
pub(crate) fn on_tick(inner: &StoreInner) -> bool {
    let Some(frame) = inner.stack.frames.last() else {
        return false;
    };
    if let FuncKind::Wasm { instance, def, .. } = inner.func(frame.func).kind {
        let module = &inner.instances[instance as usize].module.inner;
        if module.tier.is_native(def) {
            return true;
        }
        module.tier.heat(module, def, TICK_CALLS);
    }
    false
}
