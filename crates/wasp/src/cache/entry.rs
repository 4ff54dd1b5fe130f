//! The on-disk format of one cache entry, and of the translated functions in it.
//!
//! ```text
//! header  magic "waspcode" | format u32 | key [32] | payload length u64 | BLAKE3 of payload [32]
//! payload flags u8 (bit 0: the module is valid) | function count u32
//!         | count × (defined-function index u32, blob offset u32, blob length u32), sorted
//!         | order count u32 | order count × defined-function index u32 (first use first)
//!         | blobs
//! blob    params u16 | locals u16 | frame size u32 | instruction count u32 | instructions
//!         | OSR point count u32 | count × (instruction index u32, wasm offset u32), ascending
//! ```
//!
//! Integers are little-endian; instructions are [`Instr`]s in postcard's
//! compact encoding (varints). The runtime's `Op` pairs each instruction with
//! a handler address, which is only meaningful in one process, so the cache
//! keeps instructions and `exec::op_of` rebuilds the ops. `CallIndirect`'s
//! signature is an engine-wide type id (it depends on which modules the
//! engine saw first): the blob stores the module's own type index instead and
//! loading maps it back. Any instruction that gains an engine-dependent
//! operand must be mapped the same way here (`map_instr`).

use crate::ir::{CompiledFunc, Instr};
use std::ops::Range;

/// Bump when the layout above, or the meaning of cached data, changes.
pub(crate) const FORMAT: u32 = 3;
const MAGIC: &[u8; 8] = b"waspcode";
const HEADER: usize = 8 + 4 + 32 + 8 + 32;
const INDEX_ROW: usize = 12;

/// A checked entry, read from disk: the verdict and the blobs of the
/// translated functions it holds (decoded on demand).
#[derive(Debug)]
pub(crate) struct Entry {
    /// The module passed validation.
    pub valid: bool,
    payload: Vec<u8>,
    /// (defined-function index, blob range in `payload`), sorted by index.
    funcs: Vec<(u32, Range<usize>)>,
    /// The functions in the order an earlier run first needed them.
    order: Vec<u32>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

impl Entry {
    /// Checks and indexes the bytes of an entry file expected to hold `key`.
    /// Any mismatch (magic, format, key, length, checksum, index) is an error
    /// naming what was wrong.
    pub fn parse(mut file: Vec<u8>, key: &[u8; 32]) -> Result<Entry, &'static str> {
        if file.len() < HEADER {
            return Err("truncated header");
        }
        if &file[..8] != MAGIC {
            return Err("not a wasp cache entry");
        }
        if u32_at(&file, 8) != Some(FORMAT) {
            return Err("another cache format");
        }
        if &file[12..44] != key {
            return Err("another key");
        }
        let len = u64_at(&file, 44).ok_or("truncated header")?;
        if len != (file.len() - HEADER) as u64 {
            return Err("truncated or overlong payload");
        }
        if blake3::hash(&file[HEADER..]).as_bytes() != &file[52..84] {
            return Err("checksum mismatch");
        }
        let payload = file.split_off(HEADER);
        let flags = *payload.first().ok_or("empty payload")?;
        let count = u32_at(&payload, 1).ok_or("truncated index")? as usize;
        let index_end = count
            .checked_mul(INDEX_ROW)
            .and_then(|n| n.checked_add(5))
            .filter(|&n| n <= payload.len())
            .ok_or("truncated index")?;
        let order_count = u32_at(&payload, index_end).ok_or("truncated order")? as usize;
        let blobs_start = order_count
            .checked_mul(4)
            .and_then(|n| n.checked_add(index_end + 4))
            .filter(|&n| n <= payload.len())
            .ok_or("truncated order")?;
        let order = (index_end + 4..blobs_start)
            .step_by(4)
            .map(|at| u32_at(&payload, at).unwrap_or(u32::MAX))
            .collect();
        let mut funcs = Vec::with_capacity(count);
        for row in (5..index_end).step_by(INDEX_ROW) {
            let def = u32_at(&payload, row).ok_or("truncated index")?;
            let off = u32_at(&payload, row + 4).ok_or("truncated index")? as usize;
            let len = u32_at(&payload, row + 8).ok_or("truncated index")? as usize;
            if off < blobs_start || off.checked_add(len).is_none_or(|e| e > payload.len()) {
                return Err("function blob out of bounds");
            }
            if funcs.last().is_some_and(|(d, _)| *d >= def) {
                return Err("function index not sorted");
            }
            funcs.push((def, off..off + len));
        }
        Ok(Entry {
            valid: flags & 1 != 0,
            payload,
            funcs,
            order,
        })
    }

