//! A per-request runner on wasp, short enough to copy: the module is loaded
//! and its imports resolved once ([`wasp::InstancePre`]); each request gets a
//! fresh [`wasp::Store`] and instance on one of a few worker threads, its body
//! on stdin, its stdout and stderr captured in bounded memory pipes, and a
//! deadline.
//!
//! ```no_run
//! let server = per_request::Server::new("guest.wasm".as_ref(), Default::default())?;
//! let responses = server.serve(vec![b"alice".to_vec(), b"bob".to_vec()]);
//! for r in responses {
//!     println!("{:?}: {}", r.outcome, String::from_utf8_lossy(&r.stdout));
//! }
//! # Ok::<(), anyhow::Error>(())
//! ```

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use wasp::{Engine, InstancePre, Linker, Module, Store, TrapCode};
use wasp_wasi::{MemoryOutput, WasiCtx, WasiCtxBuilder};

/// How the server runs requests.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads (each runs one request at a time).
    pub threads: usize,
    /// The deadline of one request, from the start of its instantiation.
    pub timeout: Duration,
    /// The most bytes kept of each of stdout and stderr; the guest's writes
    /// past it fail with `ENOSPC`.
    pub max_output: usize,
    /// The guest's `argv[0]`.
    pub program_name: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: 4,
            timeout: Duration::from_secs(5),
            max_output: 1 << 20,
            program_name: "handler".into(),
        }
    }
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `_start` returned, or the guest exited with this status (0 for a return).
    Exited(i32),
    /// The deadline passed.
    TimedOut,
    /// The guest trapped or a host call failed (the message, with the wasm backtrace).
    Failed(String),
}

/// The result of one request.
#[derive(Debug, Clone)]
pub struct Response {
    /// The request's position in the batch given to [`Server::serve`].
    pub index: usize,
    /// How it ended.
    pub outcome: Outcome,
    /// What the guest wrote to stdout (at most [`Options::max_output`] bytes).
    pub stdout: Vec<u8>,
    /// What the guest wrote to stderr (likewise).
    pub stderr: Vec<u8>,
    /// Instantiation and run time.
    pub elapsed: Duration,
}

/// A module ready to serve requests.
pub struct Server {
    engine: Engine,
    pre: InstancePre<WasiCtx>,
    options: Options,
}

impl Server {
    /// Loads the module at `path` (binary or text) and resolves its WASI
    /// imports once.
    pub fn new(path: &Path, options: Options) -> anyhow::Result<Server> {
        let engine = Engine::default();
        let module = Module::from_file(&engine, path)?;
        let mut linker: Linker<WasiCtx> = Linker::new(&engine);
        wasp_wasi::add_to_linker(&mut linker, |ctx| ctx)?;
        let pre = linker.instantiate_pre(&module)?;
        Ok(Server {
            engine,
            pre,
            options,
        })
    }

    /// Runs one request on the calling thread, in a fresh store.
    pub fn handle(&self, index: usize, body: &[u8]) -> Response {
        let started = Instant::now();
        let (stdout, stderr) = (
            MemoryOutput::bounded(self.options.max_output),
            MemoryOutput::bounded(self.options.max_output),
        );
        let mut wasi = WasiCtxBuilder::new();
        wasi.arg(&self.options.program_name)
            .env("REQUEST_INDEX", index.to_string())
            .stdin(std::io::Cursor::new(body.to_vec()))
            .stdout(stdout.clone())
            .stderr(stderr.clone());
        let mut store = Store::new(&self.engine, wasi.build());
        store.set_timeout(self.options.timeout);
        let outcome = match self.run(&mut store) {
            Ok(()) => Outcome::Exited(0),
            Err(e) => match (e.exit_status(), e.trap_code()) {
                (Some(status), _) => Outcome::Exited(status),
                (_, Some(TrapCode::DeadlineExceeded)) => Outcome::TimedOut,
                _ => Outcome::Failed(e.to_string()),
            },
        };
        Response {
            index,
            outcome,
            stdout: stdout.take_contents(),
            stderr: stderr.take_contents(),
            elapsed: started.elapsed(),
        }
    }

    fn run(&self, store: &mut Store<WasiCtx>) -> wasp::Result<()> {
        let instance = self.pre.instantiate(&mut *store)?;
        let start = instance.get_typed_func::<(), ()>(&*store, "_start")?;
        start.call(&mut *store, ())
    }

    /// Runs every request on [`Options::threads`] worker threads; the
    /// responses come back in request order.
    pub fn serve(&self, requests: Vec<Vec<u8>>) -> Vec<Response> {
        let (tx, rx) = mpsc::channel();
        let n = requests.len();
        for job in requests.into_iter().enumerate() {
            tx.send(job).expect("the receiver is alive");
        }
        drop(tx);
        let queue = Mutex::new(rx);
        let mut responses: Vec<Response> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..self.options.threads.max(1))
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                            let Ok((index, body)) = job else { break };
                            done.push(self.handle(index, &body));
                        }
                        done
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("a worker panicked"))
                .collect()
        });
        responses.sort_by_key(|r| r.index);
        debug_assert_eq!(responses.len(), n);
        responses
    }
}
