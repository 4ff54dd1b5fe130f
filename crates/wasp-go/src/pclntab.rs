//! Go's `pclntab`, decoded from a wasip1 module's data: the function, file
//! and line of a Go program counter, inlined calls included.
//!
//! # Go's PC on wasm
//!
//! Go's wasm backend (`cmd/internal/obj/wasm/wasmobj.go`) compiles a Go
//! function into one wasm function whose body is a loop over a `br_table` on
//! its first parameter, `PC_B`: the function's code is cut into numbered
//! blocks ("resume points": after every call, at every jump target, and
//! wherever a pc-value table needs a new entry). A Go PC is
//! `PC_F << 16 | PC_B` where `PC_F = 0x1000 + the function's index among the
//! module's defined functions` (`cmd/link/internal/wasm/asm.go`,
//! `funcValueOffset`) and `PC_B` the block. So a function is one "text
//! offset" (`entryOff = PC_F`, the entry PC `PC_F << 16`) and its pc-value
//! tables step through block numbers.
//!
//! # The table (`cmd/link/internal/ld/pcln.go`, `runtime/symtab.go`)
//!
//! The `pcHeader` (magic `0xfffffff1` since Go 1.20, `0xfffffff0` in 1.18
//! and 1.19; pad, pad, minLC = 1, ptrSize = 8; `nfunc`, `nfiles`, an unused
//! word, then the offsets from the header of `funcnametab`, `cutab`,
//! `filetab`, `pctab` and the function table) sits in the data; the
//! function table is `nfunc + 1` pairs `(entryOff, funcOff)` sorted by
//! `entryOff`, each `funcOff` locating a `_func` (entry, name offset, args,
//! deferreturn, `pcsp`/`pcfile`/`pcln` table offsets, `npcdata`, the
//! compilation unit's offset into `cutab`, start line, funcID, flag, pad,
//! `nfuncdata`, then `npcdata` and `nfuncdata` `u32` offsets). A pc-value
//! table is a sequence of (zig-zag value delta, pc delta) uvarint pairs,
//! starting at value -1 and the entry PC. Files are `cutab[cuOffset +
//! fileno]` offsets into `filetab`; names are NUL-terminated.
//!
//! Inlined calls: `pcdata[PCDATA_InlTreeIndex]` maps a PC to an index into
//! the function's inline tree (`funcdata[FUNCDATA_InlTree]`, an offset from
//! `moduledata.gofunc`), whose 16-byte entries give the inlined function's
//! name, start line and `parentPc` (a PC of the call site). `gofunc` is only
//! in `runtime.firstmoduledata`, found here as the word that points at the
//! `pcHeader` followed by a pointer to its `funcnametab`; which of its later
//! words is `gofunc` differs between Go versions, so each candidate is
//! checked against real inline trees.

use crate::image::DataImage;

/// `funcValueOffset` of Go's wasm linker: `PC_F` of the first defined function.
pub const FUNC_VALUE_OFFSET: u64 = 0x1000;

const MAGICS: [u32; 2] = [0xffff_fff1, 0xffff_fff0];
const HEADER_SIZE: u64 = 8 + 8 * 8;
/// Size of `runtime._func` before its pcdata and funcdata offsets.
const FUNC_SIZE: u64 = 44;
const PCDATA_INL_TREE_INDEX: u32 = 2;
const FUNCDATA_INL_TREE: u32 = 3;
/// Size of `runtime.inlinedCall`.
const INLINED_CALL_SIZE: u64 = 16;
/// Deepest inlining followed (Go's own trees are far shallower).
const MAX_INLINE_DEPTH: usize = 256;
/// Largest table accepted (a bogus header must not make us allocate gigabytes).
const MAX_COUNT: u64 = 1 << 24;

/// One frame of Go source at a PC: an inlined call or the physical function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoFrame {
    /// The Go function, e.g. `main.main` or `fmt.(*pp).printArg`, as Go prints
    /// it (the type arguments of a generic function's shape shown as `[...]`).
    pub function: String,
    /// The source file, as the linker recorded it (absolute, or
    /// module-relative for a `-trimpath` build).
    pub file: String,
    /// The line at this PC (0 if the table has none).
    pub line: u32,
    /// The line of the function's `func` keyword.
    pub start_line: u32,
    /// Whether the compiler inlined this call into its caller.
    pub inlined: bool,
}

