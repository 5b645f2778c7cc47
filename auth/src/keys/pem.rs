//! PEM armour (RFC 7468) for the three key files: just base64 between BEGIN/END lines.
//!
//! Written by hand because it is twenty lines and the strict reading matters here: a file
//! must hold exactly one block of an expected label, so a certificate or an encrypted key is
//! refused with a message naming the label found instead of failing later.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Armours DER bytes under `label` with 64-character lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        text.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

/// Reads the single PEM block in `text`; returns its label and DER bytes.
pub(crate) fn decode(text: &str) -> Result<(String, Vec<u8>), String> {
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let label = lines
        .next()
        .and_then(|line| line.strip_prefix("-----BEGIN "))
        .and_then(|line| line.strip_suffix("-----"))
        .ok_or("not a PEM file: expected a -----BEGIN …----- line")?
        .to_owned();
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') {
            return Err(format!(
                "PEM block {label} has headers (an encrypted key?); store it unencrypted"
            ));
        }
        body.push_str(line);
    }
    if !ended {
        return Err(format!("PEM block {label} has no {end} line"));
    }
    if lines.next().is_some() {
        return Err("the file holds more than one PEM block".to_owned());
    }
    let der = STANDARD
        .decode(body)
        .map_err(|error| format!("PEM block {label} is not valid base64: {error}"))?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_wraps_at_64_columns() {
        let der: Vec<u8> = (0..=255).collect();
        let text = encode("PUBLIC KEY", &der);
        assert!(text.lines().all(|line| line.len() <= 64));
        assert_eq!(decode(&text).unwrap(), ("PUBLIC KEY".to_owned(), der));
    }

    #[test]
    fn refuses_what_is_not_one_plain_block() {
        let one = encode("PRIVATE KEY", b"abc");
        let cases = [
            ("hello".to_owned(), "not a PEM file"),
            (
                one.replace("-----END PRIVATE KEY-----\n", ""),
                "no -----END",
            ),
            (format!("{one}{one}"), "more than one"),
            (
                one.replace("YWJj", "Proc-Type: 4,ENCRYPTED\nYWJj"),
                "encrypted",
            ),
            (one.replace("YWJj", "Y!Jj"), "base64"),
        ];
        for (text, expected) in cases {
            let error = decode(&text).unwrap_err();
            assert!(error.contains(expected), "{error}");
        }
    }
}
