//! The launcher's child processes: one `pgai vectorizer worker` per database. [`Children::reconcile`]
//! makes the running set match the wanted one: it reaps children that exited and restarts them
//! after a backoff, stops those no longer wanted (SIGTERM, then SIGKILL), restarts those whose
//! command changed, and starts the missing.

use pgrx::prelude::*;
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A child that ran this long before it stopped restarts without delay.
const HEALTHY_RUN: Duration = Duration::from_secs(60);
/// The longest wait before a restart.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long a child has to finish its batches after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// How to run the worker of one database.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub database: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

struct Running {
    child: Child,
    spec: Spec,
    started: Instant,
    stopping_since: Option<Instant>,
}

#[derive(Default)]
struct Slot {
    running: Option<Running>,
    next_start: Option<Instant>,
    /// Consecutive quick exits, for the backoff.
    failures: u32,
}

#[derive(Default)]
pub struct Children {
    slots: BTreeMap<String, Slot>,
}

impl Children {
    /// One supervision step towards `wanted` (one spec per database).
    pub fn reconcile(&mut self, wanted: &[Spec]) {
        let now = Instant::now();
        for (db, slot) in &mut self.slots {
            slot.reap(db, now);
            let want = wanted.iter().find(|s| &s.database == db);
            if let Some(r) = &mut slot.running {
                if want != Some(&r.spec) {
                    r.stop(now);
                }
            }
        }
        self.slots.retain(|db, slot| slot.running.is_some() || wanted.iter().any(|s| &s.database == db));
        for spec in wanted {
            let slot = self.slots.entry(spec.database.clone()).or_default();
            if slot.running.is_none() && slot.next_start.is_none_or(|t| t <= now) {
                slot.start(spec, now);
            }
        }
    }

    /// Stops every child: SIGTERM, and SIGKILL for those still running after the grace period.
    pub fn stop_all(&mut self) {
        let now = Instant::now();
        for r in self.slots.values_mut().filter_map(|s| s.running.as_mut()) {
            r.stop(now);
        }
        while self.slots.values().any(|s| s.running.is_some()) {
            let now = Instant::now();
            for (db, slot) in &mut self.slots {
                slot.reap(db, now);
                if let Some(r) = &mut slot.running {
                    r.stop(now);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The process ids of the running children, by database.
    pub fn pids(&self) -> Vec<(String, u32)> {
        self.slots.iter().filter_map(|(db, s)| s.running.as_ref().map(|r| (db.clone(), r.child.id()))).collect()
    }
}

impl Slot {
    /// Notices a child that exited; an unexpected exit schedules a restart after a backoff.
    fn reap(&mut self, db: &str, now: Instant) {
        let Some(r) = &mut self.running else { return };
        let status = match r.child.try_wait() {
            Ok(Some(status)) => status,
            Ok(None) => return,
            Err(e) => {
                warning!("ai worker for database {db:?}: cannot check its process {}: {e}", r.child.id());
                return;
            }
        };
        if r.stopping_since.is_some() {
            log!("ai worker for database {db:?} (pid {}) stopped", r.child.id());
            self.next_start = None;
            self.failures = 0;
        } else {
            self.failures = if now.duration_since(r.started) >= HEALTHY_RUN { 1 } else { self.failures + 1 };
            let wait = backoff(self.failures);
            warning!(
                "ai worker for database {db:?} (pid {}) {}; restarting it in {} s",
                r.child.id(),
                describe(status),
                wait.as_secs()
            );
            self.next_start = Some(now + wait);
        }
        self.running = None;
    }

    fn start(&mut self, spec: &Spec, now: Instant) {
        match spawn(spec) {
            Ok(child) => {
                log!("ai worker for database {:?} started (pid {})", spec.database, child.id());
                self.running = Some(Running { child, spec: spec.clone(), started: now, stopping_since: None });
                self.next_start = None;
            }
            Err(e) => {
                self.failures += 1;
                let wait = backoff(self.failures);
                warning!(
                    "ai worker for database {:?}: cannot run {}: {e}; trying again in {} s (set ai.worker_command to the pgai executable)",
                    spec.database,
                    spec.program.display(),
                    wait.as_secs()
                );
                self.next_start = Some(now + wait);
            }
        }
    }
}

impl Running {
    /// SIGTERM first (the worker finishes its batches in flight), SIGKILL after the grace period.
    fn stop(&mut self, now: Instant) {
        let pid = self.child.id() as libc::pid_t;
        match self.stopping_since {
            None => {
                // SAFETY: kill(2) on our own child, which has not been reaped (its pid is still ours).
                unsafe { libc::kill(pid, libc::SIGTERM) };
                self.stopping_since = Some(now);
            }
            Some(since) if now.duration_since(since) > STOP_GRACE => {
                let _ = self.child.kill();
            }
            Some(_) => {}
        }
    }
}

/// 1 s, 2 s, 4 s, ... up to [`MAX_BACKOFF`].
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(MAX_BACKOFF)
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        _ => format!("stopped ({status})"),
    }
}

fn spawn(spec: &Spec) -> std::io::Result<Child> {
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args).envs(spec.env.iter().map(|(k, v)| (k, v))).stdin(Stdio::null());
    // SAFETY: getpid is async-signal-safe.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and calls only async-signal-safe
    // functions (prctl, getppid, syscall).
    unsafe {
        cmd.pre_exec(move || {
            // The child ends with the launcher, even when the launcher is killed.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the launcher exited"));
            }
            // PostgreSQL's descriptors (sockets, files, pipes) stay out of the worker.
            const CLOSE_RANGE_CLOEXEC: libc::c_uint = 4;
            libc::syscall(libc::SYS_close_range, 3 as libc::c_uint, libc::c_uint::MAX, CLOSE_RANGE_CLOEXEC);
            Ok(())
        });
    }
    cmd.spawn()
}
