//! `'GET https://host[:port]/path?query'` and `-H 'name: value'`.

/// A parsed request line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RequestLine {
    pub(crate) method: String,
    /// `http` or `https`.
    pub(crate) scheme: String,
    /// Host with the port when the URL has one (the Host header).
    pub(crate) authority: String,
    /// The host alone (no port, no brackets stripped).
    pub(crate) host: String,
    /// The URL's explicit port.
    pub(crate) port: Option<u16>,
    /// Path and query (`/` when the URL has no path); the fragment is dropped.
    pub(crate) path_and_query: String,
}

/// Parses `METHOD URL` (or a bare URL, meaning GET).
pub(crate) fn parse_request_line(line: &str) -> Result<RequestLine, String> {
    let mut words = line.split_whitespace();
    let (method, url) = match (words.next(), words.next(), words.next()) {
        (Some(url), None, _) if url.contains("://") => ("GET", url),
        (Some(method), Some(url), None) => (method, url),
        (None, ..) => {
            return Err("the request is empty; expected e.g. 'GET http://example.com/'".into())
        }
        _ => {
            return Err(format!(
                "expected 'METHOD URL', e.g. 'GET http://example.com/', got {line:?}"
            ))
        }
    };
    if !method
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(format!("{method:?} is not an HTTP method"));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "{url:?} is not an absolute URL; expected http://HOST/PATH or https://HOST/PATH"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!("unsupported scheme {scheme:?} (use http or https)"));
    }
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(split);
    // `user:pass@host`: userinfo is not part of the Host header.
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let (host, port) = split_host_port(authority)?;
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let path_and_query = match path_and_query {
        "" => "/".to_owned(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_owned(),
    };
    Ok(RequestLine {
        method: method.to_owned(),
        scheme,
        authority: authority.to_owned(),
        host: host.to_owned(),
        port,
        path_and_query,
    })
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), String> {
    let (host, port) = if authority.starts_with('[') {
        let Some(end) = authority.find(']') else {
            return Err(format!("unterminated IPv6 address in {authority:?}"));
        };
        let (host, rest) = authority.split_at(end + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if rest.is_empty() => (host, None),
            None => return Err(format!("unexpected {rest:?} after the IPv6 address")),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(format!("invalid port {p:?} (expected 1-65535)")),
            Ok(n) => Some(n),
        },
    };
    Ok((host, port))
}

/// Parses `-H 'name: value'`.
pub(crate) fn parse_header(header: &str) -> Result<(String, String), String> {
    let Some((name, value)) = header.split_once(':') else {
        return Err(format!(
            "header {header:?} has no ':'; expected 'name: value'"
        ));
    };
    let name = name.trim();
    if name.is_empty()
        || name
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(format!("invalid header name {name:?} in {header:?}"));
    }
    Ok((name.to_owned(), value.trim().to_owned()))
}

/// `--gateway NS/NAME` (a bare `NAME` means namespace `default`).
pub(crate) fn parse_gateway(value: &str) -> Result<(String, String), String> {
    let (ns, name) = value.split_once('/').unwrap_or(("default", value));
    if ns.is_empty() || name.is_empty() || name.contains('/') {
        return Err(format!(
            "invalid gateway {value:?}; expected NAMESPACE/NAME"
        ));
    }
    Ok((ns.to_owned(), name.to_owned()))
}

/// `--entropy`: a `u64`, or a fraction in `[0, 1)` mapped onto the `u64` range.
pub(crate) fn parse_entropy(value: &str) -> Result<u64, String> {
    if let Ok(n) = value.parse::<u64>() {
        return Ok(n);
    }
    match value.parse::<f64>() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 <= f < 1, so f * 2^64 fits")]
        Ok(f) if (0.0..1.0).contains(&f) => Ok((f * 18_446_744_073_709_551_616.0) as u64),
        _ => Err(format!("invalid entropy {value:?}; expected an integer 0..=18446744073709551615 or a fraction in [0, 1)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let r = parse_request_line("GET https://Orders.example.com:8443/a/b?x=1#frag").unwrap();
        assert_eq!(
            r,
            RequestLine {
                method: "GET".into(),
                scheme: "https".into(),
                authority: "Orders.example.com:8443".into(),
                host: "Orders.example.com".into(),
                port: Some(8443),
                path_and_query: "/a/b?x=1".into(),
            }
        );
        let r = parse_request_line("http://example.com").unwrap();
        assert_eq!(
            (r.method.as_str(), r.path_and_query.as_str(), r.port),
            ("GET", "/", None)
        );
        let r = parse_request_line("POST http://u:p@[::1]:81?q").unwrap();
        assert_eq!(
            (
                r.authority.as_str(),
                r.host.as_str(),
                r.port,
                r.path_and_query.as_str()
            ),
            ("[::1]:81", "[::1]", Some(81), "/?q")
        );
        for bad in [
            "",
            "GET",
            "GET /path",
            "GET ftp://x/",
            "GET http:///",
            "GET http://x:99999/",
            "G(T http://x/",
            "GET http://x/ extra",
            "GET http://[::1/",
        ] {
            assert!(parse_request_line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn headers_gateways_entropy() {
        assert_eq!(
            parse_header("X-A:  b: c ").unwrap(),
            ("X-A".into(), "b: c".into())
        );
        assert!(parse_header("novalue").is_err());
        assert!(parse_header(": v").is_err());
        assert_eq!(
            parse_gateway("infra/public").unwrap(),
            ("infra".into(), "public".into())
        );
        assert_eq!(
            parse_gateway("public").unwrap(),
            ("default".into(), "public".into())
        );
        assert!(parse_gateway("a/b/c").is_err());
        assert!(parse_gateway("/b").is_err());
        assert_eq!(parse_entropy("42").unwrap(), 42);
        assert_eq!(parse_entropy("0.5").unwrap(), 1 << 63);
        assert!(parse_entropy("1.0").is_err());
        assert!(parse_entropy("-1").is_err());
        assert!(parse_entropy("NaN").is_err());
    }
}
