use std::sync::{Arc, Mutex};

use super::*;

/// A writer that keeps everything written to it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_one_event(format: LogFormat, colour: bool) -> String {
    let captured = Captured::default();
    let writer = captured.clone();
    let filter = filter("info", None).unwrap();
    let subscriber = subscriber(format, filter, colour, move || writer.clone());
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!("request", method = "POST");
        let _inside = span.enter();
        tracing::info!(
            event = "token_issued",
            accountId = "mark-publisher",
            "token issued"
        );
    });
    captured.text()
}

#[test]
fn every_binary_accepts_json_human_and_the_old_text() {
    assert_eq!(LogFormat::from_str("json", false), Ok(LogFormat::Json));
    assert_eq!(LogFormat::from_str("human", false), Ok(LogFormat::Human));
    assert_eq!(LogFormat::from_str("text", false), Ok(LogFormat::Human));
    assert!(LogFormat::from_str("yaml", false).is_err());
    assert_eq!(LogFormat::default(), LogFormat::Json);
}

#[test]
fn colour_only_for_people_at_a_terminal_without_no_color() {
    assert!(colour(LogFormat::Human, true, false));
    assert!(!colour(LogFormat::Human, false, false), "redirected output");
    assert!(!colour(LogFormat::Human, true, true), "NO_COLOR");
    assert!(
        !colour(LogFormat::Json, true, false),
        "JSON is for machines"
    );
}

#[test]
fn human_lines_hold_escape_codes_only_when_colour_is_on() {
    let plain = log_one_event(LogFormat::Human, false);
    assert!(plain.contains("token issued"), "{plain}");
    assert!(plain.contains("accountId"), "{plain}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
    let coloured = log_one_event(LogFormat::Human, true);
    assert!(coloured.contains("\x1b["), "{coloured:?}");
}

#[test]
fn json_lines_are_flat_objects_without_span_keys_or_escape_codes() {
    let text = log_one_event(LogFormat::Json, true);
    assert!(!text.contains('\x1b'), "{text:?}");
    let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(line["event"], "token_issued");
    assert_eq!(line["accountId"], "mark-publisher");
    assert_eq!(line["message"], "token issued");
    for key in ["fields", "span", "spans"] {
        assert!(line.get(key).is_none(), "{key} in {line}");
    }
}

#[test]
fn rust_log_wins_and_an_invalid_one_is_refused_by_name() {
    assert!(filter("info", Some("warn,oracle=debug".to_owned())).is_ok());
    let error = filter("info", Some("oracle=loud".to_owned())).unwrap_err();
    assert!(matches!(
        error,
        RuntimeError::LogFilter {
            origin: "RUST_LOG",
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .starts_with("RUST_LOG is not a valid log filter")
    );
    let error = filter("auth=??", None).unwrap_err();
    assert!(matches!(
        error,
        RuntimeError::LogFilter {
            origin: "the default log filter",
            ..
        }
    ));
}

#[test]
fn the_default_filter_lets_this_crates_warnings_through() {
    let filter = filter("off", None).unwrap().to_string();
    assert!(filter.contains("service_runtime=info"), "{filter}");
}
