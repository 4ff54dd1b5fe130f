//! [`InstancePre`]: a module with its imports resolved and type-checked
//! once, instantiated per request in fresh stores.
//!
//! [`Linker::instantiate_pre`](crate::Linker::instantiate_pre) does the
//! per-module work: it looks every import up by name, checks the type of
//! each host function against the import, interns the function types in the
//! engine, and keeps the result. [`InstancePre::instantiate`] then only
//! allocates the host functions in the store (two reference-count
//! increments each, no lookup, no lock) and instantiates.

use crate::error::{Error, ErrorKind, Result};
use crate::func::HostFunc;
use crate::instance::{instantiate, Extern, Instance};
use crate::module::{EntityIndex, Module};
use crate::store::{AsContextMut, Store};
use crate::types::ExternType;
use crate::Engine;
use std::sync::Arc;

/// One resolved import.
pub(crate) enum PreImport<T> {
    /// A linker host function, its type interned in the module's engine.
    Host { func: HostFunc<T>, ty: u32 },
    /// An extern of a particular store (usable only in that store).
    Extern(Extern),
}

impl<T> Clone for PreImport<T> {
    fn clone(&self) -> Self {
        match self {
            PreImport::Host { func, ty } => PreImport::Host {
                func: func.clone(),
                ty: *ty,
            },
            PreImport::Extern(e) => PreImport::Extern(*e),
        }
    }
}

struct Inner<T> {
    module: Module,
    imports: Box<[PreImport<T>]>,
}

/// A module whose imports are resolved and type-checked, ready to be
/// instantiated many times, in many stores, from many threads.
///
/// Made by [`Linker::instantiate_pre`](crate::Linker::instantiate_pre).
/// Cloning is one reference-count increment; it is `Send + Sync` whatever
/// `T` is (it holds no `T`, only host functions, which are `Send + Sync`).
/// Host functions defined in the linker are allocated in each store that
/// instantiates it, so every fresh [`Store`] can call them.
///
/// ```
/// use wasp::{Engine, Linker, Module, Store};
///
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module
///     (import "host" "double" (func $d (param i32) (result i32)))
///     (func (export "run") (param i32) (result i32) (call $d (local.get 0))))"#).unwrap();
/// let mut linker: Linker<()> = Linker::new(&engine);
/// linker.func_wrap("host", "double", |x: i32| x * 2).unwrap();
/// let pre = linker.instantiate_pre(&module).unwrap();
/// std::thread::scope(|s| {
///     for i in 0..4 {
///         let pre = &pre;
///         s.spawn(move || {
///             let mut store = Store::new(pre.engine(), ());
///             let inst = pre.instantiate(&mut store).unwrap();
///             let run = inst.get_typed_func::<i32, i32>(&store, "run").unwrap();
///             assert_eq!(run.call(&mut store, i).unwrap(), 2 * i);
///         });
///     }
/// });
/// ```
pub struct InstancePre<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            inner: self.inner.clone(),
        }
    }
}

impl<T> std::fmt::Debug for InstancePre<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstancePre")
            .field("module", &self.inner.module.name())
            .field("imports", &self.inner.imports.len())
            .finish()
    }
}

impl<T> InstancePre<T> {
    /// Checks the resolved `imports` (in the module's import order) against
    /// `module` and interns the host functions' types.
    pub(crate) fn new(module: &Module, imports: Vec<PreImport<T>>) -> Result<Self> {
        let info = &module.inner.info;
        let engine = &module.inner.engine;
        let mut imports = imports;
        for (imp, pre) in info.imports.iter().zip(imports.iter_mut()) {
            if let PreImport::Host { func, ty } = pre {
                match info.entity_type(imp.index) {
                    ExternType::Func(_)
                        if {
                            *ty = engine.intern(&func.ty);
                            let EntityIndex::Func(i) = imp.index else {
                                unreachable!("a function import")
                            };
                            engine.is_subtype(*ty, info.type_ids[info.funcs[i as usize] as usize])
                        } => {}
                    ExternType::Func(expected) => {
                        let found = &func.ty;
                        return Err(Error::new(
                            ErrorKind::Link,
                            format!(
                                "incompatible import `{}::{}`: expected function {expected}, found {found}",
                                imp.module, imp.name
                            ),
                        ));
                    }
                    other => {
                        return Err(Error::new(
                            ErrorKind::Link,
                            format!(
                                "incompatible import `{}::{}`: expected a {}, found a function",
                                imp.module,
                                imp.name,
                                other.kind_name()
                            ),
                        ))
                    }
                }
            }
        }
        // Every instance will start from memory 0's copy-on-write image:
        // build it now rather than on the second instantiation.
        module.inner.images.prepare(info, &module.inner.bytes);
        Ok(InstancePre {
            inner: Arc::new(Inner {
                module: module.clone(),
                imports: imports.into_boxed_slice(),
            }),
        })
    }

    /// The module.
    pub fn module(&self) -> &Module {
        &self.inner.module
    }

    /// The module's engine: stores that instantiate this must use it.
    pub fn engine(&self) -> &Engine {
        &self.inner.module.inner.engine
    }

    /// Instantiates the module in `store` and runs its start function.
    ///
    /// Fails if the store belongs to another engine, if an extern the
    /// linker held (a [`Linker::define`](crate::Linker::define)d memory,
    /// global, table or function of some store) belongs to another store,
    /// or if instantiation traps (an out-of-bounds segment, the start
    /// function).
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let store: &mut Store<T> = store.as_context_mut().0;
        if !Engine::same(&store.inner.engine, self.engine()) {
            return Err(Error::new(
                ErrorKind::Usage,
                "the store and the module use different engines",
            ));
        }
        store.host_funcs.reserve(self.inner.imports.len());
        let imports: Vec<Extern> = self
            .inner
            .imports
            .iter()
            .map(|imp| match imp {
                PreImport::Host { func, ty } => {
                    Extern::Func(func.clone().alloc_interned(store, *ty))
                }
                PreImport::Extern(e) => *e,
            })
            .collect();
        let inst = instantiate(store, &self.inner.module, &imports)?;
        inst.run_start(store)?;
        Ok(inst)
    }
}
