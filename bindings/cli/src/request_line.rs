//! The request argument of `gatewright route`: `'GET https://host[:port]/path?query'`,
//! `grpc://host/pkg.Service/Method`, `tls://host:port`, `tcp://:port`,
//! `udp://:port`; `-H 'name: value'`; and the Service a mesh request calls
//! (`--mesh-from`, `--mesh-to`).

/// What `gatewright route` routes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// An HTTP request (a gRPC call is an HTTP/2 POST).
    Http(RequestLine),
    /// A TCP connection (plain or TLS) or a UDP flow.
    Connection(ConnectionLine),
}

/// A parsed request line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RequestLine {
    pub(crate) method: String,
    /// `http` or `https` (`grpc` and `grpcs` map to these).
    pub(crate) scheme: String,
    /// Host with the port when the URL has one (the Host header).
    pub(crate) authority: String,
    /// The host alone (no port, no brackets stripped).
    pub(crate) host: String,
    /// The URL's explicit port.
    pub(crate) port: Option<u16>,
    /// Path and query (`/` when the URL has no path); the fragment is dropped.
    pub(crate) path_and_query: String,
    /// A gRPC call (`grpc://`, `grpcs://`): POST with `content-type: application/grpc`.
    pub(crate) grpc: bool,
}

/// The transport of a [`ConnectionLine`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// `tcp://`.
    Tcp,
    /// `tls://`: TCP with a TLS ClientHello carrying the host as SNI.
    Tls,
    /// `udp://`.
    Udp,
}

/// A parsed `tls://`, `tcp://` or `udp://` URL.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ConnectionLine {
    pub(crate) transport: Transport,
    /// The host (the SNI for `tls://`; informational otherwise).
    pub(crate) host: Option<String>,
    /// The port connected to.
    pub(crate) port: u16,
}

const EXAMPLES: &str = "expected e.g. 'GET http://example.com/', \
     'grpc://example.com/pkg.Service/Method', 'tls://example.com:443' or 'tcp://:5432'";

/// Parses `METHOD URL`, or a bare URL (GET for http/https; `grpc://`,
/// `grpcs://`, `tls://`, `tcp://` and `udp://` take no method).
pub(crate) fn parse_target(line: &str) -> Result<Target, String> {
    let mut words = line.split_whitespace();
    let (method, url) = match (words.next(), words.next(), words.next()) {
        (Some(url), None, _) if url.contains("://") => (None, url),
        (Some(method), Some(url), None) => (Some(method), url),
        (None, ..) => return Err(format!("the request is empty; {EXAMPLES}")),
        _ => {
            return Err(format!(
                "expected 'METHOD URL' or a URL, got {line:?}; {EXAMPLES}"
            ))
        }
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "{url:?} is not an absolute URL; expected http://HOST/PATH, https://HOST/PATH, \
             grpc://HOST/SERVICE/METHOD, grpcs://..., tls://HOST:PORT, tcp://:PORT or udp://:PORT"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" => {
            parse_http(method.unwrap_or("GET"), url, &scheme, rest).map(Target::Http)
        }
        "grpc" | "grpcs" => {
            if let Some(m) = method.filter(|m| *m != "POST") {
                return Err(format!(
                    "a gRPC call is a POST; drop {m:?} (write just {url:?})"
                ));
            }
            parse_grpc(url, &scheme, rest).map(Target::Http)
        }
        "tls" | "tcp" | "udp" => {
            if let Some(m) = method {
                return Err(format!(
                    "a {scheme}:// connection has no method; drop {m:?} (write just {url:?})"
                ));
            }
            parse_connection(url, &scheme, rest).map(Target::Connection)
        }
        _ => Err(format!(
            "unsupported scheme {scheme:?} (use http, https, grpc, grpcs, tls, tcp or udp)"
        )),
    }
}

/// Parses `METHOD URL` (or a bare URL, meaning GET) with an http or https URL.
#[cfg(test)]
pub(crate) fn parse_request_line(line: &str) -> Result<RequestLine, String> {
    match parse_target(line)? {
        Target::Http(r) if !r.grpc => Ok(r),
        _ => Err(format!("{line:?} is not an http(s) request")),
    }
}

fn parse_http(method: &str, url: &str, scheme: &str, rest: &str) -> Result<RequestLine, String> {
    if !method
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        return Err(format!("{method:?} is not an HTTP method"));
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
        scheme: scheme.to_owned(),
        authority: authority.to_owned(),
        host: host.to_owned(),
        port,
        path_and_query,
        grpc: false,
    })
}

