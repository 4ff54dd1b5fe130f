//! `wasp run`'s start-up side: where the code cache lives (`--cache-dir`,
//! `--no-cache`, `WASP_CACHE_DIR`), saving what the run learned into it, and
//! the `--timings` (`WASP_TIMINGS=1`) breakdown on stderr.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use wasp::{CacheStatus, Module};

/// The code cache directory for a run: none with `--no-cache`, else
/// `--cache-dir`, else `WASP_CACHE_DIR` (an empty value: none), else the
/// per-user default (`$XDG_CACHE_HOME/wasp` or `~/.cache/wasp`).
pub fn cache_dir(no_cache: bool, flag: Option<&PathBuf>) -> Option<PathBuf> {
    if no_cache {
        return None;
    }
    if let Some(dir) = flag {
        return Some(dir.clone());
    }
    match std::env::var_os("WASP_CACHE_DIR") {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => wasp::Config::default_cache_dir(),
    }
}

/// Is the breakdown asked for (`--timings` or `WASP_TIMINGS` set, not `0`)?
pub fn timings_wanted(flag: bool) -> bool {
    flag || std::env::var_os("WASP_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// What one run did, filled in as it goes.
pub struct Session {
    /// When `wasp run` started.
    pub started: Instant,
    /// The module, once loaded.
    pub module: Option<Module>,
    /// When the guest started running (after instantiation).
    pub running: Option<Instant>,
}

impl Session {
    /// A session starting now.
    pub fn new() -> Session {
        Session {
            started: Instant::now(),
            module: None,
            running: None,
        }
    }

    /// After the guest: saves what the module learned into the cache (a
    /// failure is only reported under `timings`) and prints the breakdown.
    pub fn finish(&self, timings: bool) {
        let ended = Instant::now();
        let Some(module) = &self.module else { return };
        let save_start = Instant::now();
        let saved = module.save_to_cache();
        let save = save_start.elapsed();
        if !timings {
            return;
        }
        let saved = match saved {
            Ok(true) => "entry written".to_string(),
            Ok(false) => "nothing new".to_string(),
            Err(e) => format!("failed: {e}"),
        };
        let stats = module.engine().stats();
        let t = module.load_timings();
        let ms = |d: Duration| format!("{:8.2} ms", d.as_secs_f64() * 1e3);
        let cache = match t.cache {
            CacheStatus::Off => "off".to_string(),
            CacheStatus::Miss => "miss".to_string(),
            CacheStatus::Hit => {
                format!("hit, {} translated functions in the entry", t.cached_funcs)
            }
            CacheStatus::Rejected => {
                format!("rejected ({}), rebuilt", t.rejected.unwrap_or("bad entry"))
            }
        };
        let exec = self.running.map_or(Duration::ZERO, |r| {
            ended
                .duration_since(r)
                .saturating_sub(stats.translate_time + stats.cache_decode_time)
        });
        let total = ended.duration_since(self.started) + save;
        let mut out = String::new();
        let mut line = |what: &str, d: Duration, note: String| {
            out.push_str(&format!("  {what:<12}{}  {note}\n", ms(d)));
        };
        line(
            "read file",
            t.read,
            format!("{:.1} MB", module.byte_len() as f64 / 1e6),
        );
        // `wasp run` loads a file: it is hashed block by block as it is read.
        line("hash", t.hash, format!("part of read; cache: {cache}"));
        let overlap = if t.overlapped {
            "ran alongside decode, on another thread"
        } else {
            ""
        };
        line("cache load", t.cache_load, overlap.to_string());
        line("decode", t.decode, String::new());
        line(
            "validate",
            t.validate,
            format!("{} function bodies", t.funcs_validated),
        );
        line(
            "instantiate",
            stats.instantiate_time,
            format!(
                "{} data segments {:.2} ms, {} element segments {:.2} ms",
                stats.data_segments,
                stats.data_segment_time.as_secs_f64() * 1e3,
                stats.elem_segments,
                stats.elem_segment_time.as_secs_f64() * 1e3
            ),
        );
        line(
            "translate",
            stats.translate_time + stats.cache_decode_time,
            format!(
                "{} functions translated, {} decoded from the cache ({:.2} ms); {} decoded ahead on another thread ({:.2} ms)",
                stats.funcs_translated,
                stats.funcs_from_cache,
                stats.cache_decode_time.as_secs_f64() * 1e3,
                stats.funcs_prefetched,
                stats.prefetch_time.as_secs_f64() * 1e3
            ),
        );
        line("execute", exec, "(without translation)".to_string());
        line(
            "compile",
            stats.compile_time,
            format!(
                "{} functions to native code on other threads, {} on-stack replacement entries, {} frames switched to native code",
                stats.funcs_compiled, stats.osr_compiled, stats.osr_entries
            ),
        );
        line("cache save", save, saved);
        line("total", total, String::new());
        errln!("wasp timings:\n{}", out.trim_end());
    }
}
