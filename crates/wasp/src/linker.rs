//! [`Linker`]: resolves a module's imports by name from host functions and
//! previously defined externs, then instantiates it — at once
//! ([`Linker::instantiate`]) or, for many instances of one module, once into
//! an [`InstancePre`] ([`Linker::instantiate_pre`]).

use crate::error::{Error, ErrorKind, Result};
use crate::func::{host_func_from_vals, Caller, HostFunc, IntoFunc};
use crate::instance::{instantiate, Extern, Instance};
use crate::instance_pre::{InstancePre, PreImport};
use crate::module::Module;
use crate::store::{AsContext, AsContextMut, Store};
use crate::types::FuncType;
use crate::value::Val;
use crate::Engine;
use std::collections::HashMap;

enum Definition<T> {
    Extern(Extern),
    Host(HostFunc<T>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::Host(h) => Definition::Host(h.clone()),
        }
    }
}

/// Defines imports by `(module, name)` and instantiates modules against them.
///
/// Host functions defined here are not tied to a store: each instantiation
/// allocates them in the store it instantiates into, so one linker (or one
/// [`InstancePre`] made from it) serves any number of stores. Externs given
/// to [`Linker::define`] belong to one store and work only in that store.
pub struct Linker<T> {
    engine: Engine,
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
}

impl<T> Clone for Linker<T> {
    fn clone(&self) -> Self {
        Linker {
            engine: self.engine.clone(),
            defs: self.defs.clone(),
            allow_shadowing: self.allow_shadowing,
        }
    }
}

impl<T> std::fmt::Debug for Linker<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Linker")
            .field("definitions", &self.defs.len())
            .finish()
    }
}

impl<T> Linker<T> {
    /// Creates an empty linker.
    pub fn new(engine: &Engine) -> Self {
        Linker {
            engine: engine.clone(),
            defs: HashMap::new(),
            allow_shadowing: false,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a later definition may replace an earlier one with the same name
    /// (default: no, redefinition is an error).
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            return Err(Error::new(
                ErrorKind::Link,
                format!("import `{module}::{name}` is defined twice"),
            ));
        }
        self.defs.insert(key, def);
        Ok(self)
    }

    /// Defines `module::name` as an extern of some store.
    pub fn define(
        &mut self,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    /// Defines a host function from a closure with typed parameters, taking a
    /// [`Caller`] first or not, returning results or `Result<results, E>`
    /// for any error type `E` ([`IntoFunc`], [`WasmRet`](crate::WasmRet)).
    ///
    /// ```
    /// # use wasp::*;
    /// # let engine = Engine::default();
    /// let mut linker: Linker<u32> = Linker::new(&engine);
    /// linker.func_wrap("env", "square", |x: i64| x * x)?;
    /// linker.func_wrap("env", "count", |mut caller: Caller<'_, u32>| {
    ///     *caller.data_mut() += 1;
    /// })?;
    /// linker.func_wrap("env", "parse", |x: i32| -> std::result::Result<i32, std::num::ParseIntError> {
    ///     Ok(x + "41".parse::<i32>()?)
    /// })?;
    /// # Ok::<(), wasp::Error>(())
    /// ```
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let h = f.into_host_func().0;
        self.insert(module, name, Definition::Host(h))
    }

    /// Defines a host function of type `ty` from a closure over [`Val`]s.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Host(host_func_from_vals(ty, f)))
    }

    /// Defines every export of `instance` under the module name `module`.
    pub fn instance(
        &mut self,
        store: impl AsContext<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        for (name, ext) in instance.exports(&store) {
            self.insert(module, &name, Definition::Extern(ext))?;
        }
        Ok(self)
    }

    /// Is `module::name` defined?
    pub fn contains(&self, module: &str, name: &str) -> bool {
        self.defs
            .contains_key(&(module.to_string(), name.to_string()))
    }

    /// Looks up a definition, allocating host functions in `store`.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let store = store.as_context_mut().0;
        self.resolve(store, module, name)
    }

    fn resolve(&self, store: &mut Store<T>, module: &str, name: &str) -> Option<Extern> {
        match self.defs.get(&(module.to_string(), name.to_string()))? {
            Definition::Extern(e) => Some(*e),
            Definition::Host(h) => Some(Extern::Func(h.clone().alloc(store))),
        }
    }

    /// Resolves the imports of `module` (a clear error names the first missing one)
    /// without instantiating.
    pub fn resolve_imports(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Vec<Extern>> {
        let store = store.as_context_mut().0;
        let mut out = Vec::with_capacity(module.imports().len());
        for imp in module.imports() {
            let ext = self
                .resolve(store, imp.module(), imp.name())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Link,
                        format!(
                            "unknown import: `{}::{}` ({}) has not been defined",
                            imp.module(),
                            imp.name(),
                            imp.ty().kind_name()
                        ),
                    )
                })?;
            out.push(ext);
        }
        Ok(out)
    }

    /// Resolves and type-checks the imports of `module` once, for
    /// instantiating it many times ([`InstancePre::instantiate`]), in any
    /// store of the module's engine, from any thread.
    ///
    /// Fails with a link error naming the first import that is not defined
    /// or whose host function has the wrong type. Externs of a store (from
    /// [`Linker::define`]) are checked when instantiating, in that store.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>> {
        let mut imports = Vec::with_capacity(module.inner.info.imports.len());
        for imp in &module.inner.info.imports {
            let key = (imp.module.clone(), imp.name.clone());
            imports.push(match self.defs.get(&key) {
                Some(Definition::Host(h)) => PreImport::Host {
                    func: h.clone(),
                    ty: 0,
                },
                Some(Definition::Extern(e)) => PreImport::Extern(*e),
                None => {
                    return Err(Error::new(
                        ErrorKind::Link,
                        format!(
                            "unknown import: `{}::{}` ({}) has not been defined",
                            imp.module,
                            imp.name,
                            module.inner.info.entity_type(imp.index).kind_name()
                        ),
                    ))
                }
            });
        }
        InstancePre::new(module, imports)
    }

    /// Instantiates `module`, resolving its imports here, and runs its start function.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let store = store.as_context_mut().0;
        let imports = self.resolve_imports(&mut *store, module)?;
        let inst = instantiate(store, module, &imports)?;
        inst.run_start(store)?;
        Ok(inst)
    }

    /// Instantiates `module` and defines its exports under `name`.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let store = store.as_context_mut().0;
        let inst = self.instantiate(&mut *store, module)?;
        self.instance(&*store, name, inst)
    }
}
