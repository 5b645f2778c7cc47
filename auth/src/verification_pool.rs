//! The bcrypt verification pool: a few dedicated threads at lowered CPU priority behind a
//! bounded queue shared fairly between source addresses.
//!
//! bcrypt at cost 10 keeps a core busy for tens of milliseconds. Run on tokio's workers it
//! would stall every other request; run on `spawn_blocking` it would queue without bound. Here
//! each job goes into a queue of fixed length and one of `threads` workers (one per core by
//! default) runs it. A job that finds no room waits (without CPU) for at most a second, and the
//! endpoint then sheds with `503` instead of building a backlog nobody will wait for.
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
//! **Fair admission.** The queue is shared fairly by source address (an IPv4 address, or the
//! /64 of an IPv6 one: one host usually holds a whole /64), so a flood from many addresses
//! cannot starve one address. It has two tiers, both kept as one FIFO lane per source:
//!
//! - *queued*: at most `queue` jobs in all (workers x 4 by default) and half of that per
//!   source; a worker takes the next job from the source it served least recently (round
//!   robin, with a source never served first). A source with nothing queued, arriving when the
//!   tier is full, takes the place of the newest job of the source with the most queued jobs
//!   (when that source has more than one), which goes back to wait at the head of its lane; a
//!   source that has jobs queued never takes another's place.
//! - *waiting*: requests that found no room wait here, costing no CPU, for at most
//!   [`ADMISSION_WAIT`]. Whenever a queued job leaves for a worker, the waiting source admitted
//!   least recently (a source never admitted first) moves its oldest job up. A request still
//!   waiting at its deadline is shed (`503`, `Retry-After: 1`). The tier is bounded too
//!   ([`MAX_WAITING`] in all, [`MAX_WAITING_PER_SOURCE`] per source): a source with nothing
//!   waiting that finds it full takes the place of the newest waiting request of the source
//!   with the most; any other request that finds no place is shed at its deadline as well. (A
//!   queued job that lost its place to a newcomer waits at the head of its lane with no
//!   deadline: its source still has jobs queued, so its turn comes.)
//!
//! Every shed answer is therefore given no earlier than [`ADMISSION_WAIT`] after the request
//! arrived: a client that ignores `Retry-After` and resends at once gets at most about one
//! shed answer a second per connection, so the cost of shedding stays bounded whatever
//! clients do, and the bcrypt workers never run a job whose caller was already answered.
//!
//! The threads are not tokio tasks: they end when the pool is dropped and the queue drains.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

/// How long a request may wait for room in the queue before it is shed.
pub(crate) const ADMISSION_WAIT: Duration = Duration::from_secs(1);
/// Most requests waiting for room, in all.
pub(crate) const MAX_WAITING: usize = 1024;
/// Most requests of one source waiting for room.
pub(crate) const MAX_WAITING_PER_SOURCE: usize = 256;
/// Sources whose last turn is remembered; past it, sources with nothing queued or waiting
/// are forgotten (and count as never served again).
const MAX_REMEMBERED_SOURCES: usize = 4096;

/// A job: called with `true` to run on a worker, or with `false` when it is shed unrun.
type Job = Box<dyn FnOnce(bool) + Send>;

/// Where fairness is counted: an IPv4 address, or the /64 network of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SourceKey(IpAddr);

impl SourceKey {
    pub(crate) fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(Ipv6Addr::from(network)))
            }
        }
    }
}

/// No room to queue or even to wait: shed the request (at its deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueFull;

/// Why a submitted job gave no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotRun {
    /// It waited past its deadline, or lost its place: shed the request.
    Shed,
    /// The job panicked.
    Failed,
}

/// One FIFO lane per source; the next item comes from the source served least recently.
struct Lanes<T> {
    lanes: HashMap<SourceKey, VecDeque<(u64, T)>>,
    len: usize,
    /// When each source was last served, on a counter of turns.
    served: HashMap<SourceKey, u64>,
    turns: u64,
}

