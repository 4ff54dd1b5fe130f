//! API profiles: which `wasi_snapshot_preview1` functions a guest may use.
//!
//! A WASI host grants capabilities twice: through what it hands the guest
//! (preopened directories, listeners, environment) and through which
//! functions answer at all. This module is the second half. A *denied*
//! function still links (the module instantiates unchanged) but every call
//! returns `ENOSYS` without touching the host or guest memory (see
//! [`WasiCtxBuilder::deny`]); Go reports that as an error for which
//! `errors.Is(err, errors.ErrUnsupported)` is true. A denied `proc_exit`
//! traps, since it cannot return.
//!
//! ## Named profiles
//!
//! Each profile is an allow-list; everything outside it is denied.
//!
//! | profile | allows | for |
//! |---|---|---|
//! | `minimal` | the 10 functions a `println`-only Go program imports: `args_get`, `args_sizes_get`, `clock_time_get`, `environ_get`, `environ_sizes_get`, `fd_write`, `poll_oneoff`, `proc_exit`, `random_get`, `sched_yield` | pure computations that print |
//! | `stdio` | `minimal` + `clock_res_get`, `fd_close`, `fd_datasync`, `fd_fdstat_get`, `fd_fdstat_set_flags`, `fd_filestat_get`, `fd_prestat_dir_name`, `fd_prestat_get`, `fd_read`, `fd_seek`, `fd_sync`, `fd_tell` | filters and tools using stdin/stdout/stderr (Go's `fmt`, `bufio`, `os.Stdin`), no files, no network |
//! | `fs-read` | `stdio` + `fd_advise`, `fd_fdstat_set_rights`, `fd_pread`, `fd_readdir`, `fd_renumber`, `path_filestat_get`, `path_open`, `path_readlink` | reading files and listing directories |
//! | `fs` | `fs-read` + every mutating file function (`path_create_directory`, `path_rename`, `path_unlink_file`, `fd_pwrite`, ...) | full file access, no network |
//! | `net` | `stdio` + `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown` | servers on a `--listen` socket, no files |
//! | `full` | all 46 functions | no restriction (the default) |
//!
//! `fs-read` is not a read-only sandbox by itself: `path_open` can still
//! create or truncate a file and `fd_write` (needed for stdout) can write to
//! it. Preopen directories read-only (`--dir HOST::GUEST:ro`,
//! [`DirPerms::ReadOnly`](crate::DirPerms::ReadOnly)) for that; the profile
//! removes the functions that have no business running at all.
//!
//! ## Allow and deny lists
//!
//! [`resolve`] combines a profile with `--allow-wasi` and `--deny-wasi`
//! lists. Each list item is a function name or a prefix ending in `*`
//! (`path_*`, `sock_*`, `*`), and items may be comma-separated:
//!
//! 1. the allowed set starts as the named profile's; without a profile it
//!    starts empty when an allow list is given (a pure allow-list) and full
//!    otherwise;
//! 2. allow-list items are added to it;
//! 3. every function outside it is denied, and so is every deny-list item
//!    (deny wins over allow).
//!
//! ```
//! use wasp_wasi::profile;
//! let denied = profile::resolve(Some("stdio"), &["path_open"], &["fd_read"]).unwrap();
//! assert!(!denied.contains("path_open") && denied.contains("fd_read"));
//! assert!(denied.contains("sock_accept"));
//! let mut b = wasp_wasi::WasiCtxBuilder::new();
//! profile::apply(&mut b, &denied);
//! assert!(b.build().is_denied("sock_accept"));
//! ```

use crate::{WasiCtxBuilder, WASI_FUNCTIONS};
use std::collections::BTreeSet;
use std::fmt;

/// The functions a `println`-only Go program imports.
const MINIMAL: &[&str] = &[
    "args_get",
    "args_sizes_get",
    "clock_time_get",
    "environ_get",
    "environ_sizes_get",
    "fd_write",
    "poll_oneoff",
    "proc_exit",
    "random_get",
    "sched_yield",
];

/// Standard streams and descriptor bookkeeping, no paths.
const STDIO: &[&str] = &[
    "clock_res_get",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_filestat_get",
    "fd_prestat_dir_name",
    "fd_prestat_get",
    "fd_read",
    "fd_seek",
    "fd_sync",
    "fd_tell",
];

