//! Bounds-checked access to guest linear memory.
//!
//! Every pointer and length a guest passes is untrusted. [`GuestMemory`] wraps
//! the memory's bytes and turns every out-of-range access into
//! [`Errno::FAULT`]: the host never panics and never touches bytes outside
//! the slice. Values are little-endian as in wasm. Alignment is not checked
//! (wasm memory accesses need none, and neither Go nor wasi-libc misalign).
//!
//! Offsets are `u32` guest addresses; `ptr + len` is computed in `u64`, so an
//! overflowing range is simply out of bounds.
//!
//! # Bounded host work per call
//!
//! What the host allocates for one call never grows with guest-chosen counts:
//! an iovec array is read as a batch of at most [`IOV_MAX`] entries whose
//! lengths add up to at most `u32::MAX` bytes (the most a `size` result can
//! report), and a path longer than [`PATH_MAX`] is refused with
//! `ENAMETOOLONG` before a byte of it is looked at. A call that stops short
//! is a short read or write, which POSIX `readv`/`writev` also give.

use crate::errno::{Errno, WasiResult};
use std::io::IoSlice;

/// Most iovecs one call hands the host (Linux's `IOV_MAX`); later ones are
/// not read.
pub const IOV_MAX: u32 = 1024;

/// Longest guest path accepted, in bytes (Linux's `PATH_MAX`).
pub const PATH_MAX: u32 = 4096;

/// Largest host buffer used to scatter a read into several iovecs.
const SCATTER_CHUNK: usize = 1 << 20;

/// A guest memory view with bounds-checked accessors.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// One scatter/gather buffer (`iovec`/`ciovec`): `buf` u32 at offset 0,
/// `buf_len` u32 at offset 4, 8 bytes in all. Already bounds-checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoVec {
    /// Guest address of the buffer.
    pub ptr: u32,
    /// Length of the buffer in bytes.
    pub len: u32,
}

impl<'a> GuestMemory<'a> {
    /// Wraps a memory's bytes.
    pub fn new(bytes: &'a mut [u8]) -> Self {
        GuestMemory { bytes }
    }

    /// The memory size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the memory has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn range(&self, ptr: u32, len: u64) -> WasiResult<std::ops::Range<usize>> {
        let start = ptr as u64;
        let end = start.checked_add(len).ok_or(Errno::FAULT)?;
        if end > self.bytes.len() as u64 {
            return Err(Errno::FAULT);
        }
        Ok(start as usize..end as usize)
    }

    /// Checks that `[ptr, ptr + len)` lies inside memory.
    pub fn check(&self, ptr: u32, len: u64) -> WasiResult<()> {
        self.range(ptr, len).map(|_| ())
    }

    /// The bytes `[ptr, ptr + len)`.
    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let r = self.range(ptr, len as u64)?;
        Ok(&self.bytes[r])
    }

    /// The bytes `[ptr, ptr + len)`, mutably.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let r = self.range(ptr, len as u64)?;
        Ok(&mut self.bytes[r])
    }

    fn array<const N: usize>(&self, ptr: u32) -> WasiResult<[u8; N]> {
        let r = self.range(ptr, N as u64)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[r]);
        Ok(out)
    }

    /// Reads a `u8`.
    pub fn read_u8(&self, ptr: u32) -> WasiResult<u8> {
        Ok(self.array::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16`.
    pub fn read_u16(&self, ptr: u32) -> WasiResult<u16> {
        Ok(u16::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a little-endian `u32`.
    pub fn read_u32(&self, ptr: u32) -> WasiResult<u32> {
        Ok(u32::from_le_bytes(self.array(ptr)?))
    }

    /// Reads a little-endian `u64`.
    pub fn read_u64(&self, ptr: u32) -> WasiResult<u64> {
        Ok(u64::from_le_bytes(self.array(ptr)?))
    }

    /// Writes bytes at `ptr`.
    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> WasiResult<()> {
        let r = self.range(ptr, data.len() as u64)?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    /// Writes a `u8`.
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> WasiResult<()> {
        self.write_bytes(ptr, &[v])
    }

    /// Writes a little-endian `u16`.
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> WasiResult<()> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u32`.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult<()> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Writes a little-endian `u64`.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult<()> {
        self.write_bytes(ptr, &v.to_le_bytes())
    }

    /// Reads the iovec array (`ptr`, `len`) as one bounded batch.
    ///
    /// The whole declared array (`len * 8` bytes) must lie in memory, else
    /// [`Errno::FAULT`]. Then at most [`IOV_MAX`] entries are read, stopping
    /// before the first one that would bring the total past `u32::MAX`
    /// bytes; each kept buffer `[buf, buf + buf_len)` must lie in memory.
    /// Empty buffers are kept (and count towards `IOV_MAX`).
    pub fn iovecs(&self, ptr: u32, len: u32) -> WasiResult<Vec<IoVec>> {
        self.check(ptr, len as u64 * 8)?;
        let count = len.min(IOV_MAX);
        let mut out = Vec::with_capacity(count as usize);
        let mut total = 0u64;
        for i in 0..count {
            // In range: the array check above covers `ptr + len * 8`.
            let at = ptr + i * 8;
            let v = IoVec {
                ptr: self.read_u32(at)?,
                len: self.read_u32(at + 4)?,
            };
            total += v.len as u64;
            if total > u32::MAX as u64 {
                break;
            }
            self.check(v.ptr, v.len as u64)?;
            out.push(v);
        }
        Ok(out)
    }

    /// The non-empty (checked) iovecs as host slices, for gathering writes.
    pub fn gather(&self, iovs: &[IoVec]) -> Vec<IoSlice<'_>> {
        iovs.iter()
            .filter(|v| v.len > 0)
            .map(|v| IoSlice::new(&self.bytes[v.ptr as usize..v.ptr as usize + v.len as usize]))
            .collect()
    }

    /// Copies `data` into the (checked) iovecs in order; returns bytes copied.
    pub fn scatter(&mut self, iovs: &[IoVec], mut data: &[u8]) -> usize {
        let mut n = 0;
        for v in iovs {
            if data.is_empty() {
                break;
            }
            let k = data.len().min(v.len as usize);
            self.bytes[v.ptr as usize..v.ptr as usize + k].copy_from_slice(&data[..k]);
            data = &data[k..];
            n += k;
        }
        n
    }

    /// Reads with `read` into the (checked) iovecs; returns the byte count.
    ///
    /// One non-empty iovec is read into directly. Several are read into a
    /// host buffer of at most 1 MiB (a short read) and copied out, because
    /// overlapping guest buffers cannot be borrowed mutably at once.
    pub(crate) fn read_into(
        &mut self,
        iovs: &[IoVec],
        mut read: impl FnMut(&mut [u8]) -> WasiResult<usize>,
    ) -> WasiResult<usize> {
        let mut nonempty = iovs.iter().filter(|v| v.len > 0);
        let first = match nonempty.next() {
            None => return Ok(0),
            Some(v) => *v,
        };
        if nonempty.next().is_none() {
            return read(self.slice_mut(first.ptr, first.len)?);
        }
        let mut tmp = vec![0u8; total_len(iovs).min(SCATTER_CHUNK)];
        let n = read(&mut tmp)?;
        Ok(self.scatter(iovs, &tmp[..n.min(tmp.len())]))
    }

    /// A guest string (`ptr`, `len`) as raw bytes, for paths.
    ///
    /// Longer than [`PATH_MAX`] gives [`Errno::NAMETOOLONG`] before anything
    /// is read; a NUL byte inside the string gives [`Errno::INVAL`] (no host
    /// path can contain one).
    pub fn path_bytes(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        if len > PATH_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        let s = self.slice(ptr, len)?;
        if s.contains(&0) {
            return Err(Errno::INVAL);
        }
        Ok(s)
    }
}

