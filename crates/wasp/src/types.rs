//! Type descriptions of the public API: value, function, table, memory and global types.

use std::fmt;

/// A WebAssembly value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// A nullable reference to a function.
    FuncRef,
    /// A nullable reference to a host value.
    ExternRef,
    /// A 128-bit SIMD vector.
    V128,
    /// A nullable reference to a caught exception (exception handling).
    ExnRef,
    /// A nullable reference of the `any` hierarchy (GC): `anyref`, `eqref`,
    /// `i31ref`, `structref`, `arrayref`, references to defined struct and
    /// array types, and `nullref`.
    AnyRef,
}

impl ValType {
    /// Is this a reference type?
    pub fn is_ref(self) -> bool {
        matches!(
            self,
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef | ValType::AnyRef
        )
    }

    /// Frame slots (u64) a value of this type occupies: 2 for a `v128`, else 1.
    pub(crate) fn slots(self) -> usize {
        if self == ValType::V128 {
            2
        } else {
            1
        }
    }

    /// Slots a sequence of values takes ([`ValType::slots`] summed).
    pub(crate) fn slots_of(tys: &[ValType]) -> usize {
        tys.iter().map(|t| t.slots()).sum()
    }

    pub(crate) fn from_wasmparser(t: wasmparser::ValType) -> Option<ValType> {
        use wasmparser::ValType as W;
        Some(match t {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::V128 => ValType::V128,
            // Typed references travel as their family's representation:
            // function-like heap types as funcrefs, the `any` hierarchy as
            // anyrefs, extern and exception types as theirs.
            W::Ref(r) => match r.heap_type() {
                wasmparser::HeapType::Abstract { shared: true, .. } => return None,
                wasmparser::HeapType::Abstract { ty, .. } => {
                    use wasmparser::AbstractHeapType as A;
                    match ty {
                        A::Func | A::NoFunc => ValType::FuncRef,
                        A::Extern | A::NoExtern => ValType::ExternRef,
                        A::Any | A::Eq | A::I31 | A::Struct | A::Array | A::None => ValType::AnyRef,
                        A::Exn | A::NoExn => ValType::ExnRef,
                        _ => return None,
                    }
                }
                // A defined type: a function type unless the module says
                // otherwise (`module/canon.rs` maps struct/array refs to
                // anyrefs with the module's types at hand).
                wasmparser::HeapType::Concrete(_) => ValType::FuncRef,
                wasmparser::HeapType::Exact(_) => return None,
            },
        })
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::V128 => "v128",
            ValType::ExnRef => "exnref",
            ValType::AnyRef => "anyref",
        })
    }
}

/// The heap type of a reference type (WebAssembly 3.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// The bottom of the function types (`nofunc`; only null).
    NoFunc,
    /// Any host reference (`extern`).
    Extern,
    /// The bottom of the extern types (`noextern`; only null).
    NoExtern,
    /// `any` (GC).
    Any,
    /// `eq` (GC).
    Eq,
    /// `i31` (GC).
    I31,
    /// `struct` (GC).
    Struct,
    /// `array` (GC).
    Array,
    /// The bottom of the `any` types (`none`).
    None,
    /// `exn` (exception references).
    Exn,
    /// The bottom of the exception types (`noexn`).
    NoExn,
    /// A defined type, by its engine type id: within one engine, equal ids
    /// are equal types (iso-recursive equivalence across modules).
    Concrete(u32),
}

/// A precise reference type: `(ref null? heap)`.
///
/// Values travel as [`ValType::FuncRef`] (every function-like heap type),
/// [`ValType::AnyRef`] (the `any` hierarchy: GC objects and `i31`s),
/// [`ValType::ExternRef`] or [`ValType::ExnRef`]; a `RefType` describes
/// what an import or export declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefType {
    /// May the reference be null?
    pub nullable: bool,
    /// What it refers to.
    pub heap: HeapType,
}

