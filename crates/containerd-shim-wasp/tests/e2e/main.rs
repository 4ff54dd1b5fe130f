//! End-to-end tests: a real containerd runs a Go wasip1 program through
//! `containerd-shim-wasp-v1` (runtime `io.containerd.wasp.v1`), driven with
//! `ctr` as a user would.
//!
//! `scripts/shim-test.sh` starts a private containerd (its own config, root,
//! state and socket under `target/shim-e2e/`, the shim on its PATH) and sets
//! `WASP_SHIM_E2E_ADDRESS` to its socket. Without that variable these tests
//! say they were skipped and pass: `cargo test` alone has no containerd.
//!
//! The guest (`tests/go-guest`) is built with the repo's Go toolchain
//! (`scripts/install-go.sh`) and packed into OCI image archives by hand
//! (`oci.rs`), imported once with `ctr image import`.

mod oci;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The shim's runtime name.
const RUNTIME: &str = "io.containerd.wasp.v1";
/// The containerd namespace the tests use.
const NAMESPACE: &str = "wasp-e2e";
/// The image with the module in a tar layer (entrypoint: a path).
const ROOTFS_IMAGE: &str = "docker.io/wasp-test/shimguest:rootfs";
/// The image whose one layer is the module (an OCI wasm artifact).
const WASM_LAYER_IMAGE: &str = "docker.io/wasp-test/shimguest:wasm-layer";
/// How long one `ctr run` may take.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// containerd's socket, or `None` (the test is skipped) when no private
/// containerd runs.
fn address() -> Option<String> {
    match std::env::var("WASP_SHIM_E2E_ADDRESS") {
        Ok(a) if !a.is_empty() => Some(a),
        _ => {
            eprintln!(
                "skipped: WASP_SHIM_E2E_ADDRESS is not set (scripts/shim-test.sh starts containerd)"
            );
            None
        }
    }
}

/// `ctr` aimed at the private containerd and the tests' namespace.
fn ctr(address: &str) -> Command {
    let mut c = Command::new("ctr");
    c.args(["--address", address, "--namespace", NAMESPACE])
        .stdin(Stdio::null());
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn check(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what}: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// `<repo>/target/shim-e2e`: the guest, the image archives.
fn work_dir() -> PathBuf {
    let d = repo_root().join("target/shim-e2e");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The Go guest built with `GOOS=wasip1 GOARCH=wasm` (offline, the build
/// cache shared with the CLI's Go tests in `target/go-stdlib/gocache`).
fn build_guest() -> Vec<u8> {
    let root = repo_root();
    let out = Command::new("bash")
        .arg(root.join("scripts/install-go.sh"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    check("scripts/install-go.sh", &out);
    let go = text(&out.stdout).trim().to_string();
    let cache = root.join("target/go-stdlib");
    let wasm = work_dir().join("shimguest.wasm");
    let out = Command::new(&go)
        .args(["build", "-trimpath", "-o"])
        .arg(&wasm)
        .arg(".")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/go-guest"))
        .env("GOOS", "wasip1")
        .env("GOARCH", "wasm")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOWORK", "off")
        .env("GOFLAGS", "")
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", cache.join("gocache"))
        .env("GOPATH", cache.join("gopath"))
        .env_remove("GOROOT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    check("go build of tests/go-guest", &out);
    std::fs::read(&wasm).unwrap()
}

/// The guest's process settings in both images.
fn process() -> oci::Process<'static> {
    oci::Process {
        entrypoint: &["/app/shimguest.wasm"],
        cmd: &["hello", "from-image-cmd"],
        env: &["GREETING_FILE=data/greeting.txt", "FROM_IMAGE=yes"],
        workdir: "/app",
    }
}

/// The guest module, built once per test process.
fn guest() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(build_guest)
}

/// Imports an image archive; `Err` with ctr's message when containerd
/// refuses it.
fn import(address: &str, file: &str, archive: Vec<u8>) -> Result<(), String> {
    let path = work_dir().join(file);
    std::fs::write(&path, archive).unwrap();
    let out = ctr(address)
        .args(["image", "import", "--all-platforms"])
        .arg(&path)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ctr image import {file}: {}: {}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        ))
    }
}

/// Imports [`ROOTFS_IMAGE`], once per test process.
fn rootfs_image(address: &str) {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let r = DONE.get_or_init(|| {
        let image = oci::rootfs_image(
            ROOTFS_IMAGE,
            &[
                ("app/shimguest.wasm", 0o755, guest()),
                (
                    "app/data/greeting.txt",
                    0o644,
                    b"hello from the image's rootfs\n",
                ),
                // A wasm header, then a section id that does not exist.
                ("app/broken.wasm", 0o755, b"\0asm\x01\0\0\0\x7f\x00"),
            ],
            &process(),
        );
        import(address, "rootfs.tar", image)
    });
    if let Err(e) = r {
        panic!("{e}");
    }
}

/// Imports [`WASM_LAYER_IMAGE`], once per test process: `Err` with ctr's
/// message if containerd cannot take it.
fn wasm_layer_image(address: &str) -> &'static Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        let image = oci::wasm_layer_image(WASM_LAYER_IMAGE, guest(), oci::WASM_LAYER, &process());
        import(address, "wasm-layer.tar", image)
    })
}

