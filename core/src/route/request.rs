//! The request as the router sees it: borrowed, never copied.

/// An HTTP request entering a Gateway.
///
/// Everything is borrowed from the caller. The entry point (which Gateway, which
/// port) defaults to the only Gateway and the scheme's default port.
///
/// ```
/// use gatewright::Request;
/// let headers = [("x-release-track", "canary")];
/// let req = Request::new("GET", "shop.example.com:8080", "/cart/42?view=full")
///     .headers(&headers)
///     .gateway("infra", "public");
/// assert_eq!(req.host(), "shop.example.com");
/// assert_eq!(req.path(), "/cart/42");
/// assert_eq!(req.query(), Some("view=full"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) scheme: &'a str,
    pub(crate) authority: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a [(&'a str, &'a str)],
    pub(crate) sni: Option<&'a str>,
    pub(crate) gateway: Option<(&'a str, &'a str)>,
    pub(crate) port: Option<u16>,
    pub(crate) listener: Option<&'a str>,
    pub(crate) mesh: Option<MeshEntry<'a>>,
    pub(crate) workload: Option<crate::istio::Workload<'a>>,
}

/// Where an east-west (mesh) request goes: a client in `from_namespace` called a
/// Service port (its cluster IP), so GAMMA routes attached to that Service apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeshEntry<'a> {
    /// Namespace of the calling workload (consumer routes apply to it).
    pub from_namespace: &'a str,
    /// Namespace of the Service called.
    pub service_namespace: &'a str,
    /// Name of the Service called.
    pub service: &'a str,
    /// Port dialled.
    pub port: u16,
}

