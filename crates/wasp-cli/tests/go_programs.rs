//! Real Go programs (`tests/guests/go/*`, built by the real Go toolchain for
//! `GOOS=wasip1 GOARCH=wasm`) run under `wasp run`: arguments, environment and exit codes,
//! file I/O through preopens, a 10,000-entry directory, sandbox escapes, read-only preopens,
//! sleeping without spinning, goroutines, stdin pipes (bulk and slow), a net/http server on a
//! `--listen` socket, and panics. Each program prints what it observed; the tests compare that
//! with values computed here and inspect the host side (files, CPU time, HTTP responses).

mod common;

use common::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

fn hello_expected(args: &[&str], env: &[&str], cwd: &str) -> String {
    let wasm = go_guest("hello");
    let mut s = format!("hello from wasp\nargc={}\n", args.len() + 1);
    s += &format!("arg[0]={:?}\n", wasm.display().to_string());
    for (i, a) in args.iter().enumerate() {
        s += &format!("arg[{}]={a:?}\n", i + 1);
    }
    let mut env: Vec<&str> = env.to_vec();
    env.sort();
    s += &format!("envc={}\n", env.len());
    for e in env {
        s += &format!("env={e:?}\n");
    }
    s += &format!("cwd={cwd}\n");
    s
}

#[test]
fn hello_args_env_and_exit_codes() {
    let wasm = go_guest("hello");

    // Arguments arrive verbatim; only the variables given with --env are visible; nothing of
    // the host's environment or working directory leaks in.
    let args = ["plain", "two words", "ünïcødé ✓", "", "--not-a-wasp-flag"];
    let env = ["GREETING=hi there", "EMPTY=", "EQUALS=a=b"];
    let mut cmd_args: Vec<String> = Vec::new();
    for e in env {
        cmd_args.extend(["--env".into(), e.into()]);
    }
    cmd_args.push(wasm.display().to_string());
    cmd_args.extend(args.iter().map(|a| a.to_string()));
    let out = run(wasp_run(&cmd_args));
    out.assert_code(0)
        .assert_stdout(&hello_expected(&args, &env, ""));
    assert_eq!(out.stderr_str(), "to stderr: 6\n");

    // os.Exit(n) becomes wasp's exit status.
    for code in [0, 3, 42, 125] {
        let arg = format!("exit={code}");
        let out = run(wasp_run([wasm.display().to_string(), arg.clone()]));
        out.assert_code(code)
            .assert_stdout(&hello_expected(&[&arg], &[], ""));
        assert_eq!(out.stderr_str(), "to stderr: 2\n");
    }
}

#[test]
fn hello_cwd_is_the_first_preopen_or_pwd() {
    let wasm = go_guest("hello");
    let tmp = TempDir::new("cwd");
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    let mut args = dir_arg(tmp.path(), "/work");
    args.push(wasm.display().to_string());
    run(wasp_run(&args))
        .assert_code(0)
        .assert_stdout(&hello_expected(&[], &[], "/work"));

    let mut args = dir_arg(tmp.path(), "/work");
    args.extend(["--env".into(), "PWD=/work/sub".into()]);
    args.push(wasm.display().to_string());
    run(wasp_run(&args))
        .assert_code(0)
        .assert_stdout(&hello_expected(&[], &["PWD=/work/sub"], "/work/sub"));
}

const FILEIO_TRANSCRIPT: &str = r#"input: 16 bytes, "planted by host"
mkdir existing: exist=true
wrote 6
content: "hello\nworld\n"
stat: size=12 regular=true dir=false
stat dir: dir=true
readat 6: "Jorld"
seek end-3: off=9 rest="ld\n"
after truncate: size=8
content: "hello\nJo"
big: 1048576 bytes, equal=true
create excl existing: exist=true
open missing: notexist=true
open dir for write: failed=true
old name after rename: notexist=true
renamed size=8
mtime set: true
hard link: "hello\nJo"
readlink: "a/moved.txt"
via symlink: "hello\nJo"
lstat symlink: true
list work: [d:a d:b2 f:big.bin f:hard.txt l:sym.txt]
list work/a: [f:moved.txt]
list work/b2: [d:c]
relative: "relative"
remove non-empty dir: failed=true
removed file: notexist=true
removed tree: notexist=true
list dir: [d:out f:input.txt]
failures: 0
"#;

