//! The embeddings (`/v1/embeddings`) and model-listing (`/v1/models`) endpoints: request bodies and
//! tolerant parsing of their answers.

use crate::domain::{Error, Secrets, Usage};
use crate::errors;
use crate::errors::malformed;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An embeddings request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmbeddingsRequest {
    /// The model; a `litellm:` prefix is stripped.
    pub model: String,
    /// The texts to embed, at least one.
    pub inputs: Vec<String>,
    /// The size of each vector, where the model supports it.
    pub dimensions: Option<u32>,
    /// An end-user id.
    pub user: Option<String>,
}

/// One vector per input, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingsResponse {
    /// One vector per input, in input order.
    pub embeddings: Vec<Vec<f32>>,
    /// The model that answered.
    pub model: String,
    /// Token counts, when the server sent them.
    pub usage: Option<Usage>,
}

/// A model the server offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// Its id, as requests name it.
    pub id: String,
    /// Who owns it, when the server says.
    pub owned_by: Option<String>,
    /// When it was created, in Unix seconds, when the server says.
    pub created: Option<u64>,
}

#[derive(Serialize)]
struct EmbeddingsBody<'a> {
    model: &'a str,
    input: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmbeddingsAnswer {
    data: Option<Vec<EmbeddingItem>>,
    model: Option<String>,
    usage: Option<crate::wire::WireUsage>,
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmbeddingItem {
    index: Option<usize>,
    embedding: Vector,
}

/// A vector read straight into `f32`s, without a JSON tree (a tree of an 8 MiB answer's numbers
/// takes about 25 times its size; measured: 192 MB for 3.5 million numbers, against 24 MB read
/// this way): floats, or base64 of little-endian `f32`s (OpenAI's `encoding_format: base64`).
#[derive(Default)]
enum Vector {
    #[default]
    Missing,
    Floats(Vec<f32>),
    Base64(String),
}

impl<'de> Deserialize<'de> for Vector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Vector;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of numbers or a base64 string")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vector, A::Error> {
                let mut floats = Vec::new();
                while let Some(f) = seq.next_element::<f32>()? {
                    floats.push(f);
                }
                Ok(Vector::Floats(floats))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vector, E> {
                Ok(Vector::Base64(text.to_string()))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Vector, E> {
                Ok(Vector::Missing)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ModelsAnswer {
    data: Option<Vec<ModelItem>>,
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ModelItem {
    id: Option<String>,
    owned_by: Option<String>,
    created: Option<u64>,
}

/// The body for `/v1/embeddings`; `wire_model` is the model without its prefix.
pub fn embeddings_body(request: &EmbeddingsRequest, wire_model: &str) -> Result<Vec<u8>, Error> {
    if wire_model.trim().is_empty() {
        return Err(crate::errors::invalid("the model is empty"));
    }
    if request.inputs.is_empty() {
        return Err(crate::errors::invalid("there are no inputs to embed"));
    }
    if request.dimensions == Some(0) {
        return Err(crate::errors::invalid("dimensions must be greater than 0"));
    }
    let body = EmbeddingsBody {
        model: wire_model,
        input: &request.inputs,
        dimensions: request.dimensions,
        user: request.user.as_deref(),
    };
    serde_json::to_vec(&body).map_err(|e| crate::errors::invalid(format!("cannot encode the request: {e}")))
}

fn embedded_error(error: Option<&Value>, key: &Secrets) -> Option<Error> {
    error.filter(|e| !e.is_null()).map(|e| errors::from_embedded(e, key))
}

/// A vector's floats; base64 decoded.
fn vector(value: Vector) -> Result<Vec<f32>, Error> {
    match value {
        Vector::Floats(floats) => Ok(floats),
        Vector::Base64(text) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| malformed("a base64 embedding is not valid base64"))?;
            if bytes.len() % 4 != 0 {
                return Err(malformed("a base64 embedding is not a whole number of f32s"));
            }
            Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
        }
        Vector::Missing => Err(malformed("an embedding is neither a list nor base64")),
    }
}

/// Parses an embeddings answer; it must hold exactly one vector per input.
pub fn parse_embeddings(
    body: &[u8],
    inputs: usize,
    requested_model: &str,
    key: &Secrets,
) -> Result<EmbeddingsResponse, Error> {
    let answer: EmbeddingsAnswer = serde_json::from_slice(body).map_err(|e| malformed(errors::json_error(&e)))?;
    if let Some(error) = embedded_error(answer.error.as_ref(), key) {
        return Err(error);
    }
    let mut items = answer.data.ok_or_else(|| malformed("it has no data"))?;
    if items.len() != inputs {
        return Err(malformed(format!("{} embeddings for {inputs} inputs", items.len())));
    }
    items.sort_by_key(|item| item.index.unwrap_or(usize::MAX));
    let embeddings = items.into_iter().map(|item| vector(item.embedding)).collect::<Result<Vec<_>, _>>()?;
    // Embeddings generate nothing: `output-tokens` is 0 whatever the server says.
    let usage = crate::response::usage(answer.usage).map(|u| Usage { output_tokens: 0, ..u });
    Ok(EmbeddingsResponse { embeddings, model: answer.model.unwrap_or_else(|| requested_model.to_string()), usage })
}

/// Parses a model list; entries without an id are skipped.
pub fn parse_models(body: &[u8], key: &Secrets) -> Result<Vec<ModelInfo>, Error> {
    let answer: ModelsAnswer = serde_json::from_slice(body).map_err(|e| malformed(errors::json_error(&e)))?;
    if let Some(error) = embedded_error(answer.error.as_ref(), key) {
        return Err(error);
    }
    let items = answer.data.ok_or_else(|| malformed("it has no data"))?;
    Ok(items
        .into_iter()
        .filter_map(|m| {
            Some(ModelInfo { id: m.id.filter(|id| !id.is_empty())?, owned_by: m.owned_by, created: m.created })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_a_batch_without_nulls() {
        let r = EmbeddingsRequest { model: "litellm:e".into(), inputs: vec!["a".into()], ..Default::default() };
        let b: Value = serde_json::from_slice(&embeddings_body(&r, "e").unwrap()).unwrap();
        assert_eq!(b, serde_json::json!({"model": "e", "input": ["a"]}));
        let empty = EmbeddingsRequest { inputs: vec![], ..r };
        assert!(matches!(embeddings_body(&empty, "e"), Err(Error::InvalidRequest(_))));
    }

    #[test]
    fn vectors_in_index_order_floats_or_base64() {
        let b64 =
            base64::engine::general_purpose::STANDARD.encode([1.5f32.to_le_bytes(), 2.0f32.to_le_bytes()].concat());
        let body = format!(
            r#"{{"data":[{{"index":1,"embedding":"{b64}"}},{{"index":0,"embedding":[0.25,1]}}],"model":"e3",
               "usage":{{"prompt_tokens":4,"total_tokens":4}}}}"#
        );
        let r = parse_embeddings(body.as_bytes(), 2, "asked", &Secrets::default()).unwrap();
        assert_eq!(r.embeddings, vec![vec![0.25, 1.0], vec![1.5, 2.0]]);
        assert_eq!((r.model.as_str(), r.usage), ("e3", Some(Usage { input_tokens: 4, ..Usage::default() })));
        for bad in
            [r#"{"data":[]}"#, r#"{"data":[{"embedding":["x"]}]}"#, r#"{"data":[{"embedding":"!!"}]}"#, "[", "{}"]
        {
            assert!(
                matches!(
                    parse_embeddings(bad.as_bytes(), 1, "m", &Secrets::default()),
                    Err(Error::MalformedResponse(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn models_tolerate_missing_fields() {
        let body =
            br#"{"object":"list","data":[{"id":"a","owned_by":"me","created":1},{"id":"b"},{"object":"model"}]}"#;
        let models = parse_models(body, &Secrets::default()).unwrap();
        assert_eq!(
            models,
            vec![
                ModelInfo { id: "a".into(), owned_by: Some("me".into()), created: Some(1) },
                ModelInfo { id: "b".into(), owned_by: None, created: None },
            ]
        );
        let e = parse_models(br#"{"error":{"message":"no","code":"401"}}"#, &Secrets::default()).unwrap_err();
        assert_eq!(e.kind(), "unauthorized");
    }
}
