//! The `diff` target over a fixed seed range (deterministic; CI runs it).
//! `WASP_FUZZ_SEEDS=A..B` overrides the range.

// Two halves, so the two test threads share the work.
#[test]
fn diff_seeds_first_half() {
    wasp_fuzz::cli::run_ci_half(wasp_fuzz::DIFF, wasp_fuzz::DIFF_CI_SEEDS, 0);
}

#[test]
fn diff_seeds_second_half() {
    wasp_fuzz::cli::run_ci_half(wasp_fuzz::DIFF, wasp_fuzz::DIFF_CI_SEEDS, 1);
}

/// The generator really produces the WebAssembly 3.0 features the engines
/// compare (a third of the modules each): SIMD operators and functions
/// called with or returning `v128`, tail calls, extended constants, and GC
/// operators (a quarter of the modules).
#[test]
fn generated_modules_cover_simd_tail_calls_extended_constants_and_gc() {
    use wasmparser::{Operator, Payload};
    let (mut simd, mut v128_exports, mut tail, mut ext_const, mut gc) = (0, 0, 0, 0, 0);
    let seeds = 0..300u64;
    for seed in seeds.clone() {
        let data = wasp_fuzz::rng::seed_bytes(seed, wasp_fuzz::DIFF.max_len);
        let mut u = arbitrary::Unstructured::new(&data);
        let Ok(bytes) = wasp_fuzz::diff::generate(&mut u) else {
            continue;
        };
        let exports = wasp_fuzz::engines::func_exports(&bytes);
        let v128 = wasp_fuzz::engines::Ty::V128;
        v128_exports += exports
            .iter()
            .any(|f| f.params.contains(&v128) || f.results.contains(&v128))
            as u32;
        let (mut s, mut t, mut e, mut g) = (false, false, false, false);
        for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
            match payload.unwrap() {
                Payload::CodeSectionEntry(body) => {
                    let mut ops = body.get_operators_reader().unwrap();
                    while !ops.eof() {
                        let (op, offset) = ops.read_with_offset().unwrap();
                        s |= bytes[offset as usize] == 0xfd;
                        g |= bytes[offset as usize] == 0xfb;
                        t |= matches!(
                            op,
                            Operator::ReturnCall { .. } | Operator::ReturnCallIndirect { .. }
                        );
                    }
                }
                Payload::GlobalSection(r) => {
                    for g in r {
                        let g = g.unwrap();
                        let mut ops = g.init_expr.get_operators_reader();
                        while !ops.eof() {
                            e |= matches!(
                                ops.read().unwrap(),
                                Operator::I32Add
                                    | Operator::I32Sub
                                    | Operator::I32Mul
                                    | Operator::I64Add
                                    | Operator::I64Sub
                                    | Operator::I64Mul
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        simd += s as u32;
        tail += t as u32;
        ext_const += e as u32;
        gc += g as u32;
    }
    let n = seeds.end as u32;
    for (what, count) in [
        ("SIMD operators", simd),
        ("v128 in an exported signature", v128_exports),
        ("tail calls", tail),
        ("extended constant expressions", ext_const),
        ("GC operators", gc),
    ] {
        eprintln!("{what}: {count} of {n} modules");
        assert!(count >= n / 50, "{what}: only {count} of {n} modules");
    }
}
