//! The file descriptor table: what each guest fd number refers to.
//!
//! Fds 0, 1 and 2 are the standard streams; preopened directories follow
//! from 3 in the order they were given, then preopened TCP listeners. New
//! descriptors take the lowest free number (like POSIX; the spec allows any
//! number below 2³¹). Closing a preopen is allowed.
//!
//! Each descriptor carries its rights (see [`Entry::require`]).

use crate::errno::{Errno, WasiResult};
use crate::stdio::Stream;
use crate::types::{self, rights, Fdstat};
use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};

/// Largest number of open descriptors a guest may hold.
pub(crate) const MAX_FDS: u32 = 1 << 20;

/// One open descriptor.
pub(crate) struct Entry {
    pub kind: Kind,
    /// Guest-visible `fdflags`.
    pub flags: u16,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

/// What a descriptor refers to.
pub(crate) enum Kind {
    /// A standard stream (or a host fd given as one).
    Stream(Stream),
    /// A regular file (or any non-directory opened by `path_open`).
    File(FileDesc),
    /// A directory: a capability for everything beneath it.
    Dir(DirDesc),
    /// A listening TCP socket (host fd kept non-blocking).
    Listener(TcpListener),
    /// A connected TCP socket (host fd kept non-blocking).
    Socket(TcpStream),
}

/// An open file.
pub(crate) struct FileDesc {
    pub file: std::fs::File,
    /// Opened beneath a read-only preopen: every mutation fails with `EROFS`.
    pub read_only: bool,
}

/// An open directory.
pub(crate) struct DirDesc {
    pub dir: cap_std::fs::Dir,
    /// The guest name, when this is a preopen (reported by `fd_prestat_*`).
    pub preopen: Option<Vec<u8>>,
    /// Beneath a read-only preopen: every mutation fails with `EROFS`.
    pub read_only: bool,
    /// The listing `fd_readdir` serves cookies from (built at cookie 0).
    pub listing: Option<Vec<DirListEntry>>,
}

/// One cached directory entry: cookie `i + 1` resumes after entry `i`.
pub(crate) struct DirListEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub filetype: u8,
}

impl DirDesc {
    /// Fails with `EROFS` on a read-only tree.
    pub fn writable(&self) -> WasiResult<()> {
        if self.read_only {
            Err(Errno::ROFS)
        } else {
            Ok(())
        }
    }
}

impl Kind {
    /// The host fd, if the descriptor has one.
    pub fn host_fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Kind::Stream(s) => s.host_fd(),
            Kind::File(f) => Some(f.file.as_fd()),
            Kind::Dir(d) => Some(d.dir.as_fd()),
            Kind::Listener(l) => Some(l.as_fd()),
            Kind::Socket(s) => Some(s.as_fd()),
        }
    }

    /// The WASI file type of the descriptor.
    #[allow(clippy::unnecessary_cast)] // `st_mode` is not u32 everywhere
    pub fn filetype(&self) -> u8 {
        match self {
            Kind::File(f) => match rustix::fs::fstat(&f.file) {
                Ok(st) => types::filetype_from_mode(st.st_mode as u32),
                Err(_) => types::FILETYPE_REGULAR_FILE,
            },
            Kind::Dir(_) => types::FILETYPE_DIRECTORY,
            Kind::Listener(_) | Kind::Socket(_) => types::FILETYPE_SOCKET_STREAM,
            Kind::Stream(s) => match s.host_fd() {
                Some(fd) => match rustix::fs::fstat(fd) {
                    Ok(st) => types::filetype_from_mode(st.st_mode as u32),
                    Err(_) => types::FILETYPE_UNKNOWN,
                },
                // In-process streams behave like a character device.
                None => types::FILETYPE_CHARACTER_DEVICE,
            },
        }
    }
}

impl Entry {
    /// A descriptor with the default rights for its kind.
    pub fn new(kind: Kind, flags: u16) -> Entry {
        let (base, inheriting) = match &kind {
            Kind::Stream(_) => (rights::STREAM, 0),
            Kind::File(f) if f.read_only => (rights::FILE & !rights::FILE_MUTATING, 0),
            Kind::File(_) => (rights::FILE, 0),
            Kind::Dir(d) if d.read_only => (
                rights::DIR & !rights::DIR_MUTATING,
                (rights::DIR | rights::FILE) & !(rights::DIR_MUTATING | rights::FILE_MUTATING),
            ),
            Kind::Dir(_) => (rights::DIR, rights::DIR | rights::FILE),
            Kind::Listener(_) => (rights::LISTENER, rights::SOCKET),
            Kind::Socket(_) => (rights::SOCKET, 0),
        };
        Entry {
            kind,
            flags,
            rights_base: base,
            rights_inheriting: inheriting,
        }
    }

    /// The `fdstat` of this descriptor.
    pub fn fdstat(&self) -> Fdstat {
        Fdstat {
            filetype: self.kind.filetype(),
            flags: self.flags,
            rights_base: self.rights_base,
            rights_inheriting: self.rights_inheriting,
        }
    }

