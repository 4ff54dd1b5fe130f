//! Functions: [`Func`] handles, host functions, [`Caller`], and typed calls.
//!
//! Every host function is stored in one shape: a closure over the raw argument
//! slots (`&mut [u64]`, results written back in place). [`Func::wrap`] and
//! [`Linker::func_wrap`](crate::Linker::func_wrap) build that shape from
//! ordinary Rust closures with typed parameters, with or without a leading
//! [`Caller`], returning results or `Result<results, E>` for any error type
//! `E` ([`WasmRet`]).

use crate::error::{Error, ErrorKind, Result};
use crate::instance::Extern;
use crate::store::{
    AsContext, AsContextMut, FuncEntity, FuncKind, Store, StoreContext, StoreContextMut, StoreId,
    StoreInner, Stored,
};
use crate::types::{FuncType, ValType};
use crate::value::{AnyRef, ExternRef, Val};
use std::marker::PhantomData;
use std::sync::Arc;

/// The raw shape of every host function: arguments in, results written back in place.
pub(crate) type HostFn<T> = dyn Fn(Caller<'_, T>, &mut [u64]) -> Result<()> + Send + Sync;

/// A host function with its type, not yet bound to a store. Cloning it is
/// two reference-count increments (a store keeps one per allocation).
pub(crate) struct HostFunc<T> {
    pub ty: Arc<FuncType>,
    pub func: Arc<HostFn<T>>,
}

impl<T> Clone for HostFunc<T> {
    fn clone(&self) -> Self {
        HostFunc {
            ty: self.ty.clone(),
            func: self.func.clone(),
        }
    }
}

impl<T> HostFunc<T> {
    /// Allocates this host function in `store`.
    pub(crate) fn alloc(self, store: &mut Store<T>) -> Func {
        let ty = store.inner.engine.intern(&self.ty);
        self.alloc_interned(store, ty)
    }

    /// Allocates this host function in `store`, its type already interned
    /// as `ty` in the store's engine.
    pub(crate) fn alloc_interned(self, store: &mut Store<T>, ty: u32) -> Func {
        let entity = FuncEntity {
            ty,
            params: self.ty.param_slots() as u16,
            results: self.ty.result_slots() as u16,
            kind: FuncKind::Host(store.host_funcs.len() as u32),
        };
        store.host_funcs.push(self);
        // Indices from `DEFINED_BASE` on are defined functions (2^31 host
        // functions would not fit in memory anyway).
        assert!(
            store.inner.funcs.len() < crate::store::DEFINED_BASE as usize,
            "wasp: too many host functions in one store"
        );
        store.inner.funcs.push(entity);
        Func(Stored::new(
            store.inner.id,
            store.inner.funcs.len() as u32 - 1,
        ))
    }
}

/// A function (wasm or host) in a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Func(pub(crate) Stored);

impl Func {
    /// The store index; panics if the handle belongs to another store.
    #[track_caller]
    pub(crate) fn idx(&self, inner: &StoreInner) -> u32 {
        self.0.index(inner, "Func") as u32
    }

    /// Creates a host function from a closure taking a [`Caller`] and typed parameters.
    ///
    /// ```
    /// # use wasp::*;
    /// let engine = Engine::default();
    /// let mut store = Store::new(&engine, ());
    /// let add = Func::wrap(&mut store, |_: Caller<'_, ()>, a: i32, b: i32| a + b);
    /// let sum = add.typed::<(i32, i32), i32>(&store).unwrap().call(&mut store, (2, 3)).unwrap();
    /// assert_eq!(sum, 5);
    /// ```
    pub fn wrap<T, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let store = store.as_context_mut().0;
        f.into_host_func().alloc(store)
    }

    /// Creates a host function of type `ty` from a closure over [`Val`]s.
    pub fn new<T>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let store = store.as_context_mut().0;
        host_func_from_vals(ty, f).alloc(store)
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let ctx = store.as_context();
        ctx.0
            .inner
            .engine
            .func_type(ctx.0.inner.func(self.idx(&ctx.0.inner)).ty)
    }

    /// Calls the function with `params`, writing `results`. Checks types and counts.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let store = store.as_context_mut().0;
        let ty = self.ty(&*store);
        if params.len() != ty.params().len() || results.len() != ty.results().len() {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "function of type {ty} called with {} arguments and {} result slots",
                    params.len(),
                    results.len()
                ),
            ));
        }
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            p.check(*t, &store.inner, &format!("argument {i}"))?;
        }
        let mut raw = vec![0u64; ty.param_slots().max(ty.result_slots())];
        Val::write_slots(params, &mut raw);
        let f = self.idx(&store.inner);
        crate::exec::call(store, f, &mut raw)?;
        crate::value::root_refs(&store.inner, &raw, ty.results());
        let id = store.inner.id;
        for (v, out) in Val::read_slots(&raw, ty.results(), id).zip(results.iter_mut()) {
            *out = v;
        }
        Ok(())
    }

    /// A typed view of the function; fails if `Params`/`Results` do not match its type.
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<Params, Results>> {
        let ty = self.ty(store);
        if ty.params() != Params::types().as_slice() || ty.results() != Results::types().as_slice()
        {
            return Err(Error::new(
                ErrorKind::Usage,
                format!(
                    "type mismatch: function has type {ty}, requested {}",
                    FuncType::new(Params::types(), Results::types())
                ),
            ));
        }
        Ok(TypedFunc {
            func: *self,
            _marker: PhantomData,
        })
    }
}

