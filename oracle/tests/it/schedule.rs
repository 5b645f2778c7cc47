//! The cron runner under tokio's paused clock: fire times, a token per ledger request (not
//! per tick), a rejected token failing only its tick, the skip policy for overruns, the tick timeout, cancellation, and
//! the ledger probe against a fake ledger.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use oracle::jobs::{CSA_TEMPLATE_ID, Job, JobContext, JobFuture, JobReport, LedgerProbe};
use oracle::schedule::{CronStats, CronTask};
use oracle::token::TokenHandle;
use oracle::{LedgerClient, TickError};
use serde_json::json;
use service_runtime::clock::{Clock, TokioClock};
use shared_config::CronSchedule;
use tokio_util::sync::CancellationToken;

use crate::support::exact_policy;
use crate::support::fake_ledger::FakeLedger;
use crate::support::logs::LogCapture;
use crate::support::scripted::{ScriptedFetcher, Step, network};

/// 2030-01-01T12:00:00Z plus `seconds`.
fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 12, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

/// What the recording job does on its n-th run.
#[derive(Clone, Copy)]
enum Behaviour {
    Succeed,
    Take(Duration),
}

struct RecordingJob {
    runs: Mutex<Vec<(DateTime<Utc>, String)>>,
    behaviour: Box<dyn Fn(usize) -> Behaviour + Send + Sync>,
}

impl RecordingJob {
    fn new(behaviour: impl Fn(usize) -> Behaviour + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Self {
            runs: Mutex::new(Vec::new()),
            behaviour: Box::new(behaviour),
        })
    }

    /// Fire times of the runs, in seconds after 12:00:00.
    fn fired(&self) -> Vec<i64> {
        self.runs
            .lock()
            .unwrap()
            .iter()
            .map(|(fired, _)| (*fired - at(0)).num_seconds())
            .collect()
    }
}

impl Job for RecordingJob {
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a> {
        Box::pin(async move {
            let token = context.token().await?;
            let run = {
                let mut runs = self.runs.lock().unwrap();
                runs.push((context.fired_at, token.expose().to_owned()));
                runs.len() - 1
            };
            if let Behaviour::Take(duration) = (self.behaviour)(run) {
                tokio::time::sleep(duration).await;
            }
            Ok::<_, TickError>(JobReport::default())
        })
    }
}

fn task(schedule: &str, job: Arc<dyn Job>, token: TokenHandle, ledger_url: &str) -> CronTask {
    CronTask {
        name: "mark-publisher".into(),
        schedule: CronSchedule::parse(schedule).unwrap(),
        job,
        token,
        ledger: LedgerClient::new(&ledger_url.parse().unwrap(), Duration::from_secs(5)).unwrap(),
        tick_timeout: Duration::from_secs(60),
        clock: Arc::new(TokioClock::starting_at(at(0))),
        stats: Arc::new(CronStats::default()),
    }
}