/// A decoded `pclntab`: Go function, file and line for every Go PC.
#[derive(Debug, Clone)]
pub struct PcLnTab {
    /// Address of `buf[0]`.
    base: u64,
    /// Memory from `base` to the end of the data.
    buf: Vec<u8>,
    nfunc: u64,
    funcnametab: u64,
    cutab: u64,
    filetab: u64,
    pctab: u64,
    functab: u64,
    gofunc: Option<u64>,
}

/// A function's `_func` record, decoded.
#[derive(Debug, Clone, Copy)]
struct Func {
    addr: u64,
    entry: u64,
    name_off: u32,
    pcsp: u32,
    pcfile: u32,
    pcln: u32,
    npcdata: u32,
    cu_offset: u32,
    start_line: i32,
    nfuncdata: u8,
}

impl PcLnTab {
    /// Finds and decodes the `pclntab` in `image`; `None` when it holds
    /// none (not a Go module) or only a damaged one.
    pub fn new(image: &DataImage<'_>) -> Option<PcLnTab> {
        let end = image.end();
        for magic in MAGICS {
            let mut needle = magic.to_le_bytes().to_vec();
            needle.extend([0, 0, 1, 8]);
            for header in image.find_aligned(&needle, 8) {
                if let Some(t) = Self::at(image, header, end) {
                    return Some(t);
                }
            }
        }
        None
    }

    /// The table whose header is at `header`, if it is a sound one.
    fn at(image: &DataImage<'_>, header: u64, end: u64) -> Option<PcLnTab> {
        let h = image.read(header, HEADER_SIZE);
        let word = |i: usize| u64::from_le_bytes(h[8 + 8 * i..16 + 8 * i].try_into().unwrap());
        let (nfunc, nfiles) = (word(0), word(1));
        let offs = [word(3), word(4), word(5), word(6), word(7)];
        let sound = nfunc > 0
            && nfunc < MAX_COUNT
            && nfiles < MAX_COUNT
            && offs[0] >= HEADER_SIZE
            && offs.windows(2).all(|w| w[0] < w[1])
            && header.checked_add(offs[4])? + (nfunc + 1) * 8 <= end;
        if !sound {
            return None;
        }
        let mut t = PcLnTab {
            base: header,
            buf: image.read(header, end - header),
            nfunc,
            funcnametab: header + offs[0],
            cutab: header + offs[1],
            filetab: header + offs[2],
            pctab: header + offs[3],
            functab: header + offs[4],
            gofunc: None,
        };
        // The last function table entry's funcOff must lie inside the data.
        t.func_by_index(nfunc - 1)?;
        t.gofunc = t.find_gofunc(image, header);
        if let Some(g) = t.gofunc.filter(|&g| g < t.base) {
            t.buf = image.read(g, end - g);
            t.base = g;
        }
        Some(t)
    }

    /// Number of functions in the table.
    pub fn len(&self) -> usize {
        self.nfunc as usize
    }

    /// Whether the table lists no function (never true for a decoded one).
    pub fn is_empty(&self) -> bool {
        self.nfunc == 0
    }

