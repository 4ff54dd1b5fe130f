//! A real SIGTERM, raised in this process while a guest spins, stops the
//! guest through `SignalWatch` with status 143. Its own test binary: the
//! signal is process-wide.

use containerd_shim_wasp::run::{run, Launch, Stdio};
use containerd_shim_wasp::stop::{SignalWatch, Stop};
use std::time::{Duration, Instant};
use wasp_wasi::MemoryOutput;

#[test]
fn sigterm_stops_a_spinning_guest() {
    let stop = Stop::new();
    let watch = SignalWatch::start(&stop).unwrap();
    let launch = Launch {
        module: br#"(module (func (export "_start") (loop $l (br $l))))"#.to_vec(),
        name: "spin".into(),
        func: "_start".into(),
        args: vec!["spin".into()],
        envs: vec![],
        root: std::env::temp_dir(),
        listen: vec![],
        trace: false,
        stdio: Stdio::Memory {
            stdout: MemoryOutput::new(),
            stderr: MemoryOutput::new(),
        },
    };
    let raiser = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(300));
        signal_hook::low_level::raise(signal_hook::consts::SIGTERM).unwrap();
    });
    let started = Instant::now();
    let outcome = run(&launch, &stop);
    raiser.join().unwrap();
    assert_eq!(outcome.status, 143, "{outcome:?}");
    assert_eq!(
        outcome.message.as_deref(),
        Some("wasp: spin: stopped by SIGTERM")
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    drop(watch);
}