fn check_fileio_host_side(dir: &Path) {
    let snap = snapshot(dir);
    let names: Vec<&str> = snap.keys().map(String::as_str).collect();
    assert_eq!(names, ["input.txt", "out", "out/result.txt"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("input.txt")).unwrap(),
        "planted by host\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("out/result.txt")).unwrap(),
        "input had 16 bytes\n"
    );
}

#[test]
fn file_io_through_a_preopen() {
    let wasm = go_guest("fileio");
    let tmp = TempDir::new("fileio");
    std::fs::write(tmp.path().join("input.txt"), "planted by host\n").unwrap();
    let mut args = dir_arg(tmp.path(), "/data");
    args.extend([wasm.display().to_string(), "/data".into()]);
    run(wasp_run(&args))
        .assert_code(0)
        .assert_stdout(FILEIO_TRANSCRIPT);
    check_fileio_host_side(tmp.path());
}

#[test]
fn file_io_with_host_path_as_guest_path() {
    // `--dir HOST` alone: the guest sees the directory under its host path.
    let wasm = go_guest("fileio");
    let tmp = TempDir::new("fileio-plain");
    std::fs::write(tmp.path().join("input.txt"), "planted by host\n").unwrap();
    let host = tmp.path().display().to_string();
    let out = run(wasp_run([
        "--dir",
        &host,
        &wasm.display().to_string(),
        &host,
    ]));
    out.assert_code(0).assert_stdout(FILEIO_TRANSCRIPT);
    check_fileio_host_side(tmp.path());
}

#[test]
fn readdir_of_10000_files() {
    let wasm = go_guest("manyfiles");
    let tmp = TempDir::new("manyfiles");
    let big = tmp.path().join("big");
    std::fs::create_dir(&big).unwrap();
    // Names of varying length so that entries straddle fd_readdir buffer boundaries.
    let mut names: Vec<String> = (0..10_000)
        .map(|i| format!("f{i:05}-{}", "x".repeat(i % 37)))
        .collect();
    for n in &names {
        std::fs::write(big.join(n), b"").unwrap();
    }
    names.sort();
    let checksum = fnv1a64(names.join("\n").as_bytes());
    let expected = format!(
        "entries=10000 batches=100\nunique=10000 files=10000 same=true\nchecksum={checksum:016x}\nfirst={} last={}\n",
        names[0], names[9999]
    );
    let mut args = dir_arg(tmp.path(), "/d");
    args.extend([wasm.display().to_string(), "/d/big".into()]);
    let out = run(wasp_run(&args));
    out.assert_code(0).assert_stdout(&expected);
    eprintln!("10,000-entry readdir took {:?} wall", out.wall);
}

