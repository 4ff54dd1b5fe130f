//! Control flow: our own generator of nested `block`/`loop`/`if` with
//! `br`/`br_if`/`br_table`/`return`, block parameters and results, counters
//! and a trace, aimed at the shapes wasp's translator rewrites (loop
//! inversion, Go's `loop` + `br_table` dispatch shortcut, compare+branch
//! fusion, result redirection into locals).
//!
//! Termination never comes from a check at a loop head (wasm-smith's fuel
//! puts one there, which hides those shapes). A budget global `__fuel` is
//! spent at the *backward branch sites* instead, in one of three ways:
//!
//! - `(if (budget_ok) (then ... br $loop))` around an unconditional branch;
//! - `br_if $loop (i32.and cond (budget_ok))`;
//! - "trap when the budget is out, then spend one" right before a `br`,
//!   `br_if` or `br_table` that may go backward;
//! - a `br_table` whose index becomes a forward entry once the budget is out.
//!
//! `budget_ok` decrements the budget and tests it is still positive. Loop
//! heads may therefore start with anything: a compare+branch out of the loop
//! (the shape), a branch back to the same loop whose condition is a
//! never-written local (always zero), a `br_table` indexed by it, a nested
//! loop, a Go dispatch (`loop` whose body starts with empty `block`s then
//! `local.get $pc; br_table`, with `i32.const K; local.set $pc; br $loop`
//! jumps). Every function appends to a hash global as blocks run, and the
//! engines' results, traps, memory and globals are compared after each call
//! (through [`crate::diff::compare`]).

use crate::diff::{self, FUEL_EXPORT};
use crate::engines::{self, Limits, Ty};
use arbitrary::{Result, Unstructured};
use wasm_encoder::{
    BlockType, CodeSection, ConstExpr, ExportKind, ExportSection, Function, FunctionSection,
    GlobalSection, GlobalType, Instruction as I, MemArg, MemorySection, MemoryType, Module,
    TypeSection, ValType,
};

/// libFuzzer entry: never fails on short input, panics on a finding.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = check(&mut u);
}

// Function locals: params x (0), y (1); general a..e (2..=6); $pc (7); $z (8,
// never written: always zero); counters n (9), m (10).
const PARAMS: u32 = 2;
const GENERAL: std::ops::RangeInclusive<u32> = 2..=6;
const PC: u32 = 7;
const ZERO: u32 = 8;
const COUNTERS: [u32; 3] = [9, 10, 2];
const NLOCALS: u32 = 9;
const G_FUEL: u32 = 0;
const G_HASH: u32 = 1;
const G_ZERO: u32 = 2;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
}

#[derive(Clone, Copy, Debug)]
struct Label {
    kind: Kind,
    /// Values a branch to this label carries (loop: params; else: results).
    arity: u32,
}

/// Whether code after a statement is reachable.
#[derive(Clone, Copy, PartialEq)]
enum Flow {
    Normal,
    Dead,
}

struct Gen<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    code: Vec<I<'static>>,
    labels: Vec<Label>,
    /// Instructions left to emit in this function.
    size: usize,
    nfuncs: u32,
    this: u32,
    next_id: i32,
}

/// Block type with `p` params and `r` results, all i32 (types 1..=9).
fn block_type(p: u32, r: u32) -> BlockType {
    match (p, r) {
        (0, 0) => BlockType::Empty,
        (0, 1) => BlockType::Result(ValType::I32),
        _ => BlockType::FunctionType(1 + p * 3 + r),
    }
}

const CONSTS: &[i32] = &[
    0,
    1,
    2,
    3,
    5,
    7,
    10,
    -1,
    0x7fff_ffff,
    i32::MIN,
    0xff,
    31,
    32,
];

impl Gen<'_, '_> {
    fn emit(&mut self, i: I<'static>) {
        self.size = self.size.saturating_sub(1);
        self.code.push(i);
    }

    fn depth_of(&self, idx: usize) -> u32 {
        (self.labels.len() - 1 - idx) as u32
    }

