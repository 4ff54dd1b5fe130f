//! API profiles on a real Go program (`tests/guests/go/deny`): `wasp run --deny-wasi path_open`
//! makes `os.ReadFile` and `os.WriteFile` fail with an error for which
//! `errors.Is(err, errors.ErrUnsupported)` holds, without touching the host, while stdout and
//! stderr keep working; `--wasi-profile` and `--allow-wasi` do the same through named sets.

mod common;

use common::*;
use std::path::Path;

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
