//! Translation of SIMD operators and of `v128` values through locals,
//! blocks, calls, `drop` and `select`.
//!
//! A `v128` is two operand-stack entries, low half first, so it occupies the
//! two adjacent slots of its positions: every copy the translator already
//! makes (branch values, block results, call arguments) moves both halves
//! without knowing it. Two halves of one vector are always the same kind of
//! operand: both temporaries, both constants (`v128.const` is lazy like any
//! constant), or the two slots of one `v128` local. Only `drop` and `select`
//! need to know a value's width; [`Translator::hi`] records it per stack
//! position (every push writes its entry, so the top's is always current).
//!
//! A SIMD load or store on a 32-bit memory 0 becomes an instruction that
//! addresses it through the hot state; on any other memory (multi-memory,
//! memory64) its `…X` twin, which names the memory and its index type.

use super::mem::memory_of;
use super::{Operand, Translator};
use crate::ir::simd::{
    for_each_simd, SimdBin, SimdExtract, SimdLoad, SimdReplace, SimdShift, SimdSplat, SimdTern,
    SimdTest, SimdUn,
};
use crate::ir::{Instr, Slot};
use crate::types::{FuncType, ValType};
use wasmparser::{BlockType, FunctionBody, MemArg, Operator};

/// Wasm local index → (first slot, is a `v128`) for a function with a
/// `v128` parameter or local.
pub(super) fn local_map(
    ty: &FuncType,
    body: &FunctionBody<'_>,
) -> Result<Box<[(Slot, bool)]>, String> {
    let mut map = Vec::new();
    let mut slot = 0usize;
    for &t in ty.params() {
        map.push((slot as Slot, t == ValType::V128));
        slot += t.slots();
    }
    let mut reader = body.get_locals_reader().map_err(|e| e.to_string())?;
    for _ in 0..reader.get_count() {
        let (count, t) = reader.read().map_err(|e| e.to_string())?;
        let wide = t == wasmparser::ValType::V128;
        for _ in 0..count {
            map.push((slot as Slot, wide));
            slot += if wide { 2 } else { 1 };
        }
    }
    Ok(map.into_boxed_slice())
}