/// `grpc://host[:port]/pkg.Service/Method`: an HTTP/2 POST to `/pkg.Service/Method`.
fn parse_grpc(url: &str, scheme: &str, rest: &str) -> Result<RequestLine, String> {
    let http_scheme = if scheme == "grpcs" { "https" } else { "http" };
    let mut line = parse_http("POST", url, http_scheme, rest)?;
    let bad = || {
        format!("{url:?} is not a gRPC method; expected {scheme}://HOST[:PORT]/SERVICE/METHOD, e.g. {scheme}://example.com/pkg.Service/Method")
    };
    if line.path_and_query.contains('?') || rest.contains('#') {
        return Err(bad());
    }
    let Some((service, method)) = line.path_and_query[1..].split_once('/') else {
        return Err(bad());
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    if !valid(service) || !valid(method) {
        return Err(bad());
    }
    line.grpc = true;
    Ok(line)
}

/// `tls://host[:port]` (port 443 by default), `tcp://[host]:port`, `udp://[host]:port`.
fn parse_connection(url: &str, scheme: &str, rest: &str) -> Result<ConnectionLine, String> {
    let transport = match scheme {
        "tls" => Transport::Tls,
        "tcp" => Transport::Tcp,
        _ => Transport::Udp,
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    let usage = if transport == Transport::Tls {
        "tls://HOST[:PORT]"
    } else {
        "tcp://[HOST]:PORT or udp://[HOST]:PORT"
    };
    if authority.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "{url:?}: a connection URL has only a host and a port; expected {usage}"
        ));
    }
    let (host, port) = split_host_port(authority)?;
    let port = match (port, transport) {
        (Some(p), _) => p,
        (None, Transport::Tls) => 443,
        (None, _) => {
            return Err(format!(
                "{url:?} has no port; expected {usage}, e.g. {scheme}://:5432"
            ))
        }
    };
    if transport == Transport::Tls && host.is_empty() {
        return Err(format!(
            "{url:?} has no host; the host is the TLS SNI, e.g. tls://db.example.com:443"
        ));
    }
    Ok(ConnectionLine {
        transport,
        host: (!host.is_empty()).then(|| host.to_owned()),
        port,
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

/// The Service a mesh (GAMMA) request calls: `namespace/name:port`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MeshTarget {
    pub(crate) namespace: String,
    pub(crate) service: String,
    pub(crate) port: u16,
}

/// `--mesh-to NS/NAME[:PORT]`: the Service called, when the URL host (the Host
/// header) does not name it. Without a port, the URL's port or the scheme's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MeshTo {
    pub(crate) namespace: String,
    pub(crate) service: String,
    pub(crate) port: Option<u16>,
}

/// A DNS-1123 label: what a Kubernetes namespace or Service name is.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// `--mesh-from NS`: the namespace of the calling workload.
pub(crate) fn parse_namespace(value: &str) -> Result<String, String> {
    if is_label(value) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "invalid namespace {value:?}; expected a lowercase DNS label such as `frontend`"
        ))
    }
}

/// `--mesh-to NS/NAME[:PORT]`.
pub(crate) fn parse_mesh_to(value: &str) -> Result<MeshTo, String> {
    let bad = || {
        format!("invalid Service {value:?}; expected NAMESPACE/NAME[:PORT], e.g. shop/checkout:80")
    };
    let (ns, rest) = value.split_once('/').ok_or_else(bad)?;
    let (name, port) = match rest.split_once(':') {
        Some((name, port)) => match port.parse::<u16>() {
            Ok(p) if p > 0 => (name, Some(p)),
            _ => {
                return Err(format!(
                    "invalid port {port:?} in {value:?} (expected 1-65535)"
                ))
            }
        },
        None => (rest, None),
    };
    if !is_label(ns) || !is_label(name) {
        return Err(bad());
    }
    Ok(MeshTo {
        namespace: ns.to_owned(),
        service: name.to_owned(),
        port,
    })
}

