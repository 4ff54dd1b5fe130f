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