impl Translator<'_> {
    /// The first slot of wasm local `index` and whether it is a `v128`.
    pub(super) fn local(&self, index: u32) -> (Slot, bool) {
        match &self.local_map {
            None => (index as Slot, false),
            Some(m) => m[index as usize],
        }
    }

    /// Is the top of the stack (the high half of) a `v128`?
    pub(super) fn top_is_v128(&self) -> bool {
        self.hi[self.stack.len() - 1]
    }

    /// Pushes temporaries for values of types `tys`.
    pub(super) fn push_result_temps(&mut self, tys: &[ValType]) {
        for &t in tys {
            self.push(Operand::Temp);
            if t == ValType::V128 {
                self.push_half(Operand::Temp, true);
            }
        }
    }

    /// Pushes temporaries for the results (or, with `params`, the
    /// parameters) of a block of type `bt`.
    pub(super) fn push_block_temps(&mut self, bt: BlockType, params: bool) {
        match bt {
            BlockType::Empty => {}
            BlockType::Type(t) if !params => {
                self.push(Operand::Temp);
                if t == wasmparser::ValType::V128 {
                    self.push_half(Operand::Temp, true);
                }
            }
            BlockType::Type(_) => {}
            BlockType::FuncType(i) => {
                let ty = &self.info.types[i as usize];
                let tys = if params { ty.params() } else { ty.results() };
                self.push_result_temps(tys);
            }
        }
    }

    pub(super) fn push_v128_local(&mut self, l: Slot) {
        self.push(Operand::Local(l));
        self.push_half(Operand::Local(l + 1), true);
    }

    /// Pushes a `v128` temporary and returns its first slot.
    pub(super) fn push_v128_temp(&mut self) -> Slot {
        let s = self.push_temp();
        self.push_half(Operand::Temp, true);
        s
    }

    /// Pops a `v128` and returns the first of two adjacent slots holding
    /// it, copying it into its temporaries if its halves are elsewhere.
    pub(super) fn pop_v128(&mut self) -> Slot {
        let (hpos, h) = self.pop();
        let (lpos, l) = self.pop();
        match (l, h) {
            (Operand::Local(a), Operand::Local(b)) if b == a + 1 => a,
            (Operand::Temp, Operand::Temp) => self.slot_of(lpos),
            _ => {
                let d = self.slot_of(lpos);
                self.copy_to(d, lpos, l);
                self.copy_to(d + 1, hpos, h);
                d
            }
        }
    }

    /// Pops a scalar and returns its slot.
    pub(super) fn pop_scalar(&mut self) -> Slot {
        let (pos, o) = self.pop();
        self.value_slot(pos, o)
    }

    /// `local.set`/`local.tee` of `v128` local `l`.
    pub(super) fn local_set_v128(&mut self, l: Slot, tee: bool) {
        let (hpos, h) = self.pop();
        let (lpos, lo) = self.pop();
        if lo != Operand::Local(l) || h != Operand::Local(l + 1) {
            self.materialize_local(l);
            self.materialize_local(l + 1);
            self.copy_to(l, lpos, lo);
            self.copy_to(l + 1, hpos, h);
        }
        if tee {
            self.push_v128_local(l);
        }
    }

    /// `select` of two `v128`s (false if the operands are not vectors): one
    /// `Select` per half. The first writes only the low result slot, which
    /// the second does not read.
    pub(super) fn v128_select(&mut self) -> bool {
        let n = self.stack.len();
        if n < 2 || !self.hi[n - 2] {
            return false;
        }
        let cond = self.pop_scalar();
        let b = self.pop_v128();
        let a = self.pop_v128();
        let dst = self.push_v128_temp();
        self.emit(Instr::Select { dst, cond, a, b });
        self.emit(Instr::Select {
            dst: dst + 1,
            cond,
            a: a + 1,
            b: b + 1,
        });
        true
    }

    fn global_is_v128(&self, index: u32) -> bool {
        self.info.globals[index as usize].content == ValType::V128
    }

    fn v_bin(&mut self, op: SimdBin) {
        let rhs = self.pop_v128();
        let lhs = self.pop_v128();
        let dst = self.push_v128_temp();
        self.emit(Instr::V128Bin { op, dst, lhs, rhs });
    }

    fn v_shift(&mut self, op: SimdShift) {
        let rhs = self.pop_scalar();
        let lhs = self.pop_v128();
        let dst = self.push_v128_temp();
        self.emit(Instr::V128Shift { op, dst, lhs, rhs });
    }

    fn v_un(&mut self, op: SimdUn) {
        let src = self.pop_v128();
        let dst = self.push_v128_temp();
        self.emit(Instr::V128Un { op, dst, src });
    }

    fn v_test(&mut self, op: SimdTest) {
        let src = self.pop_v128();
        let dst = self.push_temp();
        self.emit(Instr::V128Test { op, dst, src });
    }

    fn v_splat(&mut self, op: SimdSplat) {
        let src = self.pop_scalar();
        let dst = self.push_v128_temp();
        self.emit(Instr::V128Splat { op, dst, src });
    }

    /// Three vectors; `i8x16.shuffle`'s third is its lane mask, pushed here
    /// as a constant (above the operands, so loading it clobbers neither).
    fn v_tern(&mut self, op: SimdTern, o: &Operator<'_>) {
        if let Operator::I8x16Shuffle { lanes } = o {
            let m = u128::from_le_bytes(*lanes);
            self.push(Operand::Const(m as u64));
            self.push_half(Operand::Const((m >> 64) as u64), true);
        }
        let c = self.pop_v128();
        let b = self.pop_v128();
        let a = self.pop_v128();
        let dst = self.push_v128_temp();
        self.emit(Instr::V128Tern { op, dst, a, b, c });
    }

    fn v_extract(&mut self, op: SimdExtract, lane: u8) {
        let src = self.pop_v128();
        let dst = self.push_temp();
        self.emit(Instr::V128Extract { op, lane, dst, src });
    }

    fn v_replace(&mut self, op: SimdReplace, lane: u8) {
        let val = self.pop_scalar();
        let src = self.pop_v128();
        let dst = self.push_v128_temp();
        self.emit(Instr::V128Replace {
            op,
            lane,
            dst,
            src,
            val,
        });
    }

    /// Where a SIMD access with memory argument `m` goes.
    fn target(&self, m: &MemArg) -> Target {
        let mem = memory_of(m);
        match u32::try_from(m.offset) {
            // Validation: a 32-bit memory's offsets fit in 32 bits.
            Ok(offset) if self.common_memory(mem) => Target::Common(offset),
            Ok(offset) => Target::Indexed {
                offset,
                mem: mem as u16,
                wide: self.info.memories[mem as usize].memory64,
            },
            Err(_) => Target::Trap,
        }
    }

    /// `v128.load` and the loads that widen, splat or zero-fill (`op`).
    fn v_load(&mut self, op: Option<SimdLoad>, m: &MemArg) {
        let addr = self.pop_scalar();
        let dst = self.push_v128_temp();
        self.emit(match (self.target(m), op) {
            (Target::Common(offset), None) => Instr::V128Load { dst, addr, offset },
            (Target::Common(offset), Some(op)) => Instr::V128LoadExt {
                op,
                dst,
                addr,
                offset,
            },
            (Target::Indexed { offset, mem, wide }, None) => Instr::V128LoadX {
                dst,
                addr,
                offset,
                mem,
                wide,
            },
            (Target::Indexed { offset, mem, wide }, Some(op)) => Instr::V128LoadExtX {
                op,
                dst,
                addr,
                offset,
                mem,
                wide,
            },
            (Target::Trap, _) => Instr::MemoryTrap,
        });
    }

    fn v_store(&mut self, m: &MemArg) {
        let src = self.pop_v128();
        let addr = self.pop_scalar();
        self.emit(match self.target(m) {
            Target::Common(offset) => Instr::V128Store { addr, src, offset },
            Target::Indexed { offset, mem, wide } => Instr::V128StoreX {
                addr,
                src,
                offset,
                mem,
                wide,
            },
            Target::Trap => Instr::MemoryTrap,
        });
    }

    /// The address and the vector go to their temporaries (the instruction
    /// names only the address's slot; the vector is in the two above it).
    fn v_load_lane(&mut self, m: &MemArg, log2: u8, lane: u8) {
        self.materialize_top(3);
        self.pop();
        self.pop();
        let (pos, _) = self.pop();
        let base = self.slot_of(pos);
        self.push_v128_temp();
        let lane_op = log2 << 4 | lane;
        self.emit(match self.target(m) {
            Target::Common(offset) => Instr::V128LoadLane {
                lane_op,
                base,
                offset,
            },
            Target::Indexed { offset, mem, wide } => Instr::V128LoadLaneX {
                lane_op,
                base,
                offset,
                mem,
                wide,
            },
            Target::Trap => Instr::MemoryTrap,
        });
    }

    fn v_store_lane(&mut self, m: &MemArg, log2: u8, lane: u8) {
        let src = self.pop_v128();
        let addr = self.pop_scalar();
        let lane_op = log2 << 4 | lane;
        self.emit(match self.target(m) {
            Target::Common(offset) => Instr::V128StoreLane {
                lane_op,
                addr,
                src,
                offset,
            },
            Target::Indexed { offset, mem, wide } => Instr::V128StoreLaneX {
                lane_op,
                addr,
                src,
                offset,
                mem,
                wide,
            },
            Target::Trap => Instr::MemoryTrap,
        });
    }
}

