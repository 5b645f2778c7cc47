//! Strict `application/x-www-form-urlencoded` decoding (WHATWG URL §5.1, the encoding
//! RFC 6749 Appendix B names).
//!
//! `form_urlencoded::parse` is lenient by design: it keeps a malformed `%` escape as literal
//! text and replaces invalid UTF-8 with U+FFFD. A token endpoint must refuse such bodies
//! (`invalid_request`) rather than authenticate with a secret the client never sent, so decoding is
//! done here, strictly; `form_urlencoded` is still what clients and tests encode with.
//!
//! A body holds at most [`MAX_PARAMETERS`] parameters, counted while splitting and before
//! anything is decoded, so the work a body can cause is linear in its size and small.

/// The most parameters a form body may hold. A token request has one to three; the limit leaves
/// room for clients that add a few optional ones (`scope`, `audience`...).
pub(crate) const MAX_PARAMETERS: usize = 32;

/// Why a form body or component was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormError {
    /// `%` not followed by two hex digits.
    BadPercentEncoding,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
    /// More than [`MAX_PARAMETERS`] parameters.
    TooManyParameters,
}

impl FormError {
    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::BadPercentEncoding => "malformed percent-encoding in the form body",
            Self::NotUtf8 => "the form body is not valid UTF-8",
            Self::TooManyParameters => {
                "the form body has more than 32 parameters; a token request needs at most 3"
            }
        }
    }
}

/// Splits a body into decoded `(name, value)` pairs, in order, repeats included. Empty pieces
/// (`a=1&&b=2`) are not parameters. A body of more than [`MAX_PARAMETERS`] is refused before
/// any of it is decoded: the count stops at the first piece past the limit.
pub(crate) fn parse_pairs(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let pieces = || {
        body.split(|byte| *byte == b'&')
            .filter(|pair| !pair.is_empty())
    };
    if pieces().nth(MAX_PARAMETERS).is_some() {
        return Err(FormError::TooManyParameters);
    }
    pieces()
        .map(|pair| {
            let (name, value) = match pair.iter().position(|byte| *byte == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            Ok((decode_component(name)?, decode_component(value)?))
        })
        .collect()
}

/// Decodes one component: `+` is a space, `%XX` a byte, the result must be UTF-8.
pub(crate) fn decode_component(raw: &[u8]) -> Result<String, FormError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        match raw[index] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let high = raw.get(index + 1).and_then(|b| hex_value(*b));
                let low = raw.get(index + 2).and_then(|b| hex_value(*b));
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(FormError::BadPercentEncoding);
                };
                bytes.push(high << 4 | low);
                index += 2;
            }
            other => bytes.push(other),
        }
        index += 1;
    }
    String::from_utf8(bytes).map_err(|_| FormError::NotUtf8)
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(body: &str) -> Result<Vec<(String, String)>, FormError> {
        parse_pairs(body.as_bytes())
    }

    #[test]
    fn decodes_plus_percent_and_utf8() {
        let decoded = pairs("a=b+c&d=%41%2b%3D&e=%C3%A9&&flag").unwrap();
        let expected = [("a", "b c"), ("d", "A+="), ("e", "é"), ("flag", "")];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(decoded, expected);
    }

    #[test]
    fn keeps_repeats_for_the_caller_to_refuse() {
        assert_eq!(pairs("a=1&a=2").unwrap().len(), 2);
    }

    #[test]
    fn holds_at_most_max_parameters_and_counts_before_decoding() {
        let body = |count: usize| {
            (0..count)
                .map(|index| format!("p{index}=v"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert_eq!(pairs(&body(MAX_PARAMETERS)).unwrap().len(), MAX_PARAMETERS);
        assert_eq!(
            pairs(&body(MAX_PARAMETERS + 1)),
            Err(FormError::TooManyParameters)
        );
        // Empty pieces are not parameters.
        let padded = format!("&&{}&&", body(MAX_PARAMETERS).replace('&', "&&"));
        assert_eq!(pairs(&padded).unwrap().len(), MAX_PARAMETERS);
        // The count comes first: a malformed escape past the limit is never decoded.
        let malformed = format!("{}&bad=%zz", body(MAX_PARAMETERS));
        assert_eq!(pairs(&malformed), Err(FormError::TooManyParameters));
        let description = FormError::TooManyParameters.description();
        assert!(
            description.contains(&format!("more than {MAX_PARAMETERS} parameters")),
            "{description}"
        );
    }

    #[test]
    fn refuses_malformed_escapes_and_invalid_utf8() {
        for body in ["a=%", "a=%4", "a=%zz", "%g1=x"] {
            assert_eq!(pairs(body), Err(FormError::BadPercentEncoding), "{body}");
        }
        assert_eq!(pairs("a=%ff"), Err(FormError::NotUtf8));
        assert_eq!(parse_pairs(b"a=\xff"), Err(FormError::NotUtf8));
    }

    #[test]
    fn round_trips_what_form_urlencoded_encodes() {
        let value = "p@ss w:rd+/%&=é\u{1F600}";
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_secret", value)
            .finish();
        assert_eq!(
            pairs(&body).unwrap(),
            vec![("client_secret".to_owned(), value.to_owned())]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_string_survives_encoding(value in ".*") {
            let body: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("k", &value)
                .finish();
            proptest::prop_assert_eq!(pairs(&body).unwrap(), vec![("k".to_owned(), value)]);
        }

        #[test]
        fn arbitrary_bytes_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = parse_pairs(&body);
        }
    }
}
