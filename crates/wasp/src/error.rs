//! Errors and traps: every way a wasp operation can fail, as values.
//!
//! [`Error`] is the one error type of the public API. A [`Trap`] carries the
//! [`TrapCode`] (what went wrong) and a wasm backtrace (where), with function
//! names from the module's `name` section when it has one.
//!
//! Host functions may fail with any error type ([`Error::from_host`]): it
//! becomes an [`ErrorKind::Host`] error that ends the wasm execution like a
//! trap and carries the backtrace of the wasm that called the function. An
//! [`Error`] (a trap, an exit) returned by a host function, directly or inside
//! an `anyhow::Error` (feature `anyhow`), keeps its kind.
//!
//! [`Error`]'s `Display` tells the whole story (message, host error chain,
//! backtrace) and its `source()` is `None`, so error reporters that walk the
//! source chain (`anyhow`'s `{:#}` and `{:?}`) print each part once.

use std::any::Any;
use std::fmt;

/// The kind of a WebAssembly trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCode {
    /// An `unreachable` instruction was executed.
    Unreachable,
    /// A load or store (or bulk memory operation) was out of bounds.
    MemoryOutOfBounds,
    /// A table access (or bulk table operation) was out of bounds.
    TableOutOfBounds,
    /// `call_indirect` found a null entry in the table.
    IndirectCallToNull,
    /// `call_indirect` found a function of the wrong type.
    BadSignature,
    /// Integer division or remainder by zero.
    IntegerDivideByZero,
    /// Integer overflow (`i32.div_s` of `MIN / -1`, or a float-to-int truncation out of range).
    IntegerOverflow,
    /// A float-to-int truncation of NaN.
    BadConversionToInteger,
    /// A null reference was dereferenced.
    NullReference,
    /// The wasm call stack (frames or value slots) is exhausted.
    StackExhausted,
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement,
    /// Execution was stopped by an [`InterruptHandle`](crate::InterruptHandle).
    Interrupted,
    /// The store's deadline passed ([`Store::set_deadline`](crate::Store::set_deadline)).
    DeadlineExceeded,
    /// The store ran out of fuel ([`Config::consume_fuel`](crate::Config::consume_fuel)).
    OutOfFuel,
    /// `call_ref` or `return_call_ref` of a null function reference.
    NullFunctionReference,
    /// A `struct.get`/`struct.set` of a null reference (GC).
    NullStructReference,
    /// An `array.*` instruction on a null reference (GC).
    NullArrayReference,
    /// `i31.get_s`/`i31.get_u` of a null reference (GC).
    NullI31Reference,
    /// An array access (or bulk array operation) out of bounds (GC).
    ArrayOutOfBounds,
    /// `ref.cast` of a value not of the target type (GC).
    CastFailure,
    /// An allocation did not fit in the store's GC heap limit
    /// ([`Config::max_gc_heap`](crate::Config::max_gc_heap)), even after
    /// a collection.
    GcHeapExhausted,
}

impl TrapCode {
    /// A short human-readable description, as the spec test suite phrases it.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::IntegerDivideByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::NullReference => "null reference",
            TrapCode::StackExhausted => "call stack exhausted",
            TrapCode::UndefinedElement => "undefined element",
            TrapCode::Interrupted => "interrupted",
            TrapCode::DeadlineExceeded => "deadline exceeded",
            TrapCode::OutOfFuel => "out of fuel",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::NullStructReference => "null structure reference",
            TrapCode::NullArrayReference => "null array reference",
            TrapCode::NullI31Reference => "null i31 reference",
            TrapCode::ArrayOutOfBounds => "out of bounds array access",
            TrapCode::CastFailure => "cast failure",
            TrapCode::GcHeapExhausted => "GC heap exhausted",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// One frame of a wasm backtrace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameInfo {
    /// Index of the function in its module's function index space.
    pub func_index: u32,
    /// The function's name from the `name` section, if present.
    pub func_name: Option<String>,
    /// The name of the module (from the `name` section), if present.
    pub module_name: Option<String>,
    /// The frame's position inside the function, as the store's
    /// [`PositionProbe`](crate::PositionProbe) computed it when the trap
    /// happened (`None` without a probe).
    pub position: Option<u64>,
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = &self.module_name {
            write!(f, "{m}!")?;
        }
        match &self.func_name {
            Some(n) => write!(f, "{n}"),
            None => write!(f, "<wasm function {}>", self.func_index),
        }
    }
}

/// A WebAssembly trap: its kind and the wasm backtrace, innermost frame first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    code: TrapCode,
    backtrace: Vec<FrameInfo>,
}

impl Trap {
    /// Creates a trap without a backtrace.
    pub fn new(code: TrapCode) -> Self {
        Trap {
            code,
            backtrace: Vec::new(),
        }
    }