#[test]
fn symlink_escapes_are_refused() {
    let wasm = go_guest("escape");
    let tmp = TempDir::new("escape");
    let root = tmp.path();
    let sb = root.join("sb");
    std::fs::create_dir_all(sb.join("sub")).unwrap();
    std::fs::write(root.join("secret.txt"), "SECRET\n").unwrap();
    std::fs::write(sb.join("inside.txt"), "inside\n").unwrap();
    use std::os::unix::fs::symlink;
    symlink(root.join("secret.txt"), sb.join("host_abs")).unwrap();
    symlink("../secret.txt", sb.join("host_rel")).unwrap();
    symlink("..", sb.join("host_dir")).unwrap();
    symlink("../../secret.txt", sb.join("sub/host_up")).unwrap();
    let outside_before: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();

    let mut args = dir_arg(&sb, "/sandbox");
    args.extend([wasm.display().to_string(), "/sandbox".into()]);
    let out = run(wasp_run(&args));
    out.assert_code(0);

    // Refusing to even create an escaping symlink is allowed; everything else is fixed.
    let got: Vec<String> = out
        .stdout_str()
        .lines()
        .filter(|l| !l.starts_with("REFUSED symlink "))
        .map(str::to_owned)
        .collect();
    let expected = r#"OK read inside.txt: "inside"
OK relative symlink inside: "inside"
OK symlink with .. staying inside: "inside"
OK raw d/../inside.txt: "inside"
DENIED read host_abs
DENIED read host_rel
DENIED read host_dir/secret.txt
DENIED read sub/host_up
DENIED readdir host_dir
DENIED stat host_dir/secret.txt
DENIED create host_dir/planted_by_guest.txt
DENIED mkdir host_dir/guest_dir
DENIED write through host_abs
DENIED write through host_rel
DENIED read g_rel
DENIED read g_abs
DENIED read g_parent/secret.txt
DENIED read g_deep
DENIED read g_chain1
DENIED read g_loop_a
DENIED create through g_dangling_out
DENIED rename into g_parent
DENIED hard link to host_rel
DENIED raw ../secret.txt
DENIED raw d/../../secret.txt
DENIED raw host_dir/secret.txt
DENIED raw host_rel/
DENIED raw host_dir/
DENIED raw /secret.txt
DENIED raw ../created_by_guest.txt
DENIED raw host_dir/created_by_guest.txt
escapes=0 controls_ok=4/4"#;
    assert_eq!(
        got.join("\n"),
        expected,
        "full stdout:\n{}\nstderr:\n{}",
        out.stdout_str(),
        out.stderr_str()
    );

    // Nothing appeared or changed outside the sandbox.
    let mut outside_after: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    outside_after.sort();
    let mut outside_before = outside_before;
    outside_before.sort();
    assert_eq!(outside_after, outside_before);
    assert_eq!(
        std::fs::read_to_string(root.join("secret.txt")).unwrap(),
        "SECRET\n"
    );
    assert_eq!(
        std::fs::read_to_string(sb.join("inside.txt")).unwrap(),
        "inside\n"
    );
}

#[test]
fn read_only_preopen_refuses_every_mutation() {
    let wasm = go_guest("readonly");
    let tmp = TempDir::new("readonly");
    let ro = tmp.path().join("ro");
    std::fs::create_dir_all(ro.join("sub")).unwrap();
    std::fs::write(ro.join("data.txt"), "original\n").unwrap();
    std::fs::write(ro.join("sub/inner.txt"), "inner\n").unwrap();
    let before = snapshot(&ro);

    let mut args = ro_dir_arg(&ro, "/ro");
    args.extend([wasm.display().to_string(), "/ro".into()]);
    let out = run(wasp_run(&args));
    out.assert_code(0).assert_stdout(
        r#"READ data.txt: "original" <nil>
READ dir: [data.txt sub] <nil>
READ stat sub/inner.txt: size=6
DENIED create new.txt
DENIED create exclusive new2.txt
DENIED create sub/new.txt
DENIED open data.txt O_WRONLY
DENIED open data.txt O_RDWR
DENIED open data.txt O_APPEND
DENIED open data.txt O_TRUNC
DENIED open data.txt O_RDONLY|O_TRUNC
DENIED WriteFile data.txt
DENIED write on O_RDONLY fd
DENIED pwrite on O_RDONLY fd
DENIED ftruncate on O_RDONLY fd
READ via fd: "original"
DENIED truncate data.txt
DENIED chtimes data.txt
DENIED chtimes dir
DENIED mkdir newdir
DENIED mkdir sub/newdir
DENIED remove data.txt
DENIED remove sub/inner.txt
DENIED rmdir sub
DENIED rename data.txt
DENIED rename over sub/inner.txt
DENIED rename sub
DENIED link data.txt
DENIED symlink
DENIED removeall sub
READ data.txt again: "original" <nil>
allowed=0
"#,
    );
    let after = snapshot(&ro);
    assert_eq!(after, before, "the read-only directory changed");
}

