//! WASI preview 1 for wasp (placeholder).