impl RefType {
    /// `funcref`: `(ref null func)`.
    pub const FUNCREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Func,
    };
    /// `externref`: `(ref null extern)`.
    pub const EXTERNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Extern,
    };
    /// `anyref`: `(ref null any)`.
    pub const ANYREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Any,
    };
    /// `exnref`: `(ref null exn)`.
    pub const EXNREF: RefType = RefType {
        nullable: true,
        heap: HeapType::Exn,
    };

    /// The default precise type of a value type: `funcref`/`externref` for
    /// the reference types, `None` for numbers.
    pub fn of(t: ValType) -> Option<RefType> {
        match t {
            ValType::FuncRef => Some(RefType::FUNCREF),
            ValType::ExternRef => Some(RefType::EXTERNREF),
            ValType::AnyRef => Some(RefType::ANYREF),
            ValType::ExnRef => Some(RefType::EXNREF),
            _ => None,
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "null " } else { "" };
        match self.heap {
            HeapType::Concrete(id) => write!(f, "(ref {null}type#{id})"),
            h => write!(f, "(ref {null}{})", format!("{h:?}").to_lowercase()),
        }
    }
}

/// The type of a function: parameters and results.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FuncType {
    params: Box<[ValType]>,
    results: Box<[ValType]>,
}

impl FuncType {
    /// Creates a function type.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> Self {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// The parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// Frame slots the parameters take (a `v128` takes two).
    pub(crate) fn param_slots(&self) -> usize {
        ValType::slots_of(&self.params)
    }

    /// Frame slots the results take (a `v128` takes two).
    pub(crate) fn result_slots(&self) -> usize {
        ValType::slots_of(&self.results)
    }

    /// The result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| {
            v.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

/// Size limits of a table or memory, in elements or 64 KiB pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Initial size.
    pub min: u32,
    /// Maximum size, if declared.
    pub max: Option<u32>,
}

impl Limits {
    /// Is `self` a subtype of `other` (import matching)?
    pub fn matches(&self, other: &Limits) -> bool {
        self.min >= other.min
            && match (self.max, other.max) {
                (_, None) => true,
                (Some(a), Some(b)) => a <= b,
                (None, Some(_)) => false,
            }
    }
}

/// Size limits of a linear memory, in pages of its page size: 64-bit
/// (memory64 memories and 1-byte pages need more than 32 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryLimits {
    /// Initial size in pages.
    pub min: u64,
    /// Maximum size in pages, if declared.
    pub max: Option<u64>,
}

impl MemoryLimits {
    /// Is `self` a subtype of `other` (import matching)?
    pub fn matches(&self, other: &MemoryLimits) -> bool {
        self.min >= other.min
            && match (self.max, other.max) {
                (_, None) => true,
                (Some(a), Some(b)) => a <= b,
                (None, Some(_)) => false,
            }
    }
}

/// The type of a linear memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Limits in pages of `1 << page_size_log2` bytes.
    pub limits: MemoryLimits,
    /// Addressed with i64 (the memory64 proposal) instead of i32.
    pub memory64: bool,
    /// Log2 of the page size: 16 (64 KiB, the default) or 0 (1 byte, the
    /// custom-page-sizes proposal).
    pub page_size_log2: u8,
}

impl MemoryType {
    /// Creates a 32-bit memory type of 64 KiB pages with `min` pages and an
    /// optional maximum.
    pub fn new(min: u32, max: Option<u32>) -> Self {
        MemoryType {
            limits: MemoryLimits {
                min: min.into(),
                max: max.map(u64::from),
            },
            memory64: false,
            page_size_log2: 16,
        }
    }

    /// Creates a 64-bit (memory64) memory type of 64 KiB pages.
    pub fn new64(min: u64, max: Option<u64>) -> Self {
        MemoryType {
            limits: MemoryLimits { min, max },
            memory64: true,
            page_size_log2: 16,
        }
    }

    /// The same type with pages of `1 << log2` bytes (0 or 16).
    pub fn with_page_size_log2(mut self, log2: u8) -> Self {
        self.page_size_log2 = log2;
        self
    }

    /// Bytes per page.
    pub fn page_size(&self) -> u64 {
        1 << self.page_size_log2
    }