#[tokio::test(start_paused = true)]
async fn fires_on_the_schedule_with_a_token_from_the_handle() {
    let fetcher = ScriptedFetcher::new(|_| Step::Token(900));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let job = RecordingJob::new(|_| Behaviour::Succeed);
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(
        task(
            "*/10 * * * * *",
            job.clone(),
            handle.clone(),
            "http://127.0.0.1:9",
        )
        .run(cancel.clone()),
    );
    tokio::time::sleep(Duration::from_secs(35)).await;
    assert_eq!(job.fired(), [10, 20, 30]);
    for (_, token) in job.runs.lock().unwrap().iter() {
        assert_eq!(token, "tok-1");
    }
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_rejected_token_fails_only_its_tick_and_the_next_fire_tries_again() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let fetcher = ScriptedFetcher::new(|elapsed| {
        if (5..25).contains(&elapsed.as_secs()) {
            Step::Fail(network())
        } else {
            Step::Token(10)
        }
    });
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let job = RecordingJob::new(|_| Behaviour::Succeed);
    let cron = task(
        "*/10 * * * * *",
        job.clone(),
        handle.clone(),
        "http://127.0.0.1:9",
    );
    let stats = cron.stats.clone();
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(cron.run(cancel.clone()));
    tokio::time::sleep(Duration::from_secs(45)).await;
    // The token is past use from 9 s; recovery attempts at 13 and 21 fail, 36 succeeds.
    assert_eq!(job.fired(), [40]);
    let failed = logs.named("tick_failed");
    assert_eq!(failed.len(), 3);
    for line in &failed {
        assert_eq!(line["cron"], "mark-publisher");
        assert_eq!(line["reason"], "token_unavailable");
        assert_eq!(line["level"], "WARN");
        assert!(
            line["error"]
                .as_str()
                .unwrap()
                .starts_with("no service token: no valid token")
        );
    }
    assert_eq!(logs.named("tick_completed").len(), 1);
    let counters = stats.snapshot();
    assert_eq!(counters.completed, 1);
    assert_eq!(counters.failures.get("token_unavailable"), Some(&3));
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn fires_overrun_by_a_tick_are_skipped_not_caught_up() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let fetcher = ScriptedFetcher::new(|_| Step::Token(900));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let job = RecordingJob::new(|run| {
        if run == 0 {
            Behaviour::Take(Duration::from_secs(25))
        } else {
            Behaviour::Succeed
        }
    });
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(
        task(
            "*/10 * * * * *",
            job.clone(),
            handle.clone(),
            "http://127.0.0.1:9",
        )
        .run(cancel.clone()),
    );
    tokio::time::sleep(Duration::from_secs(55)).await;
    assert_eq!(job.fired(), [10, 40, 50]);
    let missed = logs.named("ticks_missed");
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0]["missed"], 2);
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_tick_that_hangs_is_cut_at_the_timeout_and_the_loop_goes_on() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let fetcher = ScriptedFetcher::new(|_| Step::Token(900));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let job = RecordingJob::new(|run| {
        if run == 0 {
            Behaviour::Take(Duration::from_secs(3600))
        } else {
            Behaviour::Succeed
        }
    });
    let mut cron = task(
        "*/10 * * * * *",
        job.clone(),
        handle.clone(),
        "http://127.0.0.1:9",
    );
    cron.tick_timeout = Duration::from_secs(5);
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(cron.run(cancel.clone()));
    tokio::time::sleep(Duration::from_secs(25)).await;
    assert_eq!(job.fired(), [10, 20]);
    let failed = logs.named("tick_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["reason"], "timeout");
    assert_eq!(failed[0]["durationMs"], 5000);
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn cancellation_ends_the_loop_even_mid_tick() {
    let fetcher = ScriptedFetcher::new(|_| Step::Token(900));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let job = RecordingJob::new(|_| Behaviour::Take(Duration::from_secs(3600)));
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(
        task(
            "*/10 * * * * *",
            job.clone(),
            handle.clone(),
            "http://127.0.0.1:9",
        )
        .run(cancel.clone()),
    );
    tokio::time::sleep(Duration::from_secs(12)).await;
    let cancelled_at = tokio::time::Instant::now();
    cancel.cancel();
    runner.await.unwrap();
    assert_eq!(tokio::time::Instant::now(), cancelled_at);
    assert_eq!(job.fired(), [10]);
    handle.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_ledger_probe_queries_with_the_services_token() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let ledger = FakeLedger::start("secret", json!([])).await;
    ledger.answer_with(|call| match call.token.as_deref() {
        Some("tok-1") => (401, json!({"status": 401, "errors": ["token expired"]})),
        _ => (
            200,
            json!({"status": 200, "result": [
                {"contractId": "00a1", "templateId": "p:IRSForge.Csa:Csa", "payload": {},
                 "signatories": [], "observers": [], "agreementText": ""},
                {"contractId": "00a2", "templateId": "p:IRSForge.Csa:Csa", "payload": {},
                 "signatories": [], "observers": [], "agreementText": ""}
            ]}),
        ),
    });
    let fetcher = ScriptedFetcher::new(|_| Step::Token(15));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let probe = Arc::new(LedgerProbe::new([CSA_TEMPLATE_ID]));
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(
        task("*/10 * * * * *", probe, handle.clone(), &ledger.url).run(cancel.clone()),
    );
    tokio::time::sleep(Duration::from_secs(25)).await;
    let queries = ledger.calls_to("/v1/query");
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[0].token.as_deref(), Some("tok-1"));
    assert_eq!(queries[0].body, json!({"templateIds": [CSA_TEMPLATE_ID]}));
    // Refreshed at 12 s (80 % of 15 s), so the second tick carries the new token.
    assert_eq!(queries[1].token.as_deref(), Some("tok-2"));
    let failed = logs.named("tick_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["reason"], "ledger_unauthorized");
    let completed = logs.named("tick_completed");
    assert_eq!(completed.len(), 1);
    assert_eq!(completed[0]["contractsSeen"], 2);
    assert_eq!(logs.named("ledger_query_completed")[0]["contracts"], 2);
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
}

/// Tokio time plus an offset a test can step.
#[derive(Debug)]
struct SteppedClock {
    base: TokioClock,
    offset: Mutex<chrono::Duration>,
}

impl Clock for SteppedClock {
    fn now(&self) -> DateTime<Utc> {
        self.base.now() + *self.offset.lock().unwrap()
    }
}

#[tokio::test(start_paused = true)]
async fn a_backward_clock_step_does_not_silence_the_cron() {
    let fetcher = ScriptedFetcher::new(|_| Step::Token(900));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let job = RecordingJob::new(|_| Behaviour::Succeed);
    let clock = Arc::new(SteppedClock {
        base: TokioClock::starting_at(at(0)),
        offset: Mutex::new(chrono::Duration::zero()),
    });
    let mut cron = task(
        "*/10 * * * * *",
        job.clone(),
        handle.clone(),
        "http://127.0.0.1:9",
    );
    cron.clock = clock.clone();
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(cron.run(cancel.clone()));
    tokio::time::sleep(Duration::from_secs(15)).await;
    // NTP steps the wall clock back an hour: the next fire is the next one after the new now.
    *clock.offset.lock().unwrap() = chrono::Duration::hours(-1);
    tokio::time::sleep(Duration::from_secs(40)).await;
    // The runner wakes at 20 s, sees 11:00:20 and fires next at 11:00:30.
    assert_eq!(job.fired(), [10, 30 - 3600, 40 - 3600, 50 - 3600]);
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
}

/// A lease held while the database answers (until `down_from`, and again from `up_from`).
struct OutageStore {
    origin: tokio::time::Instant,
    down_from: Duration,
    up_from: Duration,
}

impl oracle::lease::LeaseStore for OutageStore {
    fn acquire(
        &mut self,
        _ttl: Duration,
    ) -> oracle::lease::store::StoreFuture<'_, oracle::lease::Claim> {
        let elapsed = self.origin.elapsed();
        let down = elapsed >= self.down_from && elapsed < self.up_from;
        Box::pin(async move {
            match down {
                false => Ok(oracle::lease::Claim::Held),
                true => Err(oracle::lease::LeaseError::Timeout {
                    operation: "connect",
                    after: Duration::ZERO,
                }),
            }
        })
    }

    fn release(&mut self) -> oracle::lease::store::StoreFuture<'_, bool> {
        Box::pin(async { Ok(true) })
    }
}

