//! Captures the JSON log lines the library emits, as the binary would print them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
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

impl LogCapture {
    /// Captures every event on this thread (use a current-thread runtime) until the guard
    /// drops, in the binary's JSON format.
    pub(crate) fn install(&self) -> DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_span_list(false)
            .with_current_span(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(self.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
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