    fn konst(&mut self) -> Result<i32> {
        Ok(if self.u.ratio(3, 4)? {
            *self.u.choose(CONSTS)?
        } else {
            self.u.arbitrary()?
        })
    }

    /// Pushes one i32.
    fn expr(&mut self, depth: u32) -> Result<()> {
        if depth == 0 || self.size < 8 {
            return self.leaf();
        }
        match self.u.int_in_range(0..=15)? {
            0..=3 => self.leaf()?,
            4..=5 => {
                self.expr(depth - 1)?;
                self.expr(depth - 1)?;
                let op = self
                    .u
                    .choose(&[
                        I::I32Add,
                        I::I32Sub,
                        I::I32Mul,
                        I::I32And,
                        I::I32Or,
                        I::I32Xor,
                        I::I32Shl,
                        I::I32ShrU,
                        I::I32ShrS,
                        I::I32Rotl,
                    ])?
                    .clone();
                self.emit(op);
            }
            6..=8 => self.compare(depth)?,
            9 => {
                self.expr(depth - 1)?;
                let op = self
                    .u
                    .choose(&[I::I32Eqz, I::I32Clz, I::I32Popcnt, I::I32Extend8S])?
                    .clone();
                self.emit(op);
            }
            10 => {
                self.expr(depth - 1)?;
                let l = self.writable_local()?;
                self.emit(I::LocalTee(l));
            }
            11 => {
                self.expr(depth - 1)?;
                self.expr(depth - 1)?;
                self.expr(depth - 1)?;
                self.emit(I::Select);
            }
            12 => {
                self.expr(depth - 1)?;
                self.emit(I::I32Const(0xfc));
                self.emit(I::I32And);
                let offset = 4 * self.u.int_in_range(0..=3)?;
                self.emit(I::I32Load(MemArg {
                    offset,
                    align: 2,
                    target: wasm_encoder::MemArgTarget::Memory(0),
                    ordering: None,
                }));
            }
            13 if self.this + 1 < self.nfuncs => {
                self.expr(depth - 1)?;
                self.expr(depth - 1)?;
                let f = self.u.int_in_range(self.this + 1..=self.nfuncs - 1)?;
                self.emit(I::Call(f));
            }
            14 => {
                self.expr(depth - 1)?;
                self.expr(depth - 1)?;
                if self.u.ratio(3, 4)? {
                    // Mostly a non-zero divisor.
                    self.emit(I::I32Const(1));
                    self.emit(I::I32Or);
                }
                let op = self
                    .u
                    .choose(&[I::I32DivU, I::I32RemS, I::I32DivS])?
                    .clone();
                self.emit(op);
            }
            _ => {
                // A counter against a small bound: the natural loop exit test.
                let c = *self.u.choose(&COUNTERS)?;
                self.emit(I::LocalGet(c));
                let k = self.u.int_in_range(0..=12)?;
                self.emit(I::I32Const(k));
                let op = self
                    .u
                    .choose(&[I::I32GeU, I::I32GtS, I::I32Eq, I::I32LtU])?
                    .clone();
                self.emit(op);
            }
        }
        Ok(())
    }

    fn compare(&mut self, depth: u32) -> Result<()> {
        self.expr(depth - 1)?;
        self.expr(depth - 1)?;
        let op = self
            .u
            .choose(&[
                I::I32Eq,
                I::I32Ne,
                I::I32LtS,
                I::I32LtU,
                I::I32GtS,
                I::I32GtU,
                I::I32LeS,
                I::I32LeU,
                I::I32GeS,
                I::I32GeU,
            ])?
            .clone();
        self.emit(op);
        Ok(())
    }

    fn leaf(&mut self) -> Result<()> {
        match self.u.int_in_range(0..=5)? {
            0..=2 => {
                let l = self.u.int_in_range(0..=PARAMS + NLOCALS - 1)?;
                self.emit(I::LocalGet(l));
            }
            3 | 4 => {
                let k = self.konst()?;
                self.emit(I::I32Const(k));
            }
            _ => {
                let g = *self.u.choose(&[G_HASH, G_ZERO])?;
                self.emit(I::GlobalGet(g));
            }
        }
        Ok(())
    }

