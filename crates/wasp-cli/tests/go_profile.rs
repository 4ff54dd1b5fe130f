//! `wasp run --profile` on a real Go program, read back with the real
//! `go tool pprof`: the hot function is at the top with its file name,
//! `-list` shows its source lines with samples, the callers are there; the
//! profile is also written when the guest traps (a timeout) or exits
//! through `proc_exit`; bad flags are refused before the guest runs.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

/// `go tool pprof ARGS... PROFILE` (the host's pprof, not a wasip1 build).
/// The go command builds pprof on first use (into the shared build cache):
/// one call at a time, so the tests do not build it side by side.
fn pprof(args: &[&str], profile: &Path, tmp: &Path) -> String {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new(go_bin())
        .args(["tool", "pprof"])
        .args(args)
        .arg(profile)
        .env("GOTOOLCHAIN", "local")
        .env("PPROF_TMPDIR", tmp)
        .env("GOCACHE", work_dir().join("gocache"))
        .env_remove("GOOS")
        .env_remove("GOARCH")
        .output()
        .expect("running go tool pprof");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "go tool pprof {args:?} failed: {}\n{text}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The flat entries of `pprof -top` (function names, hottest first).
fn top_functions(top: &str) -> Vec<(f64, String)> {
    top.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            let flat = cols.first()?.trim_end_matches("ms").trim_end_matches('s');
            Some((flat.parse().ok()?, cols.get(5..)?.join(" ")))
        })
        .collect()
}

/// The line number of the first line of `file` containing `needle`.
fn line_of(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn the_hot_go_function_tops_the_profile_with_its_file_and_lines() {
    let tmp = TempDir::new("go-profile");
    let profile = tmp.path().join("cpu.pprof");
    // The interpreter: under the default tier the ranking of `fill` and
    // `checksum` depends on when each is compiled (seen flipping).
    let out = run(wasp_run([
        "--tier",
        "interp",
        "--profile",
        profile.to_str().unwrap(),
        "--profile-hz",
        "250",
        go_guest("hotloop").to_str().unwrap(),
        "1500",
    ]));
    out.assert_code(0);
    let bytes = std::fs::read(&profile).unwrap();
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "gzip-compressed");

    let top = pprof(&["-top"], &profile, tmp.path());
    let funcs = top_functions(&top);
    assert_eq!(
        funcs.first().map(|f| f.1.as_str()),
        Some("main.checksum"),
        "{top}"
    );
    assert!(top.contains("Type: cpu"), "{top}");
    for caller in ["main.work", "main.main", "runtime.main"] {
        assert!(top.contains(caller), "{caller} in the call stacks:\n{top}");
    }
    let fill = funcs.iter().position(|f| f.1 == "main.fill");
    assert!(
        fill.is_some_and(|i| i < 4),
        "main.fill is second or so:\n{top}"
    );

    // With -lines, the flat entries are file:line.
    let lines = pprof(&["-top", "-lines"], &profile, tmp.path());
    let src = repo_root().join("tests/guests/go/hotloop/main.go");
    let first = top_functions(&lines).remove(0).1;
    let want = format!(
        "main.checksum wasp.test/guests/hotloop/main.go:{}",
        line_of(&src, "for _, v := range data")
    );
    assert_eq!(first, want, "{lines}");

    // -list finds the source (module paths are trimmed: -trimpath build).
    let list = pprof(
        &[
            "-list",
            "main.checksum",
            "-source_path",
            repo_root().join("tests/guests/go").to_str().unwrap(),
            "-trim_path",
            "wasp.test/guests",
        ],
        &profile,
        tmp.path(),
    );
    assert!(
        list.contains("ROUTINE ======================== main.checksum in hotloop/main.go"),
        "{list}"
    );
    let hot_line = list
        .lines()
        .find(|l| l.contains("for _, v := range data"))
        .unwrap_or_else(|| panic!("the loop's line is listed:\n{list}"));
    assert!(
        !hot_line.trim_start().starts_with('.'),
        "samples on the loop: {hot_line}\n{list}"
    );
}

#[test]
fn the_profile_is_written_after_a_timeout_and_after_proc_exit() {
    let tmp = TempDir::new("go-profile-exit");
    let profile = tmp.path().join("spin.pprof");
    let out = run(wasp_run([
        "--profile",
        profile.to_str().unwrap(),
        "--timeout",
        "1s",
        go_guest("gotrap").to_str().unwrap(),
        "spin",
    ]));
    out.assert_code(124);
    let top = pprof(&["-top"], &profile, tmp.path());
    assert_eq!(
        top_functions(&top).first().map(|f| f.1.as_str()),
        Some("main.spin"),
        "{top}"
    );

    // os.Exit(2) after a usage error: proc_exit, and a (nearly empty) profile.
    let profile = tmp.path().join("exit.pprof");
    let out = run(wasp_run([
        "--profile",
        profile.to_str().unwrap(),
        go_guest("hotloop").to_str().unwrap(),
        "not-a-number",
    ]));
    out.assert_code(2);
    let raw = pprof(&["-raw"], &profile, tmp.path());
    assert!(raw.contains("samples/count cpu/nanoseconds"), "{raw}");
}

#[test]
fn bad_profile_flags_fail_before_the_guest_runs() {
    let tmp = TempDir::new("go-profile-bad");
    let out = run(wasp_run([
        "--profile",
        tmp.path().join("no/such/dir/p.pprof").to_str().unwrap(),
        go_guest("hello").to_str().unwrap(),
    ]));
    out.assert_code(1);
    assert!(out.stdout.is_empty(), "the guest did not run");
    assert!(
        out.stderr_str().contains("--profile"),
        "{}",
        out.stderr_str()
    );

    let out = run(wasp_run([
        "--profile",
        tmp.path().join("p.pprof").to_str().unwrap(),
        "--profile-hz",
        "0",
        go_guest("hello").to_str().unwrap(),
    ]));
    out.assert_code(1);
    assert!(
        out.stderr_str().contains("--profile-hz 0"),
        "{}",
        out.stderr_str()
    );
}
