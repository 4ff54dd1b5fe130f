//! WASI preview 1 type constants and the memory layouts of its records
//! (`typenames.witx`).
//!
//! Layouts (offsets in bytes, little-endian, C-like alignment):
//!
//! | record | size | fields |
//! |---|---|---|
//! | `iovec`/`ciovec` | 8 | `buf` u32 @0, `buf_len` u32 @4 |
//! | `fdstat` | 24 | `fs_filetype` u8 @0, `fs_flags` u16 @2, `fs_rights_base` u64 @8, `fs_rights_inheriting` u64 @16 |
//! | `filestat` | 64 | `dev` u64 @0, `ino` u64 @8, `filetype` u8 @16, `nlink` u64 @24, `size` u64 @32, `atim` u64 @40, `mtim` u64 @48, `ctim` u64 @56 |
//! | `dirent` | 24 | `d_next` u64 @0, `d_ino` u64 @8, `d_namlen` u32 @16, `d_type` u8 @20 |
//! | `prestat` | 8 | tag u8 @0 (0 = dir), `pr_name_len` u32 @4 |
//! | `subscription` | 48 | `userdata` u64 @0, tag u8 @8, clock: `id` u32 @16, `timeout` u64 @24, `precision` u64 @32, `flags` u16 @40; fd_read/fd_write: `file_descriptor` u32 @16 |
//! | `event` | 32 | `userdata` u64 @0, `error` u16 @8, `type` u8 @10, `nbytes` u64 @16, `flags` u16 @24 |
//!
//! Padding bytes inside records are written as zero.

use crate::errno::WasiResult;
use crate::mem::GuestMemory;

/// `filetype`: unknown or other (FIFOs are reported as this).
pub const FILETYPE_UNKNOWN: u8 = 0;
/// `filetype`: block device.
pub const FILETYPE_BLOCK_DEVICE: u8 = 1;
/// `filetype`: character device.
pub const FILETYPE_CHARACTER_DEVICE: u8 = 2;
/// `filetype`: directory.
pub const FILETYPE_DIRECTORY: u8 = 3;
/// `filetype`: regular file.
pub const FILETYPE_REGULAR_FILE: u8 = 4;
/// `filetype`: datagram socket.
pub const FILETYPE_SOCKET_DGRAM: u8 = 5;
/// `filetype`: byte-stream socket.
pub const FILETYPE_SOCKET_STREAM: u8 = 6;
/// `filetype`: symbolic link.
pub const FILETYPE_SYMBOLIC_LINK: u8 = 7;

/// `fdflags::append`.
pub const FDFLAGS_APPEND: u16 = 1 << 0;
/// `fdflags::dsync`.
pub const FDFLAGS_DSYNC: u16 = 1 << 1;
/// `fdflags::nonblock`.
pub const FDFLAGS_NONBLOCK: u16 = 1 << 2;
/// `fdflags::rsync`.
pub const FDFLAGS_RSYNC: u16 = 1 << 3;
/// `fdflags::sync`.
pub const FDFLAGS_SYNC: u16 = 1 << 4;
/// All defined `fdflags` bits.
pub const FDFLAGS_ALL: u16 = 0x1f;

/// `oflags::creat`.
pub const OFLAGS_CREAT: u16 = 1 << 0;
/// `oflags::directory`.
pub const OFLAGS_DIRECTORY: u16 = 1 << 1;
/// `oflags::excl`.
pub const OFLAGS_EXCL: u16 = 1 << 2;
/// `oflags::trunc`.
pub const OFLAGS_TRUNC: u16 = 1 << 3;
/// All defined `oflags` bits.
pub const OFLAGS_ALL: u16 = 0xf;