    fn writable_local(&mut self) -> Result<u32> {
        Ok(match self.u.int_in_range(0..=9)? {
            0..=5 => self.u.int_in_range(GENERAL)?,
            6 => PC,
            7 => *self.u.choose(&[0, 1])?,
            _ => *self.u.choose(&COUNTERS)?,
        })
    }

    /// Spends one unit of budget; pushes 1 if the budget is still positive.
    fn budget_ok(&mut self) {
        self.emit(I::GlobalGet(G_FUEL));
        self.emit(I::I32Const(1));
        self.emit(I::I32Sub);
        self.emit(I::GlobalSet(G_FUEL));
        self.emit(I::GlobalGet(G_FUEL));
        self.emit(I::I32Const(0));
        self.emit(I::I32GtS);
    }

    /// Traps if the budget is out, else spends one unit.
    fn guard_trap(&mut self) {
        self.emit(I::GlobalGet(G_FUEL));
        self.emit(I::I32Const(1));
        self.emit(I::I32LtS);
        self.emit(I::If(BlockType::Empty));
        self.emit(I::Unreachable);
        self.emit(I::End);
        self.emit(I::GlobalGet(G_FUEL));
        self.emit(I::I32Const(1));
        self.emit(I::I32Sub);
        self.emit(I::GlobalSet(G_FUEL));
    }

    fn trace(&mut self) {
        self.next_id += 1;
        let id = self.next_id;
        self.emit(I::GlobalGet(G_HASH));
        self.emit(I::I32Const(31));
        self.emit(I::I32Mul);
        self.emit(I::I32Const(id));
        self.emit(I::I32Add);
        self.emit(I::GlobalSet(G_HASH));
    }

    fn push_values(&mut self, n: u32) -> Result<()> {
        for _ in 0..n {
            self.expr(2)?;
        }
        Ok(())
    }

    /// Disposes of `n` values on top of the stack (drop or store in locals).
    fn pop_values(&mut self, n: u32) -> Result<()> {
        for _ in 0..n {
            if self.u.arbitrary()? {
                self.emit(I::Drop);
            } else {
                let l = self.writable_local()?;
                self.emit(I::LocalSet(l));
            }
        }
        Ok(())
    }

    /// A label index (into `self.labels`) whose branch arity is `arity`.
    fn label_with_arity(&mut self, arity: u32) -> Result<Option<usize>> {
        let c: Vec<usize> = (0..self.labels.len())
            .filter(|&i| self.labels[i].arity == arity)
            .collect();
        Ok(if c.is_empty() {
            None
        } else {
            Some(*self.u.choose(&c)?)
        })
    }

    /// `br` to label `idx` (carrying its values), guarded if it goes back.
    fn br(&mut self, idx: usize) -> Result<Flow> {
        let l = self.labels[idx];
        if l.kind != Kind::Loop {
            self.push_values(l.arity)?;
            self.emit(I::Br(self.depth_of(idx)));
            return Ok(Flow::Dead);
        }
        if self.u.arbitrary()? {
            self.budget_ok();
            self.emit(I::If(BlockType::Empty));
            self.labels.push(Label {
                kind: Kind::If,
                arity: 0,
            });
            self.push_values(l.arity)?;
            self.emit(I::Br(self.depth_of(idx)));
            self.labels.pop();
            self.emit(I::End);
            Ok(Flow::Normal)
        } else {
            self.guard_trap();
            self.push_values(l.arity)?;
            self.emit(I::Br(self.depth_of(idx)));
            Ok(Flow::Dead)
        }
    }

    fn br_if(&mut self, idx: usize, cond: impl FnOnce(&mut Self) -> Result<()>) -> Result<()> {
        let l = self.labels[idx];
        let back = l.kind == Kind::Loop;
        let and_budget = back && self.u.arbitrary()?;
        if back && !and_budget {
            self.guard_trap();
        }
        self.push_values(l.arity)?;
        cond(self)?;
        if and_budget {
            self.budget_ok();
            self.emit(I::I32And);
        }
        self.emit(I::BrIf(self.depth_of(idx)));
        self.pop_values(l.arity)
    }

