//! Run-time layouts of GC types: how a struct's fields or an array's
//! elements sit in an object's slots, and the supertype chain casts test.
//!
//! An object's payload is a run of 64-bit slots, like a frame: a field takes
//! one slot (two for a `v128`, low half first), packed `i8`/`i16` fields
//! included (kept zero-extended). The engine builds one [`GcType`] per
//! interned type (`Engine::intern_group`), so objects of equal types made by
//! different modules share it, and a cast never takes the engine's lock.

use crate::module::canon::TypeKind;

/// How a field's value is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Storage {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    V128,
    /// A reference of the given family.
    Ref(RefClass),
}

/// Move mode: one slot as it is.
pub(crate) const MODE_PLAIN: u8 = 0;
/// Move mode: a `v128` (two slots).
pub(crate) const MODE_V128: u8 = 1;

/// Reads a value stored with move `mode` from `data` at `at`: the low slot
/// and, for a `v128`, the high one.
#[inline]
pub(crate) fn read(data: &[u64], at: usize, mode: u8) -> Option<(u64, u64)> {
    let v = *data.get(at)?;
    Some(match mode {
        MODE_PLAIN => (v, 0),
        MODE_V128 => (v, *data.get(at + 1)?),
        2 => (v as u8 as i8 as i32 as u32 as u64, 0),
        3 => (v & 0xff, 0),
        4 => (v as u16 as i16 as i32 as u32 as u64, 0),
        _ => (v & 0xffff, 0),
    })
}

/// Writes a value (`lo`, and `hi` for a `v128`) with move `mode` into
/// `data` at `at`; false if out of range.
#[inline]
pub(crate) fn write(data: &mut [u64], at: usize, mode: u8, lo: u64, hi: u64) -> bool {
    let v = match mode {
        MODE_PLAIN | MODE_V128 => lo,
        2 | 3 => lo & 0xff,
        _ => lo & 0xffff,
    };
    match data.get_mut(at) {
        Some(d) => *d = v,
        None => return false,
    }
    if mode == MODE_V128 {
        match data.get_mut(at + 1) {
            Some(d) => *d = hi,
            None => return false,
        }
    }
    true
}

/// Which encoding a reference field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefClass {
    /// Function references (store index + 1): never traced.
    Func,
    /// The `any` and `extern` hierarchies (`gc/mod.rs`): traced.
    Gc,
    /// Exception references: the exception heap keeps them.
    Exn,
}

impl Storage {
    /// Slots a value takes.
    pub fn slots(self) -> u32 {
        if self == Storage::V128 {
            2
        } else {
            1
        }
    }

    /// The move mode of an IR access of this storage (`Instr::StructGet`
    /// and friends): 0 one slot, 1 a `v128`, 2/3 an `i8` read signed /
    /// unsigned, 4/5 an `i16` likewise (writes of 2..=5 keep the low bits).
    pub fn mode(self, signed: bool) -> u8 {
        match self {
            Storage::V128 => MODE_V128,
            Storage::I8 => 2 + !signed as u8,
            Storage::I16 => 4 + !signed as u8,
            _ => MODE_PLAIN,
        }
    }

    /// Bytes of an element in a data segment (`array.new_data`).
    pub fn bytes(self) -> usize {
        match self {
            Storage::I8 => 1,
            Storage::I16 => 2,
            Storage::I32 | Storage::F32 => 4,
            Storage::V128 => 16,
            _ => 8,
        }
    }
}

/// A field (or an array's element type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Field {
    pub storage: Storage,
    pub mutable: bool,
    /// First slot of the field in a struct (0 for an array's element).
    pub offset: u32,
}

/// What the runtime knows of an engine type.
#[derive(Debug)]
pub(crate) struct GcType {
    pub kind: TypeKind,
    /// A struct's fields, an array's element (one entry), nothing for a
    /// function type.
    pub fields: Box<[Field]>,
    /// Slots of a struct's payload, or of one array element.
    pub slots: u32,
    /// Engine ids of the type and its declared supertypes, the type first.
    pub supers: Box<[u32]>,
    /// Does a field hold `any`/`extern` references (which the collector
    /// traces)?
    pub traced: bool,
}

impl GcType {
    /// A type of `kind` with `fields` (offsets are assigned here) and the
    /// supertype chain `supers`.
    pub fn new(kind: TypeKind, fields: &[(Storage, bool)], supers: Box<[u32]>) -> GcType {
        let mut offset = 0;
        let fields: Box<[Field]> = fields
            .iter()
            .map(|&(storage, mutable)| {
                let f = Field {
                    storage,
                    mutable,
                    offset,
                };
                if kind == TypeKind::Struct {
                    offset += storage.slots();
                }
                f
            })
            .collect();
        let slots = match kind {
            TypeKind::Struct => offset,
            TypeKind::Array => fields.first().map_or(1, |f| f.storage.slots()),
            TypeKind::Func => 0,
        };
        let traced = fields
            .iter()
            .any(|f| f.storage == Storage::Ref(RefClass::Gc));
        GcType {
            kind,
            fields,
            slots,
            supers,
            traced,
        }
    }

    /// Is this type `id` or a subtype of it?
    #[inline]
    pub fn is_subtype_of(&self, id: u32) -> bool {
        self.supers.contains(&id)
    }

    /// An array's element.
    pub fn elem(&self) -> Field {
        self.fields[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_offsets_count_v128_as_two_slots() {
        let t = GcType::new(
            TypeKind::Struct,
            &[
                (Storage::I8, false),
                (Storage::V128, true),
                (Storage::Ref(RefClass::Gc), true),
            ],
            Box::new([7, 3]),
        );
        let offsets: Vec<u32> = t.fields.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [0, 1, 3]);
        assert_eq!(t.slots, 4);
        assert!(t.traced && t.is_subtype_of(3) && t.is_subtype_of(7) && !t.is_subtype_of(4));
        let a = GcType::new(TypeKind::Array, &[(Storage::V128, true)], Box::new([1]));
        assert_eq!((a.slots, a.traced), (2, false));
    }

    #[test]
    fn packed_fields_truncate_and_extend() {
        let mut d = [0u64; 3];
        let (i8s, i8u) = (Storage::I8.mode(true), Storage::I8.mode(false));
        assert!(write(&mut d, 0, i8s, 0x1ff, 0));
        assert_eq!(d[0], 0xff);
        assert_eq!(read(&d, 0, i8s), Some((0xffff_ffff, 0)));
        assert_eq!(read(&d, 0, i8u), Some((0xff, 0)));
        let (i16s, i16u) = (Storage::I16.mode(true), Storage::I16.mode(false));
        assert!(write(&mut d, 0, i16u, 0x1_8000, 0));
        assert_eq!(read(&d, 0, i16s), Some((0xffff_8000, 0)));
        assert_eq!(read(&d, 0, i16u), Some((0x8000, 0)));
        let v = Storage::V128.mode(false);
        assert!(write(&mut d, 1, v, 5, 6));
        assert_eq!(read(&d, 1, v), Some((5, 6)));
        assert!(!write(&mut d, 2, v, 5, 6));
        assert_eq!(read(&d, 2, v), None);
        assert_eq!(read(&d, 3, MODE_PLAIN), None);
        assert!(write(&mut d, 2, Storage::I64.mode(false), u64::MAX, 0));
        assert_eq!(d[2], u64::MAX);
    }
}
