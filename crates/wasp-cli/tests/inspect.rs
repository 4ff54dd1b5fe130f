//! `wasp inspect`: the JSON report (parsed here and checked field by field) and the human
//! summary of hand-written modules and of a real Go binary (version, module path, features,
//! imports), policies (`--profile`, `--deny-wasi`, `--allow-wasi`), `--list-profiles`, errors.

mod common;

use std::collections::BTreeMap;
use std::ops::Index;
use std::path::Path;
use std::process::Command;

// ---------------------------------------------------------------------------------------------
// A small JSON reader, to check that the output is well-formed and to look at it.

#[derive(Debug, Clone, PartialEq)]
enum V {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<V>),
    Obj(Vec<(String, V)>),
}

static NULL: V = V::Null;

impl Index<&str> for V {
    type Output = V;
    fn index(&self, key: &str) -> &V {
        match self {
            V::Obj(f) => f.iter().find(|(k, _)| k == key).map_or(&NULL, |(_, v)| v),
            _ => &NULL,
        }
    }
}

impl Index<usize> for V {
    type Output = V;
    fn index(&self, i: usize) -> &V {
        match self {
            V::Arr(a) => a.get(i).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}

impl V {
    fn str(&self) -> &str {
        match self {
            V::Str(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }
    fn num(&self) -> u64 {
        match self {
            V::Num(n) => *n as u64,
            other => panic!("not a number: {other:?}"),
        }
    }
    fn arr(&self) -> &[V] {
        match self {
            V::Arr(a) => a,
            other => panic!("not an array: {other:?}"),
        }
    }
    fn keys(&self) -> Vec<&str> {
        match self {
            V::Obj(f) => f.iter().map(|(k, _)| k.as_str()).collect(),
            other => panic!("not an object: {other:?}"),
        }
    }
    fn strs(&self) -> Vec<&str> {
        self.arr().iter().map(V::str).collect()
    }
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && b" \n\r\t".contains(&self.s[self.i]) {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&c),
            "JSON: expected {:?} at {}",
            c as char,
            self.i
        );
        self.i += 1;
    }
    fn peek(&mut self) -> u8 {
        self.ws();
        self.s[self.i]
    }
    fn string(&mut self) -> String {
        self.eat(b'"');
        let mut out = String::new();
        loop {
            let c = self.s[self.i];
            self.i += 1;
            match c {
                b'"' => return out,
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    match e {
                        b'n' => out.push('\n'),
                        b't' => out.push('\t'),
                        b'r' => out.push('\r'),
                        b'"' | b'\\' | b'/' => out.push(e as char),
                        b'u' => {
                            let h = std::str::from_utf8(&self.s[self.i..self.i + 4]).unwrap();
                            out.push(char::from_u32(u32::from_str_radix(h, 16).unwrap()).unwrap());
                            self.i += 4;
                        }
                        _ => panic!("JSON: bad escape"),
                    }
                }
                _ => {
                    // Copy a whole UTF-8 sequence.
                    let start = self.i - 1;
                    let mut end = self.i;
                    while end < self.s.len() && (self.s[end] & 0xc0) == 0x80 {
                        end += 1;
                    }
                    out.push_str(std::str::from_utf8(&self.s[start..end]).unwrap());
                    self.i = end;
                }
            }
        }
    }
    fn value(&mut self) -> V {
        match self.peek() {
            b'{' => {
                self.eat(b'{');
                let mut f = Vec::new();
                if self.peek() == b'}' {
                    self.eat(b'}');
                    return V::Obj(f);
                }
                loop {
                    let k = self.string();
                    self.eat(b':');
                    f.push((k, self.value()));
                    if self.peek() == b',' {
                        self.eat(b',');
                    } else {
                        self.eat(b'}');
                        return V::Obj(f);
                    }
                }
            }
            b'[' => {
                self.eat(b'[');
                let mut a = Vec::new();
                if self.peek() == b']' {
                    self.eat(b']');
                    return V::Arr(a);
                }
                loop {
                    a.push(self.value());
                    if self.peek() == b',' {
                        self.eat(b',');
                    } else {
                        self.eat(b']');
                        return V::Arr(a);
                    }
                }
            }
            b'"' => V::Str(self.string()),
            _ => {
                let start = self.i;
                while self.i < self.s.len() && !b",]}\n ".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                match std::str::from_utf8(&self.s[start..self.i]).unwrap() {
                    "null" => V::Null,
                    "true" => V::Bool(true),
                    "false" => V::Bool(false),
                    n => V::Num(n.parse().unwrap_or_else(|_| panic!("JSON: bad token {n}"))),
                }
            }
        }
    }
}

fn parse_json(text: &str) -> V {
    let mut p = P {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value();
    p.ws();
    assert_eq!(p.i, text.len(), "JSON: trailing text");
    v
}

// ---------------------------------------------------------------------------------------------

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn inspect<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Out {
    let out = Command::new(common::wasp_bin())
        .arg("inspect")
        .args(args)
        .output()
        .unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn inspect_json(args: &[&str], module: &Path) -> V {
    let mut a: Vec<std::ffi::OsString> = vec!["--json".into()];
    a.extend(args.iter().map(Into::into));
    a.push(module.into());
    let out = inspect(&a);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    parse_json(&out.stdout)
}

const DEMO: &str = r#"
(module $demo
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "not_a_wasi_function" (func))
  (import "env" "counter" (global (mut i32)))
  (import "env" "mem" (memory 1 2))
  (table 2 externref)
  (table $t 3 3 funcref)
  (global $pi (export "pi") f64 (f64.const 1.5))
  (global (mut i64) (i64.const -7))
  (func $pair (export "pair") (param i32) (result i32 i64)
    (i32.extend8_s (local.get 0)) (i64.const 2))
  (func $init (memory.fill (i32.const 0) (i32.const 0) (i32.const 0)))
  (start $init)
  (export "table" (table $t))
  (elem (table $t) (i32.const 0) func $pair $init)
  (data (i32.const 16) "hello")
  (data "passive!")
  (@custom "my-section" "12345")
)
"#;

fn demo_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("demo.wat");
    std::fs::write(&path, DEMO).unwrap();
    path
}

#[test]
fn json_report_of_a_text_module() {
    let tmp = common::TempDir::new("inspect");
    let path = demo_file(tmp.path());
    let j = inspect_json(&[], &path);

    assert_eq!(
        j.keys(),
        [
            "schema",
            "file",
            "size",
            "format",
            "binary_size",
            "name",
            "runnable",
            "imports",
            "wasi",
            "exports",
            "functions",
            "memories",
            "tables",
            "globals",
            "start",
            "data",
            "elements",
            "custom_sections",
            "producers",
            "features",
            "feature_uses",
            "go",
            "policy"
        ],
        "top-level keys are stable"
    );
    assert_eq!(j["schema"].num(), 1);
    assert_eq!(j["file"].str(), path.display().to_string());
    assert_eq!(j["size"].num(), DEMO.len() as u64);
    assert_eq!(j["format"].str(), "text");
    assert_eq!(j["name"].str(), "demo");
    assert_eq!(j["runnable"], V::Bool(false));

    // Imports grouped by module, duplicates counted once.
    let groups = j["imports"].arr();
    assert_eq!(groups.len(), 2);
    let wasi = &groups[0];
    assert_eq!(wasi["module"].str(), "wasi_snapshot_preview1");
    assert_eq!(wasi["count"].num(), 5);
    let items = wasi["items"].arr();
    let names: Vec<&str> = items.iter().map(|i| i["name"].str()).collect();
    assert_eq!(
        names,
        ["fd_write", "proc_exit", "fd_read", "not_a_wasi_function"]
    );
    assert_eq!(items[0]["count"].num(), 2);
    assert_eq!(items[0]["params"].strs(), ["i32", "i32", "i32", "i32"]);
    assert_eq!(items[0]["results"].strs(), ["i32"]);
    assert_eq!(items[0]["status"].str(), "provided");
    assert_eq!(items[0]["denied"], V::Null, "no policy given");
    assert_eq!(items[1]["status"].str(), "provided");
    assert_eq!(items[2]["status"].str(), "type-mismatch");
    assert_eq!(items[2]["expected"].str(), "(i32, i32, i32, i32) -> (i32)");
    assert_eq!(items[3]["status"].str(), "missing");
    let env = &groups[1];
    assert_eq!(env["module"].str(), "env");
    assert_eq!(env["items"][0]["kind"].str(), "global");
    assert_eq!(env["items"][0]["mutable"], V::Bool(true));
    assert_eq!(env["items"][1]["kind"].str(), "memory");
    assert_eq!(env["items"][1]["max"].num(), 2);
    assert_eq!(j["wasi"]["imported"].num(), 4);
    assert_eq!(j["wasi"]["provided"].num(), 2);
    assert_eq!(j["wasi"]["narrowest_profile"].str(), "stdio");

    // Exports with types and indices.
    let exports = j["exports"].arr();
    let ex: Vec<(&str, &str)> = exports
        .iter()
        .map(|e| (e["name"].str(), e["kind"].str()))
        .collect();
    assert_eq!(ex, [("pi", "global"), ("pair", "func"), ("table", "table")]);
    assert_eq!(exports[1]["index"].num(), 5);
    assert_eq!(exports[1]["results"].strs(), ["i32", "i64"]);
    assert_eq!(exports[2]["element"].str(), "funcref");

    assert_eq!(j["functions"]["imported"].num(), 5);
    assert_eq!(j["functions"]["defined"].num(), 2);
    assert_eq!(j["functions"]["total"].num(), 7);
    assert!(j["functions"]["code_size"].num() > 0);

    let mem = &j["memories"][0];
    assert_eq!((mem["min"].num(), mem["max"].num()), (1, 2));
    assert_eq!(mem["imported"]["module"].str(), "env");
    assert_eq!(mem["imported"]["name"].str(), "mem");
    let tables = j["tables"].arr();
    assert_eq!(tables.len(), 2);
    assert_eq!(tables[0]["element"].str(), "externref");
    assert_eq!(tables[0]["max"], V::Null);
    assert_eq!(tables[1]["max"].num(), 3);
    assert_eq!(tables[1]["exports"].strs(), ["table"]);

    let globals = j["globals"].arr();
    assert_eq!(globals.len(), 3);
    assert_eq!(globals[0]["imported"]["name"].str(), "counter");
    assert_eq!(globals[0]["init"], V::Null);
    assert_eq!(globals[1]["type"].str(), "f64");
    assert_eq!(globals[1]["mutable"], V::Bool(false));
    assert_eq!(globals[1]["init"].str(), "f64.const 1.5");
    assert_eq!(globals[1]["exports"].strs(), ["pi"]);
    assert_eq!(globals[2]["init"].str(), "i64.const -7");

    assert_eq!(j["start"]["index"].num(), 6);
    assert_eq!(j["start"]["name"].str(), "init");
    assert_eq!(j["data"]["active"].num(), 1);
    assert_eq!(j["data"]["passive"].num(), 1);
    assert_eq!(j["data"]["bytes"].num(), 13);
    assert_eq!(j["elements"]["segments"].num(), 1);
    assert_eq!(j["elements"]["items"].num(), 2);
    let customs: Vec<(&str, u64)> = j["custom_sections"]
        .arr()
        .iter()
        .map(|c| (c["name"].str(), c["size"].num()))
        .collect();
    assert!(customs.contains(&("my-section", 5)), "{customs:?}");

    assert_eq!(
        j["features"].strs(),
        [
            "sign-extension",
            "bulk-memory",
            "reference-types",
            "multi-value",
            "mutable-global"
        ]
    );
    let uses = &j["feature_uses"];
    assert_eq!(uses["sign-extension"]["i32.extend8_s"].num(), 1);
    assert_eq!(uses["bulk-memory"]["memory.fill"].num(), 1);
    assert_eq!(uses["bulk-memory"]["passive data segment"].num(), 1);
    assert_eq!(uses["reference-types"]["several tables"].num(), 1);
    assert_eq!(
        uses["multi-value"]["function with several results"].num(),
        1
    );
    assert_eq!(uses["mutable-global"]["mutable global import"].num(), 1);
    assert_eq!(j["go"], V::Null);
    assert_eq!(j["policy"], V::Null);
}

#[test]
fn binary_and_text_give_the_same_report() {
    let tmp = common::TempDir::new("inspect");
    let wat = demo_file(tmp.path());
    let wasm = tmp.path().join("demo.wasm");
    std::fs::write(&wasm, wat::parse_str(DEMO).unwrap()).unwrap();
    let (a, b) = (inspect_json(&[], &wat), inspect_json(&[], &wasm));
    assert_eq!(b["format"].str(), "binary");
    assert_eq!(b["size"], b["binary_size"]);
    assert_eq!(a["binary_size"], b["binary_size"]);
    for key in [
        "imports",
        "exports",
        "globals",
        "features",
        "custom_sections",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

#[test]
fn policy_marks_denied_imports() {
    let tmp = common::TempDir::new("inspect");
    let path = demo_file(tmp.path());
    let j = inspect_json(
        &[
            "--profile",
            "minimal",
            "--deny-wasi",
            "fd_write",
            "--allow-wasi",
            "fd_read",
        ],
        &path,
    );
    let p = &j["policy"];
    assert_eq!(p["profile"].str(), "minimal");
    assert_eq!(p["allow"].strs(), ["fd_read"]);
    assert_eq!(p["deny"].strs(), ["fd_write"]);
    assert_eq!(p["denied_imports"].strs(), ["fd_write"]);
    assert_eq!(p["denied"].arr().len(), 46 - 10);
    let items = j["imports"][0]["items"].arr();
    let denied: BTreeMap<&str, &V> = items
        .iter()
        .map(|i| (i["name"].str(), &i["denied"]))
        .collect();
    assert_eq!(denied["fd_write"], &V::Bool(true));
    assert_eq!(denied["fd_read"], &V::Bool(false));
    assert_eq!(denied["proc_exit"], &V::Bool(false));
    assert_eq!(
        denied["not_a_wasi_function"],
        &V::Bool(false),
        "only WASI functions can be denied"
    );
    assert_eq!(j["imports"][1]["items"][0]["denied"], V::Bool(false));

    let out = inspect(&[
        "--deny-wasi".as_ref(),
        "fd_*,proc_exit".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "policy     --deny-wasi fd_*,proc_exit: 22 of 46 WASI functions denied; \
             3 of this module's imports: fd_read, fd_write, proc_exit"
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("a denied proc_exit traps"));
    assert!(out.stdout.contains("fd_write ×2"));
    assert!(out.stdout.contains("[DENIED: returns ENOSYS]"));
}

#[test]
fn human_summary_of_a_text_module() {
    let tmp = common::TempDir::new("inspect");
    let path = demo_file(tmp.path());
    let out = inspect(&[&path]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s = out.stdout;
    for want in [
        "WebAssembly text, ",
        "module name \"demo\"",
        "functions  7: 5 imported, 2 defined; code ",
        "memory     #0 1 page, max 2 (64.0 KiB), imported from env::mem",
        "tables     #0 externref 2 elements, no maximum",
        "#1 funcref 3 elements (fixed), exported as \"table\"",
        "globals    3 (2 mutable)",
        "#1 f64 = f64.const 1.5, exported as \"pi\"",
        "start      function 6 (init)",
        "data       2 segments, 13 B (1 passive)",
        "features   sign-extension (i32.extend8_s ×1)",
        "multi-value (function with several results ×1)",
        "imports    7 imports from 2 modules (6 distinct); wasp run cannot provide all of them",
        "narrowest WASI profile allowing them: stdio",
        "fd_read              (i32) -> (i32)  [wasp provides (i32, i32, i32, i32) -> (i32)]",
        "not_a_wasi_function  () -> ()  [not provided by wasp]",
        "counter  global mut i32  [not provided by wasp]",
        "exports    3 exports",
        "pair   func (i32) -> (i32, i64)",
    ] {
        assert!(s.contains(want), "missing {want:?} in:\n{s}");
    }
}

/// A module using WebAssembly 3.0 features: eleven SIMD operators, memory64,
/// two memories, an extended constant expression.
const V3: &str = r#"
(module
  (memory $a i64 1)
  (memory $b 1)
  (global i32 (i32.add (i32.const 1) (i32.const 2)))
  (func (export "f") (param v128) (result v128)
    (local.set 0 (i8x16.add (local.get 0) (local.get 0)))
    (local.set 0 (i16x8.add (local.get 0) (local.get 0)))
    (local.set 0 (i32x4.add (local.get 0) (local.get 0)))
    (local.set 0 (i64x2.add (local.get 0) (local.get 0)))
    (local.set 0 (f32x4.add (local.get 0) (local.get 0)))
    (local.set 0 (f64x2.add (local.get 0) (local.get 0)))
    (local.set 0 (i8x16.sub (local.get 0) (local.get 0)))
    (local.set 0 (i16x8.sub (local.get 0) (local.get 0)))
    (local.set 0 (i32x4.sub (local.get 0) (local.get 0)))
    (v128.store $a (i64.const 0) (local.get 0))
    (v128.load $b (i32.const 16))))
"#;

#[test]
fn webassembly_3_features_are_reported() {
    let tmp = common::TempDir::new("inspect-v3");
    let path = tmp.path().join("v3.wat");
    std::fs::write(&path, V3).unwrap();
    let j = inspect_json(&[], &path);
    assert_eq!(
        j["features"].strs(),
        ["simd", "memory64", "multi-memory", "extended-const"]
    );
    let uses = &j["feature_uses"];
    assert_eq!(uses["simd"]["i8x16.add"].num(), 1);
    assert_eq!(uses["simd"]["v128.load"].num(), 1);
    assert_eq!(uses["simd"]["v128"].num(), 2); // the parameter and the result
    assert_eq!(uses["memory64"]["64-bit memory"].num(), 1);
    assert_eq!(uses["multi-memory"]["several memories"].num(), 1);
    // The text row shows the 8 most used SIMD constructs of 12.
    let out = inspect(&[&path]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let row = out
        .stdout
        .lines()
        .find(|l| l.contains("simd ("))
        .unwrap_or_else(|| panic!("no simd row in\n{}", out.stdout));
    assert!(row.ends_with(", 4 more)"), "{row}");
    assert!(
        out.stdout.contains("memory64 (64-bit memory ×1)"),
        "{}",
        out.stdout
    );
}

#[test]
fn go_binary_version_module_and_features() {
    let wasm = common::go_guest("hello");
    let j = inspect_json(&[], &wasm);
    let go = &j["go"];
    let version = go["version"].str();
    assert!(version.starts_with("go1."), "{version}");
    assert_eq!(
        j["producers"]["language"][0]["name"].str(),
        "Go",
        "Go names itself in the producers section"
    );
    assert_eq!(j["producers"]["language"][0]["version"].str(), version);
    assert_eq!(go["path"].str(), "wasp.test/guests/hello");
    assert_eq!(go["main"]["path"].str(), "wasp.test/guests");
    assert_eq!(go["main"]["version"].str(), "(devel)");
    assert_eq!(go["settings"]["GOOS"].str(), "wasip1");
    assert_eq!(go["settings"]["GOARCH"].str(), "wasm");
    assert_eq!(go["settings"]["-trimpath"].str(), "true");

    // The facts about Go's wasip1 output: MVP + bulk memory + sign-extension + saturating
    // float-to-int; 8 mutable globals; one exported memory without a maximum; `_start`.
    assert_eq!(
        j["features"].strs(),
        ["sign-extension", "saturating-float-to-int", "bulk-memory"]
    );
    let globals = j["globals"].arr();
    assert_eq!(globals.len(), 8);
    assert!(globals.iter().all(|g| g["mutable"] == V::Bool(true)));
    assert_eq!(j["memories"][0]["exports"].strs(), ["memory"]);
    assert_eq!(j["memories"][0]["max"], V::Null);
    let exports: Vec<&str> = j["exports"].arr().iter().map(|e| e["name"].str()).collect();
    assert_eq!(exports, ["_start", "memory"]);
    assert_eq!(j["runnable"], V::Bool(true));

    // Every import comes from WASI and includes what a println-only program needs.
    let groups = j["imports"].arr();
    assert_eq!(groups.len(), 1);
    let items = groups[0]["items"].arr();
    let names: Vec<&str> = items.iter().map(|i| i["name"].str()).collect();
    for f in [
        "sched_yield",
        "proc_exit",
        "args_get",
        "args_sizes_get",
        "clock_time_get",
        "environ_get",
        "environ_sizes_get",
        "fd_write",
        "random_get",
        "poll_oneoff",
    ] {
        assert!(names.contains(&f), "{f} in {names:?}");
    }
    assert!(items.iter().all(|i| i["status"].str() == "provided"));
    assert!(
        groups[0]["count"].num() >= items.len() as u64,
        "duplicates are counted in the group's count"
    );
    let narrowest = j["wasi"]["narrowest_profile"].str();
    assert_ne!(narrowest, "full");

    // The profile `minimal` denies what hello needs beyond println (fmt's fd_fdstat_get...).
    let j = inspect_json(&["--profile", "minimal"], &wasm);
    let denied = j["policy"]["denied_imports"].strs();
    assert!(denied.contains(&"fd_fdstat_get"), "{denied:?}");
    assert!(!denied.contains(&"fd_write"));

    // Denying what Go's runtime cannot live without is flagged.
    let out = inspect(&[
        "--deny-wasi".as_ref(),
        "fd_prestat_get,fd_close".as_ref(),
        wasm.as_os_str(),
    ]);
    assert!(
        out.stdout
            .contains("warning: Go's runtime stops the program when fd_prestat_get fail(s)"),
        "{}",
        out.stdout
    );

    // Human output names the Go toolchain and module.
    let out = inspect(&[&wasm]);
    assert!(
        out.stdout.contains(&format!(
            "go         {version}, main package wasp.test/guests/hello, module wasp.test/guests (devel)"
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("bulk-memory (memory.copy ×"));
}

#[test]
fn list_profiles() {
    let out = inspect(&["--list-profiles"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("minimal: "));
    assert!(out.stdout.contains("\nfs-read: "));
    let j = parse_json(&inspect(&["--list-profiles", "--json"]).stdout);
    let profiles = j["profiles"].arr();
    let names: Vec<&str> = profiles.iter().map(|p| p["name"].str()).collect();
    assert_eq!(names, ["minimal", "stdio", "fs-read", "fs", "net", "full"]);
    assert_eq!(profiles[0]["allowed"].arr().len(), 10);
    assert_eq!(profiles[0]["denied"].arr().len(), 36);
    assert!(profiles[5]["denied"].arr().is_empty());
}

#[test]
fn errors() {
    let tmp = common::TempDir::new("inspect");
    let path = demo_file(tmp.path());
    let out = inspect(&["--profile".as_ref(), "tiny".as_ref(), path.as_os_str()]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("unknown WASI profile `tiny`"),
        "{}",
        out.stderr
    );
    let out = inspect(&[
        "--deny-wasi".as_ref(),
        "fd_wirte".as_ref(),
        path.as_os_str(),
    ]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("did you mean `fd_write`?"),
        "{}",
        out.stderr
    );

    let bad = tmp.path().join("bad.wasm");
    std::fs::write(&bad, b"\0asm\x01\0\0\0\x05\x03\x01\x00").unwrap();
    let out = inspect(&[&bad]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("wasp inspect: "), "{}", out.stderr);
    let out = inspect(&[tmp.path().join("missing.wasm")]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cannot read"), "{}", out.stderr);
}