    fn br_table(&mut self, arity: u32, zero_index: bool) -> Result<Flow> {
        let Some(first) = self.label_with_arity(arity)? else {
            return Ok(Flow::Normal);
        };
        let n = self.u.int_in_range(0..=5)?;
        let mut entries = vec![first];
        for _ in 0..n {
            entries.push(self.label_with_arity(arity)?.unwrap_or(first));
        }
        let default = entries.pop().expect("at least one");
        let is_loop = |g: &Self, i: usize| g.labels[i].kind == Kind::Loop;
        let any_back = entries
            .iter()
            .chain(std::iter::once(&default))
            .any(|&i| is_loop(self, i));
        self.push_values(arity)?;
        if zero_index && !entries.is_empty() && !is_loop(self, entries[0]) {
            // Always entry 0 (forward): other entries may go anywhere.
            self.emit(I::LocalGet(ZERO));
        } else if any_back {
            let forward = if !is_loop(self, default) {
                Some(1000)
            } else {
                entries.iter().position(|&i| !is_loop(self, i))
            };
            match forward {
                Some(k) if self.u.arbitrary()? => {
                    // index = budget_ok ? index : k (a forward entry)
                    self.expr(2)?;
                    self.emit(I::I32Const(k as i32));
                    self.budget_ok();
                    self.emit(I::Select);
                }
                _ => {
                    self.guard_trap();
                    self.expr(2)?;
                }
            }
        } else {
            self.expr(2)?;
        }
        let depths: Vec<u32> = entries.iter().map(|&i| self.depth_of(i)).collect();
        let d = self.depth_of(default);
        self.emit(I::BrTable(depths.into(), d));
        Ok(Flow::Dead)
    }

    /// The body of a block/loop/if whose `p` params are on the stack, leaving
    /// its `r` results. `loop_head`: the first statement gets a loop-head shape.
    fn body(&mut self, p: u32, r: u32, depth: u32, loop_head: bool) -> Result<()> {
        let n = self.u.int_in_range(0..=5)?;
        let mut flow = Flow::Normal;
        if loop_head {
            flow = self.loop_head(depth)?;
        }
        for _ in 0..n {
            if flow == Flow::Dead || self.size < 16 {
                break;
            }
            flow = self.stmt(depth)?;
        }
        if flow == Flow::Dead && self.u.ratio(3, 4)? {
            // Leave the rest out; `end` accepts the polymorphic stack.
            return Ok(());
        }
        // Fold the params into one value (or none), then make `r` results.
        for _ in 1..p.max(1) {
            let op = self.u.choose(&[I::I32Add, I::I32Xor, I::I32Sub])?.clone();
            self.emit(op);
        }
        let have = p.min(1);
        if have == 1 && r == 0 {
            self.pop_values(1)?;
        }
        let need = if r == 0 { 0 } else { r - have.min(r) };
        self.push_values(need)?;
        Ok(())
    }

    fn loop_head(&mut self, depth: u32) -> Result<Flow> {
        let me = self.labels.len() - 1;
        match self.u.int_in_range(0..=9)? {
            0..=2 => {
                // Exit test at the head: compare + forward branch (fuses).
                let fwd: Vec<usize> = (0..me)
                    .filter(|&i| self.labels[i].kind != Kind::Loop)
                    .collect();
                let Some(&t) = self.u.choose(&fwd).ok() else {
                    return Ok(Flow::Normal);
                };
                self.br_if(t, |g| g.expr(3))?;
                Ok(Flow::Normal)
            }
            3 => {
                // A branch back to this very loop, never taken (always zero).
                let a = self.labels[me].arity;
                self.push_values(a)?;
                let z = if self.u.arbitrary()? {
                    I::LocalGet(ZERO)
                } else {
                    I::GlobalGet(G_ZERO)
                };
                self.emit(z);
                self.emit(I::BrIf(0));
                self.pop_values(a)?;
                Ok(Flow::Normal)
            }
            4 => {
                let a = self.labels[me].arity;
                self.br_table(a, true)
            }
            5 => self.stmt_loop(depth),
            6 => self.dispatch(depth),
            _ => self.stmt(depth),
        }
    }

