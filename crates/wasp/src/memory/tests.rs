//! Unit tests of linear-memory storage and memory images.

use super::image::{MemoryImage, FILE_IMAGE_MIN};
use super::{LinearMemory, WASM_PAGE};

#[test]
fn a_new_memory_is_zeroed_and_grows_in_place() {
    let mut m = LinearMemory::with_image(2 * WASM_PAGE, 10 * WASM_PAGE, None).unwrap();
    assert_eq!(m.len(), 2 * WASM_PAGE);
    assert!(m.iter().all(|&b| b == 0));
    m[5] = 7;
    m[2 * WASM_PAGE - 1] = 9;
    let base = m.as_mut_ptr();
    assert!(m.grow_to(5 * WASM_PAGE));
    assert_eq!(m.len(), 5 * WASM_PAGE);
    assert_eq!(m.as_mut_ptr(), base, "the reservation keeps the base");
    assert_eq!((m[5], m[2 * WASM_PAGE - 1]), (7, 9));
    assert!(m[2 * WASM_PAGE..].iter().all(|&b| b == 0));
    m[5 * WASM_PAGE - 1] = 1;
    assert!(m.grow_to(10 * WASM_PAGE));
    assert!(!m.grow_to(11 * WASM_PAGE), "beyond the maximum");
    assert!(!m.grow_to(WASM_PAGE), "memories never shrink");
    assert_eq!(m.len(), 10 * WASM_PAGE);
}

#[test]
fn empty_memories_work() {
    let mut none = LinearMemory::with_image(0, 0, None).unwrap();
    assert_eq!(none.len(), 0);
    assert!(none.grow_to(0));
    assert!(!none.grow_to(WASM_PAGE));
    let mut later = LinearMemory::with_image(0, 3 * WASM_PAGE, None).unwrap();
    assert!(later.grow_to(3 * WASM_PAGE));
    later[3 * WASM_PAGE - 1] = 4;
    assert_eq!(later[3 * WASM_PAGE - 1], 4);
}

#[test]
fn the_largest_memory_reserves_without_committing() {
    // 4 GiB of address space per memory: 64 of them at once would need
    // 256 GiB if the reservation were backed.
    let mems: Vec<_> = (0..64)
        .map(|_| LinearMemory::with_image(WASM_PAGE, 65536 * WASM_PAGE, None).unwrap())
        .collect();
    assert!(mems.iter().all(|m| m.len() == WASM_PAGE));
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 4096) as u8).collect()
}

#[test]
fn a_small_image_is_copied() {
    let bytes = pattern(1000);
    let img = MemoryImage::new(bytes.clone(), 3);
    assert!(!img.is_file());
    assert_eq!((img.len(), img.segments()), (1000, 3));
    let m = LinearMemory::with_image(WASM_PAGE, WASM_PAGE, Some(&img)).unwrap();
    assert_eq!(&m[..1000], &bytes[..]);
    assert!(m[1000..].iter().all(|&b| b == 0));
}

#[test]
fn a_large_image_is_mapped_copy_on_write() {
    let bytes = pattern(FILE_IMAGE_MIN + 12345);
    let img = MemoryImage::new(bytes.clone(), 1);
    if cfg!(target_os = "linux") {
        assert!(img.is_file());
        assert_eq!(img.len() % rustix::param::page_size(), 0);
    }
    let mut a = LinearMemory::with_image(4 * WASM_PAGE, 8 * WASM_PAGE, Some(&img)).unwrap();
    let mut b = LinearMemory::with_image(4 * WASM_PAGE, 8 * WASM_PAGE, Some(&img)).unwrap();
    assert!(a[..bytes.len()] == bytes[..]);
    assert!(a[bytes.len()..].iter().all(|&v| v == 0));
    // Writes stay private to the instance that made them.
    a[0] = a[0].wrapping_add(1);
    a[FILE_IMAGE_MIN] = 0xee;
    b[1] = 0xdd;
    assert_eq!(b[0], bytes[0]);
    assert_eq!(b[FILE_IMAGE_MIN], bytes[FILE_IMAGE_MIN]);
    assert_eq!(a[1], bytes[1]);
    let c = LinearMemory::with_image(4 * WASM_PAGE, 8 * WASM_PAGE, Some(&img)).unwrap();
    assert!(c[..bytes.len()] == bytes[..]);
    // Growth past the image keeps it and adds zeros.
    assert!(a.grow_to(8 * WASM_PAGE));
    assert_eq!(a[FILE_IMAGE_MIN], 0xee);
    assert!(a[2..FILE_IMAGE_MIN] == bytes[2..FILE_IMAGE_MIN]);
    assert!(a[FILE_IMAGE_MIN + 1..bytes.len()] == bytes[FILE_IMAGE_MIN + 1..]);
    assert!(a[4 * WASM_PAGE..].iter().all(|&v| v == 0));
    drop(a);
    assert!(b[2..bytes.len()] == bytes[2..]);
}

