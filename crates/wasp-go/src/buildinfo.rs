//! The build information Go embeds in its binaries, read from a wasm
//! module's data segments (what `go version -m` prints).
//!
//! Go's linker writes a blob into the data of every binary (the symbol
//! `runtime.buildinfo`; for wasm, into linear memory through active data
//! segments). Its layout, as read by Go's `debug/buildinfo`:
//!
//! - a 32-byte header at a 16-byte-aligned address: the magic
//!   `"\xff Go buildinf:"` (14 bytes), the pointer size (1 byte), flags
//!   (1 byte: bit 0 big-endian, bit 1 "strings inline"), then 16 bytes that
//!   hold two pointers in the old format and are zero otherwise;
//! - since Go 1.18 (flag bit 1): right after the header, two strings, each
//!   a uvarint length followed by the bytes: the Go version (`go1.27.3`)
//!   and the module info;
//! - before Go 1.18: the two header pointers point at Go string headers
//!   `{data pointer, length}` elsewhere in memory.
//!
//! The module info is framed by 16 sentinel bytes on each side (stripped
//! when it is at least 33 bytes long and byte `len-17` is a newline) and
//! holds tab-separated lines: `path\tMAIN_PACKAGE`, `mod\tPATH\tVERSION[\tSUM]`,
//! `dep\tPATH\tVERSION[\tSUM]`, `=>\tPATH\tVERSION\tSUM` (a replacement of the
//! line above) and `build\tKEY=VALUE` (key or value Go-quoted when they
//! contain spaces, tabs, quotes or `=`).
//!
//! But Go's wasm linker (Go 1.21 to 1.27 at least, `cmd/link/internal/wasm`
//! `asmb`) writes only the rodata, types, funcdesc, moduledata, pclntab,
//! noptrdata and data sections into the module: the `go:buildinfo` section
//! is left out, so wasm binaries carry no blob and `go version -m` cannot
//! read them. What they do carry:
//!
//! - the `producers` custom section, whose `language` field is
//!   `Go` with the toolchain version (`buildcfg.Version`, e.g. `go1.27.3`);
//! - the string `runtime.modinfo` in the data: the module info framed by
//!   the 16-byte sentinels of `cmd/go/internal/modload` (`infoStart` =
//!   `30 77 af 0c 92 74 08 02 41 e1 c1 07 e6 d6 18 e6`, `infoEnd` =
//!   `f9 32 43 31 86 18 20 72 00 82 42 10 41 16 d8 f2`).
//!
//! So [`read`] looks for the blob first (other linkers, future versions),
//! then falls back to the producers version and the framed module info.
//!
//! Memory is read through a [`DataImage`] (segments at their offsets, zeros
//! in between).

use crate::image::DataImage;

/// A module of the build list (the main module or a dependency).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoModule {
    /// Module path.
    pub path: String,
    /// Version (`(devel)` for the main module of a local build).
    pub version: String,
    /// The `go.sum` hash, if recorded.
    pub sum: Option<String>,
    /// The replacement (`=>` line), if any.
    pub replace: Option<Box<GoModule>>,
}

/// What `go version -m` prints for a binary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoBuildInfo {
    /// The toolchain version, e.g. `go1.27.3`.
    pub go_version: String,
    /// The main package's import path (`path` line).
    pub path: Option<String>,
    /// The main module (`mod` line).
    pub main: Option<GoModule>,
    /// Dependencies (`dep` lines), in order.
    pub deps: Vec<GoModule>,
    /// Build settings (`build` lines: `-trimpath`, `GOOS`, `vcs.revision`, ...), in order.
    pub settings: Vec<(String, String)>,
}

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// `cmd/go/internal/modload.infoStart` and `infoEnd`, framing the module info.
const INFO_START: &[u8] = b"\x30\x77\xaf\x0c\x92\x74\x08\x02\x41\xe1\xc1\x07\xe6\xd6\x18\xe6";
const INFO_END: &[u8] = b"\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";
const HEADER: u64 = 32;
const ALIGN: u64 = 16;
/// Longest string accepted (a bogus length must not allocate gigabytes).
const MAX_STRING: u64 = 16 << 20;