    /// Checks that the descriptor holds every bit of `right` (the right of
    /// the call about to run).
    ///
    /// Files and directories: rights are enforced for the rights that apply
    /// to the kind (`rights::FILE`, `rights::DIR`); a missing one is
    /// `ENOTCAPABLE`, or `EROFS` for a mutating right beneath a read-only
    /// preopen (those are never granted there). A right that does not apply
    /// (`fd_read` on a directory) is left to the call, which answers with
    /// the kind's own errno (`EISDIR`). Standard streams: reading needs
    /// `fd_read` and writing `fd_write`; a stream lacking its direction gives
    /// `EBADF` (as POSIX `read`/`write` on a descriptor opened the other
    /// way). Their other rights, and those of sockets, are advisory.
    pub fn require(&self, right: u64) -> WasiResult<()> {
        let missing = right & !self.rights_base;
        if missing == 0 {
            return Ok(());
        }
        let (applicable, mutating, read_only) = match &self.kind {
            Kind::File(f) => (rights::FILE, rights::FILE_MUTATING, f.read_only),
            Kind::Dir(d) => (rights::DIR, rights::DIR_MUTATING, d.read_only),
            Kind::Stream(_) if missing & (rights::FD_READ | rights::FD_WRITE) != 0 => {
                return Err(Errno::BADF)
            }
            _ => return Ok(()),
        };
        if right & !applicable != 0 {
            Ok(())
        } else if read_only && missing & mutating != 0 {
            Err(Errno::ROFS)
        } else {
            Err(Errno::NOTCAPABLE)
        }
    }

    /// Whether the guest asked for non-blocking I/O on this descriptor.
    pub fn nonblock(&self) -> bool {
        self.flags & types::FDFLAGS_NONBLOCK != 0
    }
}

/// Guest fd number → descriptor.
#[derive(Default)]
pub(crate) struct FdTable {
    slots: Vec<Option<Entry>>,
    free: BTreeSet<u32>,
}

impl FdTable {
    /// The descriptor `fd`, or `EBADF`.
    pub fn get(&self, fd: u32) -> WasiResult<&Entry> {
        self.slots
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::BADF)
    }

    /// The descriptor `fd` mutably, or `EBADF`.
    pub fn get_mut(&mut self, fd: u32) -> WasiResult<&mut Entry> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::BADF)
    }

    /// The descriptor `fd` holding `right` ([`Entry::require`]), or `EBADF`.
    pub fn get_with(&self, fd: u32, right: u64) -> WasiResult<&Entry> {
        let e = self.get(fd)?;
        e.require(right)?;
        Ok(e)
    }

    /// The descriptor `fd` holding `right`, mutably.
    pub fn get_mut_with(&mut self, fd: u32, right: u64) -> WasiResult<&mut Entry> {
        let e = self.get_mut(fd)?;
        e.require(right)?;
        Ok(e)
    }

    /// Whether `fd` is open.
    #[cfg(test)]
    pub fn contains(&self, fd: u32) -> bool {
        self.get(fd).is_ok()
    }

    /// Inserts at the lowest free number; `EMFILE` when the table is full.
    ///
    /// Standard streams only come from the builder, which inserts stdin,
    /// stdout and stderr as fds 0, 1 and 2: here each gets its direction
    /// (stdin may only be read, stdout and stderr only written), whatever
    /// the host fd behind it allows. The rights then travel with the entry
    /// (`fd_renumber`).
    pub fn insert(&mut self, mut entry: Entry) -> WasiResult<u32> {
        let fd = match self.free.first() {
            Some(&fd) => fd,
            None if self.slots.len() as u32 >= MAX_FDS => return Err(Errno::MFILE),
            None => self.slots.len() as u32,
        };
        if let Kind::Stream(_) = entry.kind {
            entry.rights_base &= if fd == 0 {
                !rights::FD_WRITE
            } else {
                !rights::FD_READ
            };
        }
        if self.free.remove(&fd) {
            self.slots[fd as usize] = Some(entry);
        } else {
            self.slots.push(Some(entry));
        }
        Ok(fd)
    }

    /// Removes `fd`, returning its descriptor (dropping it closes the host fd).
    pub fn remove(&mut self, fd: u32) -> WasiResult<Entry> {
        let slot = self.slots.get_mut(fd as usize).ok_or(Errno::BADF)?;
        let entry = slot.take().ok_or(Errno::BADF)?;
        self.free.insert(fd);
        // Trim trailing free slots so the table does not only grow.
        while matches!(self.slots.last(), Some(None)) {
            let last = self.slots.len() as u32 - 1;
            self.slots.pop();
            self.free.remove(&last);
        }
        Ok(entry)
    }

    /// Moves `from` to `to`, closing what `to` held. Both must be open.
    pub fn renumber(&mut self, from: u32, to: u32) -> WasiResult<()> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(());
        }
        let entry = self.remove(from)?;
        // `to` is still open, so its slot exists.
        let old = self.slots[to as usize].replace(entry);
        drop(old);
        Ok(())
    }

    /// Every open fd number with its descriptor.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Entry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i as u32, e)))
    }

    /// Every open descriptor, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.slots.iter_mut().filter_map(Option::as_mut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Entry {
        Entry::new(Kind::Stream(Stream::Reader(Box::new(std::io::empty()))), 0)
    }

    #[test]
    fn lowest_free_and_renumber() {
        let mut t = FdTable::default();
        for i in 0..5 {
            assert_eq!(t.insert(stream()).unwrap(), i);
        }
        t.remove(1).unwrap();
        t.remove(3).unwrap();
        assert_eq!(t.get(1).err(), Some(Errno::BADF));
        assert_eq!(t.insert(stream()).unwrap(), 1);
        assert_eq!(t.renumber(4, 3).err(), Some(Errno::BADF));
        t.renumber(4, 2).unwrap();
        assert!(!t.contains(4));
        assert!(t.contains(2));
        assert_eq!(t.insert(stream()).unwrap(), 3);
        assert_eq!(t.insert(stream()).unwrap(), 4);
        assert_eq!(t.renumber(9, 2).err(), Some(Errno::BADF));
        t.renumber(2, 2).unwrap();
        assert!(t.contains(2));
        assert_eq!(t.remove(7).err(), Some(Errno::BADF));
    }
}
