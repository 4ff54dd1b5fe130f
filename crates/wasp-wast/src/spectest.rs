//! The `spectest` host module that specification scripts import from.
//!
//! It holds the `print*` functions (which accept their arguments and discard
//! them), four immutable globals (`global_i32` and `global_i64` = 666,
//! `global_f32` and `global_f64` = 666.6), a `table` of 10 to 20 funcrefs, and
//! a `memory` of 1 to 2 pages. All are real wasp externs, created once per
//! store, so every import of the same item sees the same entity.

use wasp::{
    Caller, Func, Global, GlobalType, Linker, Memory, MemoryType, Mutability, Store, Table,
    TableType, Val, ValType,
};

/// The module name under which the items are defined.
pub const MODULE: &str = "spectest";

/// Creates the `spectest` items in `store` and defines them in `linker`.
pub fn define<T>(linker: &mut Linker<T>, store: &mut Store<T>) -> wasp::Result<()> {
    let funcs = [
        ("print", Func::wrap(&mut *store, |_: Caller<'_, T>| {})),
        (
            "print_i32",
            Func::wrap(&mut *store, |_: Caller<'_, T>, _: i32| {}),
        ),
        (
            "print_i64",
            Func::wrap(&mut *store, |_: Caller<'_, T>, _: i64| {}),
        ),
        (
            "print_f32",
            Func::wrap(&mut *store, |_: Caller<'_, T>, _: f32| {}),
        ),
        (
            "print_f64",
            Func::wrap(&mut *store, |_: Caller<'_, T>, _: f64| {}),
        ),
        (
            "print_i32_f32",
            Func::wrap(&mut *store, |_: Caller<'_, T>, _: i32, _: f32| {}),
        ),
        (
            "print_f64_f64",
            Func::wrap(&mut *store, |_: Caller<'_, T>, _: f64, _: f64| {}),
        ),
    ];
    for (name, func) in funcs {
        linker.define(MODULE, name, func)?;
    }

    let globals = [
        ("global_i32", Val::I32(666)),
        ("global_i64", Val::I64(666)),
        ("global_f32", Val::from(666.6f32)),
        ("global_f64", Val::from(666.6f64)),
    ];
    for (name, value) in globals {
        let ty = GlobalType::new(value.ty(), Mutability::Const);
        let global = Global::new(&mut *store, ty, value)?;
        linker.define(MODULE, name, global)?;
    }

    let table = Table::new(
        &mut *store,
        TableType::new(ValType::FuncRef, 10, Some(20)),
        Val::FuncRef(None),
    )?;
    linker.define(MODULE, "table", table)?;

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(MODULE, "memory", memory)?;
    Ok(())
}
