//! The build information Go embeds in its binaries, for `wasp inspect`:
//! read by [`wasp_go::buildinfo`] from the module's data segments (the
//! format, and why Go's wasm binaries carry only part of it, are described
//! there), through the same data image the `pclntab` decoder reads.

pub use wasp_go::buildinfo::{read, GoBuildInfo, GoModule};
pub use wasp_go::DataImage as Memory;