pub(crate) fn host_func_from_vals<T>(
    ty: FuncType,
    f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
) -> HostFunc<T> {
    let ty2 = ty.clone();
    HostFunc {
        ty: Arc::new(ty),
        func: Arc::new(move |caller: Caller<'_, T>, raw: &mut [u64]| {
            let id = caller.store.inner.id;
            crate::value::root_refs(&caller.store.inner, raw, ty2.params());
            let params: Vec<Val> = Val::read_slots(raw, ty2.params(), id).collect();
            let mut results: Vec<Val> =
                ty2.results().iter().map(|t| Val::default_for(*t)).collect();
            f(caller, &params, &mut results)?;
            for (i, (v, t)) in results.iter().zip(ty2.results()).enumerate() {
                if !v.belongs_to_id(id) {
                    return Err(Error::new(
                        ErrorKind::Usage,
                        format!("host function result {i}: the reference belongs to another store"),
                    ));
                }
                if v.ty() != *t {
                    return Err(Error::new(
                        ErrorKind::Usage,
                        format!("host function result {i}: expected {t}, got {}", v.ty()),
                    ));
                }
            }
            Val::write_slots(&results, raw);
            Ok(())
        }),
    }
}

/// A function with statically known parameter and result types.
pub struct TypedFunc<Params, Results> {
    func: Func,
    _marker: PhantomData<fn(Params) -> Results>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut, params: Params) -> Result<Results> {
        let store = store.as_context_mut().0;
        let mut raw = [0u64; 16];
        let n = Params::LEN.max(Results::LEN);
        let mut heap;
        let buf: &mut [u64] = if n <= 16 {
            &mut raw[..n]
        } else {
            heap = vec![0u64; n];
            &mut heap
        };
        let f = self.func.idx(&store.inner);
        let id = store.inner.id;
        params.store_raw(buf, id);
        crate::exec::call(store, f, buf)?;
        if Results::HAS_GC_REFS {
            crate::value::root_refs(&store.inner, buf, &Results::types());
        }
        Ok(Results::load_raw(buf, id))
    }

    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }
}

/// The context a host function runs in: the store and the calling instance.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut Store<T>,
    pub(crate) instance: Option<u32>,
}

impl<'a, T> Caller<'a, T> {
    /// The host state.
    pub fn data(&self) -> &T {
        &self.store.data
    }

    /// The host state, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.data
    }

    /// The engine.
    pub fn engine(&self) -> &crate::Engine {
        &self.store.inner.engine
    }

    /// What a host function polls so that an interrupt or the store's
    /// deadline wakes it from a blocking wait ([`InterruptWaker`](crate::InterruptWaker)).
    pub fn interrupt_waker(&self) -> crate::InterruptWaker {
        crate::InterruptWaker(self.store.inner.stack.attention.clone())
    }

    /// The store's fuel left ([`Store::get_fuel`]).
    pub fn get_fuel(&self) -> Result<u64> {
        self.store.get_fuel()
    }

    /// Sets the store's fuel left ([`Store::set_fuel`]), e.g. to charge for
    /// host work.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.store.set_fuel(fuel)
    }

    /// An export of the calling instance (e.g. its `"memory"`), if it has one.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        let inst = self.instance?;
        crate::instance::Instance(Stored::new(self.store.inner.id, inst))
            .get_export(&*self.store, name)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store)
    }
}
impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store)
    }
}

/// A Rust type that maps to one WebAssembly value type.
pub trait WasmTy: Sized + 'static {
    /// The WebAssembly type.
    const TY: ValType;
    /// The raw slot bits; panics if a reference belongs to another store.
    #[doc(hidden)]
    fn to_raw(self, store: StoreId) -> u64;
    /// The value of raw slot bits; references become handles of `store`.
    #[doc(hidden)]
    fn from_raw(raw: u64, store: StoreId) -> Self;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, |$s:ident, $sid:ident| $to:expr, |$r:ident, $rid:ident| $from:expr;)*) => {$(
        impl WasmTy for $t {
            const TY: ValType = ValType::$vt;
            #[allow(unused_variables)]
            fn to_raw(self, $sid: StoreId) -> u64 { let $s = self; $to }
            #[allow(unused_variables)]
            fn from_raw($r: u64, $rid: StoreId) -> Self { $from }
        }
    )*};
}

