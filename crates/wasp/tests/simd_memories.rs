//! SIMD loads and stores on memories other than a 32-bit memory 0: a
//! second 32-bit memory and a memory64 memory of one module, and a module
//! whose only memory is a memory64 one. Every SIMD memory operator (plain,
//! widening, splat, zero-fill, lane loads and stores) runs on each memory at
//! the same addresses as on memory 0 (the hot-state instructions the spec
//! suite checks) and must give the same vector, the same memory bytes or
//! the same trap; traps at the edges write nothing. Addresses a 32-bit
//! memory cannot see (above 4 GiB, near 2^64) and static offsets of 4 GiB or
//! more trap on memory64. Each test runs under every tier (SIMD functions
//! stay interpreted; scalar readers of the same memories may be compiled).

use wasp::{Config, Engine, Func, Instance, Linker, Memory, Module, Store, Tier, TrapCode, Val};

/// A SIMD memory operator: its text (`{o}` is replaced by the memory
/// argument), the bytes it accesses, whether it stores, and whether it
/// takes a vector operand after the address.
struct Op {
    name: &'static str,
    text: &'static str,
    bytes: u64,
    store: bool,
}

const OPS: &[Op] = &[
    Op {
        name: "load",
        text: "v128.load {o}",
        bytes: 16,
        store: false,
    },
    Op {
        name: "l8x8s",
        text: "v128.load8x8_s {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "l8x8u",
        text: "v128.load8x8_u {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "l16x4s",
        text: "v128.load16x4_s {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "l16x4u",
        text: "v128.load16x4_u {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "l32x2s",
        text: "v128.load32x2_s {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "l32x2u",
        text: "v128.load32x2_u {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "s8",
        text: "v128.load8_splat {o}",
        bytes: 1,
        store: false,
    },
    Op {
        name: "s16",
        text: "v128.load16_splat {o}",
        bytes: 2,
        store: false,
    },
    Op {
        name: "s32",
        text: "v128.load32_splat {o}",
        bytes: 4,
        store: false,
    },
    Op {
        name: "s64",
        text: "v128.load64_splat {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "z32",
        text: "v128.load32_zero {o}",
        bytes: 4,
        store: false,
    },
    Op {
        name: "z64",
        text: "v128.load64_zero {o}",
        bytes: 8,
        store: false,
    },
    Op {
        name: "ll8",
        text: "v128.load8_lane {o} 13",
        bytes: 1,
        store: false,
    },
    Op {
        name: "ll16",
        text: "v128.load16_lane {o} 5",
        bytes: 2,
        store: false,
    },
    Op {
        name: "ll32",
        text: "v128.load32_lane {o} 2",
        bytes: 4,
        store: false,
    },
    Op {
        name: "ll64",
        text: "v128.load64_lane {o} 1",
        bytes: 8,
        store: false,
    },
    Op {
        name: "store",
        text: "v128.store {o}",
        bytes: 16,
        store: true,
    },
    Op {
        name: "sl8",
        text: "v128.store8_lane {o} 13",
        bytes: 1,
        store: true,
    },
    Op {
        name: "sl16",
        text: "v128.store16_lane {o} 5",
        bytes: 2,
        store: true,
    },
    Op {
        name: "sl32",
        text: "v128.store32_lane {o} 2",
        bytes: 4,
        store: true,
    },
    Op {
        name: "sl64",
        text: "v128.store64_lane {o} 1",
        bytes: 8,
        store: true,
    },
];

/// The static offset of every generated access.
const OFFSET: u64 = 3;
/// One page of 64 KiB per memory.
const SIZE: u64 = 65536;
/// The vector lane loads start from and stores write.
const V: u128 = 0xa0a1a2a3_a4a5a6a7_a8a9aaab_acadaeaf;

/// One function per operator and memory `(memory, index type)`, named
/// `{op}_{memory}`, plus a scalar `peek_{memory}` (an `i64.load`).
fn functions(mems: &[(u32, &str)]) -> String {
    let mut s = String::new();
    for &(m, it) in mems {
        for op in OPS {
            let body = op.text.replace("{o}", &format!("{m} offset={OFFSET}"));
            let vec = if op.name.starts_with("ll") || op.store {
                "(local.get $v)"
            } else {
                ""
            };
            let result = if op.store { "" } else { "(result v128)" };
            s += &format!(
                "(func (export \"{}_{m}\") (param $a {it}) (param $v v128) {result}
                   ({body} (local.get $a) {vec}))\n",
                op.name
            );
        }
        s += &format!(
            "(func (export \"peek_{m}\") (param $a {it}) (result i64) (i64.load {m} (local.get $a)))\n"
        );
    }
    s
}