impl<T> Lanes<T> {
    fn new() -> Self {
        Self {
            lanes: HashMap::new(),
            len: 0,
            served: HashMap::new(),
            turns: 0,
        }
    }

    fn len_of(&self, key: SourceKey) -> usize {
        self.lanes.get(&key).map_or(0, VecDeque::len)
    }

    fn push_back(&mut self, key: SourceKey, id: u64, item: T) {
        self.lanes.entry(key).or_default().push_back((id, item));
        self.len += 1;
    }

    fn push_front(&mut self, key: SourceKey, id: u64, item: T) {
        self.lanes.entry(key).or_default().push_front((id, item));
        self.len += 1;
    }

    /// The oldest item of the eligible source served least recently (never served first;
    /// ties go to the source whose oldest item arrived first).
    fn pop_next(&mut self, eligible: impl Fn(SourceKey) -> bool) -> Option<(SourceKey, u64, T)> {
        let key = self
            .lanes
            .iter()
            .filter(|(key, _)| eligible(**key))
            .filter_map(|(key, lane)| Some((*key, lane.front()?.0)))
            .min_by_key(|(key, head)| (self.served.get(key).map_or(0, |turn| turn + 1), *head))
            .map(|(key, _)| key)?;
        let item = self.take(key, |lane| lane.pop_front())?;
        self.mark_served(key);
        Some((key, item.0, item.1))
    }

    /// Records that `key` had its turn now.
    fn mark_served(&mut self, key: SourceKey) {
        self.turns += 1;
        self.served.insert(key, self.turns);
        if self.served.len() > MAX_REMEMBERED_SOURCES {
            let lanes = &self.lanes;
            self.served.retain(|key, _| lanes.contains_key(key));
        }
    }

    /// The newest item of the source with the most items, when it has at least `minimum`.
    fn pop_newest_of_largest(&mut self, minimum: usize) -> Option<(SourceKey, u64, T)> {
        let (key, len) = self
            .lanes
            .iter()
            .map(|(key, lane)| (*key, lane.len()))
            .max_by_key(|(_, len)| *len)?;
        if len < minimum.max(1) {
            return None;
        }
        let (id, item) = self.take(key, VecDeque::pop_back)?;
        Some((key, id, item))
    }

    fn remove(&mut self, key: SourceKey, id: u64) -> Option<T> {
        let position = self.lanes.get(&key)?.iter().position(|(i, _)| *i == id)?;
        self.take(key, |lane| lane.remove(position))
            .map(|(_, item)| item)
    }

    fn take(
        &mut self,
        key: SourceKey,
        how: impl FnOnce(&mut VecDeque<(u64, T)>) -> Option<(u64, T)>,
    ) -> Option<(u64, T)> {
        let lane = self.lanes.get_mut(&key)?;
        let item = how(lane)?;
        if lane.is_empty() {
            self.lanes.remove(&key);
        }
        self.len -= 1;
        Some(item)
    }
}

/// Where a submitted job went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placed {
    Queued,
    Waiting,
}

/// The two tiers and their bounds; no threads, so the rules are tested directly.
struct Admission<T> {
    queued: Lanes<T>,
    waiting: Lanes<T>,
    capacity: usize,
    per_source: usize,
    max_waiting: usize,
    max_waiting_per_source: usize,
    next_id: u64,
}

