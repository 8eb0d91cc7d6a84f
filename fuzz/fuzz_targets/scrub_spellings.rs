//! Scrubbing (contract 0.3.0): a key spliced into any text in any of the spellings a reader still
//! recognises (the key itself, upper case, JSON `\uXXXX` escapes, percent escapes, mixed per
//! character) never survives `errors::sanitize`, and the result is capped; any text never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_provider::domain::{Secrets, Error, Failure};
use litellm_provider::errors;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fuzz_target!(|input: (Vec<u8>, Vec<u8>, Vec<String>)| {
    let (tail, spelling, parts) = input;
    let mut key = String::from("sk-");
    key.extend(tail.iter().take(40).map(|b| char::from(ALPHABET[usize::from(b % 64)])));
    while key.len() < 8 {
        key.push('0');
    }
    // Each character of the key written one of four ways, chosen by the input.
    let spelled: String = key
        .chars()
        .enumerate()
        .map(|(i, c)| match spelling.get(i).copied().unwrap_or(0) % 4 {
            0 => c.to_string(),
            1 => c.to_ascii_uppercase().to_string(),
            2 => format!("\\u{:04x}", c as u32),
            _ => format!("%{:02X}", c as u32),
        })
        .collect();
    let text = parts.join(&spelled);
    let clean = errors::sanitize(Error::Transport(Failure { message: text, attempts: 1 }), &Secrets::new(key.as_str()));
    let Error::Transport(failure) = clean else { unreachable!() };
    if parts.len() >= 2 {
        assert!(!failure.message.to_lowercase().contains(&key.to_lowercase()), "{:?}", failure.message);
    }
    assert!(failure.message.chars().count() <= errors::MAX_MESSAGE_CHARS + 1);
});