#[test]
fn sleeping_and_tickers_do_not_spin() {
    let wasm = go_guest("sleep").display().to_string();
    let base = run(wasp_run([wasm.as_str(), "0"]));
    base.assert_code(0).assert_stdout("nothing to do\n");

    let out = run(wasp_run([wasm.as_str(), "1000"]));
    out.assert_code(0).assert_stdout(
        "sleep ok=true\nticker ticks=10 ok=true\ntimer first=short ok=true\ntotal ok=true within=true\n",
    );
    assert!(
        out.wall >= Duration::from_millis(1000),
        "wall {:?}",
        out.wall
    );
    let extra = out.cpu.saturating_sub(base.cpu);
    eprintln!(
        "sleep 1s: wall {:?}, cpu {:?} (baseline cpu {:?})",
        out.wall, out.cpu, base.cpu
    );
    assert!(
        extra < Duration::from_millis(200),
        "sleeping 1s cost {extra:?} of CPU beyond start-up ({:?} vs {:?}): the host spins",
        out.cpu,
        base.cpu
    );
}

fn collatz(mut n: u64) -> u64 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

#[test]
fn sixty_four_goroutines_over_channels() {
    let wasm = go_guest("goroutines").display().to_string();
    let n = 10_000u64;
    let out = run(wasp_run([wasm.as_str(), &n.to_string()]));
    out.assert_code(0);
    let sum: u64 = (1..=n).map(collatz).sum();
    let (mut max, mut at) = (0, 0);
    for i in 1..=n {
        let s = collatz(i);
        if s > max {
            (max, at) = (s, i);
        }
    }
    let ring: u64 = 100 * (0..64).sum::<u64>();
    let stdout = out.stdout_str();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5, "stdout:\n{stdout}");
    assert_eq!(
        lines[0],
        format!("workers=64 jobs={n} collatz_sum={sum} max_steps={max} at={at}")
    );
    assert_eq!(lines[1], format!("ring rounds=100 token={ring}"));
    assert_eq!(lines[2], "counter=64000");
    let busy: u32 = lines[3]
        .strip_prefix("busy_workers=")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("bad line {:?}", lines[3]));
    assert!(
        (32..=64).contains(&busy),
        "only {busy} of 64 workers ever ran"
    );
    assert_eq!(lines[4], "goroutines_at_end=1");
}

#[test]
fn stdin_pipe_of_100000_lines() {
    let wasm = go_guest("stdin").display().to_string();
    let mut input = Vec::new();
    let mut sum: i64 = 0;
    let mut longest = 0;
    for i in 0..100_000i64 {
        let v = (i * 7919) % 1_000_003 - 500_000;
        sum += v;
        let line = format!("{v} {}", "word ".repeat((i % 7) as usize));
        longest = longest.max(line.len());
        input.extend_from_slice(line.as_bytes());
        input.push(b'\n');
    }
    let expected = format!(
        "lines=100000 longest={longest}\nsum={sum}\nfnv={:016x}\n",
        fnv1a64(&input)
    );
    let out = run_with_stdin(wasp_run([wasm.as_str(), "count"]), input.clone());
    out.assert_code(0).assert_stdout(&expected);

    // The same bytes straight back out through stdout.
    let out = run_with_stdin(wasp_run([wasm.as_str(), "cat"]), input.clone());
    out.assert_code(0);
    assert!(
        out.stdout == input,
        "cat changed the data: {} bytes in, {} bytes out; stderr:\n{}",
        input.len(),
        out.stdout.len(),
        out.stderr_str()
    );
    assert_eq!(out.stderr_str(), format!("copied {}\n", input.len()));
}

#[test]
fn nonblocking_stdin_waits_for_slow_input() {
    let wasm = go_guest("slowstdin").display().to_string();
    let mut r = spawn(wasp_run([wasm.as_str(), "20"]));
    r.expect_line("ready", RUN_TIMEOUT);
    let lines = ["first", "second line", "third", "last one"];
    for (i, l) in lines.iter().enumerate() {
        // 15 tick periods: the ticker goroutine must keep running while the reader waits.
        std::thread::sleep(Duration::from_millis(300));
        r.write_stdin(format!("{l}\n").as_bytes());
        r.expect_line(
            &format!("line {}: {l} waited_ticks_ok=true", i + 1),
            Duration::from_secs(30),
        );
    }
    r.close_stdin();
    r.expect_line("eof lines=4 waits_with_progress=4", Duration::from_secs(30));
    let out = r.finish(RUN_TIMEOUT);
    out.assert_code(0);
}

