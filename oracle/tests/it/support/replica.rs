//! An `irsforge-oracle` child process in the demo profile, one replica among several sharing a
//! lease, with its own recording proxy in front of the ledger and its log lines collected as
//! they come. Used by the failover tests and the `ha` example.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::recording_proxy::RecordingProxy;

/// The lease TTL of the replicas.
pub(crate) const TTL_SECONDS: u64 = 5;

/// The demo example with every cron firing each second, written to `dir`.
pub(crate) fn write_config(dir: &Path) -> std::path::PathBuf {
    let every_second = include_str!("../../../../examples/irsforge.yaml")
        .replace("\"0 * * * * *\"", "\"* * * * * *\"")
        .replace("\"20 * * * * *\"", "\"* * * * * *\"")
        .replace("\"40 * * * * *\"", "\"* * * * * *\"");
    let path = dir.join("irsforge.yaml");
    std::fs::write(&path, every_second).unwrap();
    path
}

/// One log line and when it was read.
pub(crate) type Line = (Instant, Value);

/// A running replica.
pub(crate) struct Replica {
    /// Its `ORACLE_INSTANCE_ID`.
    pub(crate) name: String,
    /// The proxy it reaches the ledger through.
    pub(crate) proxy: RecordingProxy,
    child: Child,
    lines: Arc<Mutex<Vec<Line>>>,
}

impl Replica {
    /// Starts `binary` as replica `name` against `ledger`, with the lease in `database_url`.
    pub(crate) async fn start(
        binary: &Path,
        name: &str,
        config: &Path,
        ledger: &str,
        database_url: &str,
    ) -> Self {
        let proxy = RecordingProxy::start(ledger).await;
        let mut child = Command::new(binary)
            .env_clear()
            .env("IRSFORGE_CONFIG_PATH", config)
            .env("IRSFORGE_LEDGER_URL", &proxy.url)
            .env("MARK_PUBLISHER_CRON", "* * * * * *")
            .env("ORACLE_LEASE_DATABASE_URL", database_url)
            .env("ORACLE_LEASE_TTL_SECONDS", TTL_SECONDS.to_string())
            .env("ORACLE_INSTANCE_ID", name)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the oracle binary starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (stdout, sink) = (child.stdout.take().unwrap(), lines.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push((Instant::now(), value));
                }
            }
        });
        Self {
            name: name.to_owned(),
            proxy,
            child,
            lines,
        }
    }

    /// Every log line so far.
    pub(crate) fn lines(&self) -> Vec<Line> {
        self.lines.lock().unwrap().clone()
    }

    /// The lines of one event, with when each was read.
    pub(crate) fn events(&self, event: &str) -> Vec<Line> {
        self.lines()
            .into_iter()
            .filter(|(_, line)| line["event"] == event)
            .collect()
    }

    /// How many times `event` was logged after `since`.
    pub(crate) fn count_since(&self, event: &str, since: Instant) -> usize {
        self.events(event)
            .iter()
            .filter(|(at, _)| *at >= since)
            .count()
    }

    /// Cron work requests (queries, commands) that reached the ledger after `since`.
    pub(crate) fn work_since(&self, since: Instant) -> usize {
        self.proxy
            .seen()
            .iter()
            .filter(|seen| seen.is_work() && seen.at >= since)
            .count()
    }

    /// Sends a signal.
    pub(crate) fn signal(&self, signal: rustix::process::Signal) {
        rustix::process::kill_process(rustix::process::Pid::from_child(&self.child), signal)
            .unwrap();
    }

    /// SIGTERM, then waits (at most 30 s) for the exit.
    pub(crate) async fn terminate(&mut self) -> ExitStatus {
        self.signal(rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "{} ignored SIGTERM", self.name);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills it with SIGKILL (even when stopped) and reaps it.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether it still runs.
    pub(crate) fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits (bounded) until `done` holds; panics naming `what` after `limit`.
pub(crate) async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The leader changes the replicas logged (`oracle_leader_acquired` by a replica other than
/// the previous one), in order.
pub(crate) fn leader_changes(replicas: &[&Replica]) -> usize {
    let mut acquired: Vec<(Instant, &str)> = replicas
        .iter()
        .flat_map(|replica| {
            replica
                .events("oracle_leader_acquired")
                .into_iter()
                .map(|(at, _)| (at, replica.name.as_str()))
        })
        .collect();
    acquired.sort();
    acquired
        .windows(2)
        .filter(|pair| pair[0].1 != pair[1].1)
        .count()
}
