//! `per-request MODULE [--threads N] [--timeout-ms MS] REQUEST...`: serves each
//! REQUEST (its body, on the guest's stdin) with a fresh instance of MODULE and
//! prints one line per response: `#index outcome elapsed_us stdout` (stdout
//! escaped as a Rust string).

use per_request::{Options, Server};
use std::time::Duration;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let module = args.next().ok_or_else(|| {
        anyhow::anyhow!("usage: per-request MODULE [--threads N] [--timeout-ms MS] REQUEST...")
    })?;
    let mut options = Options::default();
    let mut requests = Vec::new();
    while let Some(a) = args.next() {
        let mut value = |name: &str| -> anyhow::Result<u64> {
            let v = args
                .next()
                .ok_or_else(|| anyhow::anyhow!("{name} needs a value"))?;
            Ok(v.parse()?)
        };
        match a.as_str() {
            "--threads" => options.threads = value("--threads")? as usize,
            "--timeout-ms" => options.timeout = Duration::from_millis(value("--timeout-ms")?),
            _ => requests.push(a.into_bytes()),
        }
    }
    let server = Server::new(module.as_ref(), options)?;
    for r in server.serve(requests) {
        println!(
            "#{} {:?} {} {:?}",
            r.index,
            r.outcome,
            r.elapsed.as_micros(),
            String::from_utf8_lossy(&r.stdout)
        );
    }
    Ok(())
}
