//! Origins (`scheme://host:port`), the unit of a tenant's allowlist.

/// `scheme://host:port`, lower-cased, with the scheme's default port filled in; `None` for
/// anything that is not an absolute `http`/`https` URL.
pub fn origin_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.trim().parse().ok()?;
    origin_of_uri(&uri)
}

pub(crate) fn origin_of_uri(uri: &http::Uri) -> Option<String> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let port = uri.port_u16().or(match scheme.as_str() {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some(format!("{scheme}://{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(origin_of("http://127.0.0.1:4000/v1").as_deref(), Some("http://127.0.0.1:4000"));
        assert_eq!(origin_of("HTTPS://API.openai.com").as_deref(), Some("https://api.openai.com:443"));
        assert_eq!(origin_of("http://localhost").as_deref(), Some("http://localhost:80"));
        assert_eq!(origin_of("ftp://example.com"), None);
        assert_eq!(origin_of("not a url"), None);
    }
}