    /// `moduledata.gofunc`: among the words of `runtime.firstmoduledata`
    /// (the data word pointing at the header, followed by a pointer to the
    /// name table), the one at which real inline trees decode.
    fn find_gofunc(&self, image: &DataImage<'_>, header: u64) -> Option<u64> {
        let samples = self.inline_tree_samples(16);
        if samples.is_empty() {
            return None;
        }
        let names_end = self.cutab - self.funcnametab;
        // Searched in the flattened memory: the pointer's zero bytes may
        // continue a zero run that split the data segments there.
        let word = |addr: u64| {
            self.bytes(addr, 8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
        };
        let end = self.base + self.buf.len() as u64;
        let mds = (header..end.saturating_sub(16))
            .step_by(8)
            .filter(|&a| word(a) == Some(header) && word(a + 8) == Some(self.funcnametab));
        for md in mds {
            for i in 19..64 {
                let cand = image.u64(md + 8 * i);
                if cand == 0 || cand >= image.end() {
                    continue;
                }
                // Each tree's first entry: zero padding, a name that starts
                // a string of the name table, a call site inside the
                // function, a start line.
                let ok = samples.iter().all(|&off| {
                    let e = image.read(cand + u64::from(off), INLINED_CALL_SIZE);
                    let word = |i: usize| u32::from_le_bytes(e[i..i + 4].try_into().unwrap());
                    let (name_off, parent_pc, start_line) = (word(4), word(8), word(12));
                    e[1..4] == [0, 0, 0]
                        && name_off > 0
                        && u64::from(name_off) < names_end
                        && self.byte(self.funcnametab + u64::from(name_off) - 1) == Some(0)
                        && parent_pc < 1 << 16
                        && (1..1 << 24).contains(&start_line)
                });
                if ok {
                    return Some(cand);
                }
            }
        }
        None
    }

    /// Up to `n` inline tree offsets (relative to `gofunc`) of functions that have one.
    fn inline_tree_samples(&self, n: usize) -> Vec<u32> {
        let mut out = Vec::new();
        for i in 0..self.nfunc {
            if out.len() == n {
                break;
            }
            if let Some(off) = self
                .func_by_index(i)
                .and_then(|f| self.funcdata(&f, FUNCDATA_INL_TREE))
            {
                out.push(off);
            }
        }
        out
    }

    fn bytes(&self, addr: u64, len: u64) -> Option<&[u8]> {
        let start = usize::try_from(addr.checked_sub(self.base)?).ok()?;
        self.buf
            .get(start..start.checked_add(usize::try_from(len).ok()?)?)
    }

    fn byte(&self, addr: u64) -> Option<u8> {
        self.bytes(addr, 1).map(|b| b[0])
    }

    fn u32(&self, addr: u64) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes(addr, 4)?.try_into().ok()?))
    }

    /// The NUL-terminated string at `addr`.
    fn cstr(&self, addr: u64) -> Option<String> {
        let start = usize::try_from(addr.checked_sub(self.base)?).ok()?;
        let rest = self.buf.get(start..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&rest[..len]).into_owned())
    }

    /// Function table entry `i` decoded.
    fn func_by_index(&self, i: u64) -> Option<Func> {
        let at = self.functab + 8 * i;
        let entry_off = self.u32(at)?;
        let addr = self.functab + u64::from(self.u32(at + 4)?);
        let r = |o: u64| self.u32(addr + o);
        if r(0)? != entry_off {
            return None;
        }
        Some(Func {
            addr,
            entry: u64::from(entry_off) << 16,
            name_off: r(4)?,
            pcsp: r(16)?,
            pcfile: r(20)?,
            pcln: r(24)?,
            npcdata: r(28)?,
            cu_offset: r(32)?,
            start_line: r(36)? as i32,
            nfuncdata: self.byte(addr + 43)?,
        })
    }

    /// The function containing Go PC `pc` (on wasm, the one whose `PC_F` it has).
    fn func_at(&self, pc: u64) -> Option<Func> {
        let pc_f = pc >> 16;
        let (mut lo, mut hi) = (0, self.nfunc);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = u64::from(self.u32(self.functab + 8 * mid)?);
            if e < pc_f {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if lo == self.nfunc || u64::from(self.u32(self.functab + 8 * lo)?) != pc_f {
            return None;
        }
        self.func_by_index(lo)
    }

    /// `funcdata[i]` as an offset from `gofunc` (None when absent).
    fn funcdata(&self, f: &Func, i: u32) -> Option<u32> {
        if i >= u32::from(f.nfuncdata) {
            return None;
        }
        let at = f.addr + FUNC_SIZE + 4 * u64::from(f.npcdata) + 4 * u64::from(i);
        self.u32(at).filter(|&off| off != u32::MAX)
    }

    /// The value of the pc-value table at `off` (in `pctab`) for `target`.
    fn pcvalue(&self, f: &Func, off: u32, target: u64) -> Option<i32> {
        if off == 0 {
            return None;
        }
        let start = usize::try_from(self.pctab + u64::from(off) - self.base).ok()?;
        let mut p = self.buf.get(start..)?;
        let (mut pc, mut val, mut first) = (f.entry, -1i32, true);
        loop {
            let (uv, n) = uvarint(p)?;
            if uv == 0 && !first {
                return None;
            }
            first = false;
            val = val.wrapping_add((-((uv & 1) as i32)) ^ (uv >> 1) as i32);
            p = &p[n..];
            let (delta, n) = uvarint(p)?;
            p = &p[n..];
            pc = pc.checked_add(u64::from(delta))?;
            if target < pc {
                return Some(val);
            }
        }
    }

    fn file_line(&self, f: &Func, pc: u64) -> (String, u32) {
        let fileno = self.pcvalue(f, f.pcfile, pc);
        let line = self.pcvalue(f, f.pcln, pc);
        let file = fileno
            .filter(|&n| n >= 0)
            .and_then(|n| self.u32(self.cutab + 4 * (u64::from(f.cu_offset) + n as u64)))
            .filter(|&o| o != u32::MAX)
            .and_then(|o| self.cstr(self.filetab + u64::from(o)));
        match (file, line) {
            (Some(file), Some(line)) if line >= 0 => (file, line as u32),
            _ => ("?".to_string(), 0),
        }
    }

    /// The function name at `name_off` (empty for 0, as Go's `funcName`).
    fn name(&self, name_off: u32) -> String {
        if name_off == 0 {
            return String::new();
        }
        self.cstr(self.funcnametab + u64::from(name_off))
            .unwrap_or_else(|| "?".to_string())
    }

    /// The symbol name of the function with `PC_F = pc >> 16` (generic
    /// shapes spelt out, as in the `name` section), if the table has it.
    pub fn func_name(&self, pc: u64) -> Option<String> {
        self.func_at(pc).map(|f| self.name(f.name_off))
    }

    /// How far Go's stack pointer is below the function's entry stack
    /// pointer at `pc` (the `pcsp` table; `None` outside any function).
    pub fn sp_delta(&self, pc: u64) -> Option<i32> {
        let f = self.func_at(pc)?;
        self.pcvalue(&f, f.pcsp, pc)
    }

    /// The entry PC of every function, with its name, in table order.
    pub fn funcs(&self) -> impl Iterator<Item = (u64, String)> + '_ {
        (0..self.nfunc).filter_map(|i| {
            let f = self.func_by_index(i)?;
            Some((f.entry, self.name(f.name_off)))
        })
    }

    /// The Go frames at `pc`, innermost (the deepest inlined call) first,
    /// the physical function last; empty when no function has this `PC_F`.
    /// Like Go's `runtime.CallersFrames`, `pc` is the PC to look up: for a
    /// return address, pass the PC before it (see [`crate::GoSymbols`]).
    pub fn frames(&self, pc: u64) -> Vec<GoFrame> {
        let Some(f) = self.func_at(pc) else {
            return Vec::new();
        };
        let tree = self
            .funcdata(&f, FUNCDATA_INL_TREE)
            .zip(self.gofunc)
            .map(|(off, g)| g + u64::from(off));
        let mut out = Vec::new();
        let mut cur = pc;
        while out.len() < MAX_INLINE_DEPTH {
            let (file, line) = self.file_line(&f, cur);
            let index = match (tree, f.npcdata > PCDATA_INL_TREE_INDEX) {
                (Some(_), true) => {
                    let at = f.addr + FUNC_SIZE + 4 * u64::from(PCDATA_INL_TREE_INDEX);
                    self.u32(at)
                        .and_then(|off| self.pcvalue(&f, off, cur))
                        .unwrap_or(-1)
                }
                _ => -1,
            };
            let call = tree
                .filter(|_| index >= 0)
                .and_then(|t| self.bytes(t + index as u64 * INLINED_CALL_SIZE, INLINED_CALL_SIZE));
            match call {
                Some(c) => {
                    let word = |i: usize| u32::from_le_bytes(c[i..i + 4].try_into().unwrap());
                    out.push(GoFrame {
                        function: name_for_print(&self.name(word(4))),
                        file,
                        line,
                        start_line: word(12) as i32 as u32,
                        inlined: true,
                    });
                    cur = f.entry.wrapping_add(word(8) as i32 as i64 as u64);
                }
                None => {
                    out.push(GoFrame {
                        function: name_for_print(&self.name(f.name_off)),
                        file,
                        line,
                        start_line: f.start_line.max(0) as u32,
                        inlined: false,
                    });
                    break;
                }
            }
        }
        out
    }
}

