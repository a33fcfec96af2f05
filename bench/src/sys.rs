//! The machine (from `/proc`) and a process's resident memory over time.
use std::{
    path::Path,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    thread::JoinHandle,
    time::Duration,
};

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu_model: String,
    pub mem_total_kib: u64,
    pub kernel: String,
    /// Filesystem type and device under the data directory: fsync cost
    /// depends on it (on tmpfs a "durable" commit costs nothing).
    pub data_fs: String,
}

/// The cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn machine(data_dir: &Path) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    Machine {
        nproc: cores(),
        cpu_model,
        mem_total_kib: status_field(&meminfo, "MemTotal").unwrap_or(0),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        data_fs: filesystem_of(data_dir),
    }
}

/// "ext4 on /dev/vda (mounted at /)" for the mount holding `path`.
fn filesystem_of(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let dev = f.next()?;
            let mnt = f.next()?;
            let fstype = f.next()?;
            path.starts_with(mnt)
                .then_some((mnt.len(), dev, mnt, fstype))
        })
        .max_by_key(|m| m.0)
        .map(|(_, dev, mnt, fstype)| format!("{fstype} on {dev} (mounted at {mnt})"))
        .unwrap_or_else(|| "unknown".into())
}

/// A `Key:   123 kB` line of `/proc/*/status` or `/proc/meminfo`, in KiB.
fn status_field(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// `VmRSS`, `VmHWM`, … of a process, in KiB.
pub fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_field(&text, key)
}

/// CPU time (user + system) a process has used so far: fields 14 and 15 of
/// `/proc/<pid>/stat`, in the kernel's fixed USER_HZ of 100 ticks a second.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name may hold spaces; fields are counted after its ')'
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// CPU time used so far by every process of this machine named `name`
/// (with `postgres`: a local PostgreSQL's postmaster, backends and background
/// writers). `None` when there is none. A backend that exits between
/// two readings takes its time with it, so measure while the connections
/// being measured are open.
pub fn processes_cpu_time(name: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) else {
            continue;
        };
        if comm.trim_end() == name {
            if let Some(t) = cpu_time(pid) {
                total += t;
                found = true;
            }
        }
    }
    found.then_some(total)
}

#[derive(Debug, Clone, Serialize)]
pub struct PhasePeak {
    pub phase: String,
    pub peak_rss_kib: u64,
    pub samples: u64,
    /// VmHWM when the phase ended: catches spikes shorter than a sample.
    pub hwm_at_end_kib: Option<u64>,
}

#[derive(Default)]
struct SamplerState {
    phases: Vec<PhasePeak>,
}

impl SamplerState {
    fn record(&mut self, kib: u64) {
        if let Some(p) = self.phases.last_mut() {
            p.peak_rss_kib = p.peak_rss_kib.max(kib);
            p.samples += 1;
        }
    }
}

/// Samples a process's VmRSS on its own thread (so a busy load generator
/// cannot delay it) and keeps the peak of each named phase.
pub struct RssSampler {
    pid: u32,
    state: Arc<Mutex<SamplerState>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    pub fn start(pid: u32, every: Duration) -> Self {
        let state = Arc::new(Mutex::new(SamplerState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kib) = proc_status_kib(pid, "VmRSS") {
                        if let Ok(mut s) = state.lock() {
                            s.record(kib);
                        }
                    }
                    std::thread::sleep(every);
                }
            })
        };
        RssSampler {
            pid,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// Starts a new phase (ending the previous one) with one sample now.
    pub fn phase(&self, name: &str) {
        let now = proc_status_kib(self.pid, "VmRSS");
        if let Ok(mut s) = self.state.lock() {
            s.phases.push(PhasePeak {
                phase: name.to_string(),
                peak_rss_kib: 0,
                samples: 0,
                hwm_at_end_kib: None,
            });
            if let Some(kib) = now {
                s.record(kib);
            }
        }
    }

    /// Ends the current phase with one last sample and returns its peak.
    pub fn end_phase(&self) -> Option<u64> {
        let now = proc_status_kib(self.pid, "VmRSS");
        let hwm = proc_status_kib(self.pid, "VmHWM");
        let mut s = self.state.lock().ok()?;
        if let Some(kib) = now {
            s.record(kib);
        }
        if let Some(p) = s.phases.last_mut() {
            p.hwm_at_end_kib = hwm;
        }
        let peak = s.phases.last().map(|p| p.peak_rss_kib);
        s.phases.push(PhasePeak {
            phase: "(between phases)".into(),
            peak_rss_kib: 0,
            samples: 0,
            hwm_at_end_kib: None,
        });
        peak
    }

    /// Stops sampling; returns the named phases in order.
    pub fn finish(mut self) -> Vec<PhasePeak> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.state
            .lock()
            .map(|s| {
                s.phases
                    .iter()
                    .filter(|p| p.phase != "(between phases)")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    #[test]
    fn adds_up_the_cpu_time_of_the_processes_of_a_name() {
        let own = std::fs::read_to_string("/proc/self/comm").expect("Linux /proc");
        let name = own.trim_end();
        let before = super::processes_cpu_time(name).expect("this process has its name");
        // 200 ms of work on this thread; the kernel counts in 10 ms ticks
        let start = Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = super::processes_cpu_time(name).expect("this process has its name");
        let used = after.saturating_sub(before);
        assert!(
            used >= Duration::from_millis(100),
            "200 ms of work counted as {used:?}"
        );
        assert_eq!(super::processes_cpu_time("no such process"), None);
    }
}