    fn stmt_block(&mut self, kind: Kind, depth: u32) -> Result<Flow> {
        let p = self.u.int_in_range(0..=2)?;
        let r = self.u.int_in_range(0..=2)?;
        if kind == Kind::If {
            self.push_values(p)?;
            self.expr(2)?;
            self.emit(I::If(block_type(p, r)));
            self.labels.push(Label { kind, arity: r });
            self.body(p, r, depth - 1, false)?;
            if self.u.arbitrary()? || p != r {
                self.emit(I::Else);
                self.body(p, r, depth - 1, false)?;
            }
        } else {
            self.push_values(p)?;
            let arity = if kind == Kind::Loop { p } else { r };
            let bt = block_type(p, r);
            self.emit(if kind == Kind::Loop {
                I::Loop(bt)
            } else {
                I::Block(bt)
            });
            self.labels.push(Label { kind, arity });
            if self.u.ratio(1, 3)? {
                self.trace();
            }
            let head = kind == Kind::Loop && self.u.ratio(3, 4)?;
            self.body(p, r, depth - 1, head)?;
        }
        self.labels.pop();
        self.emit(I::End);
        self.pop_values(r)?;
        Ok(Flow::Normal)
    }

    /// A counted loop: `block $after (loop $l (br_if $after (c >= K)) ... c++ ... br $l))`.
    fn stmt_loop(&mut self, depth: u32) -> Result<Flow> {
        if depth == 0 {
            return Ok(Flow::Normal);
        }
        if self.u.ratio(1, 3)? {
            return self.stmt_block(Kind::Loop, depth);
        }
        let c = *self.u.choose(&COUNTERS)?;
        self.emit(I::I32Const(0));
        self.emit(I::LocalSet(c));
        self.emit(I::Block(BlockType::Empty));
        self.labels.push(Label {
            kind: Kind::Block,
            arity: 0,
        });
        self.emit(I::Loop(BlockType::Empty));
        self.labels.push(Label {
            kind: Kind::Loop,
            arity: 0,
        });
        let after = self.labels.len() - 2;
        let me = after + 1;
        let k = self.u.int_in_range(1..=10)?;
        let head_test = |g: &mut Self| {
            g.br_if(after, |g| {
                g.emit(I::LocalGet(c));
                g.emit(I::I32Const(k));
                g.emit(I::I32GeU);
                Ok(())
            })
        };
        if self.u.ratio(2, 3)? {
            head_test(self)?;
        } else {
            self.loop_head(depth - 1)?;
        }
        let mut flow = Flow::Normal;
        for _ in 0..self.u.int_in_range(0..=3)? {
            if flow == Flow::Dead || self.size < 16 {
                break;
            }
            flow = self.stmt(depth - 1)?;
        }
        if flow == Flow::Normal {
            self.emit(I::LocalGet(c));
            self.emit(I::I32Const(1));
            self.emit(I::I32Add);
            self.emit(I::LocalSet(c));
            if self.u.ratio(1, 4)? {
                head_test(self)?;
            }
            self.br(me)?;
        }
        self.labels.pop();
        self.emit(I::End);
        self.labels.pop();
        self.emit(I::End);
        Ok(Flow::Normal)
    }

