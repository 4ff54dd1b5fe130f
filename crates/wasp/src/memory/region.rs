//! The Unix backing of a linear memory: a reserved mapping, opened as the
//! memory grows, optionally starting with a module image's pages mapped
//! copy-on-write (see the parent module).

use super::image::MemoryImage;
use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};
use std::ptr::NonNull;

/// A mapping of `reserved` bytes whose first `len` are readable and writable.
pub(super) struct Region {
    /// Start of the mapping; dangling when nothing is mapped (`reserved == 0`).
    ptr: NonNull<u8>,
    len: usize,
    /// Bytes mapped (inaccessible beyond `len`, rounded up to host pages).
    reserved: usize,
    /// The most the memory may ever hold (its effective maximum).
    max: usize,
    /// Whether the mapping reserves the whole maximum (not the fallback
    /// reservation that moves when it fills): only such a region can be
    /// reused from a pool, its base and image mapping being fixed.
    full: bool,
    /// Id of the file image mapped copy-on-write over its start
    /// ([`MemoryImage::id`]), 0 if none.
    image: u64,
    /// Whether transparent huge pages were asked for (such a region is not
    /// pooled: a later instance would fault 2 MiB at a time).
    huge: bool,
    /// The mapped image's bytes, to restore its written pages from
    /// (`resident.rs`); weak, so that a pooled region does not keep a
    /// dropped module's image alive (such a region is unmapped instead).
    #[cfg(target_os = "linux")]
    source: Option<std::sync::Weak<super::resident::Source>>,
}

// SAFETY: the region exclusively owns its mapping (no other pointer to it
// escapes except through `&mut self`), so moving it to another thread is
// like moving a `Vec<u8>`.
unsafe impl Send for Region {}
// SAFETY: shared access only reads the bytes (`as_slice`), as for `Vec<u8>`.
unsafe impl Sync for Region {}

fn page_size() -> usize {
    rustix::param::page_size()
}

fn round_up(n: usize, page: usize) -> Option<usize> {
    n.checked_add(page - 1).map(|v| v & !(page - 1))
}

/// An anonymous private mapping of `len` bytes with protection `prot`.
fn map_anonymous(len: usize, prot: ProtFlags) -> Option<NonNull<u8>> {
    // SAFETY: a fresh mapping at an address the kernel chooses: it cannot
    // overlap anything Rust owns.
    let p = unsafe {
        rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            len,
            prot,
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    }
    .ok()?;
    NonNull::new(p.cast())
}

impl Region {
    pub(super) fn new(len: usize, max: usize, image: Option<&MemoryImage>) -> Option<Region> {
        let page = page_size();
        let max = max.max(len);
        let mut region = Region::empty();
        region.max = max;
        if max == 0 {
            return Some(region);
        }
        // The whole maximum, inaccessible; else just what is needed now.
        let full = round_up(max, page)?;
        if let Some(p) = map_anonymous(full, ProtFlags::empty()) {
            region.ptr = p;
            region.reserved = full;
            region.full = true;
            if !region.protect(0, len) {
                return None;
            }
        } else {
            let need = round_up(len, page)?;
            if need == 0 {
                return Some(region);
            }
            region.ptr = map_anonymous(need, ProtFlags::READ | ProtFlags::WRITE)?;
            region.reserved = need;
        }
        region.len = len;
        if let Some(img) = image {
            if img.len() > len || !region.map_image(img) && !img.copy_into(region.as_mut_slice()) {
                return None;
            }
        }
        Some(region)
    }

    /// The reservation a fresh region of maximum `max` would map (the key
    /// a pooled region must match), `None` for an empty one.
    pub(super) fn reservation(max: usize) -> Option<usize> {
        round_up(max, page_size()).filter(|&r| r > 0)
    }

    /// A region with nothing mapped (what a pooled memory leaves behind).
    pub(super) fn empty() -> Region {
        Region {
            ptr: NonNull::dangling(),
            len: 0,
            reserved: 0,
            max: 0,
            full: false,
            image: 0,
            huge: false,
            #[cfg(target_os = "linux")]
            source: None,
        }
    }