/// A function's symbol name as Go prints it (`runtime.funcNameForPrint`):
/// the type arguments of a generic function (`F[go.shape.int]`) or of a
/// generic method and its receiver (`T[go.shape.int].M[go.shape.string]`)
/// become `[...]`; a malformed name stays as it is.
pub fn name_for_print(name: &str) -> String {
    let Some(i) = name.find('[') else {
        return name.to_string();
    };
    let Some(j) = name.rfind(']').filter(|&j| j > i) else {
        return name.to_string();
    };
    let interior = &name[i + 1..j];
    if !interior.contains('[') {
        return format!("{}[...]{}", &name[..i], &name[j + 1..]);
    }
    // A generic method of a generic type: "...]between[..." inside.
    let (mut depth, mut rbr, mut lbr) = (1i32, None, None);
    for (k, c) in interior.char_indices() {
        match c {
            '[' => {
                depth += 1;
                if depth == 1 {
                    lbr = Some(k);
                    break;
                }
            }
            ']' => {
                depth -= 1;
                if depth < 0 {
                    break;
                }
                if depth == 0 {
                    rbr = Some(k);
                }
            }
            _ => {}
        }
    }
    if depth == 1 {
        match (rbr, lbr) {
            (Some(r), Some(l)) if l > r => {
                return format!(
                    "{}[...]{}[...]{}",
                    &name[..i],
                    &interior[r + 1..l],
                    &name[j + 1..]
                )
            }
            (None, None) => return format!("{}[...]{}", &name[..i], &name[j + 1..]),
            _ => {}
        }
    }
    name.to_string()
}

