//! Unit tests of `launch_from_context`: how the container's runtime context
//! (OCI process args and env, the entrypoint, the image's wasm layers)
//! becomes what wasp runs. A stand-in context plays runwasi's part.

use containerd_shim_wasm::sandbox::context::{Entrypoint, RuntimeContext, Source, WasmLayer};
use containerd_shim_wasp::launch_from_context;
use oci_spec::image::{Descriptor, Digest, MediaType};
use std::path::{Path, PathBuf};

/// A runtime context with fixed args, env and wasm layers, whose
/// entrypoint follows runwasi's rules (`path#func`, `_start` by default).
struct Ctx {
    args: Vec<String>,
    envs: Vec<String>,
    layers: Vec<WasmLayer>,
}

impl RuntimeContext for Ctx {
    fn args(&self) -> &[String] {
        &self.args
    }

    fn envs(&self) -> &[String] {
        &self.envs
    }

    fn entrypoint(&self) -> Entrypoint<'_> {
        let arg0 = self.args.first().map(String::as_str).unwrap_or("");
        let (path, func) = arg0.split_once('#').unwrap_or((arg0, "_start"));
        Entrypoint {
            func: func.to_string(),
            name: Path::new(path)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned()),
            arg0: self.args.first().map(Path::new),
            source: if self.layers.is_empty() {
                Source::File(PathBuf::from(path))
            } else {
                Source::Oci(&self.layers)
            },
        }
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A module file in a fresh temporary directory, and its path.
fn module_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wasp-shim-launch-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn ctx(args: Vec<String>, envs: &[&str]) -> Ctx {
    Ctx {
        args,
        envs: strings(envs),
        layers: vec![],
    }
}

#[test]
fn file_entrypoint_gives_module_args_and_func() {
    let path = module_file("prog.wat", "(module)");
    let p = path.to_str().unwrap();
    let c = ctx(
        vec![format!("{p}#main"), "a".into(), "b c".into()],
        &["A=1", "B=x=y"],
    );
    let l = launch_from_context(&c, Path::new("/"), None).unwrap();
    assert_eq!(l.module, b"(module)");
    assert_eq!(l.func, "main");
    assert_eq!(l.name, "prog");
    // argv[0] is the module's path, without the `#func` suffix.
    assert_eq!(l.args, vec![p.to_string(), "a".into(), "b c".into()]);
    assert_eq!(
        l.envs,
        vec![("A".into(), "1".into()), ("B".into(), "x=y".into())]
    );
    assert_eq!(l.root, Path::new("/"));
    assert!(l.listen.is_empty());
    assert!(!l.trace);
}

#[test]
fn default_entry_function_is_start() {
    let path = module_file("start.wat", "(module)");
    let c = ctx(vec![path.to_str().unwrap().into()], &[]);
    let l = launch_from_context(&c, Path::new("/"), None).unwrap();
    assert_eq!(l.func, "_start");
}

#[test]
fn pwd_comes_from_the_working_directory_unless_set() {
    let path = module_file("pwd.wat", "(module)");
    let args = vec![path.to_str().unwrap().to_string()];
    let pwd = |envs: &[&str], cwd: &str| {
        let l = launch_from_context(
            &ctx(args.clone(), envs),
            Path::new("/"),
            Some(Path::new(cwd)),
        )
        .unwrap();
        l.envs
            .into_iter()
            .filter(|(k, _)| k == "PWD")
            .map(|(_, v)| v)
            .collect::<Vec<_>>()
    };
    assert_eq!(pwd(&[], "/app"), vec!["/app"]);
    assert_eq!(pwd(&["PWD=/data"], "/app"), vec!["/data"]);
    assert!(pwd(&[], "/").is_empty());
}

#[test]
fn listen_and_trace_come_from_the_environment() {
    let path = module_file("listen.wat", "(module)");
    let c = ctx(
        vec![path.to_str().unwrap().into()],
        &[
            "WASP_LISTEN=127.0.0.1:1",
            "WASP_LISTEN=0.0.0.0:8080, [::1]:9090,",
            "WASP_TRACE_WASI=1",
        ],
    );
    let l = launch_from_context(&c, Path::new("/"), None).unwrap();
    // The last setting wins; empty items are ignored.
    assert_eq!(l.listen, vec!["0.0.0.0:8080", "[::1]:9090"]);
    assert!(l.trace);
    // The variables still reach the guest.
    assert!(l.envs.iter().any(|(k, _)| k == "WASP_LISTEN"));

    let c = ctx(vec![path.to_str().unwrap().into()], &["WASP_TRACE_WASI=0"]);
    assert!(!launch_from_context(&c, Path::new("/"), None).unwrap().trace);
}

#[test]
fn malformed_environment_entries_are_left_out() {
    let path = module_file("env.wat", "(module)");
    let c = ctx(
        vec![path.to_str().unwrap().into()],
        &["NOEQUALS", "=v", "K="],
    );
    let l = launch_from_context(&c, Path::new("/"), None).unwrap();
    assert_eq!(l.envs, vec![("K".to_string(), String::new())]);
}

#[test]
fn no_args_is_an_error() {
    let e = launch_from_context(&ctx(vec![], &[]), Path::new("/"), None).unwrap_err();
    assert!(e.to_string().contains("no entrypoint"), "{e}");
}

#[test]
fn entrypoint_without_a_path_is_an_error() {
    let e = launch_from_context(&ctx(strings(&["#main"]), &[]), Path::new("/"), None).unwrap_err();
    assert!(e.to_string().contains("names no module"), "{e}");
}

#[test]
fn missing_module_file_is_an_error() {
    let c = ctx(strings(&["/nonexistent/wasp/prog.wasm"]), &[]);
    let e = launch_from_context(&c, Path::new("/"), None).unwrap_err();
    assert!(
        e.to_string()
            .contains("cannot read the module /nonexistent/wasp/prog.wasm"),
        "{e}"
    );
}

fn layer(bytes: &[u8]) -> WasmLayer {
    WasmLayer {
        config: Descriptor::new(
            MediaType::Other("application/wasm".into()),
            bytes.len() as u64,
            Digest::try_from(format!("sha256:{}", "0".repeat(64))).unwrap(),
        ),
        precompiled: false,
        layer: bytes.to_vec(),
    }
}

#[test]
fn wasm_layer_is_the_module() {
    // With layers the entrypoint names no file: only argv[0] and the function.
    let c = Ctx {
        args: strings(&["/app.wasm#run", "x"]),
        envs: vec![],
        layers: vec![layer(b"\0asm\x01\0\0\0")],
    };
    let l = launch_from_context(&c, Path::new("/"), None).unwrap();
    assert_eq!(l.module, b"\0asm\x01\0\0\0");
    assert_eq!(l.func, "run");
    assert_eq!(l.args, strings(&["/app.wasm", "x"]));
}

#[test]
fn several_wasm_layers_are_an_error() {
    let c = Ctx {
        args: strings(&["/app.wasm"]),
        envs: vec![],
        layers: vec![layer(b"\0asm\x01\0\0\0"), layer(b"\0asm\x01\0\0\0")],
    };
    let e = launch_from_context(&c, Path::new("/"), None).unwrap_err();
    assert!(e.to_string().contains("wasm layers"), "{e}");
}
