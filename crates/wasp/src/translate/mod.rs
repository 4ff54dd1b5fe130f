//! Translator (stub).
use crate::ir::CompiledFunc;
use crate::module::ModuleInner;
pub(crate) fn translate(
    _m: &ModuleInner,
    _f: u32,
    _r: std::ops::Range<usize>,
) -> Result<CompiledFunc, String> {
    Err("todo".into())
}