#[test]
fn waiting_on_stdin_does_not_spin() {
    let wasm = go_guest("slowstdin").display().to_string();
    // Baseline: the input is there at once.
    let base = run_with_stdin(wasp_run([wasm.as_str(), "0"]), b"a\nb\nc\n".to_vec());
    base.assert_code(0).assert_stdout(
        "ready\nline 1: a waited_ticks_ok=false\nline 2: b waited_ticks_ok=false\nline 3: c waited_ticks_ok=false\neof lines=3 waits_with_progress=0\n",
    );

    // The same input, arriving over 1.2 s.
    let mut r = spawn(wasp_run([wasm.as_str(), "0"]));
    r.expect_line("ready", RUN_TIMEOUT);
    let started = Instant::now();
    for l in ["a", "b", "c"] {
        std::thread::sleep(Duration::from_millis(400));
        r.write_stdin(format!("{l}\n").as_bytes());
    }
    r.close_stdin();
    let out = r.finish(RUN_TIMEOUT);
    out.assert_code(0).assert_stdout(&base.stdout_str());
    assert!(started.elapsed() >= Duration::from_millis(1200));
    let extra = out.cpu.saturating_sub(base.cpu);
    eprintln!(
        "waiting 1.2s on stdin: cpu {:?} (baseline {:?})",
        out.cpu, base.cpu
    );
    assert!(
        extra < Duration::from_millis(200),
        "waiting 1.2 s for stdin cost {extra:?} of CPU beyond the baseline: the host spins"
    );
}

// ---------------------------------------------------------------------------------------------
// net/http over --listen

struct Response {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

type Client<T> = Result<T, String>;

/// Reads one HTTP/1.1 response (Content-Length or chunked body).
fn read_response(r: &mut BufReader<TcpStream>) -> Client<Response> {
    let io = |e: std::io::Error| format!("reading the response: {e}");
    let mut line = String::new();
    r.read_line(&mut line).map_err(io)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).map_err(io)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h
            .split_once(':')
            .ok_or_else(|| format!("bad header {h:?}"))?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let mut body = Vec::new();
    if headers.get("transfer-encoding").map(String::as_str) == Some("chunked") {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).map_err(io)?;
            let n = usize::from_str_radix(size.trim(), 16)
                .map_err(|_| format!("bad chunk size {size:?}"))?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).map_err(io)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        let n: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .ok_or("no content-length")?;
        body.resize(n, 0);
        r.read_exact(&mut body).map_err(io)?;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn connect(port: u16) -> Client<BufReader<TcpStream>> {
    let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    Ok(BufReader::new(s))
}

fn send(
    c: &mut BufReader<TcpStream>,
    method: &str,
    target: &str,
    body: &[u8],
    close: bool,
) -> Client<()> {
    let mut req = format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n",
        body.len()
    );
    if close {
        req += "Connection: close\r\n";
    }
    req += "\r\n";
    let s = c.get_mut();
    s.write_all(req.as_bytes())
        .and_then(|_| s.write_all(body))
        .map_err(|e| format!("sending {method} {target}: {e}"))
}

fn request(port: u16, method: &str, target: &str, body: &[u8]) -> Client<Response> {
    let mut c = connect(port)?;
    send(&mut c, method, target, body, true)?;
    read_response(&mut c).map_err(|e| format!("{method} {target}: {e}"))
}

