//! Test harness: a guest memory filled with a marker byte and a `WasiCtx`,
//! driven through `WasiCtx::call` (the same code the linker runs).
#![allow(dead_code)]

use wasp_wasi::{Errno, WasiCtx};

/// The byte every fresh guest memory is filled with.
pub const MARK: u8 = 0xAA;
/// Guest memory size used by the tests.
pub const MEM: usize = 1 << 20;

pub fn errno(e: Errno) -> i32 {
    e.raw() as i32
}

pub struct G {
    pub ctx: WasiCtx,
    pub mem: Vec<u8>,
    /// Bump allocator for scratch strings/iovecs (starts at 0x8000).
    next: u32,
}

impl G {
    pub fn new(ctx: WasiCtx) -> G {
        G::with_mem(ctx, MEM)
    }

    pub fn with_mem(ctx: WasiCtx, size: usize) -> G {
        G {
            ctx,
            mem: vec![MARK; size],
            next: 0x8000,
        }
    }

    /// Calls a WASI function; panics on host errors (not errnos).
    pub fn call(&mut self, name: &str, args: &[u64]) -> i32 {
        self.ctx.call(&mut self.mem, name, args).unwrap()
    }

    /// Calls and returns `Ok(())` or the errno.
    pub fn ok(&mut self, name: &str, args: &[u64]) -> Result<(), Errno> {
        match self.call(name, args) {
            0 => Ok(()),
            e => Err(Errno::from_raw(e as u16)),
        }
    }

    pub fn alloc(&mut self, len: u32) -> u32 {
        let p = (self.next + 7) & !7;
        self.next = p + len;
        assert!(
            (self.next as usize) < self.mem.len() / 2,
            "scratch space exhausted"
        );
        p
    }

    pub fn put(&mut self, ptr: u32, bytes: &[u8]) {
        self.mem[ptr as usize..ptr as usize + bytes.len()].copy_from_slice(bytes);
    }

    /// Copies `bytes` into scratch memory, returning `(ptr, len)` as call args.
    pub fn bytes(&mut self, bytes: &[u8]) -> (u64, u64) {
        let p = self.alloc(bytes.len() as u32);
        self.put(p, bytes);
        (p as u64, bytes.len() as u64)
    }

    pub fn get(&self, ptr: u32, len: usize) -> &[u8] {
        &self.mem[ptr as usize..ptr as usize + len]
    }

    pub fn u16(&self, ptr: u32) -> u16 {
        u16::from_le_bytes(self.get(ptr, 2).try_into().unwrap())
    }

    pub fn u32(&self, ptr: u32) -> u32 {
        u32::from_le_bytes(self.get(ptr, 4).try_into().unwrap())
    }

    pub fn u64(&self, ptr: u32) -> u64 {
        u64::from_le_bytes(self.get(ptr, 8).try_into().unwrap())
    }

    /// Writes one iovec `(buf, len)` array into scratch memory.
    pub fn iovs(&mut self, list: &[(u32, u32)]) -> (u64, u64) {
        let p = self.alloc(list.len() as u32 * 8);
        for (i, (b, l)) in list.iter().enumerate() {
            let at = p + i as u32 * 8;
            self.put(at, &b.to_le_bytes());
            self.put(at + 4, &l.to_le_bytes());
        }
        (p as u64, list.len() as u64)
    }

    /// `path_open` with follow; returns the new fd.
    pub fn open(
        &mut self,
        dir: u32,
        path: &str,
        oflags: u16,
        rights: u64,
        fdflags: u16,
    ) -> Result<u32, Errno> {
        self.open_flags(dir, 1, path, oflags, rights, fdflags)
    }

    pub fn open_flags(
        &mut self,
        dir: u32,
        lookup: u32,
        path: &str,
        oflags: u16,
        rights: u64,
        fdflags: u16,
    ) -> Result<u32, Errno> {
        let (p, l) = self.bytes(path.as_bytes());
        let out = self.alloc(4);
        self.ok(
            "path_open",
            &[
                dir as u64,
                lookup as u64,
                p,
                l,
                oflags as u64,
                rights,
                rights,
                fdflags as u64,
                out as u64,
            ],
        )?;
        Ok(self.u32(out))
    }

    pub fn write(&mut self, fd: u32, data: &[u8]) -> Result<u32, Errno> {
        let (p, l) = self.bytes(data);
        let iov = self.iovs(&[(p as u32, l as u32)]);
        let out = self.alloc(4);
        self.ok("fd_write", &[fd as u64, iov.0, iov.1, out as u64])?;
        Ok(self.u32(out))
    }

    pub fn read(&mut self, fd: u32, n: u32) -> Result<Vec<u8>, Errno> {
        let buf = self.alloc(n);
        let iov = self.iovs(&[(buf, n)]);
        let out = self.alloc(4);
        self.ok("fd_read", &[fd as u64, iov.0, iov.1, out as u64])?;
        let got = self.u32(out) as usize;
        Ok(self.get(buf, got).to_vec())
    }

    /// One-argument-path call such as `path_unlink_file(fd, path)`.
    pub fn path_call(&mut self, name: &str, fd: u32, path: &str) -> Result<(), Errno> {
        let (p, l) = self.bytes(path.as_bytes());
        self.ok(name, &[fd as u64, p, l])
    }

    /// `path_filestat_get`, returning the 64 filestat bytes.
    pub fn stat(&mut self, fd: u32, follow: bool, path: &str) -> Result<Vec<u8>, Errno> {
        let (p, l) = self.bytes(path.as_bytes());
        let out = self.alloc(64);
        self.ok(
            "path_filestat_get",
            &[fd as u64, follow as u64, p, l, out as u64],
        )?;
        Ok(self.get(out, 64).to_vec())
    }

    pub fn close(&mut self, fd: u32) -> Result<(), Errno> {
        self.ok("fd_close", &[fd as u64])
    }
}