/// The raw bits of an optional reference, checked against `store`;
/// `bias` is added to the handle's index (1 for function references, 0
/// for the tagged `extern`/`any` encoding, `gc/mod.rs`).
#[track_caller]
fn ref_to_raw(r: Option<Stored>, store: StoreId, what: &str, bias: u64) -> u64 {
    r.map_or(0, |s| {
        assert!(
            s.belongs_to_id(store),
            "wasp: {what} used with a store other than the one that created it"
        );
        s.raw() as u64 + bias
    })
}
wasm_ty! {
    i32 => I32, |s, id| s as u32 as u64, |r, id| r as u32 as i32;
    u32 => I32, |s, id| s as u64, |r, id| r as u32;
    i64 => I64, |s, id| s as u64, |r, id| r as i64;
    u64 => I64, |s, id| s, |r, id| r;
    f32 => F32, |s, id| s.to_bits() as u64, |r, id| f32::from_bits(r as u32);
    f64 => F64, |s, id| s.to_bits(), |r, id| f64::from_bits(r);
    Option<Func> => FuncRef, |s, id| ref_to_raw(s.map(|f| f.0), id, "Func", 1),
        |r, id| r.checked_sub(1).map(|i| Func(Stored::new(id, i as u32)));
    Option<ExternRef> => ExternRef, |s, id| ref_to_raw(s.map(|e| e.0), id, "ExternRef", 0),
        |r, id| (r != 0).then(|| ExternRef(Stored::new(id, r as u32)));
    Option<AnyRef> => AnyRef, |s, id| ref_to_raw(s.map(|e| e.0), id, "AnyRef", 0),
        |r, id| (r != 0).then(|| AnyRef(Stored::new(id, r as u32)));
}

/// Parameter lists of typed calls: `()`, a single [`WasmTy`], or a tuple of them.
pub trait WasmParams: Sized {
    /// Number of values.
    const LEN: usize;
    /// Does a value have a type whose references the collector traces
    /// (`externref`, `anyref`)?
    #[doc(hidden)]
    const HAS_GC_REFS: bool;
    /// The value types.
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn store_raw(self, out: &mut [u64], store: StoreId);
    #[doc(hidden)]
    fn load_raw(raw: &[u64], store: StoreId) -> Self;
}

/// Result lists of typed calls; the same shapes as [`WasmParams`].
pub trait WasmResults: WasmParams {}
impl<P: WasmParams> WasmResults for P {}

/// Does a value of type `t` need rooting when it is handed to the host?
const fn gc_ref(t: ValType) -> bool {
    matches!(t, ValType::AnyRef | ValType::ExternRef)
}

impl<A: WasmTy> WasmParams for A {
    const LEN: usize = 1;
    const HAS_GC_REFS: bool = gc_ref(A::TY);
    fn types() -> Vec<ValType> {
        vec![A::TY]
    }
    fn store_raw(self, out: &mut [u64], store: StoreId) {
        out[0] = self.to_raw(store);
    }
    fn load_raw(raw: &[u64], store: StoreId) -> Self {
        A::from_raw(raw[0], store)
    }
}