    /// Go's dispatch loop: `loop $L (block* (local.get $pc) (br_table ...)) cases`.
    fn dispatch(&mut self, depth: u32) -> Result<Flow> {
        if depth == 0 {
            return Ok(Flow::Normal);
        }
        let ncases = self.u.int_in_range(1..=4)?;
        let start = self.u.int_in_range(0..=ncases)?;
        self.emit(I::I32Const(start as i32));
        self.emit(I::LocalSet(PC));
        self.emit(I::Block(BlockType::Empty));
        self.labels.push(Label {
            kind: Kind::Block,
            arity: 0,
        });
        let exit = self.labels.len() - 1;
        self.emit(I::Loop(BlockType::Empty));
        self.labels.push(Label {
            kind: Kind::Loop,
            arity: 0,
        });
        let lp = self.labels.len() - 1;
        for _ in 0..ncases {
            self.emit(I::Block(BlockType::Empty));
            self.labels.push(Label {
                kind: Kind::Block,
                arity: 0,
            });
        }
        self.emit(I::LocalGet(PC));
        let mut depths = Vec::new();
        for _ in 0..self.u.int_in_range(1..=ncases + 1)? {
            depths.push(self.u.int_in_range(0..=ncases - 1)?);
        }
        let default = self.u.int_in_range(0..=ncases - 1)?;
        self.emit(I::BrTable(depths.into(), default));
        for _ in 0..ncases {
            self.labels.pop();
            self.emit(I::End);
            self.trace();
            let mut flow = Flow::Normal;
            for _ in 0..self.u.int_in_range(0..=2)? {
                if flow == Flow::Dead || self.size < 16 {
                    break;
                }
                flow = self.stmt(depth - 1)?;
            }
            if flow == Flow::Dead {
                continue;
            }
            match self.u.int_in_range(0..=3)? {
                0 | 1 => {
                    // Jump to case K: `i32.const K; local.set $pc; br $L`.
                    let k = self.u.int_in_range(0..=ncases)? as i32;
                    let wrapped = self.u.arbitrary()?;
                    if wrapped {
                        self.budget_ok();
                        self.emit(I::If(BlockType::Empty));
                        self.labels.push(Label {
                            kind: Kind::If,
                            arity: 0,
                        });
                    } else {
                        self.guard_trap();
                    }
                    self.emit(I::I32Const(k));
                    self.emit(I::LocalSet(PC));
                    self.emit(I::Br(self.depth_of(lp)));
                    if wrapped {
                        self.labels.pop();
                        self.emit(I::End);
                    }
                }
                2 => {
                    self.emit(I::Br(self.depth_of(exit)));
                }
                _ => {}
            }
        }
        self.labels.pop();
        self.emit(I::End);
        self.labels.pop();
        self.emit(I::End);
        Ok(Flow::Normal)
    }

    fn stmt(&mut self, depth: u32) -> Result<Flow> {
        if self.size < 16 {
            return Ok(Flow::Normal);
        }
        let choice = if depth == 0 {
            self.u.int_in_range(0..=4)?
        } else {
            self.u.int_in_range(0..=17)?
        };
        match choice {
            0 => {
                self.expr(3)?;
                let l = self.writable_local()?;
                self.emit(I::LocalSet(l));
            }
            1 => {
                let c = *self.u.choose(&COUNTERS)?;
                self.emit(I::LocalGet(c));
                self.emit(I::I32Const(1));
                self.emit(I::I32Add);
                self.emit(I::LocalSet(c));
            }
            2 => self.trace(),
            3 => {
                self.expr(2)?;
                self.emit(I::I32Const(0xfc));
                self.emit(I::I32And);
                self.expr(2)?;
                let offset = 4 * self.u.int_in_range(0..=3)?;
                self.emit(I::I32Store(MemArg {
                    offset,
                    align: 2,
                    target: wasm_encoder::MemArgTarget::Memory(0),
                    ordering: None,
                }));
            }
            4 => {
                // br_if to any label.
                let t = self.u.choose_index(self.labels.len())?;
                self.br_if(t, |g| g.expr(3))?;
            }
            5 | 6 => return self.stmt_block(Kind::Block, depth),
            7 => return self.stmt_block(Kind::If, depth),
            8 | 9 => return self.stmt_loop(depth),
            10 => return self.dispatch(depth),
            11 | 12 => {
                let t = self.u.choose_index(self.labels.len())?;
                return self.br(t);
            }
            13 => {
                let a = self.u.int_in_range(0..=1)?;
                return self.br_table(a, false);
            }
            14 => {
                self.expr(2)?;
                self.emit(I::Return);
                return Ok(Flow::Dead);
            }
            15 => {
                // Branch with values to a block that needs copies.
                let t = self.u.choose_index(self.labels.len())?;
                self.br_if(t, |g| g.compare(3))?;
            }
            _ => {
                let t = self.u.choose_index(self.labels.len())?;
                self.br_if(t, |g| {
                    let c = *g.u.choose(&COUNTERS)?;
                    g.emit(I::LocalGet(c));
                    Ok(())
                })?;
            }
        }
        Ok(Flow::Normal)
    }
}