#[tokio::test(start_paused = true)]
async fn fires_only_while_the_lease_is_certainly_held_and_cuts_a_tick_when_it_lapses() {
    use oracle::lease::{Leadership, LeaseTiming, TokioLeaseClock, start_with_store};
    let fetcher = ScriptedFetcher::new(|_| Step::Token(900));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    // The fire at 12 s takes 3 s: the lease lapses during it.
    let job = RecordingJob::new(|run| match run {
        11 => Behaviour::Take(Duration::from_secs(3)),
        _ => Behaviour::Succeed,
    });
    let store = OutageStore {
        origin: tokio::time::Instant::now(),
        down_from: Duration::from_secs(10),
        up_from: Duration::from_secs(20),
    };
    let lease = start_with_store(
        store,
        "replica".into(),
        LeaseTiming::for_ttl(Duration::from_secs(5)),
        Leadership::leased(Arc::new(TokioLeaseClock::new())),
    );
    let cron = task(
        "* * * * * *",
        job.clone(),
        handle.clone(),
        "http://127.0.0.1:9",
    );
    let stats = cron.stats.clone();
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(cron.run_led(cancel.clone(), lease.leadership().clone()));
    tokio::time::sleep(Duration::from_millis(30_500)).await;
    // The last renewal before the outage was sent at 8.3 s: acting until 12.8 s. Fires from 13
    // s are skipped until the database answers again (from 20 s, retried at most T/3 apart).
    let fired = job.fired();
    assert_eq!(fired[..12], (1..=12).collect::<Vec<_>>()[..], "{fired:?}");
    assert!(
        fired.iter().all(|second| !(13..=20).contains(second)),
        "{fired:?}"
    );
    assert!((23..=30).all(|second| fired.contains(&second)), "{fired:?}");
    assert_eq!(
        stats.snapshot().failures.get("leadership_lost"),
        Some(&1),
        "the 12 s tick was cut"
    );
    cancel.cancel();
    runner.await.unwrap();
    lease.shutdown(true).await;
    handle.stop().await;
}

