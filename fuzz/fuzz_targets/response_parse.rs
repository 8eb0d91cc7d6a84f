//! Arbitrary bytes as a 2xx chat-completion body: `response::parse` answers or errs, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_provider::domain::Secrets;
use litellm_provider::response;

fuzz_target!(|body: &[u8]| {
    let _ = response::parse(body, "asked", &Secrets::new("sk-fuzz-key"));
});
