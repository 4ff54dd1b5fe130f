//! wasp-go's `pclntab` decoder against Go's own runtime, on a real Go
//! wasip1 binary: for a spread of PCs in every function, the function, file
//! and line that `runtime.FuncForPC` gives (inlined calls included) are what
//! the decoder gives; a call stack through an inlined call expands into the
//! frames `runtime.CallersFrames` gives; every function's name in the
//! pclntab is its name in the `name` section.

mod common;

use common::*;
use wasp_go::{GoFrame, GoSymbols};

fn load(name: &str) -> (wasp::Module, GoSymbols) {
    let engine = wasp::Engine::default();
    let module = wasp::Module::from_file(&engine, go_guest(name)).unwrap();
    let go = GoSymbols::new(&module).expect("a Go module has a pclntab");
    (module, go)
}

fn imports(module: &wasp::Module) -> u32 {
    module
        .imports()
        .filter(|i| matches!(i.ty(), wasp::ExternType::Func(_)))
        .count() as u32
}

#[test]
fn decoded_lines_match_go_runtime_funcforpc() {
    let (module, go) = load("pcsyms");
    let defined = module.func_count() as u32 - imports(&module);
    let out = run(wasp_run([
        go_guest("pcsyms").to_str().unwrap(),
        &defined.to_string(),
    ]));
    out.assert_code(0);
    let text = out.stdout_str();
    let last_entry = go.table().funcs().last().unwrap().0;
    let (mut checked, mut inlined, mut absent) = (0, 0, 0);
    for line in text.lines().filter_map(|l| l.strip_prefix("pc ")) {
        let f: Vec<&str> = line.split('\t').collect();
        let pc: u64 = f[0].parse().unwrap();
        let frames = go.table().frames(pc);
        if f[1] == "-" {
            // Go's lookup also stops at `moduledata.maxpc`, a few blocks
            // into the last function.
            assert!(
                frames.is_empty() || pc >> 16 == last_entry >> 16,
                "Go knows no function at {pc:#x}, we do: {frames:?}"
            );
            absent += 1;
            continue;
        }
        let inner = frames
            .first()
            .unwrap_or_else(|| panic!("no frames at {pc:#x}, Go says {line}"));
        let want = (f[1], f[2], f[3].parse::<u32>().unwrap());
        assert_eq!(
            (inner.function.as_str(), inner.file.as_str(), inner.line),
            want,
            "at pc {pc:#x} ({frames:?})"
        );
        // The outermost frame is the physical function, found by its PC_F.
        let outer = frames.last().unwrap();
        assert!(!outer.inlined);
        assert_eq!(
            Some(outer.function.clone()),
            go.table()
                .func_name(pc)
                .map(|n| wasp_go::name_for_print(&n)),
            "at pc {pc:#x}"
        );
        inlined += usize::from(frames.len() > 1);
        checked += 1;
    }
    assert!(
        checked > 10_000,
        "{checked} PCs checked ({absent} outside any function)"
    );
    assert!(inlined > 100, "only {inlined} PCs inside inlined calls");
}

#[test]
fn a_stack_through_an_inlined_call_expands_as_go_does() {
    let (_, go) = load("pcsyms");
    let out = run(wasp_run([go_guest("pcsyms").to_str().unwrap(), "0"]));
    out.assert_code(0);
    let text = out.stdout_str();
    // runtime.Callers gives one PC per logical frame (an inlined call's is
    // its call site plus 1); expanding the PC of a physical frame gives its
    // inlined calls and itself, so the PCs of those calls are skipped.
    let callers: Vec<u64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("caller "))
        .map(|pc| pc.parse().unwrap())
        .collect();
    let mut ours: Vec<GoFrame> = Vec::new();
    let mut k = 0;
    while k < callers.len() {
        let pc = callers[k];
        // A return address: look up the call before it, as CallersFrames does.
        let lookup = if pc & 0xffff > 0 { pc - 1 } else { pc };
        let frames = go.table().frames(lookup);
        assert!(!frames.is_empty(), "no frames at {pc:#x}");
        k += frames.len();
        ours.extend(frames);
    }
    let theirs: Vec<(String, String, u32)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("frame "))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_string(), f[1].to_string(), f[2].parse().unwrap())
        })
        .filter(|f| !f.0.is_empty())
        .collect();
    let ours: Vec<(String, String, u32)> = ours
        .into_iter()
        .map(|f| (f.function, f.file, f.line))
        .collect();
    assert_eq!(ours, theirs);
    let names: Vec<&str> = theirs.iter().map(|f| f.0.as_str()).collect();
    let at = names.iter().position(|&n| n == "main.leaf").unwrap();
    assert_eq!(
        &names[at..at + 3],
        ["main.leaf", "main.middle", "main.outer"],
        "main.middle is an inlined frame between them"
    );
    assert!(theirs[at].1.ends_with("pcsyms/main.go"), "{:?}", theirs[at]);
}

#[test]
fn pclntab_names_are_the_name_section_names() {
    let (module, go) = load("hello");
    let base = imports(&module);
    let mut same = 0;
    for (entry, name) in go.table().funcs() {
        let index = go.func_index(entry).unwrap();
        assert_eq!(go.pc(index, 0), Some(entry));
        assert!(index >= base);
        // Go's linker names wasm functions after their symbols with every
        // character but [A-Za-z0-9_.] replaced by `_` (and the pclntab has no
        // name for the first function, `go:buildid`).
        let sanitized: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if let (Some(wasm_name), false) = (module.func_name(index), name.is_empty()) {
            assert_eq!(wasm_name, sanitized, "function {index}");
            same += 1;
        }
    }
    assert!(same > 1000, "{same} names compared");
    assert!(go.table().len() > 1000);
    let main = go.frames(
        go.func_index(
            go.table()
                .funcs()
                .find(|(_, n)| n == "main.main")
                .unwrap()
                .0,
        )
        .unwrap(),
        None,
    );
    assert_eq!(main[0].function, "main.main");
    assert!(main[0].file.ends_with("hello/main.go"), "{main:?}");
    assert!(main[0].line >= main[0].start_line && main[0].start_line > 0);
}

#[test]
fn modules_go_did_not_build_have_no_symbols() {
    let engine = wasp::Engine::default();
    let module = wasp::Module::from_file(&engine, c_guest("trap")).unwrap();
    assert!(GoSymbols::new(&module).is_none());
}
