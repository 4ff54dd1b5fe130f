//! Resetting a pooled region without giving its pages back (Linux).
//!
//! `MADV_DONTNEED` returns every page an instance touched, so the next
//! instance faults each one in again: a zero page allocated and cleared,
//! or an image page copied on its first write — Go's hello touches ~170
//! pages per request, and the faults (with the frees and TLB flushes that
//! drop them) were the largest part of a request's kernel time. Instead,
//! [`dirty_pages`] asks the kernel (`/proc/self/pagemap`) which pages of
//! the region are private, i.e. were written (or read as zero) since it was
//! mapped, and the region writes those back itself: zeros past the image,
//! the image's bytes (read from [`Source`], a shared read-only mapping of
//! its memory file) over it. The pages stay resident and mapped, so the
//! next instance takes no fault on them; what it reads is exactly what a
//! fresh mapping would give. Pages the kernel did not report stay as they
//! are: still the file's page (never written) or not mapped at all.

use rustix::mm::{MapFlags, ProtFlags};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::ptr::NonNull;
use std::sync::OnceLock;

/// A read-only shared mapping of a memory image's file: the bytes a dirty
/// image page is restored from. It holds no memory of its own (the file's
/// pages are the page cache's).
pub(crate) struct Source {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and owned by the `Source`: sharing or
// moving it between threads is like sharing a `&[u8]` / moving a `Box<[u8]>`.
unsafe impl Send for Source {}
// SAFETY: as above: only reads, through `&self`.
unsafe impl Sync for Source {}

impl Source {
    /// Maps the first `len` bytes of `fd` (a sealed-size memory file).
    pub(crate) fn map(fd: std::os::fd::BorrowedFd<'_>, len: usize) -> Option<Source> {
        if len == 0 {
            return None;
        }
        // SAFETY: a fresh shared read-only mapping at an address the kernel
        // chooses: it overlaps nothing Rust owns. The file is `len` bytes
        // long and never truncated (it is private to the image).
        let p = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ,
                MapFlags::SHARED,
                fd,
                0,
            )
        }
        .ok()?;
        Some(Source {
            ptr: NonNull::new(p.cast())?,
            len,
        })
    }

    /// The image's bytes.
    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: `[ptr, ptr + len)` is mapped readable for the life of
        // `self`; nothing writes the file after the image is built.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        // SAFETY: our own mapping; no slice of it outlives `&self` borrows.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// The page is present in memory.
const PRESENT: u64 = 1 << 63;
/// The page is swapped out (or being migrated).
const SWAPPED: u64 = 1 << 62;
/// The page is a file's page (or shared anonymous): not a private copy.
const FILE: u64 = 1 << 61;
/// The page is mapped once (not set for the shared zero page).
const EXCLUSIVE: u64 = 1 << 56;

/// Set in a [`dirty_pages`] entry when the page is certainly a page of its
/// own (mapped once, or swapped out): otherwise it may be the shared zero
/// page, which an anonymous page read before any write maps.
pub(super) const OWN: u32 = 1 << 31;

fn pagemap() -> Option<&'static File> {
    static PAGEMAP: OnceLock<Option<File>> = OnceLock::new();
    PAGEMAP
        .get_or_init(|| File::open("/proc/self/pagemap").ok())
        .as_ref()
}

/// Appends to `out` the indices of the pages among the `pages` host pages
/// at `base` that may hold private contents: present and not a file's page
/// (a written copy of an image page, a touched anonymous page, or the zero
/// page an anonymous read mapped), or swapped out; with [`OWN`] set when
/// the page is certainly not the zero page. `false` if the kernel cannot
/// tell (no procfs): the caller must assume every page dirty.
pub(super) fn dirty_pages(base: *const u8, pages: usize, out: &mut Vec<u32>) -> bool {
    let Some(map) = pagemap() else {
        return false;
    };
    let Some(pages32) = u32::try_from(pages).ok().filter(|&p| p < OWN) else {
        return false;
    };
    let first = (base as usize / rustix::param::page_size()) as u64;
    let mut buf = [0u8; 8 * 512];
    let mut done = 0u32;
    while done < pages32 {
        let n = (pages32 - done).min(512) as usize;
        let chunk = &mut buf[..8 * n];
        if map
            .read_exact_at(chunk, (first + u64::from(done)) * 8)
            .is_err()
        {
            return false;
        }
        for (i, e) in chunk.chunks_exact(8).enumerate() {
            let e = u64::from_ne_bytes(e.try_into().unwrap_or_default());
            let at = done + i as u32;
            if e & SWAPPED != 0 || (e & PRESENT != 0 && e & FILE == 0 && e & EXCLUSIVE != 0) {
                out.push(at | OWN);
            } else if e & PRESENT != 0 && e & FILE == 0 {
                out.push(at);
            }
        }
        done += n as u32;
    }
    true
}
