//! The inline `call_indirect` cache: compiled code calls a compiled callee
//! found through table 0 without leaving native code.
//!
//! Without it every `call_indirect` is a call-out to the runtime (`runtime.rs`,
//! `call_indirect`): Go calls closures, interface methods and every resumed
//! frame that way (`sort.Slice`'s `less` spent 12% of a run there).
//!
//! - One cache per thread, [`ENTRIES`] direct-mapped entries of 4 words:
//!   `tag`, `key`, `addr`, unused. The tag names the store and instance
//!   ([`tag`]: store id and instance index, never 0, so an empty entry never
//!   hits); the key is the table element (a raw reference: store function
//!   index + 1, never 0 for a function) with the call site's engine type id
//!   in the high 32 bits; `addr` is the callee's native code.
//! - Compiled code (`call_indirect` on table 0): element index below
//!   `ctx.table_len` → load the element, look at entry `element & 255`; tag
//!   and key equal → call `addr` directly. Anything else (out of bounds,
//!   null, another type, another instance's function, not compiled, not
//!   cached yet) takes the call-out, which checks and traps exactly as
//!   before and fills the entry when it returns native code.
//! - Why no invalidation: an entry says "store function `r` has type `t`
//!   and native code `addr` in this instance", all of which never change
//!   once true (a function's type and instance are fixed, code table
//!   entries are written once and the code lives as long as the module,
//!   store ids are never reused). The element itself is read from the
//!   table at every call; `table_base`/`table_len` are refreshed after
//!   every call-out (the only way a table can change under compiled code).

use super::abi::{self, trusted, JitCtx};
use super::func::FuncTranslator;
use crate::store::StoreInner;
use crate::types::FuncType;
use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstBuilder, Value};
use std::cell::UnsafeCell;

/// Entries per thread (a power of two: the index is `element & (ENTRIES - 1)`).
pub(super) const ENTRIES: usize = 256;

/// Words per entry: tag, key, addr, unused.
const WORDS: usize = 4;

thread_local! {
    /// This thread's cache: 8 KiB, all tags 0 (empty) at first.
    static CACHE: UnsafeCell<[u64; ENTRIES * WORDS]> = const { UnsafeCell::new([0; ENTRIES * WORDS]) };
}

/// The tag of store `store_id`'s instance `instance`, or 0 (no caching)
/// when the two do not fit in 64 bits side by side.
fn tag(store_id: u64, instance: u32) -> u64 {
    if instance >= 1 << 24 || store_id == 0 || store_id >= 1 << 40 {
        return 0;
    }
    (store_id << 24) | u64::from(instance)
}

/// Points `ctx` at this thread's cache and the tag of `instance` of the
/// store `inner`, and at the instance's table 0 ([`refresh`]).
pub(super) fn attach(ctx: &mut JitCtx, inner: &StoreInner, instance: u32) {
    ctx.icache = CACHE.with(|c| c.get().cast());
    ctx.icache_tag = tag(inner.id.raw(), instance);
    refresh(ctx, inner, instance);
}

/// Points `ctx` at table 0 of `instance` again (it may have grown or
/// moved); no table, or no tag, turns the cache off.
pub(super) fn refresh(ctx: &mut JitCtx, inner: &StoreInner, instance: u32) {
    let table = inner.instances[instance as usize].tables.first();
    match table {
        Some(&t) if ctx.icache_tag != 0 => {
            let elems = &inner.tables[t as usize].elems;
            ctx.table_base = elems.as_ptr();
            ctx.table_len = elems.len() as u64;
        }
        _ => {
            ctx.table_base = std::ptr::null();
            ctx.table_len = 0;
        }
    }
}

/// Records that element `r` of table 0, called with engine type id
/// `type_id`, is native code `addr` of `ctx`'s instance.
pub(super) fn fill(ctx: &JitCtx, r: u64, type_id: u32, addr: usize) {
    if ctx.icache.is_null() || ctx.icache_tag == 0 || r == 0 || r > u64::from(u32::MAX) {
        return;
    }
    let at = (r as usize & (ENTRIES - 1)) * WORDS;
    // SAFETY: `icache` is this thread's cache (`attach`: `ENTRIES * WORDS`
    // words, `at + 2` is within them); only this thread uses it, and no
    // reference to it is alive (compiled code reads it between call-outs).
    unsafe {
        let e = ctx.icache.add(at);
        e.write(ctx.icache_tag);
        e.add(1).write(r | (u64::from(type_id) << 32));
        e.add(2).write(addr as u64);
    }
}

impl FuncTranslator<'_, '_> {
    /// The cache probe of a `call_indirect` on table 0 (see the file
    /// header): on a hit, calls the cached code with `args` and jumps to
    /// `join`; returns the block the miss path continues in (switched to).
    pub(super) fn icache_probe(
        &mut self,
        ty: &FuncType,
        type_id: u32,
        index: Value,
        args: &[Value],
        join: ir::Block,
    ) -> Result<ir::Block, String> {
        let b = &mut self.b;
        let base = b
            .ins()
            .load(types::I64, trusted(), self.ctx, abi::TABLE_BASE);
        let len = b
            .ins()
            .load(types::I64, trusted(), self.ctx, abi::TABLE_LEN);
        let i = b.ins().uextend(types::I64, index);
        let inside = b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        let (probe, hit, miss) = (b.create_block(), b.create_block(), b.create_block());
        b.ins().brif(inside, probe, &[], miss, &[]);
        b.seal_block(probe);
        b.switch_to_block(probe);
        let off = b.ins().ishl_imm_u(i, 3);
        let at = b.ins().iadd(base, off);
        let r = b.ins().load(types::I64, trusted(), at, 0);
        let slot = b.ins().band_imm_u(r, (ENTRIES - 1) as i64);
        let off = b.ins().ishl_imm_u(slot, 5);
        let cache = b.ins().load(types::I64, trusted(), self.ctx, abi::ICACHE);
        let e = b.ins().iadd(cache, off);
        let tag = b.ins().load(types::I64, trusted(), e, 0);
        let want_tag = b
            .ins()
            .load(types::I64, trusted(), self.ctx, abi::ICACHE_TAG);
        let key = b.ins().load(types::I64, trusted(), e, 8);
        let want_key = b.ins().bor_imm_u(r, (u64::from(type_id) << 32) as i64);
        let same_tag = b.ins().icmp(IntCC::Equal, tag, want_tag);
        let same_key = b.ins().icmp(IntCC::Equal, key, want_key);
        let ok = b.ins().band(same_tag, same_key);
        b.ins().brif(ok, hit, &[], miss, &[]);
        b.seal_block(hit);
        b.switch_to_block(hit);
        let addr = self.b.ins().load(types::I64, trusted(), e, 16);
        self.call_native(ty, addr, args, join)?;
        self.b.seal_block(miss);
        self.b.switch_to_block(miss);
        Ok(miss)
    }
}
