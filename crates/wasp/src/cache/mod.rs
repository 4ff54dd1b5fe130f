//! The code cache: what one run of a module learned (it is valid; the
//! translation of the functions it called), kept on disk for the next run.
//!
//! One file per entry, `<key in hex>.wasp`, in the configured directory
//! ([`Config::cache_dir`](crate::Config::cache_dir)). The key is a BLAKE3
//! hash of the module's content hash ([`content_hash`]: BLAKE3 over the
//! hashes of its 1 MiB blocks) together with everything that decides what is
//! cached: wasp's version, a fingerprint of the sources that produce and
//! interpret the cached data (the IR, the translator, the validator's
//! setup, this module), the entry format and the settings that change
//! translation. A different build or setting so never reads another's
//! entry.
//!
//! Safety against crashes and concurrent runs: an entry is written to a
//! temporary file in the same directory and renamed over the old one, so a
//! reader sees a whole entry or none; every read checks the header, the key
//! and a checksum of the payload, and an entry that fails is deleted (a miss:
//! the run rebuilds it). Two runs saving at once both write whole entries;
//! the last rename wins, which at worst forgets the other's new functions.
//! After each write the directory is cut down to its size bound, least
//! recently used first (a hit refreshes an entry's modification time).

mod entry;

pub(crate) use entry::{decode_func, encode, encode_func, Entry};

use crate::engine::Config;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// The sources whose change changes what a cache entry means.
const FINGERPRINT_SOURCES: &[&str] = &[
    include_str!("mod.rs"),
    include_str!("entry.rs"),
    include_str!("../ir.rs"),
    include_str!("../ir/simd.rs"),
    include_str!("../translate/simd.rs"),
    include_str!("../translate/mod.rs"),
    include_str!("../translate/control.rs"),
    include_str!("../translate/ops.rs"),
    include_str!("../translate/fuel.rs"),
    include_str!("../translate/mem.rs"),
    include_str!("../translate/exceptions.rs"),
    include_str!("../translate/gc.rs"),
    include_str!("../module/parse.rs"),
    // A hit skips validation: a change to what is valid must miss.
    include_str!("../module/validate.rs"),
    include_str!("../module/const_expr.rs"),
    include_str!("../module/body_guard.rs"),
    include_str!("../module/canon.rs"),
];

/// A hash of [`FINGERPRINT_SOURCES`], computed once per process.
fn build_fingerprint() -> &'static [u8; 32] {
    static FP: OnceLock<[u8; 32]> = OnceLock::new();
    FP.get_or_init(|| {
        let mut h = blake3::Hasher::new();
        for src in FINGERPRINT_SOURCES {
            h.update(&(src.len() as u64).to_le_bytes());
            h.update(src.as_bytes());
        }
        *h.finalize().as_bytes()
    })
}

/// Bytes per block of [`content_hash`].
pub(crate) const HASH_BLOCK: usize = 1 << 20;

/// The hash of one block of a module's bytes (see [`content_hash`]).
pub(crate) fn block_hash(block: &[u8]) -> [u8; 32] {
    *blake3::hash(block).as_bytes()
}

/// The content hash of `len` bytes whose [`HASH_BLOCK`]-sized blocks hash
/// (with [`block_hash`]) to `blocks`, in order.
pub(crate) fn combine_blocks(len: usize, blocks: &[[u8; 32]]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"wasp module blocks\0");
    h.update(&(len as u64).to_le_bytes());
    for b in blocks {
        h.update(b);
    }
    *h.finalize().as_bytes()
}

/// A module's content hash: BLAKE3 over its length and the BLAKE3 hashes
/// of its 1 MiB blocks, so that the blocks can be hashed on several threads,
/// each right after it is read (`Module::from_file`), and still give the
/// one hash the same bytes give from memory.
pub(crate) fn content_hash(bytes: &[u8]) -> [u8; 32] {
    let blocks: Vec<[u8; 32]> = bytes.chunks(HASH_BLOCK).map(block_hash).collect();
    combine_blocks(bytes.len(), &blocks)
}

/// The key of a module with content hash `content` ([`content_hash`]) under `config`.
pub(crate) fn key(config: &Config, content: &[u8; 32]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"wasp code cache\0");
    h.update(&(config.cache_version.len() as u64).to_le_bytes());
    h.update(config.cache_version.as_bytes());
    h.update(&entry::FORMAT.to_le_bytes());
    h.update(build_fingerprint());
    // The settings that change translated code.
    h.update(&[config.fuel as u8]);
    // And the one that changes what is valid (a hit skips validation).
    h.update(&[config.multi_memory as u8]);
    h.update(content);
    *h.finalize().as_bytes()
}

/// What a lookup found.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// A checked entry.
    Hit(Entry),
    /// No entry.
    Miss,
    /// An entry that failed its checks (now deleted), and why.
    Rejected(&'static str),
}

/// A cache directory and its size bound.
#[derive(Debug, Clone)]
pub(crate) struct Cache {
    dir: PathBuf,
    max_bytes: u64,
}

const SUFFIX: &str = "wasp";
/// Temporary files older than this are leftovers of a crashed writer.
const STALE_TEMP: Duration = Duration::from_secs(3600);

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

impl Cache {
    /// The cache `config` asks for, if any.
    pub fn of(config: &Config) -> Option<Cache> {
        Some(Cache {
            dir: config.cache_dir.clone()?,
            max_bytes: config.cache_max_bytes,
        })
    }

    fn path(&self, key: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.{SUFFIX}", hex(key)))
    }

