//! The executor's view of tiered execution: the per-module tier state
//! (`jit/tier.rs` where the compiling tier is built in, else a stand-in
//! whose functions are always interpreted) and running native code.

#[cfg(all(
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use crate::jit::ticks::on_tick;
#[cfg(all(
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use crate::jit::tier::{TierState, Verdict};
#[cfg(all(
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
pub(crate) use crate::jit::{invoke, invoke_osr};

/// The attention word of a new store under `config`: watched by the
/// hotness ticker (`jit/ticks.rs`) when functions tier up.
pub(crate) fn attention_for(config: &crate::engine::Config) -> std::sync::Arc<super::Attention> {
    let a = std::sync::Arc::<super::Attention>::default();
    #[cfg(all(
        feature = "jit",
        unix,
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    if config.effective_tier() == crate::engine::Tier::Tiered && config.tier_up_by_time {
        crate::jit::ticks::watch(&a);
    }
    #[cfg(not(all(
        feature = "jit",
        unix,
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    let _ = config;
    a
}

#[cfg(not(all(
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod interp_only {
    use crate::engine::Config;
    use crate::module::ModuleInner;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    /// What the slow path of a call should do (always: interpret).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Verdict {
        /// Interpret it.
        Interpret,
        /// Run its native code (never happens without the compiling tier).
        #[allow(dead_code)]
        Native,
    }

    /// Without the compiling tier: only the call counters the interpreter
    /// counts down (they never lead anywhere).
    pub(crate) struct TierState {
        /// Calls left before the slow path, per defined function.
        pub counters: Box<[AtomicU32]>,
    }

    impl TierState {
        /// The state of a module with `funcs` functions, `imported` of them imports.
        pub fn new(funcs: usize, imported: u32, _: &Config, _: bool) -> TierState {
            let defined = funcs.saturating_sub(imported as usize);
            TierState {
                counters: (0..defined).map(|_| AtomicU32::new(u32::MAX)).collect(),
            }
        }

        /// Never: no function has native code.
        pub fn is_native(&self, _: u32) -> bool {
            false
        }

        /// Never: no function has native code.
        pub fn osr_entry(&self, _: &Arc<ModuleInner>, _: u32, _: u32) -> Option<usize> {
            None
        }

        /// Counts a call of defined function `def`: always interpreted.
        pub fn on_call(&self, _: &Arc<ModuleInner>, def: u32) -> Verdict {
            self.counters[def as usize].store(u32::MAX, Ordering::Relaxed);
            Verdict::Interpret
        }
    }

    /// A tick of the hotness ticker: never raised without the compiling tier.
    pub(crate) fn on_tick(_: &crate::store::StoreInner) -> bool {
        false
    }

    /// Never called: no function has native code.
    pub(crate) fn invoke_osr<T>(
        _: &mut crate::Store<T>,
        _: u32,
        func: u32,
        _: usize,
        _: usize,
        _: usize,
    ) -> crate::Result<()> {
        Err(crate::Error::msg(format!(
            "function {func} has no native code (no compiling tier)"
        )))
    }

    /// Never called: no function has native code.
    pub(crate) fn invoke<T>(
        _: &mut crate::Store<T>,
        _: u32,
        func: u32,
        _: usize,
    ) -> crate::Result<()> {
        Err(crate::Error::msg(format!(
            "function {func} has no native code (no compiling tier)"
        )))
    }
}
#[cfg(not(all(
    feature = "jit",
    unix,
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
pub(crate) use interp_only::{invoke, invoke_osr, on_tick, TierState, Verdict};
