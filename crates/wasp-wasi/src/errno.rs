//! WASI error numbers (`errno` in `typenames.witx`) and their mapping from host errors.
//!
//! Every WASI function returns an [`Errno`] as its `i32` result; `0` is success.
//! Host failures arrive as [`std::io::Error`] (from `std`/`cap-std`) or as
//! [`rustix::io::Errno`]; both convert with `From`. Host errors that have no
//! WASI counterpart become [`Errno::IO`]. Errors raised by the `cap-std`
//! sandbox when a path would leave its preopen (`..` past the root, absolute or
//! escaping symlinks) carry no OS error number and become [`Errno::NOTCAPABLE`].

use std::fmt;
use std::io;

/// A WASI preview 1 error number (`errno`, a `u16` in memory, an `i32` result).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(u16);

macro_rules! errnos {
    ($($name:ident = $val:expr, $lower:expr, $text:expr;)*) => {
        impl Errno {
            $(
                #[doc = $text]
                pub const $name: Errno = Errno($val);
            )*

            /// The WASI name of this error (e.g. `"badf"`), or `"unknown"`.
            pub fn name(self) -> &'static str {
                match self.0 {
                    $($val => $lower,)*
                    _ => "unknown",
                }
            }

            /// A one-line description of this error.
            pub fn description(self) -> &'static str {
                match self.0 {
                    $($val => $text,)*
                    _ => "unknown error",
                }
            }
        }
    };
}

errnos! {
    SUCCESS = 0, "success", "No error occurred. System call completed successfully.";
    TOOBIG = 1, "2big", "Argument list too long.";
    ACCES = 2, "acces", "Permission denied.";
    ADDRINUSE = 3, "addrinuse", "Address in use.";
    ADDRNOTAVAIL = 4, "addrnotavail", "Address not available.";
    AFNOSUPPORT = 5, "afnosupport", "Address family not supported.";
    AGAIN = 6, "again", "Resource unavailable, or operation would block.";
    ALREADY = 7, "already", "Connection already in progress.";
    BADF = 8, "badf", "Bad file descriptor.";
    BADMSG = 9, "badmsg", "Bad message.";
    BUSY = 10, "busy", "Device or resource busy.";
    CANCELED = 11, "canceled", "Operation canceled.";
    CHILD = 12, "child", "No child processes.";
    CONNABORTED = 13, "connaborted", "Connection aborted.";
    CONNREFUSED = 14, "connrefused", "Connection refused.";
    CONNRESET = 15, "connreset", "Connection reset.";
    DEADLK = 16, "deadlk", "Resource deadlock would occur.";
    DESTADDRREQ = 17, "destaddrreq", "Destination address required.";
    DOM = 18, "dom", "Mathematics argument out of domain of function.";
    DQUOT = 19, "dquot", "Reserved.";
    EXIST = 20, "exist", "File exists.";
    FAULT = 21, "fault", "Bad address.";
    FBIG = 22, "fbig", "File too large.";
    HOSTUNREACH = 23, "hostunreach", "Host is unreachable.";
    IDRM = 24, "idrm", "Identifier removed.";
    ILSEQ = 25, "ilseq", "Illegal byte sequence.";
    INPROGRESS = 26, "inprogress", "Operation in progress.";
    INTR = 27, "intr", "Interrupted function.";
    INVAL = 28, "inval", "Invalid argument.";
    IO = 29, "io", "I/O error.";
    ISCONN = 30, "isconn", "Socket is connected.";
    ISDIR = 31, "isdir", "Is a directory.";
    LOOP = 32, "loop", "Too many levels of symbolic links.";
    MFILE = 33, "mfile", "File descriptor value too large.";
    MLINK = 34, "mlink", "Too many links.";
    MSGSIZE = 35, "msgsize", "Message too large.";
    MULTIHOP = 36, "multihop", "Reserved.";
    NAMETOOLONG = 37, "nametoolong", "Filename too long.";
    NETDOWN = 38, "netdown", "Network is down.";
    NETRESET = 39, "netreset", "Connection aborted by network.";
    NETUNREACH = 40, "netunreach", "Network unreachable.";
    NFILE = 41, "nfile", "Too many files open in system.";
    NOBUFS = 42, "nobufs", "No buffer space available.";
    NODEV = 43, "nodev", "No such device.";
    NOENT = 44, "noent", "No such file or directory.";
    NOEXEC = 45, "noexec", "Executable file format error.";
    NOLCK = 46, "nolck", "No locks available.";
    NOLINK = 47, "nolink", "Reserved.";
    NOMEM = 48, "nomem", "Not enough space.";
    NOMSG = 49, "nomsg", "No message of the desired type.";
    NOPROTOOPT = 50, "noprotoopt", "Protocol not available.";
    NOSPC = 51, "nospc", "No space left on device.";
    NOSYS = 52, "nosys", "Function not supported.";
    NOTCONN = 53, "notconn", "The socket is not connected.";
    NOTDIR = 54, "notdir", "Not a directory or a symbolic link to a directory.";
    NOTEMPTY = 55, "notempty", "Directory not empty.";
    NOTRECOVERABLE = 56, "notrecoverable", "State not recoverable.";
    NOTSOCK = 57, "notsock", "Not a socket.";
    NOTSUP = 58, "notsup", "Not supported, or operation not supported on socket.";
    NOTTY = 59, "notty", "Inappropriate I/O control operation.";
    NXIO = 60, "nxio", "No such device or address.";
    OVERFLOW = 61, "overflow", "Value too large to be stored in data type.";
    OWNERDEAD = 62, "ownerdead", "Previous owner died.";
    PERM = 63, "perm", "Operation not permitted.";
    PIPE = 64, "pipe", "Broken pipe.";
    PROTO = 65, "proto", "Protocol error.";
    PROTONOSUPPORT = 66, "protonosupport", "Protocol not supported.";
    PROTOTYPE = 67, "prototype", "Protocol wrong type for socket.";
    RANGE = 68, "range", "Result too large.";
    ROFS = 69, "rofs", "Read-only file system.";
    SPIPE = 70, "spipe", "Invalid seek.";
    SRCH = 71, "srch", "No such process.";
    STALE = 72, "stale", "Reserved.";
    TIMEDOUT = 73, "timedout", "Connection timed out.";
    TXTBSY = 74, "txtbsy", "Text file busy.";
    XDEV = 75, "xdev", "Cross-device link.";
    NOTCAPABLE = 76, "notcapable", "Extension: Capabilities insufficient.";
}

