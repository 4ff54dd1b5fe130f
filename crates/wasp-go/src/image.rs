//! Linear memory as a module's active data segments lay it out, before the
//! program runs: what Go's linker wrote (its read-only data, `pclntab`,
//! `moduledata`, build info).
//!
//! Go's wasm linker omits runs of 8 or more zero bytes from the data
//! segments (Go's hello has about 27,000 segments), so a structure may be
//! split across segments: reads here see the segments at their offsets with
//! zeros in between.

use wasp::{Module, SegmentKind};

/// Memory 0 as the active data segments at constant offsets initialise it
/// (zeros elsewhere).
#[derive(Debug, Clone, Default)]
pub struct DataImage<'a> {
    /// (address, bytes), sorted by address.
    segments: Vec<(u64, &'a [u8])>,
}

impl<'a> DataImage<'a> {
    /// Memory made of `segments` (address, bytes), in any order. Where two
    /// overlap, the later one in address order wins.
    pub fn new(mut segments: Vec<(u64, &'a [u8])>) -> Self {
        segments.sort_by_key(|s| s.0);
        DataImage { segments }
    }

    /// The image of `module`'s memory 0: its active data segments with a
    /// constant offset (those whose offset reads a global are left out).
    pub fn from_module(module: &'a Module) -> Self {
        let segments = module
            .data_segments()
            .filter_map(|(kind, bytes)| match kind {
                SegmentKind::Active {
                    index: 0,
                    offset: Some(at),
                } => Some((at, bytes)),
                _ => None,
            })
            .collect();
        Self::new(segments)
    }

    /// The segments, sorted by address.
    pub fn segments(&self) -> &[(u64, &'a [u8])] {
        &self.segments
    }

    /// One past the highest address any segment writes (0 for none).
    pub fn end(&self) -> u64 {
        self.segments
            .iter()
            .map(|&(at, b)| at.saturating_add(b.len() as u64))
            .max()
            .unwrap_or(0)
    }

    /// Reads `len` bytes at `addr` (zeros where no segment writes).
    pub fn read(&self, addr: u64, len: u64) -> Vec<u8> {
        let mut out = vec![0u8; len as usize];
        self.read_into(addr, &mut out);
        out
    }

    /// Fills `out` with the bytes at `addr` (zeros where no segment writes).
    pub fn read_into(&self, addr: u64, out: &mut [u8]) {
        out.fill(0);
        let end = addr.saturating_add(out.len() as u64);
        // The first segment that could overlap: segments are sorted by start,
        // and Go's do not overlap, so start from the last one at or before addr.
        let first = self
            .segments
            .partition_point(|&(start, _)| start <= addr)
            .saturating_sub(1);
        for &(start, bytes) in &self.segments[first..] {
            if start >= end {
                break;
            }
            let seg_end = start + bytes.len() as u64;
            if seg_end <= addr {
                continue;
            }
            let from = addr.max(start);
            let to = end.min(seg_end);
            out[(from - addr) as usize..(to - addr) as usize]
                .copy_from_slice(&bytes[(from - start) as usize..(to - start) as usize]);
        }
    }

    /// The little-endian `u64` at `addr`.
    pub fn u64(&self, addr: u64) -> u64 {
        let mut b = [0u8; 8];
        self.read_into(addr, &mut b);
        u64::from_le_bytes(b)
    }

    /// Addresses that are multiples of `align` where `needle` starts within
    /// one segment, in address order.
    pub fn find_aligned<'s>(
        &'s self,
        needle: &'s [u8],
        align: u64,
    ) -> impl Iterator<Item = u64> + 's {
        self.segments.iter().flat_map(move |&(start, bytes)| {
            let first = (start.next_multiple_of(align) - start) as usize;
            (first..bytes.len().saturating_sub(needle.len().max(1) - 1))
                .step_by(align as usize)
                .filter(move |&i| bytes[i..].starts_with(needle))
                .map(move |i| start + i as u64)
        })
    }

    /// The bytes between the first `start` and the `end` after it, within
    /// one segment.
    pub fn find_framed(&self, start: &[u8], end: &[u8]) -> Option<&'a [u8]> {
        self.segments.iter().find_map(|&(_, bytes)| {
            let from = find(bytes, start)? + start.len();
            let len = find(&bytes[from..], end)?;
            Some(&bytes[from..from + len])
        })
    }
}

/// The first occurrence of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_segments_with_zero_gaps() {
        let img = DataImage::new(vec![(20, &b"xyz"[..]), (8, b"abcd"), (14, b"ef")]);
        assert_eq!(img.read(6, 18), b"\0\0abcd\0\0ef\0\0\0\0xyz\0");
        assert_eq!(img.read(100, 2), b"\0\0");
        assert_eq!(img.read(9, 2), b"bc");
        assert_eq!(img.end(), 23);
    }

    #[test]
    fn finds_aligned_needles_only() {
        let a = b"..ab....ab..";
        let img = DataImage::new(vec![(6, &a[..])]);
        // "ab" at 8 (aligned to 4) and at 14 (not).
        assert_eq!(img.find_aligned(b"ab", 4).collect::<Vec<_>>(), vec![8]);
        assert_eq!(img.find_aligned(b"ab", 2).collect::<Vec<_>>(), vec![8, 14]);
        assert_eq!(img.find_aligned(b"abcdefghijklmnop", 2).count(), 0);
    }
}
