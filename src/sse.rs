//! Server-sent events framing (the WHATWG `text/event-stream` rules), fed bytes as they arrive:
//! lines end in CRLF, LF or CR, possibly split across reads; `data:` lines join with `\n`; comment
//! lines (`: keep-alive`) are skipped; a blank line ends an event.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name; empty for the default `message`.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// An incremental parser; it holds at most one unfinished line and one unfinished event.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    started: bool,
    event: String,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// A parser with nothing read yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes held for an unfinished line or event, to cap a stream that never ends an event.
    pub fn buffered(&self) -> usize {
        self.line.len() + self.data.len() + self.event.len()
    }

    /// Feeds the next bytes, appending every event they complete to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        if bytes.is_empty() {
            return;
        }
        if !self.started {
            self.line.extend_from_slice(bytes);
            if self.line.len() < 3 && b"\xEF\xBB\xBF".starts_with(&self.line) {
                return; // maybe a split byte-order mark: wait for more
            }
            self.started = true;
            let held = std::mem::take(&mut self.line);
            let held = held.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&held);
            return self.feed_lines(held, out);
        }
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        self.feed_lines(bytes, out);
    }

    fn feed_lines(&mut self, mut bytes: &[u8], out: &mut Vec<SseEvent>) {
        while let Some(end) = bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.line.extend_from_slice(&bytes[..end]);
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
            let is_cr = bytes[end] == b'\r';
            bytes = &bytes[end + 1..];
            if is_cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.line.extend_from_slice(bytes);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                let mut data = std::mem::take(&mut self.data);
                data.pop(); // the last line's `\n`
                out.push(SseEvent { event: std::mem::take(&mut self.event), data });
            }
            self.event.clear();
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = value.to_string(),
            _ => {} // `id`, `retry` and unknown fields mean nothing to a completion stream
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for chunk in input.chunks(piece) {
            p.feed(chunk, &mut out);
        }
        out
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent { event: event.into(), data: data.into() }
    }

    #[test]
    fn every_split_gives_the_same_events() {
        let input = "\u{FEFF}: PROCESSING\r\n\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\nevent: error\ndata: é✓\n\n\
                     data:no-space\r\rdata\n\nid: 7\nretry: 10\ndata: [DONE]\n\n"
            .as_bytes();
        let expected = vec![ev("", "{\"a\":\n1}"), ev("error", "é✓"), ev("", "no-space"), ev("", ""), ev("", "[DONE]")];
        for piece in 1..=input.len() {
            assert_eq!(parse_in_pieces(input, piece), expected, "piece size {piece}");
        }
    }

    #[test]
    fn unfinished_event_is_not_dispatched() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed(b"data: partial\n", &mut out);
        assert!(out.is_empty());
        assert!(p.buffered() > 0);
        p.feed(b"event: x\n\n", &mut out);
        assert_eq!(out, vec![ev("x", "partial")]);
    }

    #[test]
    fn comments_and_blank_lines_alone_give_nothing() {
        assert!(parse_in_pieces(b": a\n\n\n: b\r\n\r\n", 3).is_empty());
    }
}
