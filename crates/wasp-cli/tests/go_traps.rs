//! Go-aware trap backtraces of `wasp run` on a real Go program: when a Go
//! guest traps (the wasm stack runs out, an `unreachable` from
//! `runtime.Breakpoint` or from the runtime's crash after a panic with
//! `GOTRACEBACK=crash`, a timeout), each wasm frame of the backtrace is
//! followed by its Go file and line (inlined calls named), and the Go
//! callers that only Go's stack holds (below the runtime's resume loop)
//! are shown too. Lines are looked up in the guest's source, not hard-coded.

mod common;

use common::*;

fn source_line(needle: &str) -> String {
    let src = repo_root().join("tests/guests/go/gotrap/main.go");
    let text = std::fs::read_to_string(src).unwrap();
    let n = text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    format!("at wasp.test/guests/gotrap/main.go:{n}")
}

fn gotrap(flags: &[&str], mode: &str, code: i32) -> String {
    let guest = go_guest("gotrap");
    let mut args: Vec<&str> = flags.to_vec();
    args.extend([guest.to_str().unwrap(), mode]);
    let out = run(wasp_run(args));
    out.assert_code(code);
    out.stderr_str()
}

/// The lines of the wasm backtrace after the frame numbered `n` (up to the next frame).
fn frame(stderr: &str, n: usize) -> String {
    let head = format!("{n:>5}: ");
    let mut lines = stderr.lines().skip_while(|l| !l.starts_with(&head));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no frame {n}:\n{stderr}"));
    let rest: Vec<&str> = lines.take_while(|l| l.starts_with("         ")).collect();
    format!("{first}\n{}", rest.join("\n"))
}

#[test]
fn stack_exhaustion_shows_the_recursing_go_line() {
    // Interpreted frames and compiled ones (the default tier compiles
    // `recurse` once it is hot; the trap path records Go's resume point).
    let want = source_line("return recurse(n+1) + 1");
    for tier in ["interp", "tiered", "jit"] {
        let err = gotrap(&["--tier", tier, "--max-stack", "1MiB"], "recurse", 134);
        assert!(err.contains("wasm trap: call stack exhausted"), "{err}");
        for n in 0..64 {
            let f = frame(&err, n);
            assert!(f.contains(": main.recurse"), "{tier}: {f}");
            assert!(f.contains(&want), "{tier}: frame {n}: {f}\n(want {want})");
        }
    }
}

#[test]
fn an_unreachable_names_the_go_call_and_the_inlined_runtime_function() {
    let err = gotrap(&[], "breakpoint", 134);
    assert!(err.contains("wasm trap: unreachable"), "{err}");
    assert!(frame(&err, 0).contains("runtime.breakpoint"), "{err}");
    let stop = frame(&err, 1);
    assert!(stop.contains(": main.stop"), "{stop}");
    assert!(
        stop.contains("runtime.Breakpoint (inlined) at runtime/"),
        "{stop}"
    );
    assert!(
        stop.contains(&source_line("runtime.Breakpoint()")),
        "{stop}"
    );
    let main = frame(&err, 2);
    assert!(
        main.contains(": main.main") && main.contains(&source_line("\tstop()")),
        "{main}"
    );
}

#[test]
fn a_crash_after_a_panic_shows_where_the_go_code_panicked() {
    let err = gotrap(&["--env", "GOTRACEBACK=crash"], "panic", 134);
    assert!(
        err.contains("panic: gotrap: deliberate"),
        "Go's own report first:\n{err}"
    );
    assert!(err.contains("wasm trap: unreachable"), "{err}");
    assert!(frame(&err, 0).contains("runtime.abort"), "{err}");
    let fail = (0..12)
        .map(|n| frame(&err, n))
        .find(|f| f.contains(": main.fail"))
        .unwrap_or_else(|| panic!("main.fail in the backtrace:\n{err}"));
    assert!(
        fail.contains(&source_line("panic(\"gotrap: \" + what)")),
        "{fail}"
    );
}

#[test]
fn a_timeout_shows_the_loop_and_the_callers_only_go_keeps() {
    let err = gotrap(&["--timeout", "500ms"], "spin", 124);
    assert!(err.contains("timeout"), "{err}");
    // The loop's lines: its jump target is the body (Go rotates the loop).
    let spin = frame(&err, 0);
    assert!(
        spin.contains(": main.spin")
            && (spin.contains(&source_line("\tfor x != 0"))
                || spin.contains(&source_line("x = x*3 + 1"))),
        "{spin}"
    );
    assert!(frame(&err, 1).contains(&source_line("\tspin()")), "{err}");
    // runtime.main's caller is on Go's stack only: the runtime resumed the
    // main goroutine from its loop (wasm_pc_f_loop), not by a wasm call.
    let names: Vec<String> = (0..6).map(|n| frame(&err, n)).collect();
    let goexit = names.iter().position(|f| f.contains(": runtime.goexit"));
    let pc_f_loop = names.iter().position(|f| f.contains(": wasm_pc_f_loop"));
    assert!(
        goexit.is_some() && goexit < pc_f_loop,
        "runtime.goexit between runtime.main and the resume loop:\n{err}"
    );
}

#[test]
fn traps_of_other_modules_look_as_before() {
    let out = run(wasp_run([c_guest("trap").to_str().unwrap()]));
    let err = out.stderr_str();
    assert!(err.contains("wasm backtrace:"), "{err}");
    assert!(!err.contains("         at "), "no Go lines: {err}");
}
