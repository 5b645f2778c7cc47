//! The bcrypt verification pool: a few dedicated threads at lowered CPU priority behind a
//! bounded queue.
//!
//! bcrypt at cost 10 keeps a core busy for tens of milliseconds. Run on tokio's workers it
//! would stall every other request; run on `spawn_blocking` it would queue without bound. Here
//! each job goes into a queue of fixed length and one of `threads` workers (one per core by
//! default) runs it. When the queue is full the caller is told at once, and the endpoint sheds
//! with `503` instead of building a backlog nobody will wait for.
//!
//! Each worker lowers its own priority, so when the async workers have something to do (a
//! health check, a JWKS fetch, parsing the next request) the kernel runs them at once, and
//! bcrypt gets every cycle left over. On Linux the worker switches itself to `SCHED_IDLE`:
//! the scheduler preempts an idle-policy thread the moment a normal thread wakes, whereas a
//! thread that is merely niced may, under EEVDF's run-to-parity rule, finish its time slice
//! (milliseconds) before the woken async worker runs. It also raises its nice value
//! (`setpriority` on its own thread id), which is what remains where `SCHED_IDLE` is not
//! available. Both need no privilege; if they fail the worker runs at normal priority and
//! logs `bcrypt_worker_priority_unchanged`. The price: on a host whose CPUs are kept busy by
//! other work, bcrypt gets little CPU and the endpoint sheds; size the host for the auth
//! service, or set the nice increment to 0 (`AuthOptions::bcrypt_nice`) for normal priority.
//!
//! The threads are not tokio tasks: they end when the pool is dropped and the queue drains.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// The queue is full: shed the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueFull;

/// A fixed set of low-priority worker threads fed by a bounded queue.
#[derive(Debug)]
pub(crate) struct VerificationPool {
    sender: SyncSender<Job>,
}

impl VerificationPool {
    /// Starts `threads` workers, each `nice` steps below normal priority, behind a queue of `queue` waiting jobs.
    pub(crate) fn start(threads: usize, queue: usize, nice: i32) -> std::io::Result<Self> {
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("auth-bcrypt-{index}"))
                .stack_size(256 * 1024)
                .spawn(move || work(&receiver, nice))?;
        }
        Ok(Self { sender })
    }

    /// Queues `job`; its result arrives on the returned receiver. `Err(QueueFull)` when the
    /// queue is full: the caller sheds instead of waiting.
    pub(crate) fn try_run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<oneshot::Receiver<T>, QueueFull> {
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // A caller that has gone (the client disconnected while queued) needs no bcrypt
            // work; skipping it keeps a flood of abandoned requests from eating the pool.
            if reply.is_closed() {
                return;
            }
            let _ = reply.send(job());
        });
        match self.sender.try_send(job) {
            Ok(()) => Ok(result),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(QueueFull),
        }
    }
}

fn work(receiver: &Mutex<Receiver<Job>>, nice: i32) {
    lower_own_priority(nice);
    loop {
        // Holding the lock while blocked in `recv` is the point: idle workers queue on the
        // mutex, one waits on the channel.
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else {
            return; // The pool was dropped.
        };
        // A panicking job drops its reply sender (the request gets a 500) but must not take
        // the worker with it.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
    }
}

/// Switches this thread to `SCHED_IDLE` (Linux) and adds `increment` to its nice value
/// (capped at 19, the lowest priority). An increment of 0 leaves the thread at normal priority.
fn lower_own_priority(increment: i32) {
    if increment <= 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy};
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let native = thread_priority::thread_native_id();
        // The crate also resets the nice value after switching the policy, which fails without
        // privilege when the process runs niced already; what matters is the policy, so check
        // that instead of the call's result.
        let _ = thread_priority::set_thread_priority_and_policy(native, ThreadPriority::Min, idle);
        if thread_priority::thread_schedule_policy().ok() != Some(idle) {
            tracing::warn!(
                event = "bcrypt_worker_priority_unchanged",
                policy = "SCHED_IDLE",
                "could not switch the bcrypt worker to the idle scheduling policy"
            );
        }
    }
    let thread_id = rustix::thread::gettid();
    let current = rustix::process::getpriority_process(Some(thread_id)).unwrap_or(0);
    let nice = current.saturating_add(increment).min(19);
    if let Err(error) = rustix::process::setpriority_process(Some(thread_id), nice) {
        tracing::warn!(
            event = "bcrypt_worker_priority_unchanged",
            nice,
            error = %error,
            "could not lower the bcrypt worker's priority"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn runs_jobs_and_returns_their_results() {
        let pool = VerificationPool::start(2, 4, 10).unwrap();
        let result = pool.try_run(|| 6 * 7).unwrap();
        assert_eq!(result.await.unwrap(), 42);
    }

    #[tokio::test]
    async fn a_full_queue_is_reported_at_once() {
        let pool = VerificationPool::start(1, 1, 0).unwrap();
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let running = pool
            .try_run(move || {
                started_tx.send(()).unwrap();
                blocked.recv().unwrap();
            })
            .unwrap();
        started.recv().unwrap();
        let queued = pool.try_run(|| ()).unwrap();
        assert_eq!(pool.try_run(|| ()).unwrap_err(), QueueFull);
        release.send(()).unwrap();
        running.await.unwrap();
        queued.await.unwrap();
    }

    #[tokio::test]
    async fn a_panicking_job_does_not_kill_the_worker() {
        let pool = VerificationPool::start(1, 2, 0).unwrap();
        let panicked = pool.try_run(|| -> u8 { panic!("boom") }).unwrap();
        assert!(panicked.await.is_err());
        assert_eq!(pool.try_run(|| 1).unwrap().await.unwrap(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn workers_switch_to_the_idle_scheduling_policy() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let pool = VerificationPool::start(1, 1, 19).unwrap();
        let policy = pool
            .try_run(thread_priority::thread_schedule_policy)
            .unwrap();
        let policy = policy.blocking_recv().unwrap().unwrap();
        assert_eq!(
            policy,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
        );
        let normal = VerificationPool::start(1, 1, 0).unwrap();
        let policy = normal
            .try_run(thread_priority::thread_schedule_policy)
            .unwrap();
        let policy = policy.blocking_recv().unwrap().unwrap();
        assert_eq!(
            policy,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other)
        );
    }

    #[test]
    fn workers_lower_their_own_priority() {
        let pool = VerificationPool::start(1, 1, 7).unwrap();
        let nice =
            pool.try_run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())));
        let nice = nice.unwrap().blocking_recv().unwrap().unwrap();
        let own = rustix::process::getpriority_process(None).unwrap();
        assert_eq!(nice, (own + 7).min(19));
    }
}