/// Total length of a list of iovecs (saturating at `usize::MAX`).
pub fn total_len(iovs: &[IoVec]) -> usize {
    iovs.iter()
        .fold(0usize, |a, v| a.saturating_add(v.len as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        let mut buf = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut buf);
        assert_eq!(m.read_u32(12), Ok(0));
        assert_eq!(m.read_u32(13), Err(Errno::FAULT));
        assert_eq!(m.read_u64(u32::MAX), Err(Errno::FAULT));
        assert_eq!(m.write_u32(u32::MAX - 1, 1), Err(Errno::FAULT));
        assert_eq!(m.slice(16, 0).map(|s| s.len()), Ok(0));
        assert_eq!(m.slice(17, 0).map(|s| s.len()), Err(Errno::FAULT));
        m.write_u64(0, 0x0102030405060708).unwrap();
        assert_eq!(m.slice(0, 8).unwrap(), &[8, 7, 6, 5, 4, 3, 2, 1]);
    }

    #[test]
    fn iovec_checks() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut buf);
        m.write_u32(0, 32).unwrap();
        m.write_u32(4, 32).unwrap();
        assert_eq!(m.iovecs(0, 1), Ok(vec![IoVec { ptr: 32, len: 32 }]));
        m.write_u32(4, 33).unwrap();
        assert_eq!(m.iovecs(0, 1), Err(Errno::FAULT));
        assert_eq!(m.iovecs(60, 1), Err(Errno::FAULT));
        assert_eq!(m.iovecs(0, u32::MAX), Err(Errno::FAULT));
    }

    #[test]
    fn iovec_batches_are_bounded() {
        let mut buf = vec![0u8; 16 << 10];
        let mut m = GuestMemory::new(&mut buf);
        // 2,000 empty iovecs: only IOV_MAX are taken.
        assert_eq!(m.iovecs(0, 2000).unwrap().len(), IOV_MAX as usize);
        // A kept buffer out of bounds is EFAULT.
        m.write_u32(4, 1 << 20).unwrap();
        assert_eq!(m.iovecs(0, 2), Err(Errno::FAULT));
        // 8 bytes, then u32::MAX bytes (out of bounds too): the batch stops
        // before the iovec that would take the total past u32::MAX, so that
        // one is never even checked.
        m.write_u32(4, 8).unwrap();
        m.write_u32(12, u32::MAX).unwrap();
        assert_eq!(m.iovecs(0, 3), Ok(vec![IoVec { ptr: 0, len: 8 }]));
    }

    #[test]
    fn long_paths_are_refused_unread() {
        let mut buf = vec![b'a'; 8192];
        let m = GuestMemory::new(&mut buf);
        assert_eq!(m.path_bytes(0, PATH_MAX).map(|p| p.len()), Ok(4096));
        assert_eq!(m.path_bytes(0, PATH_MAX + 1), Err(Errno::NAMETOOLONG));
        assert_eq!(m.path_bytes(u32::MAX, u32::MAX), Err(Errno::NAMETOOLONG));
    }
}
