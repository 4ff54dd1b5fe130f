//! Executable memory, W^X: a mapping is created read-write, filled, then
//! switched to read-execute once ([`CodeMemory::publish`]); it is never
//! writable and executable at the same time, and never writable again.

use std::io;
use std::ptr::NonNull;

/// One anonymous mapping holding machine code.
pub(super) struct CodeMemory {
    ptr: NonNull<u8>,
    /// Mapped length (a whole number of pages).
    len: usize,
    executable: bool,
}

// SAFETY: the mapping is owned by this value alone; after `publish` it is
// read-only (and executable), so sharing it between threads is sharing
// immutable bytes; before, only `&mut self` can write it.
unsafe impl Send for CodeMemory {}
// SAFETY: as above: `&CodeMemory` gives no way to write.
unsafe impl Sync for CodeMemory {}

impl CodeMemory {
    /// Maps at least `size` bytes (at least one page), readable and writable.
    pub fn new(size: usize) -> io::Result<CodeMemory> {
        let page = rustix::param::page_size();
        let len = size
            .max(1)
            .checked_next_multiple_of(page)
            .ok_or_else(|| io::Error::other("code size overflows"))?;
        use rustix::mm::{MapFlags, ProtFlags};
        // SAFETY: a fresh private anonymous mapping at an address the kernel
        // chooses aliases nothing in this process.
        let ptr = unsafe {
            rustix::mm::mmap_anonymous(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }?;
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("null mapping"))?;
        Ok(CodeMemory {
            ptr,
            len,
            executable: false,
        })
    }

    /// The bytes, while still writable; `None` once published.
    pub fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        if self.executable {
            return None;
        }
        // SAFETY: the mapping is `len` bytes, readable and writable (not yet
        // published), and `&mut self` makes this the only reference to it.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) })
    }

    /// Makes the code executable and no longer writable (once), and
    /// synchronises the instruction cache where the CPU needs it.
    pub fn publish(&mut self) -> io::Result<()> {
        if self.executable {
            return Ok(());
        }
        use rustix::mm::MprotectFlags;
        // SAFETY: changes the protection of our own mapping only; no
        // reference to its bytes outlives `bytes_mut`'s borrow.
        unsafe {
            rustix::mm::mprotect(
                self.ptr.as_ptr().cast(),
                self.len,
                MprotectFlags::READ | MprotectFlags::EXEC,
            )
        }?;
        self.executable = true;
        sync_icache(self.ptr.as_ptr(), self.len);
        Ok(())
    }

    /// The address of byte `offset` of the code.
    pub fn addr(&self, offset: usize) -> *const u8 {
        assert!(offset < self.len, "code offset out of range");
        // SAFETY: in bounds of the mapping (checked above).
        unsafe { self.ptr.as_ptr().add(offset) }
    }

    /// Is `[addr, addr + len)` inside this mapping?
    #[cfg(test)]
    pub fn contains(&self, addr: usize, len: usize) -> bool {
        let start = self.ptr.as_ptr() as usize;
        addr >= start && addr + len <= start + self.len
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` created; nothing refers to
        // it any more (entries borrow the batch that owns this value).
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

/// x86 keeps instruction and data caches coherent.
#[cfg(target_arch = "x86_64")]
fn sync_icache(_: *mut u8, _: usize) {}

/// AArch64 does not: clean the data cache to the point of unification and
/// invalidate the instruction cache over the range, then synchronise.
#[cfg(target_arch = "aarch64")]
fn sync_icache(ptr: *mut u8, len: usize) {
    let ctr: u64;
    // SAFETY: reading CTR_EL0 (cache type) is allowed at EL0 on Linux and
    // macOS and has no side effect.
    unsafe { std::arch::asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack)) };
    let dline = 4usize << ((ctr >> 16) & 0xf);
    let iline = 4usize << (ctr & 0xf);
    let (start, end) = (ptr as usize, ptr as usize + len);
    let mut a = start & !(dline - 1);
    while a < end {
        // SAFETY: cache maintenance by address on our own mapped range.
        unsafe { std::arch::asm!("dc cvau, {}", in(reg) a, options(nostack)) };
        a += dline;
    }
    // SAFETY: a barrier; no memory is accessed.
    unsafe { std::arch::asm!("dsb ish", options(nostack)) };
    let mut a = start & !(iline - 1);
    while a < end {
        // SAFETY: as above.
        unsafe { std::arch::asm!("ic ivau, {}", in(reg) a, options(nostack)) };
        a += iline;
    }
    // SAFETY: barriers; no memory is accessed.
    unsafe { std::arch::asm!("dsb ish", "isb", options(nostack)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A function that returns its first argument plus 1, as machine code.
    fn add_one() -> &'static [u8] {
        #[cfg(target_arch = "x86_64")]
        {
            // lea eax, [rdi + 1]; ret
            &[0x8d, 0x47, 0x01, 0xc3]
        }
        #[cfg(target_arch = "aarch64")]
        {
            // add w0, w0, #1; ret
            &[0x00, 0x04, 0x00, 0x11, 0xc0, 0x03, 0x5f, 0xd6]
        }
    }

    /// The permissions `/proc/self/maps` shows for the mapping at `addr`.
    #[cfg(target_os = "linux")]
    fn perms(addr: usize) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        for line in maps.lines() {
            let (range, rest) = line.split_once(' ').unwrap();
            let (lo, hi) = range.split_once('-').unwrap();
            let lo = usize::from_str_radix(lo, 16).unwrap();
            let hi = usize::from_str_radix(hi, 16).unwrap();
            if (lo..hi).contains(&addr) {
                return rest[..4].to_string();
            }
        }
        panic!("{addr:#x} is not mapped")
    }

    #[test]
    fn code_runs_after_publish_and_is_never_writable_and_executable() {
        let mut mem = CodeMemory::new(100).unwrap();
        let code = add_one();
        mem.bytes_mut().unwrap()[..code.len()].copy_from_slice(code);
        #[cfg(target_os = "linux")]
        assert_eq!(perms(mem.addr(0) as usize), "rw-p");
        mem.publish().unwrap();
        #[cfg(target_os = "linux")]
        assert_eq!(perms(mem.addr(0) as usize), "r-xp");
        assert!(mem.bytes_mut().is_none(), "published code stays read-only");
        // SAFETY: the bytes are a complete function of this type, and the
        // mapping is executable and outlives the call.
        let f: extern "C" fn(u32) -> u32 = unsafe { std::mem::transmute(mem.addr(0)) };
        assert_eq!(f(41), 42);
        assert!(mem.contains(mem.addr(0) as usize, code.len()));
    }

    #[test]
    fn sizes_round_up_to_pages() {
        let page = rustix::param::page_size();
        let mut mem = CodeMemory::new(page + 1).unwrap();
        assert_eq!(mem.bytes_mut().unwrap().len(), 2 * page);
        let mut empty = CodeMemory::new(0).unwrap();
        assert_eq!(empty.bytes_mut().unwrap().len(), page);
    }
}
