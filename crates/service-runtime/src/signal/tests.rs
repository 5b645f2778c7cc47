use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Signal as Raw, getpid, kill_process};

use super::*;
use crate::logging::{LogFormat, filter, subscriber};

/// A hang guard, not a timing assertion: a signal that is never seen fails the test.
async fn within_a_minute(stop: impl Future<Output = Signal>) -> Signal {
    tokio::time::timeout(Duration::from_secs(60), stop)
        .await
        .expect("the shutdown future did not complete")
}

/// Calls `f` with JSON logs captured, and returns them.
fn logs_of<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let filter = filter("info", None).unwrap();
    let subscriber = subscriber(LogFormat::Json, filter, false, move || writer.clone());
    let value = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    (value, text)
}

// One test sends every signal, so no other test's signal can complete these futures.
#[tokio::test]
async fn completes_with_the_signal_that_arrives_even_with_one_handler_missing() {
    let stop = shutdown_signal();
    kill_process(getpid(), Raw::TERM).unwrap();
    assert_eq!(within_a_minute(stop).await, Signal::Terminate);

    let stop = shutdown_signal();
    kill_process(getpid(), Raw::INT).unwrap();
    assert_eq!(within_a_minute(stop).await, Signal::Interrupt);

    // SIGTERM's handler refused: logged, and Ctrl-C still stops the process.
    let (stop, logs) = logs_of(|| {
        first_of(
            Err(io::Error::other("refused by the test")),
            signal(SignalKind::interrupt()),
        )
    });
    let line: serde_json::Value = serde_json::from_str(logs.trim()).unwrap();
    assert_eq!(line["event"], "signal_handler_unavailable");
    assert_eq!(line["signal"], "SIGTERM");
    assert_eq!(line["error"], "refused by the test");
    kill_process(getpid(), Raw::INT).unwrap();
    assert_eq!(within_a_minute(stop).await, Signal::Interrupt);

    // And the other way round.
    let stop = first_of(
        signal(SignalKind::terminate()),
        Err(io::Error::other("refused by the test")),
    );
    kill_process(getpid(), Raw::TERM).unwrap();
    assert_eq!(within_a_minute(stop).await, Signal::Terminate);
}

#[tokio::test(start_paused = true)]
async fn without_any_handler_the_future_never_completes_and_says_so() {
    let (stop, logs) = logs_of(|| {
        first_of(
            Err(io::Error::other("no terminate")),
            Err(io::Error::other("no interrupt")),
        )
    });
    let events: Vec<String> = logs
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["event"].to_string())
        .collect();
    assert_eq!(
        events,
        [
            "\"signal_handler_unavailable\"",
            "\"signal_handler_unavailable\"",
            "\"shutdown_signals_unavailable\""
        ]
    );
    // The paused clock jumps to the deadline as soon as nothing else can happen.
    let waited = tokio::time::timeout(Duration::from_secs(3600), stop).await;
    assert!(waited.is_err(), "completed without a signal: {waited:?}");
}

#[test]
fn signal_names_are_the_ones_operators_know() {
    assert_eq!(Signal::Terminate.name(), "SIGTERM");
    assert_eq!(Signal::Interrupt.name(), "SIGINT");
}
