//! The engine's pool of released linear-memory regions ([`MemoryPool`]).
//!
//! A per-request server makes and drops one store per request. Without a
//! pool each memory costs an `mmap` of its reservation, one of its image
//! file, an `mprotect`, a page fault for each page the instance touches,
//! and at drop a `munmap`, which frees the pages and page tables and
//! interrupts the process's other threads to flush their TLBs. With it, a
//! dropped memory's region is reset in place and kept for the next
//! instance of the same image and reservation, which only adjusts the
//! protections to its own initial size. The reset rewrites the pages the
//! instance wrote (zeros, or the image's bytes) and keeps them resident
//! while the pool's resident budget allows (`resident.rs`): the next
//! instance takes no fault on them. Past the budget it drops them
//! (`MADV_DONTNEED`: reads see the image file or zeros again). What an
//! instance sees is the same as with a fresh mapping: the image's bytes,
//! zeros after them, and no access past its size.
//!
//! Regions are matched on the image they map (its process-unique id, so
//! two modules never share one) and their reservation size; a region that
//! maps no file image serves any memory of that reservation (a small image
//! is copied in, as in a fresh region). The pool is bounded by a count of
//! regions and by the bytes they keep resident: past the count the oldest
//! region is unmapped; a region whose written pages do not fit the
//! remaining budget is kept without them. Linux only: elsewhere nothing is
//! pooled.

use super::image::MemoryImage;
use super::Region;
use std::collections::VecDeque;
use std::sync::Mutex;

/// Released regions of one engine, oldest first (see the module docs).
pub(crate) struct MemoryPool {
    max_regions: usize,
    max_bytes: usize,
    free: Mutex<Free>,
}

#[derive(Default)]
struct Free {
    regions: VecDeque<Pooled>,
    /// Sum of the pooled regions' resident bytes.
    bytes: usize,
}

struct Pooled {
    key: (u64, usize),
    /// Bytes kept resident (counted in `Free::bytes`).
    kept: usize,
    region: Region,
}

impl std::fmt::Debug for MemoryPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryPool")
            .field("max_regions", &self.max_regions)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl MemoryPool {
    /// A pool keeping at most `max_regions` regions, with at most
    /// `max_bytes` resident bytes in all (0 regions: nothing is pooled).
    pub fn new(max_regions: usize, max_bytes: usize) -> MemoryPool {
        MemoryPool {
            max_regions,
            max_bytes,
            free: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Free> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A released region made a fresh memory of `len` bytes (maximum `max`,
    /// reserved as `reserved` bytes) with `image`'s contents, if the pool
    /// has one that fits.
    pub(super) fn take(
        &self,
        len: usize,
        max: usize,
        reserved: usize,
        image: Option<&MemoryImage>,
    ) -> Option<Region> {
        let key = (
            image.filter(|i| i.file().is_some()).map_or(0, |i| i.id()),
            reserved,
        );
        let mut region = {
            let mut free = self.lock();
            // The most recently released region: its page tables are warm.
            let at = free.regions.iter().rposition(|p| p.key == key)?;
            let p = free.regions.remove(at)?;
            free.bytes -= p.kept;
            p.region
        };
        // A region that cannot serve (it should not happen) is unmapped.
        region.reuse(len, max, image).then_some(region)
    }

    /// Resets `region` and keeps it for a later [`take`](Self::take), or
    /// unmaps it if it cannot be reused; evicts the oldest regions past the
    /// count.
    pub(super) fn give(&self, mut region: Region) {
        let Some(key) = region.pool_key() else {
            return;
        };
        if self.max_regions == 0 {
            return;
        }
        if !region.image_alive() {
            drop(region);
            let dead = Self::dead(&mut self.lock());
            drop(dead); // unmapped outside the lock
            return;
        }
        let budget = self.max_bytes.saturating_sub(self.lock().bytes);
        let Some(kept) = region.release(budget) else {
            return;
        };
        let mut evicted = Vec::new();
        {
            let mut free = self.lock();
            evicted.extend(Self::dead(&mut free));
            while free.regions.len() >= self.max_regions
                || (free.bytes + kept > self.max_bytes && !free.regions.is_empty())
            {
                let Some(old) = free.regions.pop_front() else {
                    break;
                };
                free.bytes -= old.kept;
                evicted.push(old);
            }
            free.bytes += kept;
            free.regions.push_back(Pooled { key, kept, region });
        }
        // Unmapped outside the lock.
        drop(evicted);
    }

    /// Takes out the regions of images dropped since they were pooled
    /// (their module is gone): they could serve no one, and would hold
    /// slots and resident pages.
    fn dead(free: &mut Free) -> VecDeque<Pooled> {
        if free.regions.iter().all(|p| p.region.image_alive()) {
            return VecDeque::new();
        }
        let (live, dead): (VecDeque<Pooled>, VecDeque<Pooled>) = std::mem::take(&mut free.regions)
            .into_iter()
            .partition(|p| p.region.image_alive());
        free.regions = live;
        free.bytes -= dead.iter().map(|p| p.kept).sum::<usize>();
        dead
    }

    /// Regions pooled now and their resident bytes (for tests).
    #[cfg(test)]
    pub fn held(&self) -> (usize, usize) {
        let free = self.lock();
        (free.regions.len(), free.bytes)
    }
}