    pub(crate) fn with_backtrace(code: TrapCode, backtrace: Vec<FrameInfo>) -> Self {
        Trap { code, backtrace }
    }

    /// The kind of trap.
    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// The wasm frames active when the trap happened, innermost first.
    pub fn backtrace(&self) -> &[FrameInfo] {
        &self.backtrace
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "wasm trap: {}", self.code)?;
        write_backtrace(f, &self.backtrace)
    }
}

/// Writes `\nwasm backtrace:` and one line per frame (nothing if empty).
fn write_backtrace(f: &mut fmt::Formatter<'_>, backtrace: &[FrameInfo]) -> fmt::Result {
    if !backtrace.is_empty() {
        write!(f, "\nwasm backtrace:")?;
        for (i, frame) in backtrace.iter().enumerate() {
            write!(f, "\n  {i:>3}: {frame}")?;
        }
    }
    Ok(())
}

impl std::error::Error for Trap {}

/// What kind of failure an [`Error`] is.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The module bytes are malformed (cannot be decoded) or the text cannot be parsed.
    Malformed,
    /// The module decodes but does not validate.
    Invalid,
    /// The module uses a feature wasp does not support (e.g. SIMD).
    Unsupported,
    /// Linking failed: a missing or mismatched import.
    Link,
    /// A WebAssembly trap.
    Trap(Trap),
    /// The guest asked to exit the process with this status (WASI `proc_exit`).
    Exit(i32),
    /// A host-defined error, returned by a host function (see
    /// [`Error::from_host`]); [`Error::downcast_ref`] reaches it by type.
    Host(Box<dyn std::error::Error + Send + Sync>),
    /// A misuse of the API (wrong argument types or count, unknown export, ...).
    Usage,
    /// An uncaught WebAssembly exception: it escaped every wasm frame of the
    /// call (see [`Error::exception`]). Returned by a host function, it is
    /// thrown in its wasm caller instead.
    Exception(Box<crate::exception::Exception>),
}

