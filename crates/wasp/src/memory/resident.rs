//! Resetting a pooled region without giving its pages back (Linux).
//!
//! `MADV_DONTNEED` returns every page an instance touched, so the next
//! instance faults each one in again: a zero page allocated and cleared,
//! or an image page copied on its first write — Go's hello touches ~170
//! pages per request, and the faults (with the frees and TLB flushes that
//! drop them) were the largest part of a request's kernel time. Instead,
//! [`dirty_pages`] asks the kernel (`/proc/self/pagemap`, its `PAGEMAP_SCAN`
//! ioctl where there is one) which pages of
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
///
/// Asks with the `PAGEMAP_SCAN` ioctl (Linux 6.7+), which skips unmapped
/// stretches and reports only matching runs of pages; older kernels give
/// one 8-byte entry per page through `read` (a Go memory of a few MiB is
/// mostly holes: most of the time went into filling those in).
pub(super) fn dirty_pages(base: *const u8, pages: usize, out: &mut Vec<u32>) -> bool {
    let Some(map) = pagemap() else {
        return false;
    };
    if u32::try_from(pages).ok().filter(|&p| p < OWN).is_none() {
        return false;
    }
    match scan(map, base, pages, out) {
        Some(done) => done,
        None => read_entries(map, base, pages, out),
    }
}

/// `struct pm_scan_arg` of `<linux/fs.h>`.
#[repr(C)]
struct ScanArg {
    size: u64,
    flags: u64,
    start: u64,
    end: u64,
    walk_end: u64,
    vec: u64,
    vec_len: u64,
    max_pages: u64,
    category_inverted: u64,
    category_mask: u64,
    category_anyof_mask: u64,
    return_mask: u64,
}

/// `struct page_region` of `<linux/fs.h>`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct PageRegion {
    start: u64,
    end: u64,
    categories: u64,
}

/// `PAGEMAP_SCAN`: `_IOWR('f', 16, struct pm_scan_arg)`.
const PAGEMAP_SCAN: u64 =
    (3 << 30) | ((std::mem::size_of::<ScanArg>() as u64) << 16) | (0x66 << 8) | 16;
const PAGE_IS_FILE: u64 = 1 << 2;
const PAGE_IS_PRESENT: u64 = 1 << 3;
const PAGE_IS_SWAPPED: u64 = 1 << 4;
const PAGE_IS_PFNZERO: u64 = 1 << 5;

/// [`dirty_pages`] through `PAGEMAP_SCAN`; `None` if the kernel has no
/// such ioctl (nothing appended then). The zero page is recognised, so
/// every page appended is [`OWN`].
fn scan(map: &File, base: *const u8, pages: usize, out: &mut Vec<u32>) -> Option<bool> {
    use std::os::fd::AsRawFd;
    let page = rustix::param::page_size() as u64;
    let (start, end) = (base as u64, base as u64 + pages as u64 * page);
    let mut regions = [PageRegion::default(); 64];
    let mut at = start;
    while at < end {
        let mut arg = ScanArg {
            size: std::mem::size_of::<ScanArg>() as u64,
            flags: 0,
            start: at,
            end,
            walk_end: 0,
            vec: regions.as_mut_ptr() as u64,
            vec_len: regions.len() as u64,
            max_pages: 0,
            category_inverted: 0,
            category_mask: 0,
            category_anyof_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
            return_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE | PAGE_IS_PFNZERO,
        };
        // SAFETY: `arg` is a valid `pm_scan_arg` of the size it declares;
        // the kernel writes at most `vec_len` entries to `regions` (which
        // outlives the call) and `walk_end` into `arg`. It only reads the
        // page tables of `[start, end)`, changing nothing.
        let n =
            unsafe { libc::ioctl(map.as_raw_fd(), PAGEMAP_SCAN as _, &mut arg as *mut ScanArg) };
        if n < 0 {
            let first = at == start;
            // ENOTTY/EINVAL: no such ioctl here (the caller falls back);
            // any other failure halfway: the pages are unknown.
            return if first { None } else { Some(false) };
        }
        for r in &regions[..(n as usize).min(regions.len())] {
            let c = r.categories;
            let private = c & PAGE_IS_SWAPPED != 0
                || (c & PAGE_IS_PRESENT != 0 && c & (PAGE_IS_FILE | PAGE_IS_PFNZERO) == 0);
            if !private {
                continue;
            }
            let (a, b) = (r.start.max(start), r.end.min(end));
            for p in (a - start) / page..(b.max(a) - start) / page {
                out.push(p as u32 | OWN);
            }
        }
        if arg.walk_end <= at {
            return Some(false);
        }
        at = arg.walk_end;
    }
    Some(true)
}

/// [`dirty_pages`] by reading one entry per page.
fn read_entries(map: &File, base: *const u8, pages: usize, out: &mut Vec<u32>) -> bool {
    let pages32 = pages as u32;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways of asking agree on a mapping with written, read-only and
    /// untouched pages: the ioctl (where the kernel has it) names only the
    /// written ones; the per-page entries add the zero page that a read
    /// mapped, without [`OWN`].
    #[test]
    fn the_scan_and_the_entries_find_the_written_pages() {
        let page = rustix::param::page_size();
        let mut mem = crate::memory::LinearMemory::with_image(16 * page, 16 * page, None).unwrap();
        mem[page] = 1;
        mem[5 * page + 7] = 2;
        let read = std::hint::black_box(mem[7 * page]);
        assert_eq!(read, 0);
        let map = pagemap().expect("procfs");
        let mut by_entries = Vec::new();
        assert!(read_entries(map, mem.as_ptr(), 16, &mut by_entries));
        assert_eq!(by_entries, vec![1 | OWN, 5 | OWN, 7]);
        let mut by_scan = Vec::new();
        match scan(map, mem.as_ptr(), 16, &mut by_scan) {
            Some(done) => {
                assert!(done);
                assert_eq!(by_scan, vec![1 | OWN, 5 | OWN]);
            }
            None => assert!(by_scan.is_empty(), "no PAGEMAP_SCAN on this kernel"),
        }
        let mut any = Vec::new();
        assert!(dirty_pages(mem.as_ptr(), 16, &mut any));
        assert!(any.contains(&(1 | OWN)) && any.contains(&(5 | OWN)));
    }
}