impl Errno {
    /// The numeric value, as returned to the guest.
    pub const fn raw(self) -> u16 {
        self.0
    }

    /// The errno with numeric value `raw` (values above 76 are kept as is).
    pub const fn from_raw(raw: u16) -> Errno {
        Errno(raw)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({} {})", self.0, self.name())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.description())
    }
}

impl std::error::Error for Errno {}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        use rustix::io::Errno as E;
        match e {
            E::TOOBIG => Errno::TOOBIG,
            E::ACCESS => Errno::ACCES,
            E::ADDRINUSE => Errno::ADDRINUSE,
            E::ADDRNOTAVAIL => Errno::ADDRNOTAVAIL,
            E::AFNOSUPPORT => Errno::AFNOSUPPORT,
            E::AGAIN => Errno::AGAIN,
            E::ALREADY => Errno::ALREADY,
            E::BADF => Errno::BADF,
            E::BADMSG => Errno::BADMSG,
            E::BUSY => Errno::BUSY,
            E::CANCELED => Errno::CANCELED,
            E::CHILD => Errno::CHILD,
            E::CONNABORTED => Errno::CONNABORTED,
            E::CONNREFUSED => Errno::CONNREFUSED,
            E::CONNRESET => Errno::CONNRESET,
            E::DEADLK => Errno::DEADLK,
            E::DESTADDRREQ => Errno::DESTADDRREQ,
            E::DOM => Errno::DOM,
            E::DQUOT => Errno::DQUOT,
            E::EXIST => Errno::EXIST,
            E::FAULT => Errno::FAULT,
            E::FBIG => Errno::FBIG,
            E::HOSTUNREACH => Errno::HOSTUNREACH,
            E::IDRM => Errno::IDRM,
            E::ILSEQ => Errno::ILSEQ,
            E::INPROGRESS => Errno::INPROGRESS,
            E::INTR => Errno::INTR,
            E::INVAL => Errno::INVAL,
            E::IO => Errno::IO,
            E::ISCONN => Errno::ISCONN,
            E::ISDIR => Errno::ISDIR,
            E::LOOP => Errno::LOOP,
            E::MFILE => Errno::MFILE,
            E::MLINK => Errno::MLINK,
            E::MSGSIZE => Errno::MSGSIZE,
            E::MULTIHOP => Errno::MULTIHOP,
            E::NAMETOOLONG => Errno::NAMETOOLONG,
            E::NETDOWN => Errno::NETDOWN,
            E::NETRESET => Errno::NETRESET,
            E::NETUNREACH => Errno::NETUNREACH,
            E::NFILE => Errno::NFILE,
            E::NOBUFS => Errno::NOBUFS,
            E::NODEV => Errno::NODEV,
            E::NOENT => Errno::NOENT,
            E::NOEXEC => Errno::NOEXEC,
            E::NOLCK => Errno::NOLCK,
            E::NOLINK => Errno::NOLINK,
            E::NOMEM => Errno::NOMEM,
            E::NOMSG => Errno::NOMSG,
            E::NOPROTOOPT => Errno::NOPROTOOPT,
            E::NOSPC => Errno::NOSPC,
            E::NOSYS => Errno::NOSYS,
            E::NOTCONN => Errno::NOTCONN,
            E::NOTDIR => Errno::NOTDIR,
            E::NOTEMPTY => Errno::NOTEMPTY,
            E::NOTRECOVERABLE => Errno::NOTRECOVERABLE,
            E::NOTSOCK => Errno::NOTSOCK,
            E::NOTSUP => Errno::NOTSUP,
            E::NOTTY => Errno::NOTTY,
            E::NXIO => Errno::NXIO,
            E::OVERFLOW => Errno::OVERFLOW,
            E::OWNERDEAD => Errno::OWNERDEAD,
            E::PERM => Errno::PERM,
            E::PIPE => Errno::PIPE,
            E::PROTO => Errno::PROTO,
            E::PROTONOSUPPORT => Errno::PROTONOSUPPORT,
            E::PROTOTYPE => Errno::PROTOTYPE,
            E::RANGE => Errno::RANGE,
            E::ROFS => Errno::ROFS,
            E::SPIPE => Errno::SPIPE,
            E::SRCH => Errno::SRCH,
            E::STALE => Errno::STALE,
            E::TIMEDOUT => Errno::TIMEDOUT,
            E::TXTBSY => Errno::TXTBSY,
            E::XDEV => Errno::XDEV,
            _ => Errno::IO,
        }
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        Errno::from(&e)
    }
}

