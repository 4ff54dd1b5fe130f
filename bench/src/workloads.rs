//! The benchmark workloads: which `.wat` file, which export, and the size
//! argument each one is run with in full and in quick mode.

/// One benchmark: an exported `(param i32) (result i64)` function of a module.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Name shown in the report and matched by `--filter`.
    pub name: &'static str,
    /// The module's text, embedded from `bench/workloads/`.
    pub wat: &'static str,
    /// The export to call.
    pub export: &'static str,
    /// Size argument of a full run.
    pub arg: i32,
    /// Size argument in `--quick` mode.
    pub quick_arg: i32,
    /// What the workload stresses, for `--list`.
    pub about: &'static str,
}

impl Workload {
    /// The size argument for the chosen mode.
    pub fn arg(&self, quick: bool) -> i32 {
        if quick {
            self.quick_arg
        } else {
            self.arg
        }
    }
}

macro_rules! wat {
    ($file:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/workloads/", $file))
    };
}

/// Every workload, in report order.
pub const ALL: &[Workload] = &[
    Workload {
        name: "fib",
        wat: wat!("fib.wat"),
        export: "run",
        arg: 32,
        quick_arg: 25,
        about: "recursive fibonacci: call/return cost",
    },
    Workload {
        name: "loop_locals",
        wat: wat!("loop_locals.wat"),
        export: "run",
        arg: 20_000_000,
        quick_arg: 2_000_000,
        about: "counting loop, arithmetic on locals",
    },
    Workload {
        name: "loop_globals",
        wat: wat!("loop_globals.wat"),
        export: "run",
        arg: 10_000_000,
        quick_arg: 1_000_000,
        about: "the same loop with its state in mutable globals",
    },
    Workload {
        name: "sieve",
        wat: wat!("sieve.wat"),
        export: "run",
        arg: 16_000_000,
        quick_arg: 2_000_000,
        about: "sieve of Eratosthenes, i32.load8_u/i32.store8",
    },
    Workload {
        name: "memcpy_bytes",
        wat: wat!("memcpy.wat"),
        export: "run",
        arg: 400,
        quick_arg: 40,
        about: "hand-written byte copy loop",
    },
    Workload {
        name: "memcpy_words",
        wat: wat!("memcpy.wat"),
        export: "run_words",
        arg: 3_000,
        quick_arg: 300,
        about: "hand-written i64 copy loop",
    },
    Workload {
        name: "memory_copy",
        wat: wat!("memcpy.wat"),
        export: "run_bulk",
        arg: 40_000,
        quick_arg: 4_000,
        about: "the same copies with memory.copy",
    },
    Workload {
        name: "go_state_machine",
        wat: wat!("go_state_machine.wat"),
        export: "run",
        arg: 2_000_000,
        quick_arg: 200_000,
        about: "Go wasip1 code shape: br_table dispatch loop, Go stack in memory",
    },
    Workload {
        name: "calls",
        wat: wat!("calls.wat"),
        export: "run",
        arg: 3_000_000,
        quick_arg: 300_000,
        about: "small direct calls with 2-4 params plus call_indirect",
    },
    Workload {
        name: "ackermann",
        wat: wat!("ackermann.wat"),
        export: "run",
        arg: 80,
        quick_arg: 8,
        about: "deep non-tail recursion (about 510 frames)",
    },
];
