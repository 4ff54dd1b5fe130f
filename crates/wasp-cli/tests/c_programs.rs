//! C programs (`tests/guests/c/*.c`, compiled by `zig cc --target=wasm32-wasi` against
//! wasi-libc) run under `wasp run`, proving wasp on a second toolchain: path_* operations and
//! sandbox escapes through raw `openat` paths, poll() on a stdin pipe and on a file, clock
//! sleeps and CPU-time clocks, and a trap's exit status and backtrace.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn c_path_operations_and_escapes() {
    let wasm = c_guest("paths");
    let tmp = TempDir::new("c-paths");
    let sb = tmp.path().join("sb");
    std::fs::create_dir(&sb).unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "SECRET\n").unwrap();
    std::fs::write(sb.join("input.txt"), "from host\n").unwrap();

    let mut args = dir_arg(&sb, "/sandbox");
    args.extend([wasm.display().to_string(), "/sandbox".into()]);
    run(wasp_run(&args)).assert_code(0).assert_stdout(
        "input: 10 bytes: from host
mkdir existing: -1 EEXIST
write: 6
stat a.txt: size=6 reg=1
stat sub: dir=1
stat old name: -1 ENOENT
hard link: nlink=2 size=6
readlink: 9 sub/b.txt
lstat sym: link=1
stat sym: reg=1 size=6
read via symlink: abcdef
open dir for write: -1 EISDIR
list t: d:. d:.. d:sub f:hard.txt l:sym
list t/sub: d:. d:.. f:b.txt
rmdir non-empty: -1 ENOTEMPTY
unlink dir: -1 error
list t: d:. d:..
stat removed: -1 ENOENT
DENIED openat ../secret.txt
DENIED openat esc/../../secret.txt
DENIED openat /secret.txt
DENIED openat esc_up
DENIED openat esc_abs
DENIED openat esc_parent/secret.txt
DENIED openat esc_parent/
DENIED openat ../c_created.txt
DENIED openat esc_parent/c_created.txt
DENIED mkdirat ../c_dir
DENIED renameat input.txt ../c_renamed.txt
DENIED fstatat ../secret.txt
failures=0 escapes=0
",
    );

    // Nothing was created or moved outside the sandbox.
    let mut outside: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    outside.sort();
    assert_eq!(outside, ["sb", "secret.txt"]);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("secret.txt")).unwrap(),
        "SECRET\n"
    );
    assert_eq!(
        std::fs::read_to_string(sb.join("input.txt")).unwrap(),
        "from host\n"
    );
}

#[test]
fn c_poll_on_stdin_and_clock_sleeps() {
    let wasm = c_guest("poll");
    let tmp = TempDir::new("c-poll");
    std::fs::write(tmp.path().join("file.txt"), "data\n").unwrap();
    let mut args = dir_arg(tmp.path(), "/d");
    args.extend([wasm.display().to_string(), "/d/file.txt".into()]);
    let mut r = spawn(wasp_run(&args));

    r.expect_line("phase1", RUN_TIMEOUT);
    // Nothing is written while the guest polls with a 200 ms timeout.
    r.expect_line("poll timeout: rc=0 elapsed_ok=1", Duration::from_secs(30));
    r.expect_line("waiting", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    r.write_stdin(b"ping\n");
    r.expect_line(
        "poll ready: rc=1 pollin=1 line=ping",
        Duration::from_secs(30),
    );
    r.expect_line("nanosleep ok=1", Duration::from_secs(30));
    r.expect_line(
        "clock_nanosleep realtime relative ok=1",
        Duration::from_secs(30),
    );
    r.expect_line(
        "clock_nanosleep monotonic absolute ok=1",
        Duration::from_secs(30),
    );
    r.expect_line(
        "cpu while sleeping 550ms below 200ms: 1",
        Duration::from_secs(30),
    );
    r.expect_line(
        "cpu clocks advance: process=1 thread=1",
        Duration::from_secs(30),
    );
    r.expect_line("poll file: rc=1 pollin=1", Duration::from_secs(30));
    r.expect_line("eof?", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(200));
    r.close_stdin();
    r.expect_line("poll eof: rc=1 ready=1 read=0", Duration::from_secs(30));
    r.expect_line("failures=0", Duration::from_secs(30));
    let out = r.finish(RUN_TIMEOUT);
    out.assert_code(0);
    assert_eq!(out.stderr_str(), "");
}

#[test]
fn c_trap_exits_134_with_a_backtrace() {
    let wasm = c_guest("trap");
    let out = run(wasp_run([wasm.display().to_string()]));
    out.assert_code(134).assert_stdout("before the trap\n");
    let stderr = out.stderr_str();
    assert!(
        stderr.to_lowercase().contains("unreachable"),
        "stderr does not name the trap kind:\n{stderr}"
    );
    assert!(
        stderr.contains("wasp_test_crash_here"),
        "stderr has no backtrace with function names:\n{stderr}"
    );
}
