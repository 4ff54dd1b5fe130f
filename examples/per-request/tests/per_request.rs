//! The per-request example, run as a library and as a program on its guest
//! (`guest.wat`): many requests on several threads, each answered from its own
//! instance, output captured, a runaway request stopped by its deadline.

use per_request::{Options, Outcome, Server};
use std::path::Path;
use std::time::{Duration, Instant};

fn guest() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/guest.wat"))
}

#[test]
fn serves_requests_on_threads_with_captured_output() {
    let server = Server::new(guest(), Options::default()).unwrap();
    let requests: Vec<Vec<u8>> = (0..40).map(|i| format!("user{i}").into_bytes()).collect();
    let responses = server.serve(requests);
    assert_eq!(responses.len(), 40);
    for (i, r) in responses.iter().enumerate() {
        assert_eq!(r.index, i);
        assert_eq!(r.outcome, Outcome::Exited(0));
        assert_eq!(
            String::from_utf8_lossy(&r.stdout),
            format!("hello, user{i} (handler)\n")
        );
        assert!(r.stderr.is_empty());
    }
}

#[test]
fn a_runaway_request_hits_its_deadline_and_the_others_are_served() {
    let options = Options {
        threads: 2,
        timeout: Duration::from_millis(200),
        ..Options::default()
    };
    let server = Server::new(guest(), options).unwrap();
    let t = Instant::now();
    let r = server.serve(vec![b"a".to_vec(), b"loop".to_vec(), b"b".to_vec()]);
    assert_eq!(r[1].outcome, Outcome::TimedOut);
    assert!(
        r[1].elapsed >= Duration::from_millis(190),
        "{:?}",
        r[1].elapsed
    );
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(r[0].stdout, b"hello, a (handler)\n");
    assert_eq!(r[2].stdout, b"hello, b (handler)\n");
}

#[test]
fn output_past_the_limit_is_cut() {
    let options = Options {
        max_output: 10,
        ..Options::default()
    };
    let server = Server::new(guest(), options).unwrap();
    let r = server.handle(0, b"a long request body");
    assert_eq!(r.outcome, Outcome::Exited(0));
    assert_eq!(r.stdout, b"hello, a l");
}

#[test]
fn the_program_prints_one_line_per_request() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_per-request"))
        .arg(guest())
        .args(["--threads", "3", "--timeout-ms", "300", "ann", "loop", "bo"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("#0 Exited(0) "), "{stdout}");
    assert!(
        lines[0].ends_with(" \"hello, ann (handler)\\n\""),
        "{stdout}"
    );
    assert!(lines[1].starts_with("#1 TimedOut "), "{stdout}");
    assert!(
        lines[2].ends_with(" \"hello, bo (handler)\\n\""),
        "{stdout}"
    );
}