macro_rules! tuple_params {
    ($n:expr; $($a:ident $i:tt),*) => {
        impl<$($a: WasmTy),*> WasmParams for ($($a,)*) {
            const LEN: usize = $n;
            const HAS_GC_REFS: bool = false $(|| gc_ref($a::TY))*;
            fn types() -> Vec<ValType> { vec![$($a::TY),*] }
            #[allow(unused_variables)]
            fn store_raw(self, out: &mut [u64], store: StoreId) { $(out[$i] = self.$i.to_raw(store);)* }
            #[allow(unused_variables, clippy::unused_unit)]
            fn load_raw(raw: &[u64], store: StoreId) -> Self { ($($a::from_raw(raw[$i], store),)*) }
        }
    };
}
tuple_params!(0;);
tuple_params!(1; A 0);
tuple_params!(2; A 0, B 1);
tuple_params!(3; A 0, B 1, C 2);
tuple_params!(4; A 0, B 1, C 2, D 3);
tuple_params!(5; A 0, B 1, C 2, D 3, E 4);
tuple_params!(6; A 0, B 1, C 2, D 3, E 4, F 5);
tuple_params!(7; A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_params!(8; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_params!(9; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_params!(10; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_params!(11; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_params!(12; A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// What a host closure may return: results, or `Result<results, E>` for an
/// error type `E` that converts into `Box<dyn Error + Send + Sync>`: any
/// `std::error::Error + Send + Sync` (`std::io::Error`, [`Error`], [`Trap`](crate::Trap)),
/// `anyhow::Error`, `String`, `&'static str`. So `?` works inside a host
/// function on whatever the closure's error type accepts.
///
/// An `Err` ends the wasm execution that called the function: the call
/// returns it as [`Error::from_host`] converts it (a [`Error`] or a trap
/// keeps its kind; anything else is an [`ErrorKind::Host`] error with the
/// message), with the backtrace of the calling wasm.
pub trait WasmRet {
    /// The results on success.
    type Ok: WasmResults;
    #[doc(hidden)]
    fn into_result(self) -> Result<Self::Ok>;
}

impl<R: WasmResults> WasmRet for R {
    type Ok = R;
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}

impl<R, E> WasmRet for std::result::Result<R, E>
where
    R: WasmResults,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
{
    type Ok = R;
    fn into_result(self) -> Result<R> {
        self.map_err(Error::from_host)
    }
}

/// Closures usable as host functions: `Fn(Caller<'_, T>, A1, ..., An) -> R`
/// or, when the function needs neither the store nor the calling instance,
/// `Fn(A1, ..., An) -> R`, where each `Ai` is a [`WasmTy`] and `R` is a
/// [`WasmRet`]. Up to 12 parameters.
///
/// ```
/// # use wasp::*;
/// let engine = Engine::default();
/// let mut linker: Linker<()> = Linker::new(&engine);
/// linker.func_wrap("env", "add", |a: i32, b: i32| a.wrapping_add(b)).unwrap();
/// linker
///     .func_wrap("env", "read", |path_len: i32| -> std::io::Result<i32> {
///         let meta = std::fs::metadata(".")?; // `?` on an io::Error
///         Ok(path_len + meta.is_dir() as i32)
///     })
///     .unwrap();
/// ```
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_host_func(self) -> HostFuncHandle<T>;
}

/// Opaque carrier of a host function (used by [`IntoFunc`]).
#[doc(hidden)]
pub struct HostFuncHandle<T>(pub(crate) HostFunc<T>);

impl<T> HostFuncHandle<T> {
    fn alloc(self, store: &mut Store<T>) -> Func {
        self.0.alloc(store)
    }
}

macro_rules! into_func {
    ($($a:ident $i:tt),*) => {
        impl<T, F, $($a,)* R> IntoFunc<T, (Caller<'_, T>, $($a,)*), R> for F
        where
            F: Fn(Caller<'_, T>, $($a),*) -> R + Send + Sync + 'static,
            $($a: WasmTy,)*
            R: WasmRet,
        {
            fn into_host_func(self) -> HostFuncHandle<T> {
                let ty = FuncType::new(vec![$($a::TY),*], <R::Ok as WasmParams>::types());
                HostFuncHandle(HostFunc {
                    ty: Arc::new(ty),
                    func: Arc::new(move |caller: Caller<'_, T>, raw: &mut [u64]| {
                        let id = caller.store.inner.id;
                        if false $(|| gc_ref($a::TY))* {
                            crate::value::root_refs(&caller.store.inner, raw, &[$($a::TY),*]);
                        }
                        #[allow(unused_variables)]
                        let r = (self)(caller, $($a::from_raw(raw[$i], id)),*).into_result()?;
                        r.store_raw(raw, id);
                        Ok(())
                    }),
                })
            }
        }

        impl<T, F, $($a,)* R> IntoFunc<T, ($($a,)*), R> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
            $($a: WasmTy,)*
            R: WasmRet,
        {
            fn into_host_func(self) -> HostFuncHandle<T> {
                let ty = FuncType::new(vec![$($a::TY),*], <R::Ok as WasmParams>::types());
                HostFuncHandle(HostFunc {
                    ty: Arc::new(ty),
                    func: Arc::new(move |caller: Caller<'_, T>, raw: &mut [u64]| {
                        let id = caller.store.inner.id;
                        if false $(|| gc_ref($a::TY))* {
                            crate::value::root_refs(&caller.store.inner, raw, &[$($a::TY),*]);
                        }
                        #[allow(unused_variables)]
                        let r = (self)($($a::from_raw(raw[$i], id)),*).into_result()?;
                        r.store_raw(raw, id);
                        Ok(())
                    }),
                })
            }
        }
    };
}
into_func!();
into_func!(A 0);
into_func!(A 0, B 1);
into_func!(A 0, B 1, C 2);
into_func!(A 0, B 1, C 2, D 3);
into_func!(A 0, B 1, C 2, D 3, E 4);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7, I 8);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7, I 8, J 9);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7, I 8, J 9, K 10);
into_func!(A 0, B 1, C 2, D 3, E 4, F1 5, G 6, H 7, I 8, J 9, K 10, L 11);
