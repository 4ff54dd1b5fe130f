//! Linear memory storage: an mmap-backed region whose base never moves.
//!
//! A [`LinearMemory`] reserves address space for the memory's effective
//! maximum once (inaccessible, no backing), makes the current size readable
//! and writable, and grows by opening more of the reservation: fresh
//! anonymous pages read as zero, so growth copies nothing and the base the
//! interpreter and compiled code cache stays valid. When the reservation
//! cannot be had (a 32-bit host, an address-space ulimit) it falls back to a
//! reservation of the current size that is replaced, contents copied, when
//! it fills — callers reload the base after every grow anyway.
//!
//! The initial contents may come from a module's prepared image
//! ([`image::MemoryImage`]): its pages are mapped copy-on-write over the
//! start of the region, so an instance pays only for the pages it touches.
//! Dropping the memory unmaps the whole reservation, returning every page,
//! or, for a memory made from the engine's [`pool::MemoryPool`], resets the
//! region in place and returns it to the pool for the next instance.
//!
//! On hosts without mmap (not Unix) the region is a `Vec<u8>`.

pub(crate) mod image;
pub(crate) mod pool;
pub(crate) mod table;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// Bytes per wasm page.
pub(crate) const WASM_PAGE: usize = 65536;

/// The bytes of one linear memory: `len` accessible bytes at a stable base.
pub(crate) struct LinearMemory {
    region: Region,
    /// Where the region goes back when the memory is dropped.
    pool: Option<Arc<pool::MemoryPool>>,
}

impl LinearMemory {
    /// A memory of `len` bytes growing to at most `max` bytes (its
    /// reservation), whose first bytes are `image`'s (the image must fit:
    /// [`image::MemoryImage::len`] ≤ `len`).
    pub fn with_image(
        len: usize,
        max: usize,
        image: Option<&image::MemoryImage>,
    ) -> Option<LinearMemory> {
        let region = Region::new(len, max.max(len), image)?;
        Some(LinearMemory { region, pool: None })
    }

    /// [`with_image`](Self::with_image), reusing a region of `pool` when it
    /// has one for this image and maximum; the memory returns its region
    /// to `pool` when dropped. The contents are the same either way.
    pub fn pooled(
        pool: &Arc<pool::MemoryPool>,
        len: usize,
        max: usize,
        image: Option<&image::MemoryImage>,
    ) -> Option<LinearMemory> {
        let max = max.max(len);
        let region = match Region::reservation(max).and_then(|r| pool.take(len, max, r, image)) {
            Some(r) => r,
            None => Region::new(len, max, image)?,
        };
        Some(LinearMemory {
            region,
            pool: Some(pool.clone()),
        })
    }

    /// Accessible bytes.
    pub fn len(&self) -> usize {
        self.region.len()
    }

    /// Backs the memory with transparent huge pages where the host has them:
    /// one page fault per 2 MiB touched instead of one per 4 KiB, at the cost
    /// of whole 2 MiB pages of resident memory. For a module's first instance
    /// (`wasp run`: the only one), which copies its data segments in; later
    /// instances share the module's copy-on-write image and stay small.
    pub fn advise_huge(&mut self) {
        #[cfg(unix)]
        self.region.advise_huge();
    }

    /// Makes the memory `new_len` bytes long (≥ the current length); the new
    /// bytes are zero. `false` if the host cannot provide them.
    pub fn grow_to(&mut self, new_len: usize) -> bool {
        new_len >= self.len() && self.region.grow_to(new_len)
    }
}

impl Drop for LinearMemory {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            pool.give(std::mem::replace(&mut self.region, Region::empty()));
        }
    }
}

impl Deref for LinearMemory {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.region.as_slice()
    }
}

impl DerefMut for LinearMemory {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.region.as_mut_slice()
    }
}

impl std::fmt::Debug for LinearMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearMemory")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(unix)]
mod region;
#[cfg(target_os = "linux")]
mod resident;
#[cfg(unix)]
use region::Region;

/// Portable fallback: a heap buffer (the base may move on grow).
#[cfg(not(unix))]
struct Region(Vec<u8>);

#[cfg(not(unix))]
impl Region {
    fn new(len: usize, _max: usize, image: Option<&image::MemoryImage>) -> Option<Region> {
        let mut v = Vec::new();
        v.try_reserve_exact(len).ok()?;
        v.resize(len, 0);
        if let Some(img) = image {
            if img.len() > len || !img.copy_into(&mut v) {
                return None;
            }
        }
        Some(Region(v))
    }
    fn empty() -> Region {
        Region(Vec::new())
    }
    fn reservation(_max: usize) -> Option<usize> {
        None
    }
    fn pool_key(&self) -> Option<(u64, usize)> {
        None
    }
    fn release(&mut self, _keep: usize) -> Option<usize> {
        None
    }
    fn image_alive(&self) -> bool {
        false
    }
    fn reuse(&mut self, _len: usize, _max: usize, _image: Option<&image::MemoryImage>) -> bool {
        false
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn grow_to(&mut self, new_len: usize) -> bool {
        if self.0.try_reserve_exact(new_len - self.0.len()).is_err() {
            return false;
        }
        self.0.resize(new_len, 0);
        true
    }
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

#[cfg(test)]
mod tests;