/// The error type of every fallible wasp operation.
///
/// `Display` shows everything: the message (for a host error, its whole
/// `source()` chain joined with `": "`) and, for a trap or a host error
/// raised under wasm, the wasm backtrace. `source()` is always `None`, so
/// reporters that also walk the chain (`anyhow`'s `{:#}`, `{:?}`) print the
/// message and backtrace once. The parts stay reachable: [`Error::kind`],
/// [`Error::trap`], [`Error::backtrace`], [`Error::downcast_ref`].
///
/// Converts from any error a host function may hit with `?`:
/// [`std::io::Error`], `String`, `&str`, `Box<dyn Error + Send + Sync>` and,
/// with the `anyhow` feature, `anyhow::Error`.
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// For a host error: the frames of the wasm that called the host function.
    backtrace: Vec<FrameInfo>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            backtrace: Vec::new(),
        }
    }

    /// An error with a plain message (kind [`ErrorKind::Usage`]); handy in host functions.
    pub fn msg(message: impl fmt::Display) -> Self {
        Error::new(ErrorKind::Usage, message.to_string())
    }

    /// The error a host function returns to make the guest exit with `status`.
    pub fn exit(status: i32) -> Self {
        Error::new(
            ErrorKind::Exit(status),
            format!("exit with status {status}"),
        )
    }

    /// Wraps any error returned by a host function (kind [`ErrorKind::Host`];
    /// the message is its `source()` chain joined with `": "`).
    pub fn host(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::from_boxed(Box::new(err))
    }

    /// The error of a failed host function, whatever its type: an [`Error`]
    /// (or one inside an `anyhow::Error` with the `anyhow` feature) as it is,
    /// so traps and exits keep their meaning; a [`Trap`] as a trap; anything
    /// else (`std::io::Error`, `String`, `&str`, any `std::error::Error`,
    /// `anyhow::Error`) as an [`ErrorKind::Host`] error with its message.
    ///
    /// This is what happens to the `Err` of a host closure that returns
    /// `Result<R, E>` ([`IntoFunc`](crate::IntoFunc)).
    pub fn from_host<E>(err: E) -> Error
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let mut slot = Some(err);
        let any: &mut dyn Any = &mut slot;
        if let Some(e) = any.downcast_mut::<Option<Error>>() {
            return e.take().expect("just set");
        }
        #[cfg(feature = "anyhow")]
        if let Some(e) = any.downcast_mut::<Option<anyhow::Error>>() {
            return Error::from(e.take().expect("just set"));
        }
        Error::from_boxed(slot.take().expect("just set").into())
    }

    /// A boxed host error: unboxes an [`Error`] or a [`Trap`], wraps the rest.
    fn from_boxed(err: Box<dyn std::error::Error + Send + Sync>) -> Error {
        let err = match err.downcast::<Error>() {
            Ok(e) => return *e,
            Err(e) => e,
        };
        let err = match err.downcast::<Trap>() {
            Ok(t) => return Error::from(*t),
            Err(e) => e,
        };
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            let part = s.to_string();
            // Some errors already include their source's message.
            if !message.ends_with(&part) {
                message.push_str(": ");
                message.push_str(&part);
            }
            source = s.source();
        }
        Error::new(ErrorKind::Host(err), message)
    }

    /// The host error of type `E` behind this error ([`ErrorKind::Host`]),
    /// or the [`Trap`] when `E` is `Trap`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        match &self.kind {
            ErrorKind::Host(e) => e.downcast_ref::<E>(),
            ErrorKind::Trap(t) => (t as &dyn std::error::Error).downcast_ref::<E>(),
            _ => None,
        }
    }

    /// The wasm frames active when the error happened, innermost first: a
    /// trap's backtrace, or for a host error the wasm that called the host
    /// function (empty when it was called from the host).
    pub fn backtrace(&self) -> &[FrameInfo] {
        match &self.kind {
            ErrorKind::Trap(t) => t.backtrace(),
            _ => &self.backtrace,
        }
    }

    /// What kind of error this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The trap, if this error is a WebAssembly trap.
    pub fn trap(&self) -> Option<&Trap> {
        match &self.kind {
            ErrorKind::Trap(t) => Some(t),
            _ => None,
        }
    }

    /// The trap code, if this error is a WebAssembly trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        self.trap().map(Trap::code)
    }

    /// The exception, if this error is an uncaught WebAssembly exception:
    /// its tag and payload values.
    pub fn exception(&self) -> Option<&crate::exception::Exception> {
        match &self.kind {
            ErrorKind::Exception(e) => Some(e),
            _ => None,
        }
    }

    /// The exit status, if the guest requested to exit (e.g. WASI `proc_exit`).
    pub fn exit_status(&self) -> Option<i32> {
        match self.kind {
            ErrorKind::Exit(s) => Some(s),
            _ => None,
        }
    }

    /// The error message without the backtrace.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Gives a trap or a host error that has no backtrace (one a host
    /// function returned) the backtrace `frames` computes.
    pub(crate) fn fill_backtrace(&mut self, frames: impl FnOnce() -> Vec<FrameInfo>) {
        match &mut self.kind {
            ErrorKind::Trap(t) if t.backtrace.is_empty() => t.backtrace = frames(),
            ErrorKind::Host(_) if self.backtrace.is_empty() => self.backtrace = frames(),
            _ => {}
        }
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Self {
        let message = t.code().message().to_string();
        Error::new(ErrorKind::Trap(t), message)
    }
}

impl From<TrapCode> for Error {
    fn from(c: TrapCode) -> Self {
        Trap::new(c).into()
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::host(e)
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::from_boxed(message.into())
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::from_boxed(message.into())
    }
}

impl From<Box<dyn std::error::Error + Send + Sync>> for Error {
    fn from(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        Error::from_boxed(e)
    }
}

/// An `anyhow::Error` that wraps an [`Error`] or a [`Trap`] gives it back
/// (its context is lost); any other is a host error whose message is the
/// whole chain, as `{:#}` prints it.
#[cfg(feature = "anyhow")]
impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        let e = match e.downcast::<Error>() {
            Ok(e) => return e,
            Err(e) => e,
        };
        let e = match e.downcast::<Trap>() {
            Ok(t) => return Error::from(t),
            Err(e) => e,
        };
        let message = format!("{e:#}");
        Error::new(ErrorKind::Host(e.into()), message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Trap(t) => t.fmt(f),
            _ => {
                f.write_str(&self.message)?;
                write_backtrace(f, &self.backtrace)
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({:?}: {})", kind_name(&self.kind), self)
    }
}

fn kind_name(k: &ErrorKind) -> &'static str {
    match k {
        ErrorKind::Malformed => "Malformed",
        ErrorKind::Invalid => "Invalid",
        ErrorKind::Unsupported => "Unsupported",
        ErrorKind::Link => "Link",
        ErrorKind::Trap(_) => "Trap",
        ErrorKind::Exit(_) => "Exit",
        ErrorKind::Host(_) => "Host",
        ErrorKind::Usage => "Usage",
        ErrorKind::Exception(_) => "Exception",
    }
}

/// `source()` is `None`: `Display` already shows the whole chain (see [`Error`]).
impl std::error::Error for Error {}

/// Result alias used throughout the API.
pub type Result<T, E = Error> = std::result::Result<T, E>;