/// A uvarint (at most 32 bits, as Go's `readvarint`) and its length.
fn uvarint(p: &[u8]) -> Option<(u32, usize)> {
    let (mut v, mut shift) = (0u32, 0u32);
    for (i, &b) in p.iter().enumerate().take(5) {
        v |= u32::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
        shift += 7;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uvarints() {
        assert_eq!(uvarint(&[0x05]), Some((5, 1)));
        assert_eq!(uvarint(&[0x96, 0x01]), Some((150, 2)));
        assert_eq!(uvarint(&[0x80, 0x80]), None, "truncated");
        assert_eq!(uvarint(&[]), None);
    }

    #[test]
    fn names_print_as_go_prints_them() {
        assert_eq!(name_for_print("main.main"), "main.main");
        assert_eq!(name_for_print("a.F[go.shape.int]"), "a.F[...]");
        assert_eq!(
            name_for_print("a.F[go.shape.[]int,go.shape.int]"),
            "a.F[...]"
        );
        assert_eq!(
            name_for_print("a.(*T[go.shape.int]).M[go.shape.string]"),
            "a.(*T[...]).M[...]"
        );
        assert_eq!(name_for_print("a.F]["), "a.F][", "malformed");
    }

    #[test]
    fn no_table_no_symbols() {
        assert!(PcLnTab::new(&DataImage::new(vec![(0x1000, &b"hello"[..])])).is_none());
        // A magic with a header that makes no sense is not a table.
        let mut bogus = 0xffff_fff1u32.to_le_bytes().to_vec();
        bogus.extend([0, 0, 1, 8]);
        bogus.extend([0xff; 64]);
        assert!(PcLnTab::new(&DataImage::new(vec![(0x2000, &bogus[..])])).is_none());
    }
}