/// A container id unique to this test process.
fn container_id(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

/// `ctr run --rm --runtime io.containerd.wasp.v1` with `flags`, then the
/// image, the id and `args`.
fn run_cmd(address: &str, flags: &[&str], image: &str, id: &str, args: &[&str]) -> Command {
    let mut c = ctr(address);
    c.args(["run", "--rm", "--runtime", RUNTIME])
        .args(["--platform", "wasip1/wasm"])
        .args(flags)
        .arg(image)
        .arg(id)
        .args(args);
    c
}

/// Waits for `child` at most `limit`, killing it past that.
fn wait_output(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}\nstdout:\n{}\nstderr:\n{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(mut cmd: Command) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_output(child, RUN_TIMEOUT)
}

fn lines(out: &Output) -> Vec<String> {
    text(&out.stdout).lines().map(String::from).collect()
}

#[test]
fn image_defaults_run_with_rootfs_pwd_and_status() {
    let Some(addr) = address() else { return };
    rootfs_image(&addr);
    let out = run(run_cmd(
        &addr,
        &[],
        ROOTFS_IMAGE,
        &container_id("defaults"),
        &[],
    ));
    check("ctr run (image defaults)", &out);
    let l = lines(&out);
    assert_eq!(l[0], "hello from a wasp container", "{l:#?}");
    // Entrypoint + Cmd from the image config.
    assert_eq!(
        &l[1..5],
        [
            "argc=3",
            "arg[0]=\"/app/shimguest.wasm\"",
            "arg[1]=\"hello\"",
            "arg[2]=\"from-image-cmd\"",
        ]
    );
    // The image's Env, and PWD from its WorkingDir.
    assert!(l.contains(&"env=\"FROM_IMAGE=yes\"".to_string()), "{l:#?}");
    assert!(l.contains(&"env=\"PWD=/app\"".to_string()), "{l:#?}");
    assert!(l.contains(&"cwd=/app".to_string()), "{l:#?}");
    // A relative path read through the rootfs preopened as `/`.
    assert_eq!(
        l.last().unwrap(),
        "greeting=\"hello from the image's rootfs\\n\""
    );
    assert_eq!(text(&out.stderr), "to stderr\n");
}

#[test]
fn arguments_env_and_exit_status_come_back_through_ctr() {
    let Some(addr) = address() else { return };
    rootfs_image(&addr);
    let out = run(run_cmd(
        &addr,
        &["--env", "EXTRA=from ctr"],
        ROOTFS_IMAGE,
        &container_id("status"),
        &["/app/shimguest.wasm", "hello", "two words", "exit=3"],
    ));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let l = lines(&out);
    assert_eq!(
        &l[..5],
        [
            "hello from a wasp container",
            "argc=4",
            "arg[0]=\"/app/shimguest.wasm\"",
            "arg[1]=\"hello\"",
            "arg[2]=\"two words\"",
        ]
    );
    assert!(l.contains(&"env=\"EXTRA=from ctr\"".to_string()), "{l:#?}");
    assert_eq!(text(&out.stderr), "to stderr\n");
}

#[test]
fn a_module_wasp_cannot_load_exits_1_with_the_reason() {
    let Some(addr) = address() else { return };
    rootfs_image(&addr);
    let out = run(run_cmd(
        &addr,
        &[],
        ROOTFS_IMAGE,
        &container_id("broken"),
        &["/app/broken.wasm"],
    ));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    let err = text(&out.stderr);
    assert!(err.starts_with("wasp: broken: "), "{err}");
}

#[test]
fn wasm_layer_image_runs_from_the_content_store() {
    let Some(addr) = address() else { return };
    match wasm_layer_image(&addr) {
        Ok(()) => {}
        // containerd before 1.6.25 and 1.7.7 cannot unpack an image with a
        // layer that is not a tar (the fix runwasi's OCI layers need).
        Err(e) if e.contains("mismatched image rootfs and manifest layers") => {
            eprintln!(
                "SKIPPED: this containerd cannot import images with wasm layers \
                 (it needs 1.6.25+, 1.7.7+ or 2.0+): {e}"
            );
            return;
        }
        Err(e) => panic!("{e}"),
    }
    let out = run(run_cmd(
        &addr,
        &[],
        WASM_LAYER_IMAGE,
        &container_id("layer"),
        &["/app/shimguest.wasm", "hello", "exit=5"],
    ));
    assert_eq!(
        out.status.code(),
        Some(5),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let l = lines(&out);
    assert_eq!(l[0], "hello from a wasp container");
    assert_eq!(l[1], "argc=3");
    // No file system content in this image: the greeting file is missing.
    assert!(l.last().unwrap().starts_with("greeting error:"), "{l:#?}");
}

/// Lines the child prints, as they come.
fn line_reader(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn expect_line(rx: &Receiver<String>, want: &str, child: &mut Child) {
    match rx.recv_timeout(RUN_TIMEOUT) {
        Ok(line) if line == want => {}
        other => {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("expected {want:?}, got {other:?}\nstderr:\n{err}");
        }
    }
}

/// One HTTP/1.0 GET on `port`: the whole response.
fn http_get(port: u16, path: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp
}

#[test]
fn go_http_server_answers_on_a_wasp_listen_socket() {
    let Some(addr) = address() else { return };
    rootfs_image(&addr);
    // A free port: bound, noted, released (the guest's listener takes it).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("WASP_LISTEN=127.0.0.1:{port}");
    let mut child = run_cmd(
        &addr,
        &["--net-host", "--env", &listen],
        ROOTFS_IMAGE,
        &container_id("http"),
        &["/app/shimguest.wasm", "serve", "4"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let rx = line_reader(&mut child);
    expect_line(&rx, "listening", &mut child);
    let hello = http_get(port, "/hello");
    assert!(hello.starts_with("HTTP/1.0 200 OK\r\n"), "{hello}");
    assert!(hello.ends_with("\r\n\r\nhello over http\n"), "{hello}");
    let bye = http_get(port, "/quit");
    assert!(bye.ends_with("\r\n\r\nbye\n"), "{bye}");
    expect_line(&rx, "served 2 requests", &mut child);
    let out = wait_output(child, RUN_TIMEOUT);
    check("ctr run (http server)", &out);
}

#[test]
fn sigterm_from_containerd_stops_the_guest() {
    let Some(addr) = address() else { return };
    rootfs_image(&addr);
    let id = container_id("sigterm");
    let mut child = run_cmd(
        &addr,
        &[],
        ROOTFS_IMAGE,
        &id,
        &["/app/shimguest.wasm", "sleep"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let rx = line_reader(&mut child);
    expect_line(&rx, "sleeping", &mut child);
    let killed = Instant::now();
    let out = ctr(&addr)
        .args(["task", "kill", "--signal", "SIGTERM", &id])
        .output()
        .unwrap();
    check("ctr task kill", &out);
    // The guest sleeps for an hour: only the signal ends it this soon.
    let out = wait_output(child, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(128 + 15), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("stopped by SIGTERM"),
        "{}",
        text(&out.stderr)
    );
    assert!(killed.elapsed() < Duration::from_secs(30));
}