/// Two 32-bit memories and a memory64 memory, each exported as `m{index}`,
/// with the functions of [`functions`] and `extra`.
fn multi_wat_with(extra: &str) -> String {
    format!(
        "(module
           (memory (export \"m0\") 1 1)
           (memory (export \"m1\") 1 1)
           (memory (export \"m2\") i64 1 1)
           {} {extra})",
        functions(&[(0, "i32"), (1, "i32"), (2, "i64")])
    )
}

fn multi_wat() -> String {
    multi_wat_with("")
}

/// A module whose memory 0 is a memory64 memory.
fn wide0_wat() -> String {
    format!(
        "(module (memory (export \"m0\") i64 1 1) {})",
        functions(&[(0, "i64")])
    )
}

const TIERS: [Tier; 3] = [Tier::Interp, Tier::Tiered, Tier::Jit];

struct Env {
    store: Store<()>,
    inst: Instance,
}

impl Env {
    fn new(tier: Tier, wat: &str) -> Env {
        let mut config = Config::new();
        config.tier(tier).tier_up_threshold(1);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let inst = Linker::new(&engine)
            .instantiate(&mut store, &module)
            .unwrap();
        let mut env = Env { store, inst };
        // The same pseudo-random bytes in every memory.
        for m in 0..3 {
            let Some(mem) = env.memory(m) else { break };
            let mut x = 0x9e37_79b9_u32;
            for b in mem.data_mut(&mut env.store) {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = (x >> 24) as u8;
            }
        }
        env
    }

    fn memory(&self, m: u32) -> Option<Memory> {
        self.inst.get_memory(&self.store, &format!("m{m}"))
    }

    fn func(&self, name: &str) -> Func {
        self.inst
            .get_func(&self.store, name)
            .unwrap_or_else(|| panic!("no export {name}"))
    }

    /// Runs `op` on memory `m` at address `a`: the loaded vector (0 for a
    /// store) or the trap.
    fn run(&mut self, op: &Op, m: u32, wide: bool, a: u64) -> Result<u128, TrapCode> {
        let addr = if wide {
            Val::I64(a as i64)
        } else {
            Val::I32(a as u32 as i32)
        };
        let f = self.func(&format!("{}_{m}", op.name));
        let mut out = [Val::V128(0)];
        let out = if op.store {
            &mut out[..0]
        } else {
            &mut out[..]
        };
        match f.call(&mut self.store, &[addr, Val::V128(V)], out) {
            Ok(()) => Ok(out.first().map_or(0, |v| v.v128().unwrap())),
            Err(e) => Err(e.trap_code().unwrap_or_else(|| panic!("not a trap: {e}"))),
        }
    }

    fn bytes(&self, m: u32) -> Vec<u8> {
        self.memory(m).unwrap().data(&self.store).to_vec()
    }
}

/// Addresses to try for an access of `n` bytes: inside, at the last one in
/// bounds and the first out, and far out (the low 32 bits of each stay the
/// same for either index type).
fn addresses(n: u64) -> Vec<u64> {
    let last = SIZE - n - OFFSET;
    vec![
        0,
        1,
        13,
        4093,
        last - 1,
        last,
        last + 1,
        last + 2,
        SIZE,
        0xffff_ffff,
    ]
}

/// Every operator gives on memory `m` (of module `other`) what it gives on
/// the first module's memory 0, at every address, and leaves the same bytes.
fn same_as_memory0(base: &mut Env, other: &mut Env, m: u32, wide: bool) {
    for op in OPS {
        for a in addresses(op.bytes) {
            let before = other.bytes(m);
            let want = base.run(op, 0, false, a);
            let got = other.run(op, m, wide, a);
            let what = format!("{} at {a} on memory {m}", op.name);
            assert_eq!(got, want, "{what}");
            assert_eq!(other.bytes(m), base.bytes(0), "{what}: memory bytes");
            if got.is_err() {
                assert_eq!(other.bytes(m), before, "{what}: a trap writes nothing");
            }
            if a + OFFSET + op.bytes <= SIZE {
                assert!(got.is_ok(), "{what} is in bounds");
            } else {
                assert_eq!(got, Err(TrapCode::MemoryOutOfBounds), "{what}");
            }
        }
    }
}

#[test]
fn every_simd_memory_operator_on_a_second_memory_and_a_memory64_one() {
    for tier in TIERS {
        let mut other = Env::new(tier, &multi_wat());
        for (m, wide) in [(1, false), (2, true)] {
            let mut base = Env::new(tier, &multi_wat());
            same_as_memory0(&mut base, &mut other, m, wide);
        }
        // Memory 0 of `other` saw nothing, memories 1 and 2 did.
        assert_ne!(other.bytes(0), other.bytes(1), "{tier:?}");
        assert_eq!(other.bytes(1), other.bytes(2), "{tier:?}");
    }
}

#[test]
fn every_simd_memory_operator_on_a_memory64_memory_0() {
    for tier in TIERS {
        let mut base = Env::new(tier, &multi_wat());
        let mut wide = Env::new(tier, &wide0_wat());
        same_as_memory0(&mut base, &mut wide, 0, true);
    }
}

/// A few results spelled out (the comparisons above would not see memory 0
/// and the others agreeing on a wrong answer), read back through the
/// scalar `i64.load` (compiled under the jit) as well.
#[test]
fn simd_results_on_other_memories_are_the_bytes_addressed() {
    for tier in TIERS {
        let mut env = Env::new(tier, &multi_wat());
        for (m, wide) in [(1, false), (2, true)] {
            let at = |env: &Env, i: u64| {
                let b = env.bytes(m);
                let i = (i + OFFSET) as usize;
                u128::from_le_bytes(b[i..i + 16].try_into().unwrap())
            };
            let op = |name: &str| OPS.iter().find(|o| o.name == name).unwrap();
            assert_eq!(env.run(op("load"), m, wide, 100), Ok(at(&env, 100)));
            let byte = at(&env, 7) as u8;
            assert_eq!(
                env.run(op("s8"), m, wide, 7),
                Ok(u128::from_ne_bytes([byte; 16]))
            );
            let lo = at(&env, 40) as u32 as u128;
            assert_eq!(env.run(op("z32"), m, wide, 40), Ok(lo));
            let lane = at(&env, 9) as u16 as u128;
            let want = V & !(0xffff << 80) | lane << 80;
            assert_eq!(env.run(op("ll16"), m, wide, 9), Ok(want));

            assert_eq!(env.run(op("store"), m, wide, 200), Ok(0));
            assert_eq!(at(&env, 200), V);
            let peek = env.func(&format!("peek_{m}"));
            let mut out = [Val::I64(0)];
            let a = if wide { Val::I64(203) } else { Val::I32(203) };
            peek.call(&mut env.store, &[a], &mut out).unwrap();
            assert_eq!(out[0].i64().unwrap() as u64, V as u64, "{tier:?}");
            assert_eq!(env.run(op("sl8"), m, wide, 300), Ok(0));
            assert_eq!(at(&env, 300) as u8, (V >> 104) as u8);
        }
        // Memory 0 was not written.
        assert_ne!(env.bytes(0)[203..219], env.bytes(1)[203..219]);
    }
}

/// memory64 addresses above 4 GiB (whose low 32 bits are in bounds) and
/// near 2^64, and static offsets of 4 GiB or more near 2^64, all trap; no
/// store writes a byte.
#[test]
fn memory64_simd_accesses_far_out_trap() {
    let offsets = ["4294967296", "18446744073709551600", "18446744073709551615"];
    let mut far = String::new();
    for (i, off) in offsets.iter().enumerate() {
        for op in OPS {
            let body = op.text.replace("{o}", &format!("2 offset={off}"));
            let vec = if op.name.starts_with("ll") || op.store {
                "(local.get $v)"
            } else {
                ""
            };
            let result = if op.store { "" } else { "(result v128)" };
            far += &format!(
                "(func (export \"{}_far{i}\") (param $a i64) (param $v v128) {result}
                   ({body} (local.get $a) {vec}))\n",
                op.name
            );
        }
    }
    let wat = multi_wat_with(&far);
    for tier in TIERS {
        let mut env = Env::new(tier, &wat);
        let before = env.bytes(2);
        for op in OPS {
            for a in [
                1 << 32,
                (1 << 32) + 16,
                u64::MAX - 20,
                u64::MAX - op.bytes + 1,
                u64::MAX,
            ] {
                let got = env.run(op, 2, true, a);
                assert_eq!(
                    got,
                    Err(TrapCode::MemoryOutOfBounds),
                    "{} at {a:#x}",
                    op.name
                );
            }
            for i in 0..offsets.len() {
                let f = env.func(&format!("{}_far{i}", op.name));
                for a in [0u64, 16, u64::MAX] {
                    let mut out = [Val::V128(0)];
                    let out = if op.store {
                        &mut out[..0]
                    } else {
                        &mut out[..]
                    };
                    let e = f
                        .call(&mut env.store, &[Val::I64(a as i64), Val::V128(V)], out)
                        .unwrap_err();
                    assert_eq!(e.trap_code(), Some(TrapCode::MemoryOutOfBounds));
                }
            }
        }
        assert_eq!(env.bytes(2), before, "{tier:?}: nothing written");
    }
}