/// The first 16-byte-aligned address holding the magic.
fn find_magic(mem: &DataImage<'_>) -> Option<u64> {
    mem.find_aligned(MAGIC, ALIGN).next()
}

/// A uvarint-prefixed string at `addr`; returns it and the address after it.
fn varint_string(mem: &DataImage<'_>, addr: u64) -> Option<(Vec<u8>, u64)> {
    let head = mem.read(addr, 10);
    let (mut len, mut shift, mut n) = (0u64, 0u32, 0u64);
    loop {
        let b = *head.get(n as usize)?;
        len |= u64::from(b & 0x7f).checked_shl(shift)?;
        n += 1;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    if len > MAX_STRING {
        return None;
    }
    Some((mem.read(addr + n, len), addr + n + len))
}

/// Finds Go's build info: the blob if there is one, else the toolchain
/// version from the `producers` section (`producers_go`, the version of its
/// `language: Go` entry) and the module info framed in the data. `None` for
/// modules Go did not build.
pub fn read(mem: &DataImage<'_>, producers_go: Option<&str>) -> Option<GoBuildInfo> {
    if let Some(info) = read_blob(mem) {
        return Some(info);
    }
    let framed = mem.find_framed(INFO_START, INFO_END);
    if producers_go.is_none() && framed.is_none() {
        return None;
    }
    let mut info = GoBuildInfo {
        go_version: producers_go.unwrap_or_default().to_string(),
        ..GoBuildInfo::default()
    };
    if let Some(text) = framed {
        parse_modinfo(&String::from_utf8_lossy(text), &mut info);
    }
    Some(info)
}

/// Decodes the build info blob, if the data holds one.
fn read_blob(mem: &DataImage<'_>) -> Option<GoBuildInfo> {
    let addr = find_magic(mem)?;
    let header = mem.read(addr, HEADER);
    let ptr_size = header[14];
    let flags = header[15];
    let (version, module) = if flags & 2 != 0 {
        let (version, next) = varint_string(mem, addr + HEADER)?;
        let (module, _) = varint_string(mem, next)?;
        (version, module)
    } else {
        let big = flags & 1 != 0;
        let ptr = |b: &[u8]| -> Option<u64> {
            Some(match (ptr_size, big) {
                (4, false) => u32::from_le_bytes(b.get(..4)?.try_into().ok()?).into(),
                (4, true) => u32::from_be_bytes(b.get(..4)?.try_into().ok()?).into(),
                (8, false) => u64::from_le_bytes(b.get(..8)?.try_into().ok()?),
                (8, true) => u64::from_be_bytes(b.get(..8)?.try_into().ok()?),
                _ => return None,
            })
        };
        let p = u64::from(ptr_size);
        let go_string = |at: u64| -> Option<Vec<u8>> {
            let hdr = mem.read(at, 2 * p);
            let (data, len) = (ptr(&hdr)?, ptr(&hdr[p as usize..])?);
            (len <= MAX_STRING).then(|| mem.read(data, len))
        };
        let version = go_string(ptr(&header[16..])?)?;
        let module = go_string(ptr(&header[16 + p as usize..])?).unwrap_or_default();
        (version, module)
    };
    if version.is_empty() {
        return None;
    }
    let mut info = GoBuildInfo {
        go_version: String::from_utf8_lossy(&version).into_owned(),
        ..GoBuildInfo::default()
    };
    let n = module.len();
    if n >= 33 && module[n - 17] == b'\n' {
        parse_modinfo(&String::from_utf8_lossy(&module[16..n - 16]), &mut info);
    }
    Some(info)
}

fn module_line(fields: &str) -> GoModule {
    let mut it = fields.split('\t');
    GoModule {
        path: it.next().unwrap_or_default().to_string(),
        version: it.next().unwrap_or_default().to_string(),
        sum: it.next().filter(|s| !s.is_empty()).map(str::to_string),
        replace: None,
    }
}

/// Parses the module info lines (the format of Go's `debug.BuildInfo.String`).
fn parse_modinfo(text: &str, info: &mut GoBuildInfo) {
    // Which module a `=>` line replaces: None = main, Some(i) = deps[i].
    let mut last: Option<Option<usize>> = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("path\t") {
            info.path = Some(p.to_string());
        } else if let Some(m) = line.strip_prefix("mod\t") {
            info.main = Some(module_line(m));
            last = Some(None);
        } else if let Some(d) = line.strip_prefix("dep\t") {
            info.deps.push(module_line(d));
            last = Some(Some(info.deps.len() - 1));
        } else if let Some(r) = line.strip_prefix("=>\t") {
            let target = match last.take() {
                Some(None) => info.main.as_mut(),
                Some(Some(i)) => info.deps.get_mut(i),
                None => None,
            };
            if let Some(t) = target {
                t.replace = Some(Box::new(module_line(r)));
            }
        } else if let Some(kv) = line.strip_prefix("build\t") {
            if let Some(setting) = build_setting(kv) {
                info.settings.push(setting);
            }
        }
    }
}

