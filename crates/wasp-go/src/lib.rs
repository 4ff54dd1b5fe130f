//! # wasp-go
//!
//! What wasp knows about Go's `GOOS=wasip1 GOARCH=wasm` binaries, read from
//! the module itself (no external tool, no debug information needed):
//!
//! - [`PcLnTab`]: Go's `pclntab` decoded from the data segments, mapping a
//!   Go PC to Go function, file and line, inlined calls included;
//! - [`GoSymbols`]: from a wasm frame (function index, its `PC_B` and stack
//!   pointer locals, linear memory) to the Go PC, then to [`GoFrame`]s — what
//!   `wasp run` uses for Go-aware trap backtraces and for `--profile`;
//! - [`buildinfo`]: the toolchain version and module information that
//!   `go version -m` prints;
//! - [`DataImage`]: memory as the active data segments initialise it.
//!
//! ```no_run
//! let engine = wasp::Engine::default();
//! let module = wasp::Module::from_file(&engine, "hello.wasm").unwrap();
//! if let Some(go) = wasp_go::GoSymbols::new(&module) {
//!     // The entry of the wasm function 100, as Go sees it.
//!     for frame in go.frames(100, None) {
//!         println!("{} {}:{}", frame.function, frame.file, frame.line);
//!     }
//! }
//! ```

#![warn(missing_docs)]

pub mod buildinfo;
mod image;
mod pclntab;
mod symbols;

pub use image::DataImage;
pub use pclntab::{name_for_print, GoFrame, PcLnTab, FUNC_VALUE_OFFSET};
pub use symbols::{is_go, GoProbe, GoSymbols};