impl<T> Admission<T> {
    fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            queued: Lanes::new(),
            waiting: Lanes::new(),
            capacity,
            per_source: capacity.div_ceil(2),
            max_waiting: MAX_WAITING,
            max_waiting_per_source: MAX_WAITING_PER_SOURCE,
            next_id: 0,
        }
    }

    /// Queues `item`, or has it wait, or gives it back when there is no room at all. Items
    /// that lose their place are passed to `shed`.
    fn submit(
        &mut self,
        key: SourceKey,
        item: T,
        mut shed: impl FnMut(T),
    ) -> Result<(u64, Placed), T> {
        self.next_id += 1;
        let id = self.next_id;
        let queued = self.queued.len_of(key);
        // A source with requests waiting queues behind them (FIFO within a source).
        if queued < self.per_source && self.waiting.len_of(key) == 0 {
            if self.queued.len < self.capacity {
                self.queued.push_back(key, id, item);
                self.waiting.mark_served(key);
                return Ok((id, Placed::Queued));
            }
            if queued == 0
                && let Some((victim, victim_id, displaced)) = self.queued.pop_newest_of_largest(2)
            {
                self.waiting.push_front(victim, victim_id, displaced);
                if self.waiting.len > self.max_waiting
                    && let Some((_, _, newest)) = self.waiting.pop_newest_of_largest(1)
                {
                    shed(newest);
                }
                self.queued.push_back(key, id, item);
                self.waiting.mark_served(key);
                return Ok((id, Placed::Queued));
            }
        }
        let waiting = self.waiting.len_of(key);
        if waiting >= self.max_waiting_per_source {
            return Err(item);
        }
        if self.waiting.len >= self.max_waiting {
            if waiting > 0 {
                return Err(item);
            }
            match self.waiting.pop_newest_of_largest(2) {
                Some((_, _, victim)) => shed(victim),
                None => return Err(item),
            }
        }
        self.waiting.push_back(key, id, item);
        Ok((id, Placed::Waiting))
    }

    /// The next job for a worker; admits waiting jobs into the room it leaves.
    fn next_job(&mut self) -> Option<T> {
        let (_, _, job) = self.queued.pop_next(|_| true)?;
        self.refill();
        Some(job)
    }

    fn refill(&mut self) {
        while self.queued.len < self.capacity {
            let per_source = self.per_source;
            let queued = &self.queued;
            let Some((key, id, item)) =
                self.waiting.pop_next(|key| queued.len_of(key) < per_source)
            else {
                return;
            };
            self.queued.push_back(key, id, item);
        }
    }

    /// Takes a job back if it is still waiting (not when it is queued: that one runs).
    fn withdraw_waiting(&mut self, key: SourceKey, id: u64) -> Option<T> {
        self.waiting.remove(key, id)
    }

    /// Takes a job back wherever it is, unless a worker has it.
    fn withdraw(&mut self, key: SourceKey, id: u64) -> Option<T> {
        if let Some(item) = self.waiting.remove(key, id) {
            return Some(item);
        }
        let item = self.queued.remove(key, id)?;
        self.refill();
        Some(item)
    }
}

struct State {
    admission: Admission<Job>,
    closed: bool,
}

struct Inner {
    state: Mutex<State>,
    ready: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A fixed set of low-priority worker threads fed by a bounded, source-fair queue.
pub(crate) struct VerificationPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for VerificationPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("VerificationPool")
            .field("queued", &state.admission.queued.len)
            .field("waiting", &state.admission.waiting.len)
            .field("capacity", &state.admission.capacity)
            .finish_non_exhaustive()
    }
}

impl VerificationPool {
    /// Starts `threads` workers, each `nice` steps below normal priority, behind a queue of
    /// `queue` jobs (and the waiting tier).
    pub(crate) fn start(threads: usize, queue: usize, nice: i32) -> std::io::Result<Self> {
        Self::start_named("auth-bcrypt", threads, queue, nice)
    }

