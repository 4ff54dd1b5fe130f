//! OCI image archives built by hand (no registry is reachable): an image
//! layout (`oci-layout`, `index.json`, `blobs/sha256/...`) in an
//! uncompressed tar, the format `ctr image import` reads.
//!
//! Two kinds of wasm image, as built by the usual tools:
//! - [`rootfs_image`]: a tar layer holding the module and its files (what
//!   `docker buildx build --platform wasip1/wasm` makes from
//!   `FROM scratch` + `COPY`); the entrypoint names the module's path.
//! - [`wasm_layer_image`]: an OCI artifact whose one layer is the module
//!   itself, with a wasm layer media type (runwasi's `oci-tar-builder`,
//!   `wkg oci push`); the shim reads it from containerd's content store.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Media type of an uncompressed tar layer.
pub const TAR_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
/// Media type of a module layer (runwasi's default).
pub const WASM_LAYER: &str = "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm";

const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// `sha256:<hex>` of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A minimal ustar archive writer: regular files and directories.
#[derive(Default)]
pub struct Tar(Vec<u8>);

impl Tar {
    fn header(&mut self, name: &str, mode: u32, size: usize, kind: u8) {
        assert!(name.len() < 100, "tar name too long: {name}");
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let octal = |h: &mut [u8], at: usize, width: usize, v: u64| {
            let s = format!("{v:0w$o}\0", w = width - 1);
            h[at..at + width].copy_from_slice(s.as_bytes());
        };
        octal(&mut h, 100, 8, mode as u64); // mode
        octal(&mut h, 108, 8, 0); // uid
        octal(&mut h, 116, 8, 0); // gid
        octal(&mut h, 124, 12, size as u64); // size
        octal(&mut h, 136, 12, 1_700_000_000); // mtime
        h[156] = kind;
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        // The checksum is computed with its own field as spaces.
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        self.0.extend_from_slice(&h);
    }

    /// Adds a directory (`name` without a trailing slash).
    pub fn dir(&mut self, name: &str) -> &mut Self {
        self.header(&format!("{name}/"), 0o755, 0, b'5');
        self
    }

    /// Adds a regular file.
    pub fn file(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Self {
        self.header(name, mode, data.len(), b'0');
        self.0.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.0.extend(std::iter::repeat_n(0, pad));
        self
    }

    /// The archive, with its two zero blocks at the end.
    pub fn finish(mut self) -> Vec<u8> {
        self.0.extend(std::iter::repeat_n(0, 1024));
        self.0
    }
}

/// The image layout under construction: its blobs.
struct Layout {
    blobs: Vec<(String, Vec<u8>)>,
}

impl Layout {
    /// Stores a blob; returns its descriptor.
    fn blob(&mut self, media_type: &str, bytes: Vec<u8>) -> Value {
        let d = digest(&bytes);
        let desc = json!({"mediaType": media_type, "digest": d, "size": bytes.len()});
        self.blobs.push((d, bytes));
        desc
    }

    /// Writes the archive with one manifest (`config`, `layers`) named `name`.
    fn archive(mut self, name: &str, config: Value, layers: Vec<Value>) -> Vec<u8> {
        let config = self.blob(CONFIG, serde_json::to_vec(&config).unwrap());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": config,
            "layers": layers,
        });
        let mut manifest_desc = self.blob(MANIFEST, serde_json::to_vec(&manifest).unwrap());
        let tag = name.rsplit_once(':').map_or("latest", |(_, t)| t);
        manifest_desc["platform"] = json!({"architecture": "wasm", "os": "wasip1"});
        manifest_desc["annotations"] = json!({
            "io.containerd.image.name": name,
            "org.opencontainers.image.ref.name": tag,
        });
        let index = json!({
            "schemaVersion": 2,
            "mediaType": INDEX,
            "manifests": [manifest_desc],
        });
        let mut tar = Tar::default();
        tar.file("oci-layout", 0o644, br#"{"imageLayoutVersion":"1.0.0"}"#);
        tar.file("index.json", 0o644, &serde_json::to_vec(&index).unwrap());
        tar.dir("blobs").dir("blobs/sha256");
        for (d, bytes) in &self.blobs {
            let hex = d.strip_prefix("sha256:").unwrap();
            tar.file(&format!("blobs/sha256/{hex}"), 0o444, bytes);
        }
        tar.finish()
    }
}

/// The process settings of an image's config.
pub struct Process<'a> {
    /// `Entrypoint`.
    pub entrypoint: &'a [&'a str],
    /// `Cmd`.
    pub cmd: &'a [&'a str],
    /// `Env`.
    pub env: &'a [&'a str],
    /// `WorkingDir`.
    pub workdir: &'a str,
}

fn image_config(process: &Process, diff_ids: Vec<String>) -> Value {
    json!({
        "architecture": "wasm",
        "os": "wasip1",
        "config": {
            "Entrypoint": process.entrypoint,
            "Cmd": process.cmd,
            "Env": process.env,
            "WorkingDir": process.workdir,
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    })
}

/// An image named `name` whose one tar layer holds `files` (path, mode,
/// contents; parent directories are added).
pub fn rootfs_image(name: &str, files: &[(&str, u32, &[u8])], process: &Process) -> Vec<u8> {
    let mut tar = Tar::default();
    let mut dirs: Vec<String> = Vec::new();
    for (path, _, _) in files {
        let mut acc = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            if !dirs.contains(&acc) {
                dirs.push(acc.clone());
                tar.dir(&acc);
            }
        }
    }
    for (path, mode, data) in files {
        tar.file(path, *mode, data);
    }
    let layer = tar.finish();
    let diff_id = digest(&layer);
    let mut layout = Layout { blobs: vec![] };
    let layer = layout.blob(TAR_LAYER, layer);
    layout.archive(name, image_config(process, vec![diff_id]), vec![layer])
}

/// An image named `name` whose one layer is `module`, of media type
/// `media_type`.
pub fn wasm_layer_image(name: &str, module: &[u8], media_type: &str, process: &Process) -> Vec<u8> {
    let mut layout = Layout { blobs: vec![] };
    let layer = layout.blob(media_type, module.to_vec());
    layout.archive(name, image_config(process, vec![]), vec![layer])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_layout_is_what_tar_reads() {
        // Checked against the system's tar: names, sizes and contents.
        let mut t = Tar::default();
        t.dir("app").file("app/a.txt", 0o644, b"hello\n");
        let bytes = t.finish();
        assert_eq!(bytes.len() % 512, 0);
        let dir = std::env::temp_dir().join(format!("wasp-shim-tar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("t.tar"), &bytes).unwrap();
        let out = std::process::Command::new("tar")
            .arg("-xf")
            .arg("t.tar")
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(std::fs::read(dir.join("app/a.txt")).unwrap(), b"hello\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn digest_is_sha256() {
        assert_eq!(
            digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
