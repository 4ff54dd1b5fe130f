//! Fixed regressions: modules the fuzzers found (reduced), each with the call
//! that showed the finding (a `;; call: FUNC ARG...` line). wasp and wasmtime
//! must agree on that call. Also the control-target seeds that found issue 8's
//! translator defects on the pre-fix revision (29ed81a); those seeds are tied
//! to the generator as it was when they were found, the `.wat` files are not.

use wasp_fuzz::engines::V;

#[test]
fn reduced_modules_agree_with_wasmtime() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|s| s.to_str()) != Some("wat") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let call = text
            .lines()
            .find_map(|l| l.strip_prefix(";; call: "))
            .unwrap_or_else(|| panic!("{}: no `;; call:` line", path.display()));
        let mut words = call.split_whitespace();
        let func = words.next().unwrap();
        let args: Vec<V> = words
            .map(|a| {
                V::I32(match a.strip_prefix("0x") {
                    Some(h) => u32::from_str_radix(h, 16).unwrap(),
                    None => a.parse::<i64>().unwrap() as u32,
                })
            })
            .collect();
        let bytes = wat::parse_str(&text).unwrap();
        assert!(
            !wasp_fuzz::reduce::mismatch(&bytes, func, &args),
            "{}: wasp and wasmtime disagree on {call}",
            path.display()
        );
        n += 1;
    }
    assert!(n >= 3, "regression modules found: {n}");
}

/// Seeds of the control target that found issue 8 defects 1 and 2.
const CONTROL_SEEDS: &[u64] = &[
    54, 132, 173, 366, 384, 396, 403, 404, 483, 490, 551, 650, 656, 661, 738, 780, 845, 875, 911,
    912, 944, 1102, 1161, 1247, 1284, 1350, 1360, 1413, 1460,
];

#[test]
fn control_seeds_that_found_translator_defects() {
    for &s in CONTROL_SEEDS {
        wasp_fuzz::cli::run_range(wasp_fuzz::CONTROL, s..s + 1);
    }
}