/// Opening, reading and listing files.
const FS_READ: &[&str] = &[
    "fd_advise",
    "fd_fdstat_set_rights",
    "fd_pread",
    "fd_readdir",
    "fd_renumber",
    "path_filestat_get",
    "path_open",
    "path_readlink",
];

/// Changing the filesystem.
const FS_WRITE: &[&str] = &[
    "fd_allocate",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pwrite",
    "path_create_directory",
    "path_filestat_set_times",
    "path_link",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
];

/// Sockets (preopened listeners and the connections they accept).
const NET: &[&str] = &["sock_accept", "sock_recv", "sock_send", "sock_shutdown"];

/// A named allow-list of WASI functions (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// The name used on the command line (`--wasi-profile NAME`).
    pub name: &'static str,
    /// One line saying what the profile is for.
    pub summary: &'static str,
    groups: &'static [&'static [&'static str]],
}

/// All named profiles, narrowest first.
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "minimal",
        summary: "what a println-only Go program imports: args, env, clocks, random, fd_write, poll, exit",
        groups: &[MINIMAL],
    },
    Profile {
        name: "stdio",
        summary: "minimal + stdin and descriptor queries (Go's fmt/bufio/os.Stdin); no files, no network",
        groups: &[MINIMAL, STDIO],
    },
    Profile {
        name: "fs-read",
        summary: "stdio + opening, reading and listing files (combine with read-only preopens)",
        groups: &[MINIMAL, STDIO, FS_READ],
    },
    Profile {
        name: "fs",
        summary: "stdio + every file function (create, write, rename, remove); no network",
        groups: &[MINIMAL, STDIO, FS_READ, FS_WRITE],
    },
    Profile {
        name: "net",
        summary: "stdio + sockets (servers on a --listen socket); no files",
        groups: &[MINIMAL, STDIO, NET],
    },
    Profile {
        name: "full",
        summary: "all 46 functions (the default)",
        groups: &[WASI_FUNCTIONS],
    },
];

impl Profile {
    /// Finds a profile by name.
    pub fn by_name(name: &str) -> Result<&'static Profile, ProfileError> {
        PROFILES
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| ProfileError::UnknownProfile(name.to_string()))
    }

    /// Whether the profile allows the function `name`.
    pub fn allows(&self, name: &str) -> bool {
        self.groups.iter().any(|g| g.contains(&name))
    }

    /// The functions the profile allows, in alphabetical order.
    pub fn allowed(&self) -> BTreeSet<&'static str> {
        WASI_FUNCTIONS
            .iter()
            .copied()
            .filter(|n| self.allows(n))
            .collect()
    }

    /// The functions the profile denies, in alphabetical order.
    pub fn denied(&self) -> BTreeSet<&'static str> {
        WASI_FUNCTIONS
            .iter()
            .copied()
            .filter(|n| !self.allows(n))
            .collect()
    }

    /// The narrowest profile (the first of [`PROFILES`]) allowing every
    /// name in `needed`; names that are not WASI functions are ignored.
    pub fn narrowest_for<'a>(
        needed: impl IntoIterator<Item = &'a str> + Clone,
    ) -> &'static Profile {
        PROFILES
            .iter()
            .find(|p| {
                needed
                    .clone()
                    .into_iter()
                    .all(|n| p.allows(n) || !WASI_FUNCTIONS.contains(&n))
            })
            .unwrap_or(&PROFILES[PROFILES.len() - 1])
    }
}

/// A bad profile name or function list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileError {
    /// No profile has this name.
    UnknownProfile(String),
    /// Not a `wasi_snapshot_preview1` function (with the closest real name,
    /// if one is close).
    UnknownFunction {
        /// The name as given.
        name: String,
        /// A function with a similar name.
        suggestion: Option<&'static str>,
    },
    /// A prefix pattern (`foo_*`) that matches no function.
    NoMatch(String),
    /// An empty item in a list (`fd_read,,fd_write` or an empty argument).
    EmptyItem,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileError::UnknownProfile(name) => {
                let names: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
                write!(
                    f,
                    "unknown WASI profile `{name}` (profiles: {})",
                    names.join(", ")
                )
            }
            ProfileError::UnknownFunction { name, suggestion } => {
                write!(f, "`{name}` is not a wasi_snapshot_preview1 function")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            ProfileError::NoMatch(p) => {
                write!(f, "`{p}` matches no wasi_snapshot_preview1 function")
            }
            ProfileError::EmptyItem => f.write_str("empty function name in the list"),
        }
    }
}

