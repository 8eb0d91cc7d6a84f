//! `litellm-bench-floor`: what a warm call costs with no work of the provider's own in it, for
//! the bench's decomposition (BENCHMARKS.md, "Where a call's cost goes").
//!
//! It exports the provider's contract, so that the host runs it exactly as it runs the provider
//! (the same store, tenant, connection pool and warm instances). Its `generate` makes the same
//! `wasi:http` calls as the provider's for one answer — the request with the provider's headers
//! and options, the body written in one piece, the head awaited, its headers read once, the body
//! read to its end — with a fixed request (`LITELLM_FLOOR_PATH` and `LITELLM_FLOOR_BODY`, which
//! the bench sets to the provider's own path and bytes and checks against them), and drops the
//! answer unparsed: no JSON, no retries, no deadlines. It is a measuring instrument, not a
//! provider: every other function of the contract answers `invalid-request`.
#![deny(missing_docs)]

/// The scheme and authority of a base URL (`http://host:port/…`); `None` for another scheme.
/// Its own, not the provider's endpoint parsing: linking the provider's rlib into this component
/// would link the provider's exports too, which clash with the floor's (the same world).
pub fn origin_of(base_url: &str) -> Option<(bool, &str)> {
    let (https, rest) = match base_url.split_once("://")? {
        ("http", rest) => (false, rest),
        ("https", rest) => (true, rest),
        _ => return None,
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    (!authority.is_empty()).then_some((https, authority))
}

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ world: "litellm-provider", path: "../../wit" });

    use exports::devsper::llm::provider::{self, GuestClient, GuestCompletionStream};
    use exports::devsper::llm::types as wit;
    use wasi::http::outgoing_handler;
    use wasi::http::types::{Fields, IncomingResponse, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme};
    use wasi::io::streams::StreamError;

    struct Floor;

    export!(Floor);

    impl provider::Guest for Floor {
        type Client = Client;
        type CompletionStream = Stream;
    }

    /// The fixed request, read once per instance.
    struct Client {
        https: bool,
        authority: String,
        path: String,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
        key: Option<String>,
    }

    /// Never made: `stream` is not part of the floor.
    struct Stream;

    fn not_measured(what: &str) -> wit::Error {
        wit::Error::InvalidRequest(format!("{what} is not part of the bench's floor"))
    }

    fn env(name: &str) -> Option<String> {
        wasi::cli::environment::get_environment().into_iter().find_map(|(k, v)| (k == name).then_some(v))
    }

    impl GuestClient for Client {
        fn open(config: wit::Config) -> Result<provider::Client, wit::Error> {
            let base = config.base_url.ok_or_else(|| not_measured("a config without base-url"))?;
            let (https, authority) = super::origin_of(&base).ok_or_else(|| not_measured("this base-url"))?;
            let path = env("LITELLM_FLOOR_PATH").ok_or_else(|| not_measured("a floor without LITELLM_FLOOR_PATH"))?;
            let body = env("LITELLM_FLOOR_BODY").ok_or_else(|| not_measured("a floor without LITELLM_FLOOR_BODY"))?;
            Ok(provider::Client::new(Client {
                https,
                authority: authority.to_string(),
                path,
                body: body.into_bytes(),
                headers: config.headers,
                key: config.api_key,
            }))
        }

        fn name(&self) -> String {
            "floor".to_string()
        }

        fn supports_model(&self, _model: String) -> bool {
            true
        }

        fn generate(&self, request: wit::Request) -> Result<wit::Response, wit::Error> {
            let transport = |what: &str| wit::Error::MalformedResponse(format!("floor: {what}"));
            let response = self.exchange().map_err(|e| transport(&e))?;
            let status = response.status();
            // The head read once, as the provider reads it for a 2xx answer.
            let fields = response.headers();
            let _ = (fields.get("content-length"), fields.get("content-type"));
            drop(fields);
            let incoming = response.consume().map_err(|_| transport("no body"))?;
            let stream = incoming.stream().map_err(|_| transport("no body stream"))?;
            let mut read = 0usize;
            let mut ready = None;
            loop {
                match stream.read(64 * 1024) {
                    Ok(bytes) if bytes.is_empty() => ready.get_or_insert_with(|| stream.subscribe()).block(),
                    Ok(bytes) => read += bytes.len(),
                    Err(StreamError::Closed) => break,
                    Err(StreamError::LastOperationFailed(e)) => return Err(transport(&e.to_debug_string())),
                }
            }
            drop(ready);
            drop(stream);
            if !(200..300).contains(&status) {
                return Err(transport(&format!("status {status}")));
            }
            Ok(wit::Response {
                // What was read, unparsed: only its length.
                content: read.to_string(),
                tool_calls: Vec::new(),
                usage: None,
                model: request.model,
                stop_reason: wit::StopReason::EndTurn,
                reasoning: None,
                refusal: None,
            })
        }

        fn stream(&self, _request: wit::Request) -> Result<provider::CompletionStream, wit::Error> {
            Err(not_measured("stream"))
        }

        fn embed(&self, _request: wit::EmbeddingsRequest) -> Result<wit::EmbeddingsResponse, wit::Error> {
            Err(not_measured("embed"))
        }

        fn list_models(&self) -> Result<Vec<wit::ModelInfo>, wit::Error> {
            Err(not_measured("list-models"))
        }
    }

    impl Client {
        /// The provider's calls for one request: headers, request, options, body, handle, head.
        fn exchange(&self) -> Result<IncomingResponse, String> {
            let mut headers: Vec<(String, Vec<u8>)> = vec![
                ("accept".into(), b"application/json".to_vec()),
                ("content-type".into(), b"application/json".to_vec()),
                ("content-length".into(), self.body.len().to_string().into_bytes()),
            ];
            if let Some(key) = &self.key {
                headers.push(("authorization".into(), format!("Bearer {key}").into_bytes()));
            }
            headers.extend(self.headers.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())));
            let fields = Fields::from_list(&headers).map_err(|_| "headers refused")?;
            let request = OutgoingRequest::new(fields);
            request.set_method(&Method::Post).map_err(|_| "method refused")?;
            let scheme = if self.https { Scheme::Https } else { Scheme::Http };
            request.set_scheme(Some(&scheme)).map_err(|_| "scheme refused")?;
            request.set_authority(Some(&self.authority)).map_err(|_| "authority refused")?;
            request.set_path_with_query(Some(&self.path)).map_err(|_| "path refused")?;
            let options = RequestOptions::new();
            let _ = options.set_connect_timeout(Some(10_000_000_000));
            let _ = options.set_first_byte_timeout(Some(60_000_000_000));
            let _ = options.set_between_bytes_timeout(Some(30_000_000_000));
            let outgoing = request.body().map_err(|_| "body refused")?;
            let future = outgoing_handler::handle(request, Some(options)).map_err(|e| format!("{e:?}"))?;
            if let Ok(stream) = outgoing.write() {
                for piece in self.body.chunks(4096) {
                    if stream.blocking_write_and_flush(piece).is_err() {
                        break;
                    }
                }
            }
            let _ = OutgoingBody::finish(outgoing, None);
            future.subscribe().block();
            match future.get() {
                Some(Ok(Ok(response))) => Ok(response),
                Some(Ok(Err(code))) => Err(format!("{code:?}")),
                _ => Err("no response".to_string()),
            }
        }
    }

    impl GuestCompletionStream for Stream {
        fn next(&self) -> Result<Option<wit::StreamEvent>, wit::Error> {
            Err(not_measured("stream"))
        }

        fn next_batch(&self, _max: u32) -> Result<Vec<wit::StreamEvent>, wit::Error> {
            Err(not_measured("stream"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_of_base_urls() {
        assert_eq!(origin_of("http://127.0.0.1:4000"), Some((false, "127.0.0.1:4000")));
        assert_eq!(origin_of("https://api.example.com/v1"), Some((true, "api.example.com")));
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("http://"), None);
    }
}
