//! Arbitrary `retry-after-ms` / `Retry-After` values and clocks into `errors::retry_after_ms`:
//! never a panic, and surrounding whitespace never changes the answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_provider::errors;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|input: (Option<String>, Option<String>, u64)| {
    let (ms, secs_or_date, now_secs) = input;
    let now = UNIX_EPOCH.checked_add(Duration::from_secs(now_secs)).unwrap_or(UNIX_EPOCH);
    let got = errors::retry_after_ms(ms.as_deref(), secs_or_date.as_deref(), now);
    let padded = |v: &Option<String>| v.as_ref().map(|s| format!(" \t{s} "));
    let (ms_padded, secs_or_date_padded) = (padded(&ms), padded(&secs_or_date));
    let again = errors::retry_after_ms(ms_padded.as_deref(), secs_or_date_padded.as_deref(), now);
    assert_eq!(got, again, "whitespace changed the wait");
});