fn check(what: &str, ok: bool) -> Client<()> {
    if ok {
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

/// Talks to the server; returns the number of requests made.
fn http_client(port: u16) -> Client<usize> {
    let mut requests = 0;

    let resp = request(port, "GET", "/hello", b"")?;
    requests += 1;
    check(
        "GET /hello",
        resp.status == 200 && resp.body == b"hello from wasp\n",
    )?;

    let resp = request(port, "GET", "/echo?msg=wasp%20runs%20Go", b"")?;
    requests += 1;
    check(
        "GET /echo",
        resp.status == 200 && resp.body == b"oG snur psaw",
    )?;
    check(
        "X-Len header",
        resp.headers.get("x-len").map(String::as_str) == Some("12"),
    )?;

    let numbers: String = (1..=2000).map(|i| format!("{i} ")).collect();
    let resp = request(port, "POST", "/sum", numbers.as_bytes())?;
    requests += 1;
    check("POST /sum", resp.status == 200 && resp.body == b"2001000\n")?;

    let resp = request(port, "GET", "/nope", b"")?;
    requests += 1;
    check("GET /nope is 404", resp.status == 404)?;

    // A large chunked response.
    let n = 1_000_000;
    let resp = request(port, "GET", &format!("/big?n={n}"), b"")?;
    requests += 1;
    check("GET /big status", resp.status == 200)?;
    check("GET /big length", resp.body.len() == n)?;
    check(
        "GET /big content",
        resp.body
            .iter()
            .enumerate()
            .all(|(i, &b)| b == b'a' + (i % 26) as u8),
    )?;

    // Keep-alive: three requests on one connection.
    let mut c = connect(port)?;
    for i in 0..3 {
        send(&mut c, "GET", &format!("/echo?msg=k{i}"), b"", false)?;
        let resp = read_response(&mut c)?;
        requests += 1;
        check(
            "keep-alive echo",
            resp.status == 200 && resp.body == format!("{i}k").as_bytes(),
        )?;
    }
    drop(c);

    // Eight concurrent slow requests are served concurrently, not one after another.
    let started = Instant::now();
    let handles: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(move || request(port, "GET", "/sleep?ms=500", b"")))
        .collect();
    for h in handles {
        let resp = h.join().unwrap()?;
        requests += 1;
        check("GET /sleep", resp.status == 200 && resp.body == b"slept\n")?;
    }
    let elapsed = started.elapsed();
    check(
        &format!("8 concurrent 500 ms requests took {elapsed:?}: not served concurrently"),
        elapsed < Duration::from_millis(8 * 500),
    )?;

    let resp = request(port, "GET", "/quit", b"")?;
    requests += 1;
    check("GET /quit", resp.status == 200 && resp.body == b"bye\n")?;
    Ok(requests)
}

#[test]
fn net_http_server_on_a_listen_socket() {
    let wasm = go_guest("httpserver").display().to_string();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut r = spawn(wasp_run(["--listen", addr.as_str(), wasm.as_str()]));
    r.expect_line("listening", RUN_TIMEOUT);
    match http_client(port) {
        Ok(requests) => {
            let out = r.finish(RUN_TIMEOUT);
            out.assert_code(0)
                .assert_stdout(&format!("listening\nserved {requests} requests\n"));
        }
        Err(e) => {
            let out = r.kill_and_collect();
            panic!(
                "HTTP client: {e}\n--- wasp stdout:\n{}\n--- wasp stderr:\n{}",
                out.stdout_str(),
                out.stderr_str()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Panics

#[test]
fn panics_exit_2_with_the_message_on_stderr() {
    let wasm = go_guest("panic").display().to_string();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["message", "xyz"],
            &["panic: boom: xyz", "goroutine 1 [running]:", "main.nested"],
        ),
        (
            &["index"],
            &["panic: runtime error: index out of range [4] with length 3"],
        ),
        (&["nil"], &["panic: assignment to entry in nil map"]),
        (
            &["goroutine"],
            &["panic: boom in goroutine", "created by main.main"],
        ),
        (
            &["deadlock"],
            &["fatal error: all goroutines are asleep - deadlock!"],
        ),
        (&["error", "e1"], &["panic: error value e1"]),
    ];
    for (args, needles) in cases {
        let mut cmd_args = vec![wasm.as_str()];
        cmd_args.extend_from_slice(args);
        let out = run(wasp_run(&cmd_args));
        out.assert_code(2)
            .assert_stdout(&format!("about to fail: {}\n", args[0]));
        let stderr = out.stderr_str();
        for needle in *needles {
            assert!(
                stderr.contains(needle),
                "{args:?}: stderr lacks {needle:?}:\n{stderr}"
            );
        }
    }
}
