//! `POST /v1/embeddings` in OpenAI's shape: the body into the contract's `embeddings-request`,
//! the answer into OpenAI's list of `embedding` objects (floats, or base64 of little-endian
//! `f32`s for `encoding_format: base64`, as the OpenAI SDKs ask by default).

use super::chat::{model, number_u32, object, string, unknown_field};
use super::Invalid;
use base64::Engine as _;
use litellm_client::{EmbeddingsRequest, EmbeddingsResponse};
use serde::Serialize;
use serde_json::Value;

/// The fields of an embeddings body the gateway maps. The contract's embeddings request has no
/// extra body, so the passthrough list does not apply here: any other field is refused.
pub const EMBEDDINGS_FIELDS: &[&str] = &["model", "input", "dimensions", "encoding_format", "user"];

/// An embeddings call as the gateway received it.
#[derive(Debug)]
pub struct EmbeddingsCall {
    /// The request for the provider.
    pub request: EmbeddingsRequest,
    /// Whether the client asked for base64 vectors.
    pub base64: bool,
}

/// Reads an embeddings body: `input` is a string or a list of strings (token arrays are refused:
/// the contract takes text).
pub fn embeddings_call(body: &[u8]) -> Result<EmbeddingsCall, Invalid> {
    let mut object = object(body)?;
    unknown_field(&object, EMBEDDINGS_FIELDS, &[])?;
    let model = model(&mut object)?;
    let not_text = || Invalid::param("`input` must be a string or a list of strings", "input");
    let inputs = match object.remove("input") {
        Some(Value::String(text)) => vec![text],
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(not_text()),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(not_text()),
    };
    let base64 = match string(&mut object, "encoding_format")?.as_deref() {
        None | Some("float") => false,
        Some("base64") => true,
        Some(_) => return Err(Invalid::param("`encoding_format` must be float or base64", "encoding_format")),
    };
    let dimensions = number_u32(&object, "dimensions")?;
    let user = string(&mut object, "user")?;
    Ok(EmbeddingsCall { request: EmbeddingsRequest { model, inputs, dimensions, user }, base64 })
}

/// The provider's embeddings as OpenAI's answer, serialized straight from the vectors: a JSON
/// tree would hold each float as a `Value` (several times the 4 bytes of an `f32`), for answers
/// of millions of floats. Each float is written as the shortest decimal that reads back as the
/// same `f32`.
pub fn embeddings_reply(answer: &EmbeddingsResponse, base64: bool) -> Vec<u8> {
    let data = answer
        .embeddings
        .iter()
        .enumerate()
        .map(|(index, vector)| Item { object: "embedding", index, embedding: Vector { floats: vector, base64 } })
        .collect();
    let usage =
        answer.usage.map(|usage| ListUsage { prompt_tokens: usage.input_tokens, total_tokens: usage.input_tokens });
    let list = List { object: "list", data, model: &answer.model, usage };
    // Serializing strings, integers and finite floats into a Vec cannot fail; a NaN or an
    // infinity (which the provider's parser never yields) is written as `null`, as serde_json does.
    serde_json::to_vec(&list).unwrap_or_default()
}

#[derive(Serialize)]
struct List<'a> {
    object: &'static str,
    data: Vec<Item<'a>>,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<ListUsage>,
}

#[derive(Serialize)]
struct ListUsage {
    prompt_tokens: u32,
    total_tokens: u32,
}

#[derive(Serialize)]
struct Item<'a> {
    object: &'static str,
    index: usize,
    embedding: Vector<'a>,
}

/// One vector: a list of floats, or base64 of its little-endian `f32`s.
struct Vector<'a> {
    floats: &'a [f32],
    base64: bool,
}

impl Serialize for Vector<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.base64 {
            let bytes: Vec<u8> = self.floats.iter().flat_map(|f| f.to_le_bytes()).collect();
            serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
        } else {
            self.floats.serialize(serializer)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use litellm_client::Usage;
    use serde_json::json;

    #[test]
    fn inputs_dimensions_and_formats() {
        let call = embeddings_call(br#"{"model":"e3","input":"hi","dimensions":3,"user":"u"}"#).unwrap();
        assert_eq!(call.request.inputs, vec!["hi".to_owned()]);
        assert_eq!((call.request.dimensions, call.request.user.as_deref(), call.base64), (Some(3), Some("u"), false));
        let call = embeddings_call(br#"{"model":"e3","input":["a","b"],"encoding_format":"base64"}"#).unwrap();
        assert_eq!((call.request.inputs.len(), call.base64), (2, true));
        for (body, param) in [
            (r#"{"model":"e3","input":[1,2]}"#, "input"),
            (r#"{"model":"e3","input":[]}"#, "input"),
            (r#"{"model":"e3"}"#, "input"),
            (r#"{"model":"e3","input":"x","encoding_format":"int8"}"#, "encoding_format"),
            (r#"{"model":"e3","input":"x","api_base":"http://evil"}"#, "api_base"),
            (r#"{"input":"x"}"#, "model"),
        ] {
            assert_eq!(embeddings_call(body.as_bytes()).unwrap_err().param.as_deref(), Some(param), "{body}");
        }
    }

    #[test]
    fn answers_in_openais_shape_floats_or_base64() {
        let answer = EmbeddingsResponse {
            embeddings: vec![vec![1.5, 2.0], vec![0.25]],
            model: "e3".into(),
            usage: Some(Usage::new(4, 0)),
        };
        let floats: Value = serde_json::from_slice(&embeddings_reply(&answer, false)).unwrap();
        assert_eq!(floats["data"][1], json!({"object": "embedding", "index": 1, "embedding": [0.25]}));
        assert_eq!(floats["usage"], json!({"prompt_tokens": 4, "total_tokens": 4}));
        assert_eq!((floats["object"].as_str(), floats["model"].as_str()), (Some("list"), Some("e3")));
        let encoded: Value = serde_json::from_slice(&embeddings_reply(&answer, true)).unwrap();
        let text = encoded["data"][0]["embedding"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
        assert_eq!(bytes, [1.5f32.to_le_bytes(), 2.0f32.to_le_bytes()].concat());
    }
}

#[cfg(test)]
mod bounded {
    use super::*;

    #[test]
    fn a_float_is_its_f32_and_no_usage_is_no_field() {
        let answer = EmbeddingsResponse { embeddings: vec![vec![0.1, -2.5e-8]], model: "e".into(), usage: None };
        let text = String::from_utf8(embeddings_reply(&answer, false)).unwrap();
        assert_eq!(
            text,
            r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-2.5e-8]}],"model":"e"}"#
        );
    }
}
