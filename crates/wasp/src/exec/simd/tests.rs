//! Unit tests of the SIMD lane semantics.
