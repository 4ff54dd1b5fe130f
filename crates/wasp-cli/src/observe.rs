//! What `wasp run` sees of a running guest beyond its output: the sampling
//! profile of `--profile` (written as pprof at exit, also after a trap or a
//! `proc_exit`) and trap backtraces that show, for a Go guest, the Go
//! function, file and line of every frame (from the module's own `pclntab`,
//! `wasp_go`).
//!
//! A Go module gets wasp-go's position probe on its store, so each frame
//! of a backtrace or a sample carries its Go PC; the `pclntab` itself is
//! decoded only when a trap or the profile needs it. The trap text is
//! produced by [`trap_text`], which reads the module registered by
//! [`Observe::start`] (one guest module per `wasp run` process).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use wasp::{Module, Store};
use wasp_go::{GoFrame, GoProbe, GoSymbols};

/// The probe of this process's Go module (it holds the module's symbols
/// once decoded).
static GO: OnceLock<Arc<GoProbe>> = OnceLock::new();

fn go_symbols() -> Option<&'static GoSymbols> {
    GO.get().and_then(|p| p.symbols())
}

/// The default `--profile-hz`.
pub const DEFAULT_HZ: u32 = 100;

/// A guest run's observers: the profile being recorded, if any.
pub struct Observe {
    profile: Option<(PathBuf, File)>,
}

impl Observe {
    /// Sets up the store of `module`: Go positions for a Go module, and
    /// sampling at `hz` when `profile` names a file (created now, so a path
    /// that cannot be written fails before the guest runs).
    pub fn start<T>(
        profile: Option<&Path>,
        hz: u32,
        module: &Module,
        store: &mut Store<T>,
    ) -> Result<Observe, String> {
        if wasp_go::is_go(module) {
            let probe = GoProbe::new(module);
            store.set_position_probe(Some(probe.clone()));
            let _ = GO.set(probe);
        }
        let Some(path) = profile else {
            return Ok(Observe { profile: None });
        };
        // Decoded now rather than in the first sample.
        let _ = go_symbols();
        let file = File::create(path).map_err(|e| format!("--profile {}: {e}", path.display()))?;
        store
            .start_profiling(hz)
            .map_err(|e| format!("--profile-hz {hz}: {e}"))?;
        Ok(Observe {
            profile: Some((path.to_path_buf(), file)),
        })
    }

    /// Stops profiling and writes the profile (once; later calls do
    /// nothing). A profile that cannot be written is reported on stderr.
    pub fn finish<T>(&mut self, store: &mut Store<T>, binary: &str) {
        let Some((path, mut file)) = self.profile.take() else {
            return;
        };
        let Some(profile) = store.take_profile() else {
            return;
        };
        let symbols: Vec<Option<&GoSymbols>> = profile
            .modules
            .iter()
            .map(|m| {
                // `wasp run` instantiates one module: the registered one.
                go_symbols().filter(|_| wasp_go::is_go(m))
            })
            .collect();
        let bytes = crate::pprof::encode_gzip(&profile, binary, |f| {
            symbolize(&profile.modules[f.module], symbols[f.module], f)
        });
        if let Err(e) = bytes.and_then(|b| file.write_all(&b)) {
            errln!("wasp run: --profile {}: {e}", path.display());
        }
    }
}

/// A sampled frame as pprof lines: its Go frames for a Go module, else its
/// wasm function (name section name, or `wasm-function[N]`).
fn symbolize(
    module: &Module,
    go: Option<&GoSymbols>,
    f: &wasp::ProfileFrame,
) -> crate::pprof::Symbol {
    if let Some(go) = go {
        let frames = go.frames(f.func_index, f.position);
        if !frames.is_empty() {
            let address = f.position.or_else(|| go.pc(f.func_index, 0)).unwrap_or(0);
            let lines = frames
                .into_iter()
                .map(|g| crate::pprof::Line {
                    function: g.function,
                    file: g.file,
                    start_line: g.start_line,
                    line: g.line,
                })
                .collect();
            return crate::pprof::Symbol { address, lines };
        }
    }
    let function = module.func_name(f.func_index).map_or_else(
        || format!("wasm-function[{}]", f.func_index),
        str::to_string,
    );
    crate::pprof::Symbol {
        address: u64::from(f.func_index) << 32 | f.position.unwrap_or(0) & 0xffff_ffff,
        lines: vec![crate::pprof::Line {
            function,
            file: String::new(),
            start_line: 0,
            line: 0,
        }],
    }
}

/// A trap as `wasp run` reports it: `wasm trap: KIND` and the wasm
/// backtrace, each frame of a Go guest followed by its Go frames
/// (`at FILE:LINE`, inlined calls first).
pub fn trap_text(e: &wasp::Error) -> String {
    let (Some(trap), Some(go)) = (e.trap(), go_symbols()) else {
        return e.to_string();
    };
    let mut out = format!("wasm trap: {}", trap.code());
    if !trap.backtrace().is_empty() {
        out.push_str("\nwasm backtrace:");
    }
    for (i, frame) in trap.backtrace().iter().enumerate() {
        out.push_str(&format!("\n  {i:>3}: {frame}"));
        let frames = go.frames(frame.func_index, frame.position);
        for (k, g) in frames.iter().enumerate() {
            out.push_str(&go_line(
                g,
                k + 1 < frames.len(),
                frame.func_name.as_deref(),
            ));
        }
    }
    out
}

/// One Go frame under a wasm frame: `at FILE:LINE`, preceded by the Go
/// function when it is not the wasm frame's own (an inlined call).
fn go_line(g: &GoFrame, inlined: bool, wasm_name: Option<&str>) -> String {
    // The name section spells the symbol with `_` for every character but
    // [A-Za-z0-9_.] (Go's wasm linker); Go prints generic shapes as `[...]`.
    let wasm_char = |c: char| {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            c
        } else {
            '_'
        }
    };
    let same = wasm_name.is_some_and(|n| {
        n == g.function
            || (!g.function.contains("[...]") && n.chars().eq(g.function.chars().map(wasm_char)))
    });
    let place = if g.line > 0 {
        format!("{}:{}", g.file, g.line)
    } else {
        g.file.clone()
    };
    if same && !inlined {
        format!("\n         at {place}")
    } else {
        let mark = if inlined { " (inlined)" } else { "" };
        format!("\n         {}{mark} at {place}", g.function)
    }
}
