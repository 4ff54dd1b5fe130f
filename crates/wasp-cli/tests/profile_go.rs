//! API profiles on a real Go program (`tests/guests/go/deny`): `wasp run --deny-wasi path_open`
//! makes `os.ReadFile` and `os.WriteFile` fail with an error for which
//! `errors.Is(err, errors.ErrUnsupported)` holds, without touching the host, while stdout and
//! stderr keep working; `--wasi-profile` and `--allow-wasi` do the same through named sets.
//! And the `minimal` profile is exactly what a `println`-only Go program imports (built here
//! with the repo's Go toolchain), which runs under it.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const SECRET: &str = "top secret\n";

/// A directory holding `secret.txt`.
fn data_dir() -> TempDir {
    let tmp = TempDir::new("profile");
    std::fs::write(tmp.path().join("secret.txt"), SECRET).unwrap();
    tmp
}

/// `wasp run FLAGS... --dir DIR::/data deny.wasm /data/secret.txt /data/new.txt`.
fn run_deny(dir: &Path, flags: &[&str], read_only: bool) -> Outcome {
    let mut args: Vec<String> = flags.iter().map(|s| s.to_string()).collect();
    args.extend(if read_only {
        ro_dir_arg(dir, "/data")
    } else {
        dir_arg(dir, "/data")
    });
    args.push(go_guest("deny").display().to_string());
    args.extend(["/data/secret.txt".into(), "/data/new.txt".into()]);
    run(wasp_run(&args))
}

const ENOSYS_MSG: &str = "Not implemented on wasip1";

#[test]
fn denied_path_open_is_err_unsupported_and_stdout_still_works() {
    let tmp = data_dir();
    let before = snapshot(tmp.path());
    let out = run_deny(tmp.path(), &["--deny-wasi", "path_open"], false);
    out.assert_code(0).assert_stdout(&format!(
        "stdout works\n\
         read failed: unsupported=true: open /data/secret.txt: {ENOSYS_MSG}\n\
         write failed: unsupported=true: open /data/new.txt: {ENOSYS_MSG}\n\
         done\n"
    ));
    assert_eq!(out.stderr_str(), "stderr works\n");
    assert_eq!(
        snapshot(tmp.path()),
        before,
        "the host directory is untouched"
    );
    assert!(!tmp.path().join("new.txt").exists());
}

#[test]
fn without_a_policy_the_same_program_reads_and_writes() {
    let tmp = data_dir();
    let out = run_deny(tmp.path(), &[], false);
    out.assert_code(0).assert_stdout(&format!(
        "stdout works\nread ok: {SECRET:?}\nwrite ok\ndone\n"
    ));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("new.txt")).unwrap(),
        "written by the guest\n"
    );
}

#[test]
fn named_profiles() {
    // stdio: no paths at all.
    let tmp = data_dir();
    let before = snapshot(tmp.path());
    let out = run_deny(tmp.path(), &["--wasi-profile", "stdio"], false);
    out.assert_code(0).assert_stdout(&format!(
        "stdout works\n\
         read failed: unsupported=true: open /data/secret.txt: {ENOSYS_MSG}\n\
         write failed: unsupported=true: open /data/new.txt: {ENOSYS_MSG}\n\
         done\n"
    ));
    assert_eq!(snapshot(tmp.path()), before);

    // fs-read with a read-only preopen: reading works, the write is refused by the preopen
    // (EROFS, not ENOSYS: path_open itself is allowed).
    let out = run_deny(tmp.path(), &["--wasi-profile", "fs-read"], true);
    out.assert_code(0);
    let stdout = out.stdout_str();
    assert!(
        stdout.starts_with(&format!(
            "stdout works\nread ok: {SECRET:?}\nwrite failed: unsupported=false: "
        )),
        "{stdout}"
    );
    assert_eq!(snapshot(tmp.path()), before);

    // A profile plus --deny-wasi: deny wins.
    let out = run_deny(
        tmp.path(),
        &["--wasi-profile", "fs", "--deny-wasi", "path_*"],
        false,
    );
    out.assert_code(0);
    assert!(out.stdout_str().contains("read failed: unsupported=true"));
    assert_eq!(snapshot(tmp.path()), before);
}

#[test]
fn allow_list_extends_a_profile() {
    let tmp = data_dir();
    // stdio + path_open: Go's os.ReadFile needs nothing else (fstat goes through fd_filestat_get).
    let out = run_deny(
        tmp.path(),
        &["--wasi-profile", "stdio", "--allow-wasi", "path_open"],
        false,
    );
    out.assert_code(0);
    let stdout = out.stdout_str();
    assert!(
        stdout.starts_with(&format!("stdout works\nread ok: {SECRET:?}\n")),
        "{stdout}"
    );
}

#[test]
fn bad_policies_are_usage_errors() {
    let tmp = data_dir();
    let out = run_deny(tmp.path(), &["--deny-wasi", "path_opne"], false);
    out.assert_code(1);
    assert!(
        out.stderr_str().contains(
            "`path_opne` is not a wasi_snapshot_preview1 function (did you mean `path_open`?)"
        ),
        "{}",
        out.stderr_str()
    );
    assert!(out.stdout.is_empty(), "the guest never ran");
    let out = run_deny(tmp.path(), &["--wasi-profile", "everything"], false);
    out.assert_code(1);
    assert!(
        out.stderr_str()
            .contains("unknown WASI profile `everything`"),
        "{}",
        out.stderr_str()
    );
}

/// Builds `package main; func main() { println("hi") }` for wasip1 into `dir`.
fn build_println_program(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("go.mod"), "module println\n\ngo 1.24\n").unwrap();
    std::fs::write(
        dir.join("main.go"),
        "package main\n\nfunc main() { println(\"hi\") }\n",
    )
    .unwrap();
    let wasm = dir.join("println.wasm");
    let out = go_cmd()
        .current_dir(dir)
        .args(["build", "-o"])
        .arg(&wasm)
        .arg(".")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "go build: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    wasm
}

#[test]
fn minimal_is_exactly_what_a_println_program_imports() {
    let tmp = TempDir::new("println");
    let wasm = build_println_program(tmp.path());

    // `wasp inspect` finds `minimal` the narrowest profile, and `minimal` denies none of the
    // imports, which are all 10 functions `minimal` allows.
    let out = Command::new(wasp_bin())
        .args(["inspect", "--profile", "minimal"])
        .arg(&wasm)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(
        text.contains("narrowest WASI profile allowing them: minimal")
            && text.contains("10 imports from 1 module")
            && text.contains("none of this module's imports"),
        "{text}"
    );
    let allowed = wasp_wasi::Profile::by_name("minimal").unwrap().allowed();
    for f in &allowed {
        assert!(
            text.contains(&format!("\n    {f} ")),
            "{f} imported:\n{text}"
        );
    }

    // And it runs under `minimal` (println writes to stderr).
    let out = run(wasp_run([
        "--wasi-profile".to_string(),
        "minimal".to_string(),
        wasm.display().to_string(),
    ]));
    out.assert_code(0).assert_stdout("");
    assert_eq!(out.stderr_str(), "hi\n");
}
