//! Chooses the interpreter's dispatch backend.
//!
//! `wasp_tail`: every instruction handler ends in its own indirect tail call
//! (threaded code). It needs LLVM's sibling-call optimisation, which only
//! optimised builds perform, and a way to read the native stack pointer for
//! the overflow guard (x86_64, aarch64). Otherwise, or when the environment
//! variable `WASP_LOOP_DISPATCH` is set, handlers return to a loop instead.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasp_tail)");
    println!("cargo:rerun-if-env-changed=WASP_LOOP_DISPATCH");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let forced_loop = std::env::var_os("WASP_LOOP_DISPATCH").is_some();
    if matches!(opt.as_str(), "2" | "3")
        && matches!(arch.as_str(), "x86_64" | "aarch64")
        && !forced_loop
    {
        println!("cargo:rustc-cfg=wasp_tail");
    }
}
