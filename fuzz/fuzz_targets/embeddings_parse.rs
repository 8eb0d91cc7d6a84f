//! Embeddings and model-list answers (read without a JSON tree since contract 0.3.0): any bytes
//! give vectors or a typed error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_provider::domain::Secrets;
use litellm_provider::embeddings;

fuzz_target!(|input: (u8, &[u8])| {
    let (inputs, body) = input;
    let key = Secrets::new("sk-fuzz-embeddings");
    if let Ok(answer) = embeddings::parse_embeddings(body, usize::from(inputs % 4) + 1, "m", &key) {
        assert_eq!(answer.embeddings.len(), usize::from(inputs % 4) + 1);
    }
    let _ = embeddings::parse_models(body, &key);
});
