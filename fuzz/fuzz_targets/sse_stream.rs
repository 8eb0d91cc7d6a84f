//! Bytes split at fuzzer-chosen points into an `SseParser` give the same events as the whole input
//! fed at once; every event then goes into a `StreamAssembler`, then `on_end`: nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use litellm_provider::chunks::StreamAssembler;
use litellm_provider::domain::Secrets;
use litellm_provider::sse::SseParser;
use std::collections::VecDeque;

fuzz_target!(|data: &[u8]| {
    // Byte 0: how many cut bytes follow; each cut byte gives a piece length (1..=128), and its
    // high bit also feeds an empty piece first. The rest is the stream.
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (cuts, stream) = rest.split_at(usize::from(n % 16).min(rest.len()));

    let mut split = Vec::new();
    let mut parser = SseParser::new();
    let (mut at, mut i) = (0, 0);
    while at < stream.len() {
        let cut = cuts.get(i % cuts.len().max(1)).copied().unwrap_or(0x7f);
        i += 1;
        if cut & 0x80 != 0 {
            parser.feed(&[], &mut split);
        }
        let end = (at + usize::from(cut & 0x7f) + 1).min(stream.len());
        parser.feed(&stream[at..end], &mut split);
        at = end;
    }

    let mut whole = Vec::new();
    SseParser::new().feed(stream, &mut whole);
    assert_eq!(split, whole, "the events depend on how the bytes were split");

    // After an error the assembler is as it was before the event, so going on stays reachable.
    let mut assembler = StreamAssembler::new("asked", Secrets::new("sk-fuzz-key"));
    let mut out = VecDeque::new();
    for event in &split {
        let _ = assembler.on_event(event, &mut out);
    }
    let _ = assembler.on_end(&mut out);
});
