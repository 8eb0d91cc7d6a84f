//! `POST /v1/embeddings`: one deterministic vector per input, in input order.
//!
//! Value `k` of the vector of input `i` is the input's length in characters for `k == 0`,
//! `i` for `k == 1` and `0.5` otherwise; there are `dimensions` values (default 8). Usage
//! counts the whitespace-separated words of all inputs. Scenarios (by the scenario model):
//!
//! * `mock/error-STATUS`: the same error as for chat;
//! * `mock/embed-no-usage`: the answer has no `usage`;
//! * `mock/embed-base64`: every embedding is base64 of little-endian `f32`s, whatever the
//!   request's `encoding_format`;
//! * `mock/embed-huge`: one embedding of 3.5 million numbers (`hostile.rs`).

use serde_json::{json, Value};

use super::body::{json_response, status_error, Resp};
use super::request::{Invalid, Models};
use super::text::word_count;

/// `dimensions` when the request has none.
const DEFAULT_DIMENSIONS: usize = 8;
/// The largest `dimensions` accepted.
const MAX_DIMENSIONS: usize = 8192;
/// The most inputs accepted in one request (OpenAI's limit).
const MAX_INPUTS: usize = 2048;

/// Answers an embeddings request whose body is JSON.
pub(super) fn respond(body: &Value, models: &Models) -> Resp {
    let scenario = models.scenario_name();
    if let Some(resp) = scenario.strip_prefix("error-").and_then(status_error) {
        return resp;
    }
    if scenario == "embed-huge" {
        return super::hostile::huge_embedding();
    }
    let (inputs, dimensions) = match inputs(body).and_then(|i| Ok((i, dimensions(body)?))) {
        Ok(checked) => checked,
        Err(invalid) => return invalid.into_resp(),
    };
    let base64 = scenario == "embed-base64";
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let values = vector(input, index, dimensions);
            let embedding = if base64 { json!(encode_base64(&le_bytes(&values))) } else { json!(values) };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let mut answer = json!({"object": "list", "data": data, "model": models.answer});
    if scenario != "embed-no-usage" {
        let prompt: u64 = inputs.iter().map(|input| word_count(input)).sum();
        if let Some(object) = answer.as_object_mut() {
            let usage = json!({"prompt_tokens": prompt, "total_tokens": prompt});
            object.insert("usage".to_owned(), usage);
        }
    }
    json_response(200, &answer)
}

/// The request's `input`: a string, or a non-empty array of at most [`MAX_INPUTS`] strings.
fn inputs(body: &Value) -> Result<Vec<&str>, Invalid> {
    let invalid = || Invalid {
        message: format!("`input` must be a string or an array of 1 to {MAX_INPUTS} strings"),
        param: Some("input"),
        code: "invalid_input",
    };
    match body.get("input") {
        Some(Value::String(input)) => Ok(vec![input.as_str()]),
        Some(Value::Array(items)) if (1..=MAX_INPUTS).contains(&items.len()) => {
            items.iter().map(|item| item.as_str().ok_or_else(invalid)).collect()
        }
        _ => Err(invalid()),
    }
}

/// The request's `dimensions`: an integer from 1 to [`MAX_DIMENSIONS`], or the default.
fn dimensions(body: &Value) -> Result<usize, Invalid> {
    match body.get("dimensions") {
        None | Some(Value::Null) => Ok(DEFAULT_DIMENSIONS),
        Some(value) => value
            .as_u64()
            .and_then(|d| usize::try_from(d).ok())
            .filter(|d| (1..=MAX_DIMENSIONS).contains(d))
            .ok_or_else(|| Invalid {
                message: format!("`dimensions` must be an integer from 1 to {MAX_DIMENSIONS}"),
                param: Some("dimensions"),
                code: "invalid_dimensions",
            }),
    }
}

/// The vector of input `index`: its length in characters, `index`, then `0.5`s.
fn vector(input: &str, index: usize, dimensions: usize) -> Vec<f32> {
    (0..dimensions)
        .map(|k| match k {
            0 => input.chars().count() as f32,
            1 => index as f32,
            _ => 0.5,
        })
        .collect()
}

/// The little-endian bytes of `values`.
fn le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Standard base64 (RFC 4648, with padding).
fn encode_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let triple = byte(0) << 16 | byte(1) << 8 | byte(2);
        for i in 0..4 {
            if i <= chunk.len() {
                let sextet = (triple >> (18 - 6 * i)) & 63;
                out.push(char::from(ALPHABET[sextet as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_base64() {
        let cases =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in cases {
            assert_eq!(encode_base64(plain.as_bytes()), encoded);
        }
        assert_eq!(encode_base64(&[0xfb, 0xff]), "+/8=");
        assert_eq!(encode_base64(&le_bytes(&[1.0])), "AACAPw==");
    }

    #[test]
    fn builds_vectors() {
        assert_eq!(vector("héllo", 3, 4), [5.0, 3.0, 0.5, 0.5]);
        assert_eq!(vector("x", 0, 1), [1.0]);
    }
}