#[test]
fn an_image_larger_than_the_memory_is_refused() {
    let img = MemoryImage::new(pattern(FILE_IMAGE_MIN * 2), 1);
    assert!(LinearMemory::with_image(WASM_PAGE, 4 * WASM_PAGE, Some(&img)).is_none());
    let small = MemoryImage::new(pattern(10), 1);
    assert!(LinearMemory::with_image(0, 4 * WASM_PAGE, Some(&small)).is_none());
}

/// A module with a large data segment (an image would be a memory file).
fn module_with_big_data() -> crate::Module {
    let engine = crate::Engine::default();
    let data: String = (0..FILE_IMAGE_MIN + 10)
        .map(|i| format!("\\{:02x}", i % 251))
        .collect();
    crate::Module::new(
        &engine,
        format!(r#"(module (memory 4) (data (i32.const 16) "{data}"))"#),
    )
    .unwrap()
}

#[test]
fn the_image_is_built_for_the_second_instantiation() {
    let module = module_with_big_data();
    let (info, bytes) = (&module.inner.info, &module.inner.bytes);
    let images = &module.inner.images;
    assert!(images.first_instantiation());
    // The first instance copies its segments: no image is built for it.
    assert!(images.memory(info, bytes).is_none());
    assert!(!images.first_instantiation());
    let img = images
        .memory(info, bytes)
        .expect("the second gets the image");
    assert_eq!(img.segments(), 1);
    assert!(images.memory(info, bytes).is_some());
}

#[test]
fn a_prepared_image_serves_the_first_instantiation() {
    let module = module_with_big_data();
    let (info, bytes) = (&module.inner.info, &module.inner.bytes);
    let images = &module.inner.images;
    assert!(images.prepare(info, bytes).is_some());
    assert!(!images.first_instantiation());
    assert!(images.memory(info, bytes).is_some());
}

#[test]
fn huge_page_advice_keeps_the_contents_and_growth() {
    let mut m = LinearMemory::with_image(2 * WASM_PAGE, 64 * WASM_PAGE, None).unwrap();
    m[5] = 7;
    m.advise_huge();
    m[70_000] = 9;
    assert!(m.grow_to(40 * WASM_PAGE));
    m[39 * WASM_PAGE] = 1;
    assert_eq!(
        (m[5], m[70_000], m[39 * WASM_PAGE], m[3 * WASM_PAGE]),
        (7, 9, 1, 0)
    );
}

/// Writes `v` over the whole accessible memory (every page dirty).
fn scribble(m: &mut LinearMemory, v: u8) {
    m.iter_mut().for_each(|b| *b = v);
}

#[test]
fn a_pooled_memory_comes_back_pristine() {
    use super::pool::MemoryPool;
    use std::sync::Arc;
    // Pages kept resident and rewritten, or dropped (no resident budget).
    for budget in [1 << 30, 0] {
        let pool = Arc::new(MemoryPool::new(4, budget));
        let bytes = pattern(FILE_IMAGE_MIN + 12345);
        let img = MemoryImage::new(bytes.clone(), 1);
        let (len, max) = (4 * WASM_PAGE, 64 * WASM_PAGE);
        let mut a = LinearMemory::pooled(&pool, len, max, Some(&img)).unwrap();
        let base = a.as_mut_ptr();
        scribble(&mut a, 0xa5);
        assert!(a.grow_to(10 * WASM_PAGE));
        scribble(&mut a, 0x5a);
        drop(a);
        if cfg!(target_os = "linux") {
            assert_eq!(pool.held(), (1, (10 * WASM_PAGE).min(budget)));
        }
        let mut b = LinearMemory::pooled(&pool, len, max, Some(&img)).unwrap();
        if cfg!(target_os = "linux") {
            assert_eq!(b.as_mut_ptr(), base, "the released region is reused");
            assert_eq!(pool.held(), (0, 0));
        }
        assert_eq!(b.len(), len, "the initial size, not the grown one");
        assert!(b[..bytes.len()] == bytes[..], "the image's bytes");
        assert!(b[bytes.len()..].iter().all(|&v| v == 0), "zeros after it");
        // Growing again reads zeros where the last instance wrote.
        assert!(b.grow_to(12 * WASM_PAGE));
        assert!(b[len..].iter().all(|&v| v == 0));
        assert!(!b.grow_to(65 * WASM_PAGE), "the maximum holds");
        drop(b);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn only_the_written_pages_are_rewritten_and_kept() {
    use super::pool::MemoryPool;
    use std::sync::Arc;
    let page = rustix::param::page_size();
    let pool = Arc::new(MemoryPool::new(4, 1 << 30));
    let bytes = pattern(FILE_IMAGE_MIN * 2);
    let img = MemoryImage::new(bytes.clone(), 1);
    let (len, max) = (4 * WASM_PAGE, 8 * WASM_PAGE);
    for round in 0..3 {
        let mut a = LinearMemory::pooled(&pool, len, max, Some(&img)).unwrap();
        assert!(a[..bytes.len()] == bytes[..], "round {round}: the image");
        assert!(
            a[bytes.len()..].iter().all(|&v| v == 0),
            "round {round}: zeros"
        );
        // Written: two image pages (one of them twice), three zero pages;
        // everything else only read (above).
        a[3] ^= 0xff;
        a[page + 5] ^= 0xff;
        a[page + 6] ^= 0xff;
        a[bytes.len() + 1] = 1;
        a[3 * WASM_PAGE] = 2;
        a[len - 1] = 3;
        drop(a);
        assert_eq!(pool.held(), (1, 5 * page), "round {round}");
    }
}
#[cfg(target_os = "linux")]
#[test]
fn a_pooled_memory_faults_past_its_initial_size() {
    use super::pool::MemoryPool;
    use std::sync::Arc;
    let pool = Arc::new(MemoryPool::new(4, 1 << 30));
    let mut a = LinearMemory::pooled(&pool, WASM_PAGE, 16 * WASM_PAGE, None).unwrap();
    assert!(a.grow_to(8 * WASM_PAGE));
    drop(a);
    let b = LinearMemory::pooled(&pool, WASM_PAGE, 16 * WASM_PAGE, None).unwrap();
    assert_eq!(b.len(), WASM_PAGE);
    // The page after the initial size is inaccessible again: mincore works
    // on any mapped page, so ask the kernel for its protection instead.
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let after = b.as_ptr() as usize + WASM_PAGE;
    let line = maps
        .lines()
        .find(|l| {
            let (range, _) = l.split_once(' ').unwrap();
            let (lo, hi) = range.split_once('-').unwrap();
            let (lo, hi) = (
                usize::from_str_radix(lo, 16).unwrap(),
                usize::from_str_radix(hi, 16).unwrap(),
            );
            lo <= after && after < hi
        })
        .expect("the reservation is mapped");
    assert!(line.contains(" ---p "), "not accessible: {line}");
}

#[test]
fn pooled_regions_are_kept_per_image() {
    use super::pool::MemoryPool;
    use std::sync::Arc;
    for budget in [1 << 30, 0] {
        let pool = Arc::new(MemoryPool::new(8, budget));
        let one = pattern(FILE_IMAGE_MIN * 2);
        let two: Vec<u8> = one.iter().map(|b| !b).collect();
        let (img1, img2) = (
            MemoryImage::new(one.clone(), 1),
            MemoryImage::new(two.clone(), 1),
        );
        let small = MemoryImage::new(pattern(100), 1);
        let (len, max) = (4 * WASM_PAGE, 8 * WASM_PAGE);
        let mut a = LinearMemory::pooled(&pool, len, max, Some(&img1)).unwrap();
        scribble(&mut a, 1);
        drop(a);
        // Another image of the same size never gets the first one's region.
        let b = LinearMemory::pooled(&pool, len, max, Some(&img2)).unwrap();
        assert!(b[..two.len()] == two[..] && b[two.len()..].iter().all(|&v| v == 0));
        // Nor does a memory without an image, or with a copied one.
        let c = LinearMemory::pooled(&pool, len, max, None).unwrap();
        assert!(c.iter().all(|&v| v == 0));
        let d = LinearMemory::pooled(&pool, len, max, Some(&small)).unwrap();
        assert!(d[..100] == pattern(100)[..] && d[100..].iter().all(|&v| v == 0));
        drop((b, c, d));
        // A region without a file image serves any of that reservation, zeroed
        // and with the small image copied in again.
        let mut e = LinearMemory::pooled(&pool, len, max, None).unwrap();
        scribble(&mut e, 3);
        drop(e);
        let f = LinearMemory::pooled(&pool, 2 * WASM_PAGE, max, Some(&small)).unwrap();
        assert_eq!(f.len(), 2 * WASM_PAGE);
        assert!(f[..100] == pattern(100)[..] && f[100..].iter().all(|&v| v == 0));
        let g = LinearMemory::pooled(&pool, len, max, Some(&img1)).unwrap();
        assert!(g[..one.len()] == one[..] && g[one.len()..].iter().all(|&v| v == 0));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_pool_is_bounded() {
    use super::pool::MemoryPool;
    use std::sync::Arc;
    let pool = Arc::new(MemoryPool::new(2, 5 * WASM_PAGE));
    let new = || LinearMemory::pooled(&pool, 2 * WASM_PAGE, 8 * WASM_PAGE, None).unwrap();
    let mut mems: Vec<_> = (0..3).map(|_| new()).collect();
    mems.iter_mut().for_each(|m| scribble(m, 9));
    drop(mems);
    // Two regions at most; the third's pages did not fit the resident
    // budget (2 + 2 of 5 pages used): dropped, and the oldest evicted.
    assert_eq!(pool.held(), (2, 2 * WASM_PAGE));
    let (a, b) = (new(), new());
    assert!(a.iter().chain(b.iter()).all(|&v| v == 0));
    assert_eq!(pool.held(), (0, 0));
    drop((a, b));
    let off = Arc::new(MemoryPool::new(0, 1 << 30));
    drop(LinearMemory::pooled(&off, WASM_PAGE, 2 * WASM_PAGE, None).unwrap());
    assert_eq!(off.held(), (0, 0));
    // A region that asked for huge pages is not kept.
    assert_eq!(pool.held().0, 2);
    let mut huge = new();
    huge.advise_huge();
    drop(huge);
    assert_eq!(pool.held().0, 1);
}

#[cfg(target_os = "linux")]
#[test]
fn regions_of_a_dropped_image_are_unmapped() {
    use super::pool::MemoryPool;
    use std::sync::Arc;
    let pool = Arc::new(MemoryPool::new(8, 1 << 30));
    let (len, max) = (4 * WASM_PAGE, 8 * WASM_PAGE);
    let img = MemoryImage::new(pattern(FILE_IMAGE_MIN * 2), 1);
    let mut a = LinearMemory::pooled(&pool, len, max, Some(&img)).unwrap();
    let b = LinearMemory::pooled(&pool, len, max, Some(&img)).unwrap();
    scribble(&mut a, 1);
    drop(a);
    assert_eq!(pool.held(), (1, len));
    // The module (and its image) goes away: its pooled region holds
    // nothing from the next release on, and one released later is not kept.
    drop(img);
    drop(b);
    assert_eq!(pool.held(), (0, 0));
    let mut c = LinearMemory::pooled(&pool, len, max, None).unwrap();
    scribble(&mut c, 2);
    drop(c);
    assert_eq!(pool.held(), (1, len));
}

/// Regression: a mapped image without its read-only mapping (it could not
/// be made) had its written pages zeroed by the reset, not restored. Such a
/// region is not pooled now (nothing to restore from, and no way to tell
/// whether its module is gone).
#[cfg(target_os = "linux")]
#[test]
fn an_image_without_its_bytes_is_not_pooled() {
    use super::pool::MemoryPool;
    use std::sync::Arc;
    let pool = Arc::new(MemoryPool::new(8, 1 << 30));
    let bytes = pattern(FILE_IMAGE_MIN * 2);
    let mut img = MemoryImage::new(bytes.clone(), 1);
    img.forget_source();
    let (len, max) = (4 * WASM_PAGE, 8 * WASM_PAGE);
    let mut a = LinearMemory::pooled(&pool, len, max, Some(&img)).unwrap();
    scribble(&mut a, 0x33);
    drop(a);
    assert_eq!(pool.held(), (0, 0), "not kept");
    let b = LinearMemory::pooled(&pool, len, max, Some(&img)).unwrap();
    assert!(b[..bytes.len()] == bytes[..]);
    assert!(b[bytes.len()..].iter().all(|&v| v == 0));
}
