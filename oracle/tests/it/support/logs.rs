//! Captures the JSON log lines the library emits, as the binary would print them.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use service_runtime::logging::{self, LogFormat};
use tracing::Dispatch;
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
pub(crate) struct LogCapture(Arc<Mutex<Vec<u8>>>);

pub(crate) struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(self.0.clone())
    }
}

/// tracing caches each callsite's interest process-wide, and while at most one dispatcher is
/// registered it computes that interest from whichever thread reaches the callsite first: a
/// sibling test without a subscriber would cache `never` and blind every capture of that
/// callsite. Two always-interested dispatchers, registered for the life of the test binary,
/// make the interest the union over registered dispatchers instead.
fn pin_callsite_interest() {
    static ANCHORS: OnceLock<[Dispatch; 2]> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        [
            Dispatch::new(tracing_subscriber::registry()),
            Dispatch::new(tracing_subscriber::registry()),
        ]
    });
}

impl LogCapture {
    /// Captures every event on this thread (use a current-thread runtime) until the guard
    /// drops, in the binary's JSON format.
    pub(crate) fn install(&self) -> DefaultGuard {
        pin_callsite_interest();
        let filter = logging::filter("debug", None).unwrap();
        let subscriber = logging::subscriber(LogFormat::Json, filter, false, self.clone());
        let guard = tracing::subscriber::set_default(subscriber);
        // Repairs callsites that cached `never` before the anchors existed.
        tracing::callsite::rebuild_interest_cache();
        guard
    }

    /// The raw text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// Every line with an `event` field, parsed, without the timestamp.
    pub(crate) fn events(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).expect("a JSON log line"))
            .filter(|line| line.get("event").is_some())
            .map(|mut line| {
                line.as_object_mut().unwrap().remove("timestamp");
                line
            })
            .collect()
    }

    /// The events with this name.
    pub(crate) fn named(&self, event: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|line| line["event"] == event)
            .collect()
    }
}
