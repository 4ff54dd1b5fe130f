//! [`TableElems`]: a table's elements, shared copy-on-write with the
//! module's prepared tables.
//!
//! Instances whose tables come from the module's prepared contents
//! (`image.rs`, `ResolvedTables`) start with a reference to that shared
//! slice: instantiation copies nothing and an idle instance holds no copy
//! (issue 11's Go hello has a 5,710-element table: 45 KiB per instance
//! otherwise).
//! The first mutable access — `table.set`, `table.fill`, `table.copy`,
//! `table.init`, `table.grow`, [`Table::set`](crate::Table::set) — makes the
//! table's own copy; reads never do. Compiled code reads a table through
//! `JitCtx::table_base`, refreshed after every call-out (the only way a
//! table can change under it), so a copy made by a write is seen at once.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// The elements (raw references) of a table.
pub(crate) enum TableElems {
    /// The module's prepared contents, not written by this instance yet.
    Shared(Arc<[u64]>),
    /// The table's own elements.
    Own(Vec<u64>),
}

impl TableElems {
    /// Elements shared with other instances until the first write.
    pub fn shared(elems: Arc<[u64]>) -> TableElems {
        TableElems::Shared(elems)
    }

    /// Whether the elements are still the shared prepared ones.
    #[cfg(test)]
    pub fn is_shared(&self) -> bool {
        matches!(self, TableElems::Shared(_))
    }

    /// The table's own vector, copied from the shared elements on first use.
    fn own(&mut self) -> &mut Vec<u64> {
        if let TableElems::Shared(s) = self {
            *self = TableElems::Own(s.to_vec());
        }
        match self {
            TableElems::Own(v) => v,
            TableElems::Shared(_) => unreachable!("made own above"),
        }
    }

    /// Reserves room for `additional` more elements (see `Vec::try_reserve`).
    pub fn try_reserve(
        &mut self,
        additional: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        self.own().try_reserve(additional)
    }

    /// Resizes to `len` elements, new ones set to `value`.
    pub fn resize(&mut self, len: usize, value: u64) {
        self.own().resize(len, value)
    }
}

impl From<Vec<u64>> for TableElems {
    fn from(v: Vec<u64>) -> Self {
        TableElems::Own(v)
    }
}

impl Deref for TableElems {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        match self {
            TableElems::Shared(s) => s,
            TableElems::Own(v) => v,
        }
    }
}

impl DerefMut for TableElems {
    fn deref_mut(&mut self) -> &mut [u64] {
        self.own()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_share_and_the_first_write_copies() {
        let prepared: Arc<[u64]> = Arc::from(vec![1, 2, 3]);
        let mut a = TableElems::shared(prepared.clone());
        let b = TableElems::shared(prepared.clone());
        assert_eq!(&a[..], &[1, 2, 3]);
        assert!(a.is_shared() && b.is_shared());
        assert_eq!(Arc::strong_count(&prepared), 3);
        a[1] = 9;
        assert!(!a.is_shared());
        assert_eq!(&a[..], &[1, 9, 3]);
        assert_eq!(
            &b[..],
            &[1, 2, 3],
            "the other instance keeps the prepared elements"
        );
        assert_eq!(&prepared[..], &[1, 2, 3]);
        assert_eq!(Arc::strong_count(&prepared), 2);
    }

    #[test]
    fn growth_copies_then_extends() {
        let prepared: Arc<[u64]> = Arc::from(vec![5, 6]);
        let mut a = TableElems::shared(prepared.clone());
        a.try_reserve(2).unwrap();
        a.resize(4, 7);
        assert_eq!(&a[..], &[5, 6, 7, 7]);
        assert_eq!(&prepared[..], &[5, 6]);
    }
}