/// `lookupflags::symlink_follow`.
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags::atim`.
pub const FSTFLAGS_ATIM: u16 = 1 << 0;
/// `fstflags::atim_now`.
pub const FSTFLAGS_ATIM_NOW: u16 = 1 << 1;
/// `fstflags::mtim`.
pub const FSTFLAGS_MTIM: u16 = 1 << 2;
/// `fstflags::mtim_now`.
pub const FSTFLAGS_MTIM_NOW: u16 = 1 << 3;

/// `whence::set`.
pub const WHENCE_SET: u8 = 0;
/// `whence::cur`.
pub const WHENCE_CUR: u8 = 1;
/// `whence::end`.
pub const WHENCE_END: u8 = 2;

/// `clockid::realtime`.
pub const CLOCK_REALTIME: u32 = 0;
/// `clockid::monotonic`.
pub const CLOCK_MONOTONIC: u32 = 1;
/// `clockid::process_cputime_id`.
pub const CLOCK_PROCESS_CPUTIME: u32 = 2;
/// `clockid::thread_cputime_id`.
pub const CLOCK_THREAD_CPUTIME: u32 = 3;

/// `eventtype::clock`.
pub const EVENTTYPE_CLOCK: u8 = 0;
/// `eventtype::fd_read`.
pub const EVENTTYPE_FD_READ: u8 = 1;
/// `eventtype::fd_write`.
pub const EVENTTYPE_FD_WRITE: u8 = 2;
/// `eventrwflags::fd_readwrite_hangup`.
pub const EVENTRWFLAGS_HANGUP: u16 = 1;
/// `subclockflags::subscription_clock_abstime`.
pub const SUBCLOCKFLAGS_ABSTIME: u16 = 1;

/// `riflags::recv_peek`.
pub const RIFLAGS_RECV_PEEK: u16 = 1 << 0;
/// `riflags::recv_waitall`.
pub const RIFLAGS_RECV_WAITALL: u16 = 1 << 1;
/// `roflags::recv_data_truncated`.
pub const ROFLAGS_RECV_DATA_TRUNCATED: u16 = 1;
/// `sdflags::rd`.
pub const SDFLAGS_RD: u8 = 1 << 0;
/// `sdflags::wr`.
pub const SDFLAGS_WR: u8 = 1 << 1;

/// `preopentype::dir`.
pub const PREOPENTYPE_DIR: u8 = 0;

/// `advice` values run from `normal` (0) to `noreuse` (5).
pub const ADVICE_MAX: u8 = 5;

/// `rights` bits (`flags (@witx repr u64)`), in witx order.
pub mod rights {
    /// `fd_datasync`.
    pub const FD_DATASYNC: u64 = 1 << 0;
    /// `fd_read`.
    pub const FD_READ: u64 = 1 << 1;
    /// `fd_seek`.
    pub const FD_SEEK: u64 = 1 << 2;
    /// `fd_fdstat_set_flags`.
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    /// `fd_sync`.
    pub const FD_SYNC: u64 = 1 << 4;
    /// `fd_tell`.
    pub const FD_TELL: u64 = 1 << 5;
    /// `fd_write`.
    pub const FD_WRITE: u64 = 1 << 6;
    /// `fd_advise`.
    pub const FD_ADVISE: u64 = 1 << 7;
    /// `fd_allocate`.
    pub const FD_ALLOCATE: u64 = 1 << 8;
    /// `path_create_directory`.
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    /// `path_create_file`.
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    /// `path_link_source`.
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    /// `path_link_target`.
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    /// `path_open`.
    pub const PATH_OPEN: u64 = 1 << 13;
    /// `fd_readdir`.
    pub const FD_READDIR: u64 = 1 << 14;
    /// `path_readlink`.
    pub const PATH_READLINK: u64 = 1 << 15;
    /// `path_rename_source`.
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    /// `path_rename_target`.
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    /// `path_filestat_get`.
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    /// `path_filestat_set_size`.
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    /// `path_filestat_set_times`.
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    /// `fd_filestat_get`.
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    /// `fd_filestat_set_size`.
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    /// `fd_filestat_set_times`.
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    /// `path_symlink`.
    pub const PATH_SYMLINK: u64 = 1 << 24;
    /// `path_remove_directory`.
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    /// `path_unlink_file`.
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    /// `poll_fd_readwrite`.
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    /// `sock_shutdown`.
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    /// `sock_accept`.
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every defined right.
    pub const ALL: u64 = (1 << 30) - 1;

    /// Rights that make sense on a regular file.
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;

    /// Rights of a file that mutate it (dropped on read-only preopens;
    /// syncing changes nothing and stays allowed).
    pub const FILE_MUTATING: u64 =
        FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE | FD_FILESTAT_SET_TIMES;

    /// Rights that make sense on a directory.
    pub const DIR: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_DATASYNC
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;

    /// Rights of a directory that mutate the tree (dropped on read-only preopens).
    pub const DIR_MUTATING: u64 = PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;

    /// Rights of a character stream (stdin/stdout/stderr, pipes).
    pub const STREAM: u64 = FD_READ
        | FD_WRITE
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE
        | FD_SYNC
        | FD_DATASYNC;

    /// Rights of a connected socket.
    pub const SOCKET: u64 = FD_READ
        | FD_WRITE
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE
        | SOCK_SHUTDOWN;

    /// Rights of a listening socket.
    pub const LISTENER: u64 = FD_READ
        | FD_FDSTAT_SET_FLAGS
        | FD_FILESTAT_GET
        | POLL_FD_READWRITE
        | SOCK_ACCEPT
        | SOCK_SHUTDOWN;
}

/// A `filestat` record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filestat {
    /// Device ID.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// `filetype`.
    pub filetype: u8,
    /// Hard link count.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Access time, ns since the epoch.
    pub atim: u64,
    /// Modification time, ns since the epoch.
    pub mtim: u64,
    /// Status change time, ns since the epoch.
    pub ctim: u64,
}

impl Filestat {
    /// Size of the record in guest memory.
    pub const SIZE: u32 = 64;

    /// Encodes the 64-byte record.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        b
    }

    /// Writes the record at `ptr`.
    pub fn write(&self, mem: &mut GuestMemory<'_>, ptr: u32) -> WasiResult<()> {
        mem.write_bytes(ptr, &self.to_bytes())
    }
}

/// An `fdstat` record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fdstat {
    /// `filetype`.
    pub filetype: u8,
    /// `fdflags`.
    pub flags: u16,
    /// Base rights.
    pub rights_base: u64,
    /// Inheriting rights.
    pub rights_inheriting: u64,
}

impl Fdstat {
    /// Size of the record in guest memory.
    pub const SIZE: u32 = 24;

    /// Encodes the 24-byte record.
    pub fn to_bytes(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[0] = self.filetype;
        b[2..4].copy_from_slice(&self.flags.to_le_bytes());
        b[8..16].copy_from_slice(&self.rights_base.to_le_bytes());
        b[16..24].copy_from_slice(&self.rights_inheriting.to_le_bytes());
        b
    }
}

/// Maps a host `st_mode` file type to a WASI `filetype`.
#[allow(clippy::unnecessary_cast)]
pub fn filetype_from_mode(mode: u32) -> u8 {
    use rustix::fs::FileType as F;
    match F::from_raw_mode(mode as _) {
        F::RegularFile => FILETYPE_REGULAR_FILE,
        F::Directory => FILETYPE_DIRECTORY,
        F::Symlink => FILETYPE_SYMBOLIC_LINK,
        F::CharacterDevice => FILETYPE_CHARACTER_DEVICE,
        F::BlockDevice => FILETYPE_BLOCK_DEVICE,
        F::Socket => FILETYPE_SOCKET_STREAM,
        _ => FILETYPE_UNKNOWN,
    }
}

/// Converts seconds + nanoseconds since the epoch to a WASI timestamp
/// (0 for times before the epoch).
pub fn timestamp(sec: i64, nsec: i64) -> u64 {
    if sec < 0 {
        return 0;
    }
    (sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec.max(0) as u64)
}

/// A `filestat` from a host `stat` result.
// The casts are no-ops on x86_64 but not on every target.
#[allow(clippy::unnecessary_cast)]
pub fn filestat_from_stat(st: &rustix::fs::Stat) -> Filestat {
    Filestat {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
        filetype: filetype_from_mode(st.st_mode as u32),
        nlink: st.st_nlink as u64,
        size: st.st_size as u64,
        atim: timestamp(st.st_atime as i64, st.st_atime_nsec as i64),
        mtim: timestamp(st.st_mtime as i64, st.st_mtime_nsec as i64),
        ctim: timestamp(st.st_ctime as i64, st.st_ctime_nsec as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        let f = Filestat {
            dev: 1,
            ino: 2,
            filetype: 4,
            nlink: 3,
            size: 5,
            atim: 6,
            mtim: 7,
            ctim: 8,
        };
        let b = f.to_bytes();
        assert_eq!(b[0], 1);
        assert_eq!(b[8], 2);
        assert_eq!(b[16], 4);
        assert_eq!(&b[17..24], &[0; 7]);
        assert_eq!(b[24], 3);
        assert_eq!(b[32], 5);
        assert_eq!(b[56], 8);
        let d = Fdstat {
            filetype: 6,
            flags: 0x0104,
            rights_base: 0x11,
            rights_inheriting: 0x22,
        };
        assert_eq!(
            d.to_bytes(),
            [6, 0, 4, 1, 0, 0, 0, 0, 0x11, 0, 0, 0, 0, 0, 0, 0, 0x22, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(rights::ALL, 0x3fff_ffff);
    }
}