/// The Service a mesh request calls. `to` (from `--mesh-to`) wins; otherwise the
/// URL host names it: `SERVICE[.NAMESPACE[.svc[.CLUSTER-DOMAIN]]]`, namespace
/// `from` when the host has none. The port is `to`'s, else the URL's, else 80
/// for http and 443 for https; a gRPC call must name its port.
pub(crate) fn mesh_target(
    line: &RequestLine,
    from: &str,
    to: Option<&MeshTo>,
) -> Result<MeshTarget, String> {
    let port = match (to.and_then(|t| t.port), line.port) {
        (Some(p), _) | (None, Some(p)) => p,
        (None, None) if line.grpc => {
            return Err(format!(
                "a mesh gRPC call needs the Service port: write it in the URL, e.g. \
                 grpc://{}:9090{}, or pass --mesh-to NS/NAME:PORT",
                line.host, line.path_and_query
            ))
        }
        (None, None) if line.scheme == "https" => 443,
        (None, None) => 80,
    };
    if let Some(to) = to {
        return Ok(MeshTarget {
            namespace: to.namespace.clone(),
            service: to.service.clone(),
            port,
        });
    }
    let host = line.host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    let labels: Vec<&str> = host.split('.').collect();
    let (service, namespace) = match labels[..] {
        [service] => (service, from),
        [service, namespace] => (service, namespace),
        [service, namespace, "svc", ..] => (service, namespace),
        _ => ("", ""),
    };
    if !is_label(service) || !is_label(namespace) {
        return Err(format!(
            "{:?} does not name a Service; expected SERVICE[.NAMESPACE[.svc[.cluster.local]]] \
             (e.g. checkout.shop), or pass --mesh-to NS/NAME:PORT to name the Service called",
            line.host
        ));
    }
    Ok(MeshTarget {
        namespace: namespace.to_owned(),
        service: service.to_owned(),
        port,
    })
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
                grpc: false,
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
    fn grpc_and_connection_targets() {
        let Target::Http(r) = parse_target("grpcs://grpc.example.com:8443/shop.Cart/Get").unwrap()
        else {
            panic!("not HTTP")
        };
        assert_eq!(
            r,
            RequestLine {
                method: "POST".into(),
                scheme: "https".into(),
                authority: "grpc.example.com:8443".into(),
                host: "grpc.example.com".into(),
                port: Some(8443),
                path_and_query: "/shop.Cart/Get".into(),
                grpc: true,
            }
        );
        let Target::Http(r) = parse_target("POST grpc://g/a.B/C").unwrap() else {
            panic!("not HTTP")
        };
        assert_eq!((r.scheme.as_str(), r.port, r.grpc), ("http", None, true));
        assert_eq!(
            parse_target("tls://db.example.com").unwrap(),
            Target::Connection(ConnectionLine {
                transport: Transport::Tls,
                host: Some("db.example.com".into()),
                port: 443,
            })
        );
        assert_eq!(
            parse_target("tcp://:5432").unwrap(),
            Target::Connection(ConnectionLine {
                transport: Transport::Tcp,
                host: None,
                port: 5432,
            })
        );
        assert_eq!(
            parse_target("UDP://dns.example.com:53/").unwrap(),
            Target::Connection(ConnectionLine {
                transport: Transport::Udp,
                host: Some("dns.example.com".into()),
                port: 53,
            })
        );
        for bad in [
            "grpc://g",
            "grpc://g/",
            "grpc://g/svc",
            "grpc://g/svc/",
            "grpc://g//M",
            "grpc://g/a/b/c",
            "grpc://g/a.B/C?x=1",
            "grpc:///a.B/C",
            "GET grpc://g/a.B/C",
            "tls://:443",
            "tls://db.example.com:0",
            "tls://db.example.com:443/path",
            "tcp://db",
            "tcp://",
            "udp://:99999",
            "CONNECT tcp://:5432",
            "tcp://u@h:1",
            "quic://h:443",
        ] {
            assert!(parse_target(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mesh_targets() {
        let target = |line: &str, to: Option<&str>| {
            let Target::Http(line) = parse_target(line).unwrap() else {
                panic!("not HTTP")
            };
            let to = to.map(|t| parse_mesh_to(t).unwrap());
            mesh_target(&line, "frontend", to.as_ref())
                .map(|t| format!("{}/{}:{}", t.namespace, t.service, t.port))
        };
        let ok = |line: &str| target(line, None).unwrap();
        assert_eq!(ok("http://checkout/"), "frontend/checkout:80");
        assert_eq!(ok("http://checkout.shop/"), "shop/checkout:80");
        assert_eq!(ok("https://checkout.shop.svc/"), "shop/checkout:443");
        assert_eq!(
            ok("http://Checkout.shop.svc.cluster.local.:8080/x"),
            "shop/checkout:8080"
        );
        assert_eq!(
            ok("grpc://checkout.shop.svc.corp.example:9090/a.B/C"),
            "shop/checkout:9090"
        );
        assert!(target("grpc://checkout.shop/a.B/C", None).is_err());
        assert_eq!(
            target("grpc://checkout.shop/a.B/C", Some("shop/checkout:9090")).unwrap(),
            "shop/checkout:9090"
        );
        assert_eq!(
            target("http://api.example.com:8080/", Some("shop/checkout")).unwrap(),
            "shop/checkout:8080"
        );
        for bad in [
            "http://10.0.0.1/",
            "http://[::1]/",
            "http://a.b.c/",
            "http://checkout_v1/",
            "http://checkout..svc/",
        ] {
            assert!(target(bad, None).is_err(), "{bad:?}");
        }
        for bad in [
            "checkout",
            "shop/",
            "/checkout",
            "shop/checkout:0",
            "shop/checkout:x",
            "Shop/checkout",
            "a/b/c",
        ] {
            assert!(parse_mesh_to(bad).is_err(), "{bad:?}");
        }
        assert!(parse_namespace("frontend").is_ok());
        assert!(parse_namespace("Front end").is_err());
        assert!(parse_namespace("").is_err());
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
