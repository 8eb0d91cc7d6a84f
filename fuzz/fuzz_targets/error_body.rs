//! An error answer (any status, any body with the key spliced in) gives a typed error whose Debug
//! never shows the key (at least 8 characters, `sk-` and `[A-Za-z0-9_-]`, so Debug's escaping and
//! the error's own field names cannot spell it by chance).
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_provider::domain::Secrets;
use litellm_provider::errors;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fuzz_target!(|input: (u16, Option<u64>, Vec<u8>, Vec<Vec<u8>>)| {
    let (status, retry_after_ms, tail, parts) = input;
    let mut key = String::from("sk-");
    key.extend(tail.iter().take(40).map(|b| char::from(ALPHABET[usize::from(b % 64)])));
    while key.len() < 8 {
        key.push('0');
    }
    // The body is the parts joined by the key: with two parts or more it holds the key.
    let body = parts.join(key.as_bytes());
    let error = errors::from_answer(status, &body, retry_after_ms, &Secrets::new(key.as_str()));
    let shown = format!("{error:?}");
    assert!(!shown.contains(&key), "the key leaked: {shown}");
});
