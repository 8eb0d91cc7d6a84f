//! Tolerant text: what real endpoints send is not always valid. Invalid UTF-8 and lone UTF-16
//! surrogate escapes (`"\ud83d"` alone, as when a server splits an emoji's pair across two stream
//! chunks) become U+FFFD instead of failing the whole answer, since `serde_json` rejects both.

use std::borrow::Cow;

/// `json` with invalid UTF-8 replaced and every lone surrogate escape turned into `\ufffd`;
/// borrowed (no copy) when there is nothing to repair, which is almost always.
pub fn repaired_json(json: &[u8]) -> Cow<'_, [u8]> {
    let text = String::from_utf8_lossy(json);
    if !has_surrogate_escape(text.as_bytes()) {
        return match text {
            Cow::Borrowed(_) => Cow::Borrowed(json),
            Cow::Owned(owned) => Cow::Owned(owned.into_bytes()),
        };
    }
    Cow::Owned(replace_lone_surrogates(text.as_bytes()))
}

fn hex4(bytes: &[u8]) -> Option<u16> {
    let digits = std::str::from_utf8(bytes.get(..4)?).ok()?;
    u16::from_str_radix(digits, 16).ok()
}

/// Whether a `\uD800`–`\uDFFF` escape appears (paired or not): the fast path's test.
fn has_surrogate_escape(bytes: &[u8]) -> bool {
    let mut i = 0;
    while let Some(offset) = bytes[i..].iter().position(|b| *b == b'\\') {
        let at = i + offset;
        match bytes.get(at + 1) {
            Some(b'u') if hex4(&bytes[at + 2..]).is_some_and(|u| (0xD800..=0xDFFF).contains(&u)) => return true,
            Some(_) => i = at + 2,
            None => return false,
        }
    }
    false
}

/// Copies `bytes`, keeping surrogate pairs and replacing every lone surrogate escape.
fn replace_lone_surrogates(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let escape = bytes.get(i + 1).copied();
        let unit = if escape == Some(b'u') { hex4(&bytes[i + 2..]) } else { None };
        match unit {
            Some(0xD800..=0xDBFF) => {
                let next_is_low = bytes.get(i + 6..i + 8) == Some(b"\\u")
                    && hex4(&bytes[i + 8..]).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low));
                if next_is_low {
                    out.extend_from_slice(&bytes[i..i + 12]);
                    i += 12;
                } else {
                    out.extend_from_slice(b"\\ufffd");
                    i += 6;
                }
            }
            Some(0xDC00..=0xDFFF) => {
                out.extend_from_slice(b"\\ufffd");
                i += 6;
            }
            _ => {
                // Any other escape (or a backslash at the very end) is copied as it is.
                let end = (i + 2).min(bytes.len());
                out.extend_from_slice(&bytes[i..end]);
                i = end;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(json: &str) -> String {
        let repaired = repaired_json(json.as_bytes());
        serde_json::from_slice::<String>(&repaired).unwrap()
    }

    #[test]
    fn valid_json_is_borrowed_and_pairs_are_kept() {
        assert!(matches!(repaired_json(br#""plain \n \" \\ud83d""#), Cow::Borrowed(_)));
        assert_eq!(text_of(r#""\ud83d\ude00""#), "😀");
        assert_eq!(text_of(r#""\\ud83d""#), "\\ud83d", "an escaped backslash is not an escape");
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(text_of(r#""a\ud83d""#), "a\u{fffd}");
        assert_eq!(text_of(r#""\ude00b""#), "\u{fffd}b");
        assert_eq!(text_of(r#""\ud83d\u0041""#), "\u{fffd}A");
        assert_eq!(text_of(r#""\uD83D\uDE00\uD83D""#), "😀\u{fffd}");
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let repaired = repaired_json(b"\"caf\xe9 \xff\"");
        assert_eq!(serde_json::from_slice::<String>(&repaired).unwrap(), "caf\u{fffd} \u{fffd}");
    }

    #[test]
    fn truncated_escapes_never_panic() {
        for input in [&br#""\ud8"#[..], br#"\"#, br#""\u"#, br#""\ud83d\u"#, br#""\ud83d\ude"#] {
            let _ = repaired_json(input);
        }
    }
}
