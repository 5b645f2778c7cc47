//! A presented client id as a log line shows it.
//!
//! A client id arrives from the caller, unauthenticated, and can be as long as the body limit
//! (64 KiB) and hold anything. A rejection's log line shows at most [`MAX_SHOWN_BYTES`] bytes of
//! it, with the id's full length in a separate field when it was cut, and escapes every
//! character that is not printable ASCII, so a presented id can neither flood the logs, nor
//! forge a line (a newline), nor drive a terminal (ESC, C1 controls), nor hide or reorder text
//! (bidirectional overrides, zero-width characters), nor pass for a real id by a look-alike
//! letter. The escapes are those of Rust: `\u{1b}`, and `\\` for a backslash, so the shown text
//! reads back unambiguously; `…` marks a cut (a literal `…` in an id shows as `\u{2026}`).

use std::fmt::Write;

/// The most bytes a log line shows of a presented client id, escapes and cut mark included.
pub(crate) const MAX_SHOWN_BYTES: usize = 128;

/// What marks a shown id as cut.
const CUT_MARK: &str = "…";

/// A presented client id prepared for a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShownClientId {
    /// The id, escaped, whole or cut (at a character, never inside an escape) and marked.
    pub(crate) text: String,
    /// The presented id's length in bytes when it was cut; `None` when `text` shows all of it.
    pub(crate) cut_from_bytes: Option<usize>,
}

impl ShownClientId {
    /// Escapes and cuts `id`; reads no more of it than it shows.
    pub(crate) fn new(id: &str) -> Self {
        let mut text = String::with_capacity(MAX_SHOWN_BYTES.min(id.len() + 8));
        // The longest prefix that still leaves room for the cut mark.
        let mut cut_at = 0;
        let mut piece = String::new();
        for character in id.chars() {
            piece.clear();
            escape_into(character, &mut piece);
            if text.len() + piece.len() > MAX_SHOWN_BYTES {
                text.truncate(cut_at);
                text.push_str(CUT_MARK);
                return Self {
                    text,
                    cut_from_bytes: Some(id.len()),
                };
            }
            text.push_str(&piece);
            if text.len() + CUT_MARK.len() <= MAX_SHOWN_BYTES {
                cut_at = text.len();
            }
        }
        Self {
            text,
            cut_from_bytes: None,
        }
    }
}

/// Printable ASCII as itself, a backslash as `\\`, anything else as `\u{hex}`.
fn escape_into(character: char, out: &mut String) {
    match character {
        '\\' => out.push_str("\\\\"),
        ' '..='~' => out.push(character),
        other => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(other));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(id: &str) -> ShownClientId {
        ShownClientId::new(id)
    }

    #[test]
    fn a_printable_ascii_id_is_shown_as_it_is() {
        for id in ["", "mark-publisher", "svc:one two@example.org/x?y=z"] {
            assert_eq!(
                shown(id),
                ShownClientId {
                    text: id.to_owned(),
                    cut_from_bytes: None
                }
            );
        }
    }

    #[test]
    fn controls_backslashes_and_non_ascii_are_escaped() {
        let cases = [
            ("a\nb", "a\\u{a}b"),
            (
                "a\r\n2026-12-02T00:00:00Z INFO forged",
                "a\\u{d}\\u{a}2026-12-02T00:00:00Z INFO forged",
            ),
            ("\x1b[31mred\x1b[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("nul\0del\x7f", "nul\\u{0}del\\u{7f}"),
            ("c1\u{9b}31m", "c1\\u{9b}31m"),
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            ("zero\u{200b}width", "zero\\u{200b}width"),
            ("mark\u{2010}publisher", "mark\\u{2010}publisher"),
            ("caf\u{e9}", "caf\\u{e9}"),
            ("back\\slash", "back\\\\slash"),
            ("dots\u{2026}", "dots\\u{2026}"),
        ];
        for (id, expected) in cases {
            assert_eq!(shown(id).text, expected, "{id:?}");
            assert_eq!(shown(id).cut_from_bytes, None, "{id:?}");
        }
    }

    #[test]
    fn a_long_id_is_cut_to_128_bytes_with_a_mark_and_its_length() {
        let id = "x".repeat(10 * 1024);
        let shown = shown(&id);
        assert_eq!(shown.text.len(), MAX_SHOWN_BYTES);
        assert_eq!(shown.text, format!("{}…", "x".repeat(MAX_SHOWN_BYTES - 3)));
        assert_eq!(shown.cut_from_bytes, Some(10 * 1024));
    }

    #[test]
    fn the_cut_is_at_the_limit_exactly() {
        let exact = "y".repeat(MAX_SHOWN_BYTES);
        assert_eq!(shown(&exact).text, exact);
        assert_eq!(shown(&exact).cut_from_bytes, None);
        let over = "y".repeat(MAX_SHOWN_BYTES + 1);
        assert_eq!(shown(&over).text.len(), MAX_SHOWN_BYTES);
        assert!(shown(&over).text.ends_with(CUT_MARK));
        assert_eq!(shown(&over).cut_from_bytes, Some(MAX_SHOWN_BYTES + 1));
    }

    #[test]
    fn the_cut_never_splits_a_character_or_an_escape() {
        // Each `é` is 2 bytes presented and 6 shown (`\u{e9}`); the cut falls between escapes.
        for prefix in ["", "a", "ab", "abc"] {
            let id = format!("{prefix}{}", "é".repeat(100));
            let shown = shown(&id);
            assert!(shown.text.len() <= MAX_SHOWN_BYTES, "{}", shown.text);
            let body = shown.text.strip_suffix(CUT_MARK).unwrap();
            let escapes = body.strip_prefix(prefix).unwrap();
            assert_eq!(escapes.len() % 6, 0, "{body}");
            assert!(
                escapes.split_inclusive('}').all(|e| e == "\\u{e9}"),
                "{body}"
            );
            assert_eq!(shown.cut_from_bytes, Some(id.len()));
        }
    }

    proptest::proptest! {
        #[test]
        fn any_id_is_shown_in_at_most_128_printable_ascii_bytes(id in ".{0,300}") {
            let shown = shown(&id);
            proptest::prop_assert!(shown.text.len() <= MAX_SHOWN_BYTES);
            let body = shown.text.strip_suffix(CUT_MARK).unwrap_or(&shown.text);
            proptest::prop_assert!(body.bytes().all(|byte| (b' '..=b'~').contains(&byte)));
            proptest::prop_assert_eq!(shown.cut_from_bytes.is_some(), shown.text.ends_with(CUT_MARK));
            if shown.cut_from_bytes.is_none() {
                proptest::prop_assert!(!shown.text.contains(CUT_MARK));
            }
        }
    }
}