/// Queries the ledger, waits, and queries again: a tick that outlives its first token.
struct TwoQueriesApart(Duration);

impl Job for TwoQueriesApart {
    fn run<'a>(&'a self, context: JobContext<'a>) -> JobFuture<'a> {
        Box::pin(async move {
            let request = oracle::ledger::QueryRequest::templates([CSA_TEMPLATE_ID]);
            context
                .ledger
                .query(&context.token().await?, &request)
                .await?;
            tokio::time::sleep(self.0).await;
            context
                .ledger
                .query(&context.token().await?, &request)
                .await?;
            Ok(JobReport::default())
        })
    }
}

#[tokio::test(start_paused = true)]
async fn each_ledger_request_of_a_tick_takes_a_token_valid_when_it_is_sent() {
    // 5 s tokens: refreshed every 3 s (80 % capped a second before the usable end at 4 s).
    let fetcher = ScriptedFetcher::new(|_| Step::Token(5));
    let handle = fetcher.start(exact_policy()).await.unwrap();
    let ledger = FakeLedger::start("secret", json!([])).await;
    // The ledger notes, for each request, whether the token it carries had expired.
    let seen: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    {
        let (seen, fetcher) = (seen.clone(), fetcher.clone());
        ledger.answer_with(move |call| {
            let token = call.token.clone().unwrap_or_default();
            let expired = fetcher
                .expires_at(&token)
                .is_none_or(|expires| tokio::time::Instant::now() >= expires);
            seen.lock().unwrap().push((token, expired));
            (200, json!({"status": 200, "result": []}))
        });
    }
    let cancel = CancellationToken::new();
    let runner = tokio::spawn(
        task(
            "*/10 * * * * *",
            Arc::new(TwoQueriesApart(Duration::from_secs(6))),
            handle.clone(),
            &ledger.url,
        )
        .run(cancel.clone()),
    );
    tokio::time::sleep(Duration::from_secs(29)).await;
    cancel.cancel();
    runner.await.unwrap();
    handle.stop().await;
    let seen = seen.lock().unwrap().clone();
    // Two ticks (10 and 20), two requests each, six seconds apart: longer than a token's life,
    // so one token per tick would have reached the ledger expired.
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen.iter().all(|(_, expired)| !expired), "{seen:?}");
    for tick in seen.chunks(2) {
        assert_ne!(tick[0].0, tick[1].0, "{seen:?}");
    }
}
