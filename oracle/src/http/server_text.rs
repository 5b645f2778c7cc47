//! Text a server sent, made safe to put in an error or a log line: no control characters (a
//! forged line break cannot start a fake log line) and a length limit (a huge body cannot
//! flood the log). Neither function is for secrets: callers never pass a token or a body that
//! may hold one.

/// Token-endpoint texts (`error`, `error_description`, a content type): printable ASCII, at
/// most 120 characters; anything else becomes `?`.
pub(crate) fn short_server_text(text: &str) -> String {
    let mut clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(120)
        .collect();
    if text.chars().count() > 120 {
        clean.push('…');
    }
    clean
}

/// Ledger error texts, which carry Daml interpretation errors and are long: control
/// characters become spaces, at most 300 characters are kept.
pub(crate) fn long_server_text(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if text.chars().count() > 300 {
        format!("{clean}…")
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_printable_ascii_and_truncated() {
        assert_eq!(short_server_text("a\nb\u{7}c"), "a?b?c");
        assert_eq!(short_server_text("défaut"), "d?faut");
        let long = "x".repeat(500);
        assert_eq!(short_server_text(&long).chars().count(), 121);
    }

    #[test]
    fn long_text_keeps_one_line_and_300_characters() {
        assert_eq!(
            long_server_text("User abort: NOTHING_DUE\nforged"),
            "User abort: NOTHING_DUE forged"
        );
        assert_eq!(long_server_text("période …"), "période …");
        let long = "y".repeat(1_000);
        let kept = long_server_text(&long);
        assert_eq!(kept.chars().count(), 301);
        assert!(kept.ends_with('…'));
        assert_eq!(long_server_text(&"z".repeat(300)), "z".repeat(300));
    }
}
