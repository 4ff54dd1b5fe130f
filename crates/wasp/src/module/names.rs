//! Function names from the `name` custom section, decoded on first use.
//!
//! A Go binary names each of its thousands of functions; only a trap's
//! backtrace, a profile or `wasp inspect` ever asks for one, so loading
//! keeps the section's bytes and leaves the map for later.

use std::collections::HashMap;
use std::sync::OnceLock;
use wasmparser::{BinaryReader, Name, NameSectionReader};

/// The function names of a module: `get` as on a `HashMap<u32, String>`.
#[derive(Debug, Default)]
pub(crate) struct FuncNames {
    /// Payload and its offset in the module, of each name section.
    sections: Vec<(Box<[u8]>, u64)>,
    map: OnceLock<HashMap<u32, String>>,
}

impl FuncNames {
    /// Remembers a name section's payload found at `offset`.
    pub fn add_section(&mut self, data: &[u8], offset: u64) {
        self.sections.push((data.into(), offset));
        self.map = OnceLock::new();
    }

    /// The name of function `index`, if the name section gives one.
    pub fn get(&self, index: &u32) -> Option<&String> {
        self.map.get_or_init(|| self.decode()).get(index)
    }

    fn decode(&self) -> HashMap<u32, String> {
        let mut map = HashMap::new();
        for (data, offset) in &self.sections {
            let names = NameSectionReader::new(BinaryReader::new(data, *offset));
            // The name section is advisory: a broken one is ignored.
            for n in names.into_iter().flatten() {
                if let Name::Function(funcs) = n {
                    for naming in funcs.into_iter().flatten() {
                        map.insert(naming.index, naming.name.to_string());
                    }
                }
            }
        }
        map
    }
}