    /// The largest size in pages that its index type can address
    /// (2^32 or 2^64 bytes).
    pub fn max_addressable_pages(&self) -> u64 {
        if self.memory64 {
            u64::MAX >> self.page_size_log2
        } else {
            (1u64 << 32) >> self.page_size_log2
        }
    }

    /// Is a memory of type `self` usable where `other` is expected (import
    /// matching: same index type and page size, limits within)?
    pub fn matches(&self, other: &MemoryType) -> bool {
        self.memory64 == other.memory64
            && self.page_size_log2 == other.page_size_log2
            && self.limits.matches(&other.limits)
    }
}

/// The type of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TableType {
    /// Element type (`FuncRef` or `ExternRef`).
    pub element: ValType,
    /// Limits in elements.
    pub limits: Limits,
    /// The precise element type (see [`TableType::ref_type`]).
    precise: Option<RefType>,
}

impl TableType {
    /// Creates a table type.
    pub fn new(element: ValType, min: u32, max: Option<u32>) -> Self {
        TableType {
            element,
            limits: Limits { min, max },
            precise: RefType::of(element),
        }
    }

    /// The same table type with the precise element type `r` (such as
    /// `(ref $t)`); `element` stays its value representation.
    pub fn with_ref_type(mut self, r: RefType) -> Self {
        self.precise = Some(r);
        self
    }

    /// The precise element type: `(ref null func)` for a plain `funcref`.
    pub fn ref_type(&self) -> RefType {
        self.precise.unwrap_or(RefType::FUNCREF)
    }
}

/// Whether a global can be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// Immutable (`const`).
    Const,
    /// Mutable (`var`).
    Var,
}

/// The type of a global.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// Value type.
    pub content: ValType,
    /// Mutability.
    pub mutability: Mutability,
    /// The precise reference type of a reference global.
    precise: Option<RefType>,
}

impl GlobalType {
    /// Creates a global type.
    pub fn new(content: ValType, mutability: Mutability) -> Self {
        GlobalType {
            content,
            mutability,
            precise: RefType::of(content),
        }
    }

    /// The same global type with the precise reference type `r` (such as
    /// `(ref null $t)`); `content` stays its value representation.
    pub fn with_ref_type(mut self, r: RefType) -> Self {
        self.precise = Some(r);
        self
    }

    /// The precise reference type of a reference global (`None` for numbers).
    pub fn ref_type(&self) -> Option<RefType> {
        self.precise
    }
}

/// The type of an import or export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// An exception tag: the types of its payload are the parameters of
    /// the function type (whose results are empty).
    Tag(FuncType),
}

impl ExternType {
    /// A short name of the kind: "func", "table", "memory", "global" or "tag".
    pub fn kind_name(&self) -> &'static str {
        match self {
            ExternType::Func(_) => "func",
            ExternType::Table(_) => "table",
            ExternType::Memory(_) => "memory",
            ExternType::Global(_) => "global",
            ExternType::Tag(_) => "tag",
        }
    }
}

/// An import of a module: where from and what type.
#[derive(Debug, Clone)]
pub struct ImportType<'a> {
    pub(crate) module: &'a str,
    pub(crate) name: &'a str,
    pub(crate) ty: ExternType,
}

impl<'a> ImportType<'a> {
    /// The module name of the import.
    pub fn module(&self) -> &'a str {
        self.module
    }
    /// The field name of the import.
    pub fn name(&self) -> &'a str {
        self.name
    }
    /// The expected type.
    pub fn ty(&self) -> &ExternType {
        &self.ty
    }
}

/// An export of a module: its name and type.
#[derive(Debug, Clone)]
pub struct ExportType<'a> {
    pub(crate) name: &'a str,
    pub(crate) ty: ExternType,
}

impl<'a> ExportType<'a> {
    /// The export's name.
    pub fn name(&self) -> &'a str {
        self.name
    }
    /// The export's type.
    pub fn ty(&self) -> &ExternType {
        &self.ty
    }
}