    /// The blob of defined function `def`, if the entry has it.
    pub fn func(&self, def: u32) -> Option<&[u8]> {
        let i = self.funcs.binary_search_by_key(&def, |(d, _)| *d).ok()?;
        Some(&self.payload[self.funcs[i].1.clone()])
    }

    /// The functions the entry holds: (index, blob).
    pub fn funcs(&self) -> impl Iterator<Item = (u32, &[u8])> + '_ {
        self.funcs
            .iter()
            .map(|(d, r)| (*d, &self.payload[r.clone()]))
    }

    /// The functions in the order an earlier run first needed them (not
    /// necessarily all the entry holds, possibly some it does not).
    pub fn order(&self) -> &[u32] {
        &self.order
    }

    /// Number of functions the entry holds.
    pub fn func_count(&self) -> usize {
        self.funcs.len()
    }
}

/// The bytes of an entry file for `key`: the verdict, function blobs
/// (sorted by index, each index once) and the order of first use.
pub(crate) fn encode(
    key: &[u8; 32],
    valid: bool,
    funcs: &[(u32, &[u8])],
    order: &[u32],
) -> Vec<u8> {
    let blobs_start = 5 + funcs.len() * INDEX_ROW + 4 + order.len() * 4;
    let mut payload =
        Vec::with_capacity(blobs_start + funcs.iter().map(|f| f.1.len()).sum::<usize>());
    payload.push(valid as u8);
    payload.extend_from_slice(&(funcs.len() as u32).to_le_bytes());
    let mut off = blobs_start;
    for (def, blob) in funcs {
        payload.extend_from_slice(&def.to_le_bytes());
        payload.extend_from_slice(&(off as u32).to_le_bytes());
        payload.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        off += blob.len();
    }
    payload.extend_from_slice(&(order.len() as u32).to_le_bytes());
    for def in order {
        payload.extend_from_slice(&def.to_le_bytes());
    }
    for (_, blob) in funcs {
        payload.extend_from_slice(blob);
    }
    let mut file = Vec::with_capacity(HEADER + payload.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(&FORMAT.to_le_bytes());
    file.extend_from_slice(key);
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(blake3::hash(&payload).as_bytes());
    file.extend_from_slice(&payload);
    file
}

/// Rewrites the engine-dependent operands of `instr` with `ty` (engine type
/// id to module type index on the way out, back on the way in).
fn map_instr(instr: Instr, ty: impl Fn(u32) -> Option<u32>) -> Option<Instr> {
    Some(match instr {
        Instr::CallIndirect {
            ty: t,
            index,
            base,
            table,
        } => Instr::CallIndirect {
            ty: ty(t)?,
            index,
            base,
            table,
        },
        Instr::ReturnCallIndirect {
            ty: t,
            index,
            base,
            table,
        } => Instr::ReturnCallIndirect {
            ty: ty(t)?,
            index,
            base,
            table,
        },
        other => other,
    })
}

/// Encodes a translated function; `to_module_type` maps an engine type id
/// to the module's type index (`None`: the function cannot be cached).
pub(crate) fn encode_func(
    code: &CompiledFunc,
    to_module_type: impl Fn(u32) -> Option<u32>,
) -> Option<Vec<u8>> {
    // Exception handler tables are not part of the format: such functions
    // are translated again on the next run.
    if !code.handlers.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(12 + code.instrs.len() * 4);
    out.extend_from_slice(&code.params.to_le_bytes());
    out.extend_from_slice(&code.locals.to_le_bytes());
    out.extend_from_slice(&code.frame_size.to_le_bytes());
    out.extend_from_slice(&(code.instrs.len() as u32).to_le_bytes());
    for op in code.instrs.iter() {
        let instr = map_instr(op.instr, &to_module_type)?;
        out = postcard::to_extend(&instr, out).ok()?;
    }
    // The on-stack replacement points (`CompiledFunc::osr`): a count, then
    // (instruction, wasm offset) pairs.
    out.extend_from_slice(&(code.osr.len() as u32).to_le_bytes());
    for &(ip, wasm) in code.osr.iter() {
        out.extend_from_slice(&ip.to_le_bytes());
        out.extend_from_slice(&wasm.to_le_bytes());
    }
    Some(out)
}

/// Decodes a function blob; `to_engine_type` maps a module type index to
/// the engine's type id. `None` when the blob is malformed.
pub(crate) fn decode_func(
    blob: &[u8],
    to_engine_type: impl Fn(u32) -> Option<u32>,
) -> Option<CompiledFunc> {
    let params = u16_at(blob, 0)?;
    let locals = u16_at(blob, 2)?;
    let frame_size = u32_at(blob, 4)?;
    let count = u32_at(blob, 8)? as usize;
    // Every instruction takes at least one byte: a bogus count cannot make
    // us allocate more than the blob's size.
    if count > blob.len() || count == 0 {
        return None;
    }
    let mut rest = &blob[12..];
    let mut instrs = Vec::with_capacity(count);
    for _ in 0..count {
        let (instr, tail) = postcard::take_from_bytes::<Instr>(rest).ok()?;
        rest = tail;
        instrs.push(crate::exec::op_of(map_instr(instr, &to_engine_type)?));
    }
    let n = u32_at(rest, 0)? as usize;
    rest = &rest[4..];
    if rest.len() != n.checked_mul(8)? {
        return None;
    }
    let mut osr = Vec::with_capacity(n);
    for i in 0..n {
        let (ip, wasm) = (u32_at(rest, 8 * i)?, u32_at(rest, 8 * i + 4)?);
        // Ascending, within the code: a bad entry would misplace a frame.
        if ip as usize >= count || osr.last().is_some_and(|&(p, _)| p >= ip) {
            return None;
        }
        osr.push((ip, wasm));
    }
    Some(CompiledFunc {
        instrs: instrs.into_boxed_slice(),
        params,
        locals,
        frame_size,
        handlers: Box::new([]),
        osr: osr.into_boxed_slice(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OSR points survive the cache; a blob with points out of order or
    /// past the code is refused (a bad point would misplace a frame).
    #[test]
    fn osr_points_round_trip_and_bad_ones_are_refused() {
        let wat = r#"(module (func (param i32) (result i32)
          (block (loop (br_if 1 (i32.eqz (local.get 0)))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br 0)))
          (local.get 0)))"#;
        let engine = crate::Engine::default();
        let module = crate::Module::new(&engine, wat).expect("module");
        let code = module.inner.compiled_func(0).expect("translates");
        assert!(code.osr.len() >= 2, "{:?}", code.osr);
        let blob = encode_func(&code, Some).expect("encodes");
        let back = decode_func(&blob, Some).expect("decodes");
        assert_eq!(back.osr, code.osr);
        assert_eq!(back.instrs.len(), code.instrs.len());
        // The first point's instruction index is the pairs' first word.
        let first = blob.len() - 8 * code.osr.len();
        let mut bad = blob.clone();
        bad[first..first + 4].copy_from_slice(&(code.instrs.len() as u32).to_le_bytes());
        assert!(decode_func(&bad, Some).is_none());
        let mut unordered = blob.clone();
        let second = code.osr[1].0.to_le_bytes();
        unordered[first..first + 4].copy_from_slice(&second);
        assert!(decode_func(&unordered, Some).is_none());
        assert!(decode_func(&blob[..blob.len() - 1], Some).is_none());
    }
}
