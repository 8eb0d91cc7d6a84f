//! Tests of the mock server through a tiny raw HTTP/1.1 client.

mod azure;
mod flavours;
mod plain;
mod streaming;
mod thinking;

use std::net::SocketAddr;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::MockServer;

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunks: usize,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

async fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("end of headers");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_owned())).collect();
    let mut reply = Reply { status, headers, body: raw[split + 4..].to_vec(), chunks: 0 };
    if reply.header("transfer-encoding") == Some("chunked") {
        let (body, chunks) = dechunk(&reply.body);
        reply.body = body;
        reply.chunks = chunks;
    }
    reply
}

/// Decodes a complete chunked body, panicking if it is incomplete.
fn dechunk(mut raw: &[u8]) -> (Vec<u8>, usize) {
    let (mut out, mut chunks) = (Vec::new(), 0);
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n").expect("chunk size line");
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        raw = &raw[eol + 2..];
        if size == 0 {
            return (out, chunks);
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
        chunks += 1;
    }
}

async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut stream = send(addr, method, path, headers, body).await;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    parse(&raw)
}

async fn chat(server: &MockServer, body: Value) -> Reply {
    request(server.addr(), "POST", "/v1/chat/completions", &[], &body.to_string()).await
}

fn user(model: &str, text: &str) -> Value {
    json!({"model": model, "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": text}]})
}

fn streaming(model: &str, text: &str, include_usage: bool) -> Value {
    let mut body = user(model, text);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": include_usage});
    body
}

/// `POST path` with a JSON body.
async fn post(server: &MockServer, path: &str, body: Value) -> Reply {
    request(server.addr(), "POST", path, &[], &body.to_string()).await
}

/// `GET path` with the given headers.
async fn get(server: &MockServer, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(server.addr(), "GET", path, headers, "").await
}

/// Decodes standard base64 (with padding) into little-endian `f32`s.
fn base64_floats(text: &str) -> Vec<f32> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = Vec::new();
    for quad in text.as_bytes().chunks(4) {
        let sextets: Vec<u32> = quad
            .iter()
            .filter(|&&c| c != b'=')
            .map(|c| ALPHABET.iter().position(|a| a == c).expect("base64") as u32)
            .collect();
        let n = sextets.iter().chain([0, 0, 0].iter()).take(4).fold(0, |n, s| n << 6 | s);
        bytes.extend_from_slice(&n.to_be_bytes()[1..sextets.len()]);
    }
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// A JSON array of numbers as `f64`s.
fn floats(value: &Value) -> Vec<f64> {
    value.as_array().expect("an array").iter().map(|v| v.as_f64().expect("a number")).collect()
}