    /// Reads and checks the entry of `key`.
    pub fn load(&self, key: &[u8; 32]) -> Lookup {
        let path = self.path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            // Unreadable (missing, or a directory in its place): a miss.
            Err(_) => return Lookup::Miss,
        };
        match Entry::parse(bytes, key) {
            Ok(e) if e.valid => {
                // Least recently *used* goes first when the cache is full.
                if let Ok(f) = std::fs::File::options().append(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Lookup::Hit(e)
            }
            Ok(_) => {
                let _ = std::fs::remove_file(&path);
                Lookup::Rejected("entry without a valid verdict")
            }
            Err(why) => {
                let _ = std::fs::remove_file(&path);
                Lookup::Rejected(why)
            }
        }
    }

    /// Writes `file` (from [`encode`]) as the entry of `key`, atomically,
    /// then bounds the directory's size. An entry larger than the bound is
    /// not written.
    pub fn store(&self, key: &[u8; 32], file: &[u8]) -> std::io::Result<()> {
        if file.len() as u64 > self.max_bytes {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)?;
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let tmp = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            hex(key),
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(file)?;
            drop(f);
            std::fs::rename(&tmp, self.path(key))
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        self.bound(key);
        Ok(())
    }

    /// Removes the least recently used entries (never `keep`) until the
    /// directory fits its bound, and stale temporary files.
    fn bound(&self, keep: &[u8; 32]) {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let keep = self.path(keep);
        let now = SystemTime::now();
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let mut total = 0u64;
        for d in dir.flatten() {
            let path = d.path();
            let Ok(meta) = d.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let modified = meta.modified().unwrap_or(now);
            let name = d.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") {
                if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                    let _ = std::fs::remove_file(&path);
                }
                continue;
            }
            if !is_entry_name(&name) {
                continue;
            }
            total += meta.len();
            if path != keep {
                entries.push((modified, meta.len(), path));
            }
        }
        if total <= self.max_bytes {
            return;
        }
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }

    /// The cache directory.
    #[allow(dead_code)]
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Is `name` an entry file (`<64 hex digits>.wasp`)? Nothing else in the
/// directory is ever counted or removed.
fn is_entry_name(name: &str) -> bool {
    name.strip_suffix(".wasp")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trip_and_checks() {
        let key = [7u8; 32];
        let file = encode(&key, true, &[(1, b"abc"), (5, b"")], &[5, 1]);
        let e = Entry::parse(file.clone(), &key).unwrap();
        assert!(e.valid);
        assert_eq!(e.order(), &[5, 1]);
        assert_eq!(e.func(1), Some(&b"abc"[..]));
        assert_eq!(e.func(5), Some(&b""[..]));
        assert_eq!(e.func(2), None);
        assert_eq!(e.func_count(), 2);
        assert_eq!(
            Entry::parse(file.clone(), &[8u8; 32]).unwrap_err(),
            "another key"
        );
        for len in 0..file.len() {
            assert!(Entry::parse(file[..len].to_vec(), &key).is_err(), "{len}");
        }
        for at in 0..file.len() {
            let mut bad = file.clone();
            bad[at] ^= 0x40;
            assert!(Entry::parse(bad, &key).is_err(), "flip at {at}");
        }
    }

    #[test]
    fn entry_names() {
        assert!(is_entry_name(&format!("{}.wasp", "a".repeat(64))));
        assert!(!is_entry_name(&format!("{}.wasp", "g".repeat(64))));
        assert!(!is_entry_name("notes.txt"));
    }

    #[test]
    fn settings_that_change_translation_change_the_key() {
        let bytes = &content_hash(b"\0asm\x01\0\0\0");
        let plain = Config::new();
        let mut fuel = Config::new();
        fuel.consume_fuel(true);
        let mut upgraded = Config::new();
        upgraded.cache_version("99.0.0");
        let mut bounded = Config::new();
        bounded.max_stack_bytes(1 << 20).cache_max_bytes(1);
        assert_ne!(key(&plain, bytes), key(&fuel, bytes));
        assert_ne!(key(&plain, bytes), key(&upgraded, bytes));
        // A module valid with multi-memory may be invalid without.
        let mut one_memory = Config::new();
        one_memory.wasm_multi_memory(false);
        assert_ne!(key(&plain, bytes), key(&one_memory, bytes));
        assert_eq!(key(&plain, bytes), key(&bounded, bytes));
        let longer = content_hash(b"\0asm\x01\0\0\0\0");
        assert_ne!(key(&plain, bytes), key(&plain, &longer));
    }

    /// The block-wise content hash: any change of a byte, of the length or
    /// of the order of blocks changes it.
    #[test]
    fn content_hash_covers_every_byte_and_the_length() {
        let a: Vec<u8> = (0..3 * HASH_BLOCK + 7)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let h = content_hash(&a);
        let blocks: Vec<[u8; 32]> = a.chunks(HASH_BLOCK).map(block_hash).collect();
        assert_eq!(combine_blocks(a.len(), &blocks), h);
        for at in [0, HASH_BLOCK - 1, HASH_BLOCK, a.len() - 1] {
            let mut b = a.clone();
            b[at] ^= 1;
            assert_ne!(content_hash(&b), h, "byte {at}");
        }
        assert_ne!(content_hash(&a[..a.len() - 1]), h);
        let mut swapped = a[HASH_BLOCK..2 * HASH_BLOCK].to_vec();
        swapped.extend_from_slice(&a[..HASH_BLOCK]);
        swapped.extend_from_slice(&a[2 * HASH_BLOCK..]);
        assert_ne!(content_hash(&swapped), h);
        assert_ne!(content_hash(&[]), content_hash(&[0]));
    }
}