impl std::error::Error for ProfileError {}

/// Levenshtein distance (for "did you mean").
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

fn suggest(name: &str) -> Option<&'static str> {
    let (best, d) = WASI_FUNCTIONS
        .iter()
        .map(|f| (*f, distance(name, f)))
        .min_by_key(|(_, d)| *d)?;
    (d <= 3.max(name.len() / 4)).then_some(best)
}

/// Parses one list: function names or `prefix*` patterns, comma-separated
/// (surrounding spaces ignored). Returns the matched functions in
/// alphabetical order.
pub fn parse_list(spec: &str) -> Result<BTreeSet<&'static str>, ProfileError> {
    let mut out = BTreeSet::new();
    for item in spec.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(ProfileError::EmptyItem);
        }
        if let Some(prefix) = item.strip_suffix('*') {
            let before = out.len();
            out.extend(WASI_FUNCTIONS.iter().filter(|n| n.starts_with(prefix)));
            if out.len() == before && !WASI_FUNCTIONS.iter().any(|n| n.starts_with(prefix)) {
                return Err(ProfileError::NoMatch(item.to_string()));
            }
        } else {
            match WASI_FUNCTIONS.iter().find(|n| **n == item) {
                Some(n) => {
                    out.insert(*n);
                }
                None => {
                    return Err(ProfileError::UnknownFunction {
                        name: item.to_string(),
                        suggestion: suggest(item),
                    })
                }
            }
        }
    }
    Ok(out)
}

/// Computes the denied functions from an optional profile name and the
/// `--allow-wasi`/`--deny-wasi` lists (each element may itself be a
/// comma-separated list); see the [module docs](self) for the rules.
///
/// With no profile and empty lists nothing is denied.
pub fn resolve<A: AsRef<str>, D: AsRef<str>>(
    profile: Option<&str>,
    allow: &[A],
    deny: &[D],
) -> Result<BTreeSet<&'static str>, ProfileError> {
    let mut allowed: BTreeSet<&'static str> = match profile {
        Some(name) => Profile::by_name(name)?.allowed(),
        None if !allow.is_empty() => BTreeSet::new(),
        None => WASI_FUNCTIONS.iter().copied().collect(),
    };
    for a in allow {
        allowed.extend(parse_list(a.as_ref())?);
    }
    let mut denied: BTreeSet<&'static str> = WASI_FUNCTIONS
        .iter()
        .copied()
        .filter(|n| !allowed.contains(n))
        .collect();
    for d in deny {
        denied.extend(parse_list(d.as_ref())?);
    }
    Ok(denied)
}

/// Denies every function of `denied` in `builder` (names that are not WASI
/// functions are ignored; [`resolve`] never returns any).
pub fn apply<S: AsRef<str>>(
    builder: &mut WasiCtxBuilder,
    denied: impl IntoIterator<Item = S>,
) -> &mut WasiCtxBuilder {
    for name in denied {
        let _ = builder.deny(name.as_ref());
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_partition_the_functions() {
        let groups = [MINIMAL, STDIO, FS_READ, FS_WRITE, NET];
        let mut all: Vec<&str> = groups.iter().flat_map(|g| g.iter().copied()).collect();
        all.push("proc_raise");
        all.sort();
        assert_eq!(all, WASI_FUNCTIONS, "each function in exactly one group");
        for g in groups {
            let mut s = g.to_vec();
            s.sort();
            assert_eq!(s, g, "groups are kept sorted");
        }
    }

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(suggest("fd_wrte"), Some("fd_write"));
        assert_eq!(suggest("path_opne"), Some("path_open"));
        assert_eq!(suggest("completely_unrelated_thing"), None);
    }
}