/// Where a SIMD memory access goes.
enum Target {
    /// A 32-bit memory 0: the instructions that address it through the hot
    /// state, with this offset.
    Common(u32),
    /// Another memory, or a memory64 memory 0: the `V128…X` instructions.
    Indexed { offset: u32, mem: u16, wide: bool },
    /// A memory64 offset of 4 GiB or more, beyond any memory wasp
    /// allocates: the access always traps (`MemoryTrap`).
    Trap,
}

macro_rules! gen_translate {
    (
        bin: [$(($b:ident, $bf:ident)),* $(,)?],
        shift: [$(($s:ident, $sf:ident)),* $(,)?],
        un: [$(($u:ident, $uf:ident)),* $(,)?],
        test: [$(($t:ident, $tf:ident)),* $(,)?],
        splat: [$(($p:ident, $pf:ident)),* $(,)?],
        tern: [$(($r:ident, $rf:ident)),* $(,)?],
        extract: [$(($x:ident, $xf:ident)),* $(,)?],
        replace: [$(($y:ident, $yf:ident)),* $(,)?],
        load: [$(($l:ident, $ln:literal, $lf:ident)),* $(,)?]
    ) => {
        impl Translator<'_> {
            /// SIMD operators and `v128` globals. Returns false if `op` is not one.
            pub(super) fn simd(&mut self, op: &Operator<'_>) -> bool {
                match *op {
                    $( Operator::$b => self.v_bin(SimdBin::$b), )*
                    $( Operator::$s => self.v_shift(SimdShift::$s), )*
                    $( Operator::$u => self.v_un(SimdUn::$u), )*
                    $( Operator::$t => self.v_test(SimdTest::$t), )*
                    $( Operator::$p => self.v_splat(SimdSplat::$p), )*
                    $( Operator::$r { .. } => self.v_tern(SimdTern::$r, op), )*
                    $( Operator::$x { lane } => self.v_extract(SimdExtract::$x, lane), )*
                    $( Operator::$y { lane } => self.v_replace(SimdReplace::$y, lane), )*
                    $( Operator::$l { memarg } => self.v_load(Some(SimdLoad::$l), &memarg), )*
                    Operator::V128Const { value } => {
                        let v = value.i128() as u128;
                        self.push(Operand::Const(v as u64));
                        self.push_half(Operand::Const((v >> 64) as u64), true);
                    }
                    Operator::V128Load { memarg } => self.v_load(None, &memarg),
                    Operator::V128Store { memarg } => self.v_store(&memarg),
                    Operator::V128Load8Lane { memarg, lane } => self.v_load_lane(&memarg, 0, lane),
                    Operator::V128Load16Lane { memarg, lane } => self.v_load_lane(&memarg, 1, lane),
                    Operator::V128Load32Lane { memarg, lane } => self.v_load_lane(&memarg, 2, lane),
                    Operator::V128Load64Lane { memarg, lane } => self.v_load_lane(&memarg, 3, lane),
                    Operator::V128Store8Lane { memarg, lane } => self.v_store_lane(&memarg, 0, lane),
                    Operator::V128Store16Lane { memarg, lane } => self.v_store_lane(&memarg, 1, lane),
                    Operator::V128Store32Lane { memarg, lane } => self.v_store_lane(&memarg, 2, lane),
                    Operator::V128Store64Lane { memarg, lane } => self.v_store_lane(&memarg, 3, lane),
                    Operator::GlobalGet { global_index } if self.global_is_v128(global_index) => {
                        let dst = self.push_v128_temp();
                        self.emit(Instr::V128GlobalGet { dst, index: global_index });
                    }
                    Operator::GlobalSet { global_index } if self.global_is_v128(global_index) => {
                        let src = self.pop_v128();
                        self.emit(Instr::V128GlobalSet { src, index: global_index });
                    }
                    _ => return false,
                }
                true
            }
        }
    };
}
for_each_simd!(gen_translate);