impl<'a> Request<'a> {
    /// A request with a method, an authority (Host header, may carry a port) and
    /// a path with an optional `?query`. Scheme `http`, no headers.
    pub fn new(method: &'a str, authority: &'a str, path_and_query: &'a str) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        Request {
            method,
            scheme: "http",
            authority,
            path: if path.is_empty() { "/" } else { path },
            query,
            headers: &[],
            sni: None,
            gateway: None,
            port: None,
            listener: None,
            mesh: None,
            workload: None,
        }
    }

    /// Sets the request headers (name, value); names are compared case-insensitively.
    #[must_use]
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// Sets the scheme (`http` or `https`).
    #[must_use]
    pub fn scheme(mut self, scheme: &'a str) -> Self {
        self.scheme = scheme;
        self
    }

    /// Sets the TLS SNI of the connection (HTTPS listeners select on it).
    #[must_use]
    pub fn sni(mut self, sni: &'a str) -> Self {
        self.sni = Some(sni);
        self
    }

    /// Sets the Gateway the client connected to.
    #[must_use]
    pub fn gateway(mut self, namespace: &'a str, name: &'a str) -> Self {
        self.gateway = Some((namespace, name));
        self
    }

    /// Enters the Gateway synthesized for an IngressClass (`IngressClass/<name>`,
    /// see [`INGRESS_CLASS_NAMESPACE`](crate::INGRESS_CLASS_NAMESPACE)).
    ///
    /// ```
    /// let req = gatewright::Request::new("GET", "a.example.com", "/").ingress_class("nginx");
    /// assert_eq!(req.get_gateway(), Some(("IngressClass", "nginx")));
    /// ```
    #[must_use]
    pub fn ingress_class(self, name: &'a str) -> Self {
        self.gateway(crate::ir::INGRESS_CLASS_NAMESPACE, name)
    }

    /// Sets the port the client connected to (default: 443 for https, else 80,
    /// or the port in the authority).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Restricts the lookup to the named listener (its port is used).
    #[must_use]
    pub fn listener(mut self, name: &'a str) -> Self {
        self.listener = Some(name);
        self
    }

    /// Makes this a mesh request: a workload in `from_namespace` called Service
    /// `service_namespace/service` on `port` (routing follows the Service, not the Host header).
    ///
    /// ```
    /// use gatewright::Request;
    /// let req = Request::new("GET", "checkout", "/").mesh("shop", "shop", "checkout", 80);
    /// assert_eq!(req.get_mesh().unwrap().service, "checkout");
    /// ```
    #[must_use]
    pub fn mesh(
        mut self,
        from_namespace: &'a str,
        service_namespace: &'a str,
        service: &'a str,
        port: u16,
    ) -> Self {
        self.mesh = Some(MeshEntry {
            from_namespace,
            service_namespace,
            service,
            port,
        });
        self
    }

    /// An Istio sidecar request: sent by a workload in `namespace` with these pod
    /// labels, to the Host of the request on [`Request::port`] (the Service port
    /// called). The VirtualService is chosen as the client's sidecar would.
    ///
    /// ```
    /// let labels = [("app", "productpage")];
    /// let r = gatewright::Request::new("GET", "reviews", "/")
    ///     .port(9080)
    ///     .workload("bookinfo", &labels);
    /// assert_eq!(r.get_workload().unwrap().namespace, "bookinfo");
    /// ```
    #[must_use]
    pub fn workload(mut self, namespace: &'a str, labels: &'a [(&'a str, &'a str)]) -> Self {
        self.workload = Some(crate::istio::Workload { namespace, labels });
        self
    }

    /// The calling workload of an Istio sidecar request.
    pub fn get_workload(&self) -> Option<crate::istio::Workload<'a>> {
        self.workload
    }

    /// The mesh entry, if this is a mesh request.
    pub fn get_mesh(&self) -> Option<MeshEntry<'a>> {
        self.mesh
    }

    /// The method.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The scheme.
    pub fn get_scheme(&self) -> &'a str {
        self.scheme
    }

    /// The authority as given (may include a port).
    pub fn authority(&self) -> &'a str {
        self.authority
    }

    /// The host: the authority without port and trailing dot. Hostname matching
    /// "MUST ignore any port value specified in the HTTP Host header"
    /// (`HTTPRouteSpec.Hostnames`). Case is folded by the router when comparing.
    pub fn host(&self) -> &'a str {
        self.host_and_port().0
    }

    /// The host (as [`Request::host`]) and the port written in the authority,
    /// found in one pass.
    pub(crate) fn host_and_port(&self) -> (&'a str, Option<u16>) {
        let a = self.authority;
        let (host, port) = if a.starts_with('[') {
            // IPv6 literal: keep the brackets, drop the port.
            match a.find(']') {
                Some(end) => (&a[..=end], a[end + 1..].strip_prefix(':')),
                None => (a, None),
            }
        } else {
            // Byte-wise: a `:` byte is always a char boundary in UTF-8.
            match a.bytes().rposition(|b| b == b':') {
                Some(i) if a.as_bytes()[i + 1..].iter().all(u8::is_ascii_digit) => {
                    (&a[..i], Some(&a[i + 1..]))
                }
                _ => (a, None),
            }
        };
        (
            host.strip_suffix('.').unwrap_or(host),
            port.and_then(|p| p.parse().ok()),
        )
    }

    /// The path without the query.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// The headers.
    pub fn get_headers(&self) -> &'a [(&'a str, &'a str)] {
        self.headers
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// The first value of a query parameter (exact name, no decoding). "If multiple
    /// entries specify equivalent query param names, only the first entry ... should be
    /// considered" and implementations should match the first value (`HTTPQueryParamMatch`).
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        self.query?.split('&').find_map(|pair| {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            (n == name).then_some(v)
        })
    }

    /// The TLS SNI, if set with [`Request::sni`].
    pub fn get_sni(&self) -> Option<&'a str> {
        self.sni
    }

    /// The Gateway `(namespace, name)`, if set with [`Request::gateway`].
    pub fn get_gateway(&self) -> Option<(&'a str, &'a str)> {
        self.gateway
    }

    /// The port, if set with [`Request::port`] (see [`Request::port`] for the default).
    pub fn get_port(&self) -> Option<u16> {
        self.port
    }

    /// The listener name, if set with [`Request::listener`].
    pub fn get_listener(&self) -> Option<&'a str> {
        self.listener
    }

    /// The port the client connected to, given the port written in the authority.
    pub(crate) fn entry_port(&self, authority_port: Option<u16>) -> u16 {
        if let Some(p) = self.port.or(authority_port) {
            return p;
        }
        if self.scheme.eq_ignore_ascii_case("https") {
            443
        } else {
            80
        }
    }
}
