//! The test-case reducer (see `wasp_fuzz::reduce`).

fn main() {
    wasp_fuzz::reduce::main();
}