    /// [`VerificationPool::start`] with threads called `<name>-<index>`.
    pub(crate) fn start_named(
        name: &str,
        threads: usize,
        queue: usize,
        nice: i32,
    ) -> std::io::Result<Self> {
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                admission: Admission::new(queue),
                closed: false,
            }),
            ready: Condvar::new(),
        });
        for index in 0..threads.max(1) {
            let inner = Arc::clone(&inner);
            std::thread::Builder::new()
                .name(format!("{name}-{index}"))
                .stack_size(256 * 1024)
                .spawn(move || work(&inner, nice))?;
        }
        Ok(Self { inner })
    }

    /// Submits `job` for `source`: queued, or waiting for room. `Err(QueueFull)` when there is
    /// no room even to wait: the caller sheds (at its deadline).
    pub(crate) fn submit<T: Send + 'static>(
        &self,
        source: IpAddr,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<Pending<T>, QueueFull> {
        let key = SourceKey::of(source);
        let (reply, result) = oneshot::channel();
        let job: Job = Box::new(move |run| {
            // A caller that has gone (the client disconnected while queued) needs no bcrypt
            // work; skipping it keeps a flood of abandoned requests from eating the pool.
            if reply.is_closed() {
                return;
            }
            let _ = reply.send(if run { Ok(job()) } else { Err(NotRun::Shed) });
        });
        let mut state = self.inner.lock();
        if state.closed {
            return Err(QueueFull);
        }
        let mut shed = Vec::new();
        let placed = state.admission.submit(key, job, |victim| shed.push(victim));
        drop(state);
        for victim in shed {
            victim(false);
        }
        let (id, placed) = placed.map_err(|_| QueueFull)?;
        if placed == Placed::Queued {
            self.inner.ready.notify_one();
        }
        Ok(Pending {
            inner: Arc::clone(&self.inner),
            key,
            id,
            result,
            placed,
            settled: false,
        })
    }
}

impl Drop for VerificationPool {
    /// Workers finish the queued jobs and exit; waiting ones are shed.
    fn drop(&mut self) {
        let waiting: Vec<Job> = {
            let mut state = self.inner.lock();
            state.closed = true;
            let lanes = std::mem::take(&mut state.admission.waiting.lanes);
            state.admission.waiting.len = 0;
            lanes.into_values().flatten().map(|(_, job)| job).collect()
        };
        self.inner.ready.notify_all();
        for job in waiting {
            job(false);
        }
    }
}

/// A submitted job's result, to be awaited. Dropping it takes the job back unless a worker
/// has started it.
pub(crate) struct Pending<T> {
    inner: Arc<Inner>,
    key: SourceKey,
    id: u64,
    result: oneshot::Receiver<Result<T, NotRun>>,
    /// Where the job went at submission; only a waiting job has an admission deadline.
    placed: Placed,
    settled: bool,
}

impl<T> Pending<T> {
    /// The job's result. If it is still waiting for room at `admission_deadline`, it is taken
    /// back and the answer is [`NotRun::Shed`]; once queued it runs, however long that takes.
    /// A job queued at once arms no timer (a job displaced back to waiting later keeps its
    /// place at the head of its source's lane and is admitted again in its turn).
    pub(crate) async fn outcome(mut self, admission_deadline: Instant) -> Result<T, NotRun> {
        if self.placed == Placed::Queued {
            let result = (&mut self.result).await;
            self.settled = true;
            return result.unwrap_or(Err(NotRun::Failed));
        }
        let result = tokio::select! {
            result = &mut self.result => result,
            () = tokio::time::sleep_until(admission_deadline) => {
                let withdrawn = self.inner.lock().admission.withdraw_waiting(self.key, self.id);
                if withdrawn.is_some() {
                    self.settled = true;
                    return Err(NotRun::Shed);
                }
                (&mut self.result).await
            }
        };
        self.settled = true;
        result.unwrap_or(Err(NotRun::Failed))
    }
}

impl<T> Drop for Pending<T> {
    fn drop(&mut self) {
        if !self.settled {
            let job = self.inner.lock().admission.withdraw(self.key, self.id);
            drop(job);
        }
    }
}

fn work(inner: &Inner, nice: i32) {
    lower_own_priority(nice);
    loop {
        let job = {
            let mut state = inner.lock();
            loop {
                if let Some(job) = state.admission.next_job() {
                    break job;
                }
                if state.closed {
                    return;
                }
                state = inner.ready.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        };
        // A panicking job drops its reply sender (the request gets a 500) but must not take
        // the worker with it.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(true)));
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
mod tests;
