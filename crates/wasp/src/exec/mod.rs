//! The executor (stub).
use crate::engine::Config;
use crate::error::Result;
use crate::store::Store;

pub(crate) struct Stack {}
impl Stack {
    pub fn new(_c: &Config) -> Self {
        Stack {}
    }
}

pub(crate) fn call<T>(_store: &mut Store<T>, _func: u32, _io: &mut [u64]) -> Result<()> {
    Err(crate::Error::msg("not yet"))
}