/// Splits `KEY=VALUE`, either side possibly Go-quoted.
fn build_setting(kv: &str) -> Option<(String, String)> {
    let (key, rest) = if kv.starts_with('"') || kv.starts_with('`') {
        let (k, used) = unquote_prefix(kv)?;
        (k, kv[used..].strip_prefix('=')?)
    } else {
        let (k, v) = kv.split_once('=')?;
        (k.to_string(), v)
    };
    let value = if rest.starts_with('"') || rest.starts_with('`') {
        unquote_prefix(rest)?.0
    } else {
        rest.to_string()
    };
    Some((key, value))
}

/// Decodes the Go string literal at the start of `s` (`"..."` with
/// escapes, or a raw `` `...` ``); returns it and the bytes consumed.
fn unquote_prefix(s: &str) -> Option<(String, usize)> {
    let quote = s.chars().next()?;
    if quote == '`' {
        let end = s[1..].find('`')? + 1;
        return Some((s[1..end].to_string(), end + 1));
    }
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 1;
    let hex = |from: usize, n: usize| -> Option<u32> {
        u32::from_str_radix(s.get(from..from + n)?, 16).ok()
    };
    let push_char = |out: &mut Vec<u8>, c: u32| -> Option<()> {
        let mut buf = [0u8; 4];
        out.extend_from_slice(char::from_u32(c)?.encode_utf8(&mut buf).as_bytes());
        Some(())
    };
    while i < b.len() {
        match b[i] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                let c = *b.get(i + 1)?;
                i += 2;
                match c {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'\\' | b'"' | b'\'' => out.push(c),
                    b'x' => {
                        out.push(hex(i, 2)? as u8);
                        i += 2;
                    }
                    b'u' => {
                        push_char(&mut out, hex(i, 4)?)?;
                        i += 4;
                    }
                    b'U' => {
                        push_char(&mut out, hex(i, 8)?)?;
                        i += 8;
                    }
                    b'0'..=b'7' => {
                        let v = u32::from_str_radix(s.get(i - 1..i + 2)?, 8).ok()?;
                        out.push(u8::try_from(v).ok()?);
                        i += 2;
                    }
                    _ => return None,
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A blob as Go 1.18+ writes it, at `addr`, split around the header's zeros like Go's
    /// wasm linker does.
    fn blob(version: &str, modinfo: &str) -> (Vec<u8>, Vec<u8>) {
        let mut head = MAGIC.to_vec();
        head.extend([8, 2]);
        let mut tail = Vec::new();
        let mut framed = vec![b'x'; 16];
        framed.extend_from_slice(modinfo.as_bytes());
        framed.extend([b'y'; 16]);
        for s in [version.as_bytes(), &framed[..]] {
            let mut n = s.len();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                tail.push(if n > 0 { b | 0x80 } else { b });
                if n == 0 {
                    break;
                }
            }
            tail.extend_from_slice(s);
        }
        (head, tail)
    }

    #[test]
    fn reads_inline_blob_across_segments() {
        let modinfo = "path\texample.com/cmd/tool\nmod\texample.com\t(devel)\t\n\
                       dep\tgolang.org/x/text\tv0.3.0\th1:abc=\n\
                       =>\t../text\t(devel)\t\n\
                       build\t-trimpath=true\nbuild\t-ldflags=\"-s -w\"\nbuild\tGOOS=wasip1\n";
        let (head, tail) = blob("go1.27.3", modinfo);
        let before = b"\x01\x02junk\xff Go buildinf:mis".to_vec();
        let mem = DataImage::new(vec![
            (0x1000 + HEADER, &tail[..]),
            (0x1000, &head),
            (0xfe5, &before),
        ]);
        let info = read(&mem, None).unwrap();
        assert_eq!(info.go_version, "go1.27.3");
        assert_eq!(info.path.as_deref(), Some("example.com/cmd/tool"));
        let main = info.main.unwrap();
        assert_eq!(
            (main.path.as_str(), main.version.as_str()),
            ("example.com", "(devel)")
        );
        assert_eq!(info.deps.len(), 1);
        assert_eq!(info.deps[0].sum.as_deref(), Some("h1:abc="));
        assert_eq!(info.deps[0].replace.as_ref().unwrap().path, "../text");
        assert_eq!(
            info.settings,
            vec![
                ("-trimpath".into(), "true".into()),
                ("-ldflags".into(), "-s -w".into()),
                ("GOOS".into(), "wasip1".into())
            ]
        );
    }

    #[test]
    fn reads_pointer_blob() {
        // Pre-1.18 layout: pointers to string headers, 8-byte little-endian.
        let mut head = MAGIC.to_vec();
        head.extend([8, 0]);
        head.extend(0x2000u64.to_le_bytes());
        head.extend(0x2010u64.to_le_bytes());
        let mut hdrs = Vec::new();
        for (p, l) in [(0x3000u64, 8u64), (0x3100, 0)] {
            hdrs.extend(p.to_le_bytes());
            hdrs.extend(l.to_le_bytes());
        }
        let mem = DataImage::new(vec![
            (0x100, &head[..]),
            (0x2000, &hdrs),
            (0x3000, b"go1.17.1"),
        ]);
        let info = read(&mem, None).unwrap();
        assert_eq!(info.go_version, "go1.17.1");
        assert_eq!(info.main, None);
    }

    #[test]
    fn no_blob_no_info() {
        assert_eq!(
            read(&DataImage::new(vec![(16, b"\xff Go buildinf")]), None),
            None
        );
        assert_eq!(read(&DataImage::new(vec![]), None), None);
    }

    #[test]
    fn reads_framed_modinfo_and_producers_version() {
        // What Go's wasm linker leaves: the framed runtime.modinfo string among other data.
        let mut seg = b"\x01\x02go1.27.3".to_vec();
        seg.extend_from_slice(INFO_START);
        seg.extend_from_slice(b"path\tex.com/hello\nmod\tex.com\t(devel)\t\nbuild\tGOOS=wasip1\n");
        seg.extend_from_slice(INFO_END);
        seg.extend_from_slice(b"\x07more");
        let mem = DataImage::new(vec![(1024, &seg[..])]);
        let info = read(&mem, Some("go1.27.3")).unwrap();
        assert_eq!(info.go_version, "go1.27.3");
        assert_eq!(info.path.as_deref(), Some("ex.com/hello"));
        assert_eq!(info.main.unwrap().path, "ex.com");
        assert_eq!(info.settings, vec![("GOOS".into(), "wasip1".into())]);
        // A producers entry alone still identifies a Go module.
        let info = read(&DataImage::new(vec![]), Some("go1.21.0")).unwrap();
        assert_eq!((info.go_version.as_str(), info.path), ("go1.21.0", None));
    }

    #[test]
    fn go_quoting() {
        assert_eq!(
            unquote_prefix(r#""a\tb\x41\u00e9\101" rest"#),
            Some(("a\tbAéA".into(), 20))
        );
        assert_eq!(unquote_prefix("`raw \\n`=x"), Some(("raw \\n".into(), 8)));
        assert_eq!(unquote_prefix("\"unterminated"), None);
        assert_eq!(
            build_setting(r#""we ird"="v a""#),
            Some(("we ird".into(), "v a".into()))
        );
    }
}
