//! [`ModuleBytes`]: a module's binary, owned by the module.
//!
//! A module read from a large file lives in memory of its own, mapped with
//! transparent huge pages where Linux gives them: filling a fresh 17.6 MB
//! buffer otherwise costs about 4,300 page faults, which measured as more
//! than half of reading a Go test binary (14 of 19 ms of system time; 5 ms
//! with huge pages). Everything else is a plain `Vec<u8>`.

use std::ops::{Deref, DerefMut};

/// A module's bytes: a vector, or (a large file read on Linux) a private
/// anonymous mapping. Immutable once the module is loaded.
pub(crate) enum ModuleBytes {
    Vec(Vec<u8>),
    #[cfg(target_os = "linux")]
    Mapped(Mapping),
}

impl From<Vec<u8>> for ModuleBytes {
    fn from(v: Vec<u8>) -> Self {
        ModuleBytes::Vec(v)
    }
}

impl ModuleBytes {
    /// `len` zero bytes to read a file into: huge-page memory for a large
    /// `len` on Linux (if the mapping fails, a vector).
    pub fn zeroed(len: usize) -> ModuleBytes {
        #[cfg(target_os = "linux")]
        if len >= HUGE_MIN {
            if let Some(m) = Mapping::new(len) {
                return ModuleBytes::Mapped(m);
            }
        }
        ModuleBytes::Vec(vec![0u8; len])
    }
}

impl Deref for ModuleBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            ModuleBytes::Vec(v) => v,
            #[cfg(target_os = "linux")]
            ModuleBytes::Mapped(m) => m.slice(),
        }
    }
}

impl DerefMut for ModuleBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        match self {
            ModuleBytes::Vec(v) => v,
            #[cfg(target_os = "linux")]
            ModuleBytes::Mapped(m) => m.slice_mut(),
        }
    }
}

impl std::fmt::Debug for ModuleBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ModuleBytes({} bytes)", self.len())
    }
}

/// Files at least this large get huge pages (smaller ones would zero more
/// of a 2 MiB page than they fill).
#[cfg(target_os = "linux")]
const HUGE_MIN: usize = 1 << 20;

/// A huge page's size on the machines wasp runs on (x86-64, aarch64 with
/// 4 KiB pages); elsewhere the advice is only less effective.
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// A private anonymous read-write mapping of `map_len` bytes at `base`;
/// the first `len` bytes from `data` (huge-page aligned) are the module.
#[cfg(target_os = "linux")]
pub(crate) struct Mapping {
    base: *mut libc::c_void,
    map_len: usize,
    data: *mut u8,
    len: usize,
}

// SAFETY: the mapping is owned by this value alone (like a `Box<[u8]>`):
// shared references only read it, writes need `&mut`.
#[cfg(target_os = "linux")]
unsafe impl Send for Mapping {}
// SAFETY: as above; `&Mapping` gives only `&[u8]`.
#[cfg(target_os = "linux")]
unsafe impl Sync for Mapping {}

#[cfg(target_os = "linux")]
impl Mapping {
    fn new(len: usize) -> Option<Mapping> {
        let rounded = len.checked_add(HUGE_PAGE - 1)? & !(HUGE_PAGE - 1);
        // One huge page more, to align the start.
        let map_len = rounded.checked_add(HUGE_PAGE)?;
        // SAFETY: a fresh private anonymous mapping at an address the kernel
        // picks: it aliases nothing. The result is checked.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        let offset = (HUGE_PAGE - base as usize % HUGE_PAGE) % HUGE_PAGE;
        // SAFETY: `offset < HUGE_PAGE`, so `offset + rounded <= map_len`: the
        // pointer and the range advised stay inside the mapping.
        let data = unsafe { (base as *mut u8).add(offset) };
        // SAFETY: advice on pages of our own mapping; failure (no THP) only
        // means ordinary pages.
        unsafe {
            libc::madvise(data as *mut libc::c_void, rounded, libc::MADV_HUGEPAGE);
        }
        Some(Mapping {
            base,
            map_len,
            data,
            len,
        })
    }

    fn slice(&self) -> &[u8] {
        // SAFETY: `data..data + len` lies in the live mapping, which is
        // readable and zero-filled until written; `&self` forbids writes.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }

    fn slice_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `slice`; `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`, which nothing
        // references any more (slices borrow `self`).
        unsafe {
            libc::munmap(self.base, self.map_len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_buffers_of_every_size_are_zero_and_writable() {
        for len in [0, 1, 4095, 1 << 20, (3 << 20) + 5] {
            let mut b = ModuleBytes::zeroed(len);
            assert_eq!(b.len(), len);
            assert!(b.iter().all(|&x| x == 0));
            if len > 1 {
                b[len - 1] = 7;
                b[0] = 9;
                assert_eq!((b[0], b[len - 1]), (9, 7));
            }
        }
        #[cfg(target_os = "linux")]
        assert!(matches!(
            ModuleBytes::zeroed(1 << 20),
            ModuleBytes::Mapped(_)
        ));
    }
}