/// Generates a module of 1 to 3 functions `f0..`, each `(i32, i32) -> i32`,
/// with memory `mem`, globals `__fuel` (the budget) and `hash` (the trace).
pub fn generate(u: &mut Unstructured) -> Result<Vec<u8>> {
    let nfuncs = u.int_in_range(1..=3)?;
    let mut types = TypeSection::new();
    types
        .ty()
        .function([ValType::I32, ValType::I32], [ValType::I32]);
    for p in 0..3 {
        for r in 0..3 {
            types.ty().function(
                std::iter::repeat_n(ValType::I32, p),
                std::iter::repeat_n(ValType::I32, r),
            );
        }
    }
    let mut funcs = FunctionSection::new();
    let mut code = CodeSection::new();
    for this in 0..nfuncs {
        funcs.function(0);
        let mut g = Gen {
            u: &mut *u,
            code: Vec::new(),
            labels: vec![Label {
                kind: Kind::Func,
                arity: 1,
            }],
            size: 400,
            nfuncs,
            this,
            next_id: (this as i32) << 16,
        };
        let n = g.u.int_in_range(1..=6)?;
        let mut flow = Flow::Normal;
        for _ in 0..n {
            if flow == Flow::Dead {
                break;
            }
            flow = g.stmt(4)?;
        }
        if flow == Flow::Normal {
            g.expr(3)?;
        }
        g.emit(I::End);
        let mut f = Function::new([(NLOCALS, ValType::I32)]);
        for i in &g.code {
            f.instruction(i);
        }
        code.function(&f);
    }
    let mut mems = MemorySection::new();
    mems.memory(MemoryType {
        minimum: 1,
        maximum: Some(1),
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    let mut globals = GlobalSection::new();
    for _ in 0..3 {
        globals.global(
            GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            },
            &ConstExpr::i32_const(0),
        );
    }
    let mut exports = ExportSection::new();
    for i in 0..nfuncs {
        exports.export(&format!("f{i}"), ExportKind::Func, i);
    }
    exports.export("mem", ExportKind::Memory, 0);
    exports.export(FUEL_EXPORT, ExportKind::Global, G_FUEL);
    exports.export("hash", ExportKind::Global, G_HASH);
    let mut m = Module::new();
    m.section(&types)
        .section(&funcs)
        .section(&mems)
        .section(&globals)
        .section(&exports)
        .section(&code);
    let bytes = m.finish();
    let mut v = wasmparser::Validator::new_with_features(engines::diff_features());
    if let Err(e) = v.validate_all(&bytes) {
        crate::report::fail(
            "control",
            &bytes,
            &format!("harness bug: generated module invalid: {e}"),
        );
    }
    Ok(bytes)
}

/// Generates a module and compares wasp, wasmtime and wasmi on 1 to 6 calls.
pub fn check(u: &mut Unstructured) -> Result<()> {
    crate::report::bump(&crate::report::COUNTERS.inputs, 1);
    let bytes = generate(u)?;
    let exports = engines::func_exports(&bytes);
    let mut calls = Vec::new();
    for _ in 0..u.int_in_range(1..=6)? {
        let i = u.choose_index(exports.len())?;
        let args = vec![diff::arg(u, Ty::I32)?, diff::arg(u, Ty::I32)?];
        calls.push((i, args));
    }
    let limits = Limits {
        wasmtime_fuel: Some(20_000_000),
        ..Limits::default()
    };
    diff::compare(&bytes, &limits, &exports, &calls, "control");
    Ok(())
}

/// The module seed `data` generates, as text (for `control --print`).
pub fn print(data: &[u8]) -> String {
    let mut u = Unstructured::new(data);
    match generate(&mut u) {
        Ok(b) => crate::report::wat(&b),
        Err(e) => format!("(no module: {e})"),
    }
}
