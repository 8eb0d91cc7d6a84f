//! The endpoint a base URL names: scheme, authority and a path prefix, tolerant of a trailing
//! `/` or `/v1`.

use crate::domain::Error;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

/// Where requests go: `{scheme}://{authority}{path_prefix}/v1/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// `host[:port]`.
    pub authority: String,
    /// Empty, or a path starting with `/` and not ending with `/`; one trailing `/v1` is removed.
    pub path_prefix: String,
}

/// A base URL as an error may show it: without its query and fragment, and with everything from
/// the scheme up to its last `@` (a userinfo's name and password, in any spelling) replaced by
/// `…`, so that `https://svc:S3cret@host` shows as `https://…@host`.
pub fn shown_url(base_url: &str) -> String {
    let head = base_url.trim().split(['?', '#']).next().unwrap_or("");
    match head.rfind('@') {
        Some(at) => {
            let scheme = head.find("://").map_or(0, |i| i + 3).min(at);
            format!("{}…{}", &head[..scheme], &head[at..])
        }
        None => head.to_owned(),
    }
}

impl Endpoint {
    /// Parses a base URL, tolerating a trailing `/` and a trailing `/v1`.
    pub fn parse(base_url: &str) -> Result<Self, Error> {
        // Only the scheme, host and path are echoed: a rejected URL may hold a credential in its
        // userinfo or query, and the message reaches logs and, through a gateway, its clients.
        let shown: String = shown_url(base_url).chars().take(100).collect();
        let invalid = |why: &str| crate::errors::invalid(format!("base URL {shown:?}…: {why}"));
        let trimmed = base_url.trim();
        let (scheme, rest) = if let Some(rest) = strip_prefix_ignore_case(trimmed, "http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = strip_prefix_ignore_case(trimmed, "https://") {
            (Scheme::Https, rest)
        } else {
            return Err(invalid("must start with http:// or https://"));
        };
        if rest.contains(['?', '#']) {
            return Err(invalid("must not have a query or fragment"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
            return Err(invalid("needs a host (user info is not supported)"));
        }
        let mut path = path.trim_end_matches('/');
        if let Some(without) = path.strip_suffix("/v1") {
            path = without.trim_end_matches('/');
        }
        Ok(Self { scheme, authority: authority.to_string(), path_prefix: path.to_string() })
    }

    /// The path and query of an API route, e.g. `route("chat/completions")`.
    pub fn path(&self, route: &str) -> String {
        format!("{}/v1/{route}", self.path_prefix)
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_forms() {
        for (url, prefix) in [
            ("http://localhost:4000", ""),
            ("http://localhost:4000/", ""),
            ("http://localhost:4000/v1", ""),
            ("http://localhost:4000/v1/", ""),
            ("HTTP://localhost:4000/proxy/v1", "/proxy"),
            ("http://localhost:4000/proxy/", "/proxy"),
        ] {
            let e = Endpoint::parse(url).unwrap();
            assert_eq!(e.authority, "localhost:4000", "{url}");
            assert_eq!(e.path_prefix, prefix, "{url}");
            assert_eq!(e.path("chat/completions"), format!("{prefix}/v1/chat/completions"));
        }
        assert_eq!(Endpoint::parse("https://api.openai.com").unwrap().scheme, Scheme::Https);
        for bad in ["localhost:4000", "ftp://x", "http://", "http:///v1", "http://a?b", "http://u:p@h", "héllo"] {
            assert!(matches!(Endpoint::parse(bad), Err(Error::InvalidRequest(_))), "{bad}");
        }
    }

    #[test]
    fn a_userinfo_password_is_never_in_the_error() {
        for url in [
            "https://svc:S3cret@host",
            "https://svc:S3cret@host/v1?k=S3cret",
            "http://S3cret@h",
            "https://a@S3cret@host",
        ] {
            let Err(Error::InvalidRequest(message)) = Endpoint::parse(url) else { panic!("{url} must be refused") };
            assert!(!message.contains("S3cret"), "{url}: {message}");
            assert!(message.contains("…@"), "{url}: {message}");
        }
        assert_eq!(shown_url("https://svc:S3cret@host/p?q"), "https://…@host/p");
        assert_eq!(shown_url("svc:S3cret@host"), "…@host");
        assert_eq!(shown_url("https://host/v1"), "https://host/v1");
    }
}
