//! The few WASI preview 1 functions a hello-world needs, written once over a
//! plain byte slice so that wasp and wasmtime run exactly the same host code
//! (output captured in memory; everything else answers ENOSYS).

/// What a guest's host calls write and report.
#[derive(Default)]
pub struct Mini {
    /// Bytes written to fds 1 and 2.
    pub out: Vec<u8>,
    seed: u64,
}

/// A host call's result: an errno, or the guest asked to exit.
pub enum Outcome {
    Errno(i32),
    Exit(i32),
}

/// The functions implemented; every other import is `Other`.
#[derive(Clone, Copy)]
pub enum Id {
    ArgsSizesGet,
    ArgsGet,
    EnvironSizesGet,
    EnvironGet,
    ClockTimeGet,
    ClockResGet,
    RandomGet,
    FdWrite,
    FdFdstatGet,
    FdPrestatGet,
    ProcExit,
    SchedYield,
    Other,
}

impl Id {
    pub fn of(name: &str) -> Id {
        match name {
            "args_sizes_get" => Id::ArgsSizesGet,
            "args_get" => Id::ArgsGet,
            "environ_sizes_get" => Id::EnvironSizesGet,
            "environ_get" => Id::EnvironGet,
            "clock_time_get" => Id::ClockTimeGet,
            "clock_res_get" => Id::ClockResGet,
            "random_get" => Id::RandomGet,
            "fd_write" => Id::FdWrite,
            "fd_fdstat_get" => Id::FdFdstatGet,
            "fd_prestat_get" => Id::FdPrestatGet,
            "proc_exit" => Id::ProcExit,
            "sched_yield" => Id::SchedYield,
            _ => Id::Other,
        }
    }
}

const EBADF: i32 = 8;
const EFAULT: i32 = 21;
const ENOSYS: i32 = 52;
const ARGV0: &[u8] = b"main\0";

fn put(mem: &mut [u8], at: u64, bytes: &[u8]) -> Result<(), i32> {
    let at = at as u32 as usize;
    mem.get_mut(at..at + bytes.len())
        .ok_or(EFAULT)?
        .copy_from_slice(bytes);
    Ok(())
}

fn get_u32(mem: &[u8], at: usize) -> Result<u32, i32> {
    let b = mem.get(at..at + 4).ok_or(EFAULT)?;
    Ok(u32::from_le_bytes(b.try_into().unwrap()))
}

/// Runs host function `id` with raw arguments `a` on guest memory `mem`.
pub fn call(id: Id, mem: &mut [u8], a: &[u64], st: &mut Mini) -> Outcome {
    match run(id, mem, a, st) {
        Ok(Some(code)) => Outcome::Exit(code),
        Ok(None) => Outcome::Errno(0),
        Err(errno) => Outcome::Errno(errno),
    }
}

fn run(id: Id, mem: &mut [u8], a: &[u64], st: &mut Mini) -> Result<Option<i32>, i32> {
    match id {
        Id::ArgsSizesGet => {
            put(mem, a[0], &1u32.to_le_bytes())?;
            put(mem, a[1], &(ARGV0.len() as u32).to_le_bytes())?;
        }
        Id::ArgsGet => {
            put(mem, a[0], &(a[1] as u32).to_le_bytes())?;
            put(mem, a[1], ARGV0)?;
        }
        Id::EnvironSizesGet => {
            put(mem, a[0], &0u32.to_le_bytes())?;
            put(mem, a[1], &0u32.to_le_bytes())?;
        }
        Id::EnvironGet | Id::SchedYield => {}
        Id::ClockTimeGet => {
            let ns = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            put(mem, a[2], &ns.to_le_bytes())?;
        }
        Id::ClockResGet => put(mem, a[1], &1000u64.to_le_bytes())?,
        Id::RandomGet => {
            let (at, len) = (a[0] as u32 as usize, a[1] as u32 as usize);
            let buf = mem.get_mut(at..at + len).ok_or(EFAULT)?;
            for b in buf {
                st.seed = st.seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                *b = (st.seed >> 56) as u8;
            }
        }
        Id::FdWrite => {
            if !(1..=2).contains(&a[0]) {
                return Err(EBADF);
            }
            let (iovs, n) = (a[1] as u32 as usize, a[2] as u32 as usize);
            let mut total = 0u32;
            for i in 0..n {
                let ptr = get_u32(mem, iovs + 8 * i)? as usize;
                let len = get_u32(mem, iovs + 8 * i + 4)? as usize;
                st.out.extend_from_slice(mem.get(ptr..ptr + len).ok_or(EFAULT)?);
                total += len as u32;
            }
            put(mem, a[3], &total.to_le_bytes())?;
        }
        Id::FdFdstatGet => {
            if a[0] > 2 {
                return Err(EBADF);
            }
            let mut stat = [0u8; 24];
            stat[0] = 2; // character device
            stat[8..24].fill(0xff); // all rights
            put(mem, a[1], &stat)?;
        }
        Id::FdPrestatGet => return Err(EBADF),
        Id::ProcExit => return Ok(Some(a[0] as i32)),
        Id::Other => return Err(ENOSYS),
    }
    Ok(None)
}