    /// Maps `img`'s file over the start of the region, private: writes
    /// copy the page. `false` if the image has no file or mapping failed
    /// (the caller copies the bytes instead).
    fn map_image(&mut self, img: &MemoryImage) -> bool {
        let Some((fd, len)) = img.file() else {
            return false;
        };
        if len > self.len || len % page_size() != 0 {
            return false;
        }
        // SAFETY: `[ptr, ptr + len)` lies inside our own reservation (len ≤
        // self.len ≤ reserved), which no Rust reference points into while we
        // hold `&mut self`; MAP_FIXED replaces those pages of our mapping
        // only. The file is at least `len` bytes long (`MemoryImage::file`).
        let r = unsafe {
            rustix::mm::mmap(
                self.ptr.as_ptr().cast(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::FIXED,
                fd,
                0,
            )
        };
        if r.is_ok() {
            self.image = img.id();
            #[cfg(target_os = "linux")]
            {
                self.source = img.source().map(std::sync::Arc::downgrade);
            }
        }
        r.is_ok()
    }

    /// Asks for transparent huge pages over the reservation (Linux): a memory
    /// filled by its instance (segments copied in, Go's heap) takes one fault
    /// per 2 MiB instead of one per 4 KiB.
    pub(super) fn advise_huge(&mut self) {
        self.huge = true;
        #[cfg(target_os = "linux")]
        // SAFETY: advice over our own reservation changes no contents and no
        // protection; the kernel may ignore it.
        unsafe {
            let _ = rustix::mm::madvise(
                self.ptr.as_ptr().cast(),
                self.reserved,
                rustix::mm::Advice::LinuxHugepage,
            );
        }
    }

    /// Makes `[from, to)` (rounded out to host pages) readable and writable.
    fn protect(&mut self, from: usize, to: usize) -> bool {
        let page = page_size();
        let start = from & !(page - 1);
        let Some(end) = round_up(to, page) else {
            return false;
        };
        if end <= start {
            return true;
        }
        debug_assert!(end <= self.reserved);
        // SAFETY: the range lies inside our reservation (end ≤ reserved), so
        // only our own pages change protection; opening pages never
        // invalidates memory Rust may access.
        unsafe {
            rustix::mm::mprotect(
                self.ptr.as_ptr().add(start).cast(),
                end - start,
                MprotectFlags::READ | MprotectFlags::WRITE,
            )
        }
        .is_ok()
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn grow_to(&mut self, new_len: usize) -> bool {
        if new_len > self.max {
            return false;
        }
        if new_len <= self.reserved {
            if !self.protect(self.len, new_len) {
                return false;
            }
            self.len = new_len;
            return true;
        }
        // The fallback reservation is full: move to a bigger one.
        let page = page_size();
        let want = new_len.max(self.reserved.saturating_mul(2)).min(self.max);
        let Some(size) = round_up(want, page) else {
            return false;
        };
        let Some(p) = map_anonymous(size, ProtFlags::READ | ProtFlags::WRITE) else {
            return false;
        };
        // SAFETY: `p` is a fresh mapping of `size ≥ new_len > len` bytes and
        // the old mapping holds `len` initialised bytes; they do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), p.as_ptr(), self.len) };
        self.unmap();
        // The image's pages were copied: the new mapping is anonymous.
        self.image = 0;
        #[cfg(target_os = "linux")]
        {
            self.source = None;
        }
        self.ptr = p;
        self.reserved = size;
        self.len = new_len;
        true
    }

    pub(super) fn as_slice(&self) -> &[u8] {
        // SAFETY: the first `len` bytes are mapped readable (zero or image
        // contents) for as long as `self` lives; `&self` keeps them unaliased
        // by writers.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    pub(super) fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// The pool key of a region that can be reused: the id of its mapped
    /// file image (0: none) and its reservation. `None` for a region that
    /// cannot be reused (fallback reservation, huge pages, nothing mapped).
    pub(super) fn pool_key(&self) -> Option<(u64, usize)> {
        (self.full && !self.huge && self.reserved > 0 && cfg!(target_os = "linux"))
            .then_some((self.image, self.reserved))
    }

    /// Whether the image the region maps still exists (a region without
    /// one: always). A region of a dropped image can serve no one.
    pub(super) fn image_alive(&self) -> bool {
        #[cfg(target_os = "linux")]
        if self.image != 0 {
            return self.source.as_ref().is_some_and(|w| w.strong_count() > 0);
        }
        true
    }

    /// Resets the region's contents to what a fresh mapping holds (Linux):
    /// the mapped image's bytes, zeros past them. If the pages it wrote fit
    /// in `keep` bytes they are rewritten in place and stay resident
    /// (`resident.rs`); otherwise `MADV_DONTNEED` over the accessible range
    /// drops them all, so a later read sees the image's file again, or
    /// zeros. The accessible range stays open (see [`reuse`](Self::reuse)).
    /// Returns the bytes kept resident, `None` on failure: the region must
    /// not be reused.
    pub(super) fn release(&mut self, keep: usize) -> Option<usize> {
        #[cfg(target_os = "linux")]
        {
            let page = page_size();
            let open = round_up(self.len, page)?;
            if open == 0 {
                return Some(0);
            }
            if keep >= page {
                if let Some(kept) = self.rewrite_dirty(open, keep) {
                    return Some(kept);
                }
            }
            // SAFETY: `[ptr, ptr + open)` lies inside our own mapping (open ≤
            // reserved: the accessible range is rounded up to host pages
            // within the reservation) and `&mut self` guarantees no reference
            // into it; dropping the pages only changes their contents back
            // to the file's or to zeros, which is what the caller wants.
            unsafe {
                rustix::mm::madvise(
                    self.ptr.as_ptr().cast(),
                    open,
                    rustix::mm::Advice::LinuxDontNeed,
                )
            }
            .ok()?;
            Some(0)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = keep;
            None
        }
    }

    /// Rewrites the private pages among the first `open` bytes (zeros, or
    /// the image's bytes over the image) if they are at most `keep` bytes;
    /// returns the bytes rewritten, `None` (nothing done) otherwise.
    #[cfg(target_os = "linux")]
    fn rewrite_dirty(&mut self, open: usize, keep: usize) -> Option<usize> {
        thread_local! {
            static DIRTY: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let page = page_size();
        DIRTY.with(|d| {
            let mut dirty = d.try_borrow_mut().ok()?;
            dirty.clear();
            if !super::resident::dirty_pages(self.ptr.as_ptr(), open / page, &mut dirty) {
                return None;
            }
            if dirty.len().checked_mul(page)? > keep {
                return None;
            }
            // A mapped image's pages come back from its bytes; without them
            // (no read-only mapping, or the image is gone) nothing is done.
            let source = match (&self.source, self.image) {
                (_, 0) => None,
                (Some(w), _) => Some(w.upgrade()?),
                (None, _) => return None,
            };
            let image = source.as_deref().map_or(&[][..], |s| s.bytes());
            // The whole accessible range (open ≥ len): the last page may
            // extend past `len`, and its tail must be reset too.
            let len = self.len;
            self.len = open;
            let mem = self.as_mut_slice();
            let mut kept = 0;
            for &p in dirty.iter() {
                let at = (p & !super::resident::OWN) as usize * page;
                let dst = &mut mem[at..at + page];
                match image.get(at..at + page) {
                    Some(src) => dst.copy_from_slice(src),
                    // Possibly the shared zero page (an anonymous page only
                    // read): already right, and writing would allocate it.
                    None if p & super::resident::OWN == 0 && dst.iter().all(|&b| b == 0) => {
                        continue
                    }
                    None => dst.fill(0),
                }
                kept += page;
            }
            self.len = len;
            Some(kept)
        })
    }

    /// Makes a released region (see [`release`](Self::release)) a fresh
    /// memory of `len` bytes growing to at most `max` (≤ its reservation):
    /// protections are changed only where the accessible range differs,
    /// and a non-file image is copied in (a file image is still mapped:
    /// the pool hands out regions of the same image only). `false` if the
    /// region cannot serve (the caller drops it).
    pub(super) fn reuse(&mut self, len: usize, max: usize, image: Option<&MemoryImage>) -> bool {
        let page = page_size();
        let (Some(open), Some(want)) = (round_up(self.len, page), round_up(len, page)) else {
            return false;
        };
        if max < len || want > self.reserved || round_up(max, page) != Some(self.reserved) {
            return false;
        }
        if want < open {
            // SAFETY: `[ptr + want, ptr + open)` lies inside our reservation
            // (open ≤ reserved) and no reference points into it (`&mut
            // self`); closing it is what keeps out-of-bounds accesses
            // faulting, as in a fresh region.
            let closed = unsafe {
                rustix::mm::mprotect(
                    self.ptr.as_ptr().add(want).cast(),
                    open - want,
                    MprotectFlags::empty(),
                )
            };
            if closed.is_err() {
                return false;
            }
        } else if want > open && !self.protect(open, want) {
            return false;
        }
        self.len = len;
        self.max = max;
        match image {
            Some(img) if img.file().is_some() && img.id() == self.image => true,
            Some(img) if self.image == 0 => img.len() <= len && img.copy_into(self.as_mut_slice()),
            Some(_) => false,
            None => self.image == 0,
        }
    }

    fn unmap(&mut self) {
        if self.reserved > 0 {
            // SAFETY: `[ptr, ptr + reserved)` is our mapping; no reference into
            // it outlives `&mut self`. Failure would only leak address space.
            let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.reserved) };
            self.reserved = 0;
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        self.unmap();
    }
}