impl From<&io::Error> for Errno {
    fn from(e: &io::Error) -> Errno {
        if let Some(raw) = rustix::io::Errno::from_io_error(e) {
            return raw.into();
        }
        use io::ErrorKind as K;
        match e.kind() {
            K::NotFound => Errno::NOENT,
            // cap-std reports sandbox escapes as PermissionDenied without an OS error.
            K::PermissionDenied => Errno::NOTCAPABLE,
            K::AlreadyExists => Errno::EXIST,
            K::WouldBlock => Errno::AGAIN,
            K::InvalidInput => Errno::INVAL,
            K::InvalidData => Errno::ILSEQ,
            K::Interrupted => Errno::INTR,
            K::Unsupported => Errno::NOTSUP,
            K::OutOfMemory => Errno::NOMEM,
            K::BrokenPipe => Errno::PIPE,
            K::ConnectionRefused => Errno::CONNREFUSED,
            K::ConnectionReset => Errno::CONNRESET,
            K::ConnectionAborted => Errno::CONNABORTED,
            K::NotConnected => Errno::NOTCONN,
            K::AddrInUse => Errno::ADDRINUSE,
            K::AddrNotAvailable => Errno::ADDRNOTAVAIL,
            K::TimedOut => Errno::TIMEDOUT,
            K::NotADirectory => Errno::NOTDIR,
            K::IsADirectory => Errno::ISDIR,
            K::DirectoryNotEmpty => Errno::NOTEMPTY,
            K::ReadOnlyFilesystem => Errno::ROFS,
            K::CrossesDevices => Errno::XDEV,
            K::FileTooLarge => Errno::FBIG,
            K::ResourceBusy => Errno::BUSY,
            K::StorageFull => Errno::NOSPC,
            _ => Errno::IO,
        }
    }
}

/// Result type of the WASI function implementations.
pub type WasiResult<T> = Result<T, Errno>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert_eq!(Errno::SUCCESS.raw(), 0);
        assert_eq!(Errno::TOOBIG.name(), "2big");
        assert_eq!(Errno::BADF.raw(), 8);
        assert_eq!(Errno::FAULT.raw(), 21);
        assert_eq!(Errno::INVAL.raw(), 28);
        assert_eq!(Errno::NOSYS.raw(), 52);
        assert_eq!(Errno::NOTCAPABLE.raw(), 76);
        assert_eq!(Errno::NOTCAPABLE.name(), "notcapable");
        assert_eq!(Errno::from_raw(77).name(), "unknown");
    }

    #[test]
    fn from_host_errors() {
        let e = io::Error::from_raw_os_error(rustix::io::Errno::NOENT.raw_os_error());
        assert_eq!(Errno::from(e), Errno::NOENT);
        let e = io::Error::from_raw_os_error(rustix::io::Errno::ROFS.raw_os_error());
        assert_eq!(Errno::from(e), Errno::ROFS);
        let e = io::Error::new(io::ErrorKind::PermissionDenied, "escape");
        assert_eq!(Errno::from(e), Errno::NOTCAPABLE);
        assert_eq!(Errno::from(rustix::io::Errno::WOULDBLOCK), Errno::AGAIN);
    }
}
