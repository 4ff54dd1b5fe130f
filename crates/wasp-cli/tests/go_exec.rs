//! The go command runs wasip1 programs on wasp: `wasp go-exec --install DIR` puts a
//! `go_wasip1_wasm_exec` symlink in DIR, and with DIR on `PATH`, `GOOS=wasip1 GOARCH=wasm
//! go test` and `go run` use it; `go test -exec "wasp go-exec"` works without the symlink.
//! Small packages keep this fast (`go test strings` without `-short` takes minutes on an
//! interpreter; `go_stdlib.rs` runs the larger packages' tests directly).

mod common;

use common::*;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(600);

/// `PATH` with `dir` in front.
fn path_with(dir: &Path) -> OsString {
    let mut paths = vec![dir.to_path_buf()];
    if let Some(p) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(paths).unwrap()
}

/// Makes `dir/go_wasip1_wasm_exec` with `wasp go-exec --install`.
fn install(dir: &Path) {
    let out = Command::new(wasp_bin_for_go())
        .args(["go-exec", "--install"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let link = dir.join("go_wasip1_wasm_exec");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        link.display().to_string()
    );
    assert_eq!(
        std::fs::canonicalize(&link).unwrap(),
        wasp_bin_for_go().canonicalize().unwrap()
    );
}

#[test]
fn go_test_finds_the_wrapper_on_path() {
    let tmp = TempDir::under_target("go-exec-path");
    let bin = tmp.path().join("bin");
    install(&bin);
    // Installing again replaces the link.
    install(&bin);
    let log = tmp.path().join("go-test.log");
    let out = run_logged(
        go_cmd()
            .args(["test", "-count=1", "errors", "unicode/utf8"])
            .env("PATH", path_with(&bin)),
        &log,
        TIMEOUT,
    );
    assert!(out.success(), "go test: {}\n{}", out.describe(), out.output);
    for pkg in ["errors", "unicode/utf8"] {
        assert!(
            out.output
                .lines()
                .any(|l| l.starts_with(&format!("ok  \t{pkg}\t"))),
            "no `ok {pkg}` line:\n{}",
            out.output
        );
    }
}

#[test]
fn go_test_exec_flag() {
    let tmp = TempDir::under_target("go-exec-flag");
    let exec = format!("'{}' go-exec", wasp_bin_for_go().display());
    let log = tmp.path().join("go-test.log");
    let out = run_logged(
        go_cmd().args(["test", "-count=1", "-exec", &exec, "-v", "container/list"]),
        &log,
        TIMEOUT,
    );
    assert!(out.success(), "go test: {}\n{}", out.describe(), out.output);
    assert!(out.output.contains("--- PASS: TestList"), "{}", out.output);
    assert!(
        out.output.contains("ok  \tcontainer/list\t"),
        "{}",
        out.output
    );
}

const PROGRAM: &str = r#"package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	// The whole host file system is visible at /, as under Go's own wrapper script.
	data, err := os.ReadFile("input.txt")
	if err != nil {
		panic(err)
	}
	fmt.Printf("args=%q\n", os.Args[1:])
	fmt.Printf("wd=%s\n", wd)
	fmt.Printf("input=%s\n", strings.TrimSpace(string(data)))
	fmt.Printf("path=%v\n", os.Getenv("PATH") != "")
	fmt.Printf("home=%q\n", os.Getenv("HOME"))
	os.Exit(len(os.Args) - 1)
}
"#;

#[test]
fn go_run_a_program() {
    let tmp = TempDir::under_target("go-run");
    let bin = tmp.path().join("bin");
    install(&bin);
    let src = tmp.path().join("prog");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("main.go"), PROGRAM).unwrap();
    std::fs::write(src.join("input.txt"), "read from the package directory\n").unwrap();
    let src = src.canonicalize().unwrap();

    let out = go_cmd()
        .current_dir(&src)
        .args(["run", "main.go", "one", "two words", "-v"])
        .env("PATH", path_with(&bin))
        .env("PWD", &src)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stdout,
        format!(
            "args=[\"one\" \"two words\" \"-v\"]\nwd={}\ninput=read from the package \
             directory\npath=true\nhome=\"\"\n",
            src.display()
        ),
        "stderr: {stderr}"
    );
    // The program's exit status reaches the go command, which reports it and exits 1.
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("exit status 3"), "stderr: {stderr}");

    // The wrapper name works when run directly too, and exits with the guest's status.
    let built = tmp.path().join("prog.wasm");
    let b = go_cmd()
        .current_dir(&src)
        .args(["build", "-o"])
        .arg(&built)
        .arg("main.go")
        .output()
        .unwrap();
    assert!(b.status.success(), "{b:?}");
    let out = Command::new(bin.join("go_wasip1_wasm_exec"))
        .current_dir(&src)
        .arg(&built)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("args=[]\n"));
}

#[test]
fn wrapper_without_a_program_is_a_usage_error() {
    let tmp = TempDir::under_target("go-exec-usage");
    install(tmp.path());
    let out = Command::new(tmp.path().join("go_wasip1_wasm_exec"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
}
