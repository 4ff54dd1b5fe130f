//! A wasp [`Profile`](wasp::Profile) as a gzip-compressed pprof
//! `profile.proto` (github.com/google/pprof, `proto/profile.proto`), the
//! format `go tool pprof` reads.
//!
//! The protobuf encoding is written by hand (the message is small): each
//! field is a varint key `field << 3 | wire type`, then a varint (type 0)
//! or a length-delimited payload (type 2: nested messages, strings and
//! packed repeated integers). Strings go through the string table (index 0
//! is the empty string). Every location comes with its lines (innermost
//! inlined call first) and the one mapping says it has functions, file
//! names, line numbers and inline frames, so pprof symbolizes nothing
//! itself.

use std::collections::HashMap;
use std::io::Write;

/// One source line of a location: a function (its name, file and start
/// line) and the line in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Line {
    /// The function as shown (`main.main`, or a wasm function's name).
    pub function: String,
    /// The source file, empty when unknown.
    pub file: String,
    /// The function's first line (0 when unknown).
    pub start_line: u32,
    /// The line (0 when unknown).
    pub line: u32,
}

/// What a sampled frame is: an address (unique per distinct position) and
/// its lines, innermost inlined call first.
pub struct Symbol {
    /// The location's address in the profile.
    pub address: u64,
    /// At least one line.
    pub lines: Vec<Line>,
}

/// A protobuf message being written.
#[derive(Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    /// An integer field (omitted when 0, as proto3 does).
    fn int(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.varint(u64::from(field) << 3);
            self.varint(v);
        }
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.varint(u64::from(field) << 3 | 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn msg(&mut self, field: u32, m: Msg) {
        self.bytes(field, &m.0);
    }

    fn packed(&mut self, field: u32, vs: impl IntoIterator<Item = u64>) {
        let mut p = Msg::default();
        for v in vs {
            p.varint(v);
        }
        self.bytes(field, &p.0);
    }
}

/// The string table.
#[derive(Default)]
struct Strings {
    index: HashMap<String, u64>,
    list: Vec<String>,
}

impl Strings {
    fn id(&mut self, s: &str) -> u64 {
        if self.list.is_empty() {
            self.list.push(String::new());
            self.index.insert(String::new(), 0);
        }
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u64;
        self.list.push(s.to_string());
        self.index.insert(s.to_string(), i);
        i
    }
}

fn value_type(strings: &mut Strings, ty: &str, unit: &str) -> Msg {
    let mut m = Msg::default();
    m.int(1, strings.id(ty));
    m.int(2, strings.id(unit));
    m
}

/// Encodes `profile` (uncompressed); `symbolize` describes a frame, and
/// `binary` names the mapping (the module file).
pub fn encode(
    profile: &wasp::Profile,
    binary: &str,
    mut symbolize: impl FnMut(&wasp::ProfileFrame) -> Symbol,
) -> Vec<u8> {
    let mut strings = Strings::default();
    let mut out = Msg::default();
    let time = if profile.cpu_time { "cpu" } else { "wall" };
    // sample_type: samples/count, cpu (or wall)/nanoseconds.
    out.msg(1, value_type(&mut strings, "samples", "count"));
    out.msg(1, value_type(&mut strings, time, "nanoseconds"));

    let mut locations: HashMap<wasp::ProfileFrame, u64> = HashMap::new();
    let mut functions: HashMap<(String, String, u32), u64> = HashMap::new();
    let mut location_msgs = Vec::new();
    let mut function_msgs = Vec::new();
    for s in &profile.samples {
        let mut ids = Vec::with_capacity(s.frames.len());
        for frame in &s.frames {
            let next = locations.len() as u64 + 1;
            let id = *locations.entry(*frame).or_insert(next);
            if id == next {
                let sym = symbolize(frame);
                let mut loc = Msg::default();
                loc.int(1, id);
                loc.int(2, 1); // mapping_id
                loc.int(3, sym.address);
                for l in &sym.lines {
                    let key = (l.function.clone(), l.file.clone(), l.start_line);
                    let next = functions.len() as u64 + 1;
                    let fid = *functions.entry(key).or_insert(next);
                    if fid == next {
                        let mut f = Msg::default();
                        f.int(1, fid);
                        f.int(2, strings.id(&l.function));
                        f.int(3, strings.id(&l.function));
                        f.int(4, strings.id(&l.file));
                        f.int(5, u64::from(l.start_line));
                        function_msgs.push(f);
                    }
                    let mut line = Msg::default();
                    line.int(1, fid);
                    line.int(2, u64::from(l.line));
                    loc.msg(4, line);
                }
                location_msgs.push(loc);
            }
            ids.push(id);
        }
        let mut sample = Msg::default();
        sample.packed(1, ids);
        sample.packed(2, [s.count, s.nanos]);
        out.msg(2, sample);
    }
    let mut mapping = Msg::default();
    mapping.int(1, 1);
    mapping.int(3, u64::MAX); // memory_limit: every address
    mapping.int(5, strings.id(binary));
    for field in 7..=10 {
        // has_functions, has_filenames, has_line_numbers, has_inline_frames
        mapping.int(field, 1);
    }
    out.msg(3, mapping);
    for l in location_msgs {
        out.msg(4, l);
    }
    for f in function_msgs {
        out.msg(5, f);
    }
    let since_epoch = profile
        .start
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (time_nanos, duration) = (
        since_epoch.as_nanos() as u64,
        profile.duration.as_nanos() as u64,
    );
    let period_type = value_type(&mut strings, time, "nanoseconds");
    let comment = strings.id(&format!(
        "wasp {}: {} Hz sampling of the wasm call stack",
        env!("CARGO_PKG_VERSION"),
        profile.hz
    ));
    let default_type = strings.id(time);
    // Strings last: every id above is assigned by now.
    for s in &strings.list {
        out.bytes(6, s.as_bytes());
    }
    out.int(9, time_nanos);
    out.int(10, duration);
    out.msg(11, period_type);
    out.int(12, 1_000_000_000 / u64::from(profile.hz.max(1)));
    out.packed(13, [comment]);
    out.int(14, default_type);
    out.0
}

/// `encode` compressed with gzip, as pprof writes its files.
pub fn encode_gzip(
    profile: &wasp::Profile,
    binary: &str,
    symbolize: impl FnMut(&wasp::ProfileFrame) -> Symbol,
) -> std::io::Result<Vec<u8>> {
    let raw = encode(profile, binary, symbolize);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw)?;
    gz.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields() {
        let mut m = Msg::default();
        m.varint(300);
        assert_eq!(m.0, [0xac, 0x02]);
        let mut m = Msg::default();
        m.int(1, 0);
        assert!(m.0.is_empty(), "zero integers are omitted");
        m.int(2, 5);
        m.bytes(6, b"ab");
        m.packed(1, [1, 300]);
        assert_eq!(m.0, [0x10, 5, 0x32, 2, b'a', b'b', 0x0a, 3, 1, 0xac, 0x02]);
    }

    #[test]
    fn the_string_table_starts_empty_and_dedups() {
        let mut s = Strings::default();
        assert_eq!(s.id("a"), 1);
        assert_eq!(s.id(""), 0);
        assert_eq!(s.id("a"), 1);
        assert_eq!(s.list, ["", "a"]);
    }
}
