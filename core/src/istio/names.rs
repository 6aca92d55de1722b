//! Istio name resolution: short names, gateway names, `exportTo`, and host
//! intersection. Sources: istio/istio `pilot/pkg/model/config.go`
//! (`ResolveShortnameToFQDN`, `resolveGatewayName`), `pkg/config/host/names.go`
//! (`Intersection`), `pilot/pkg/model/push_context.go` (`initVirtualServices`).

/// The cluster DNS suffix Istio appends to short names.
pub(crate) const DOMAIN_SUFFIX: &str = "cluster.local";

/// `ResolveShortnameToFQDN` (model/config.go): a name without a dot gets
/// `.<namespace>.svc.cluster.local`; anything with a dot, `*`, and IPs stay as written.
pub(crate) fn resolve_short_name(host: &str, namespace: &str) -> String {
    let host = host.to_ascii_lowercase();
    if host == "*" || host.contains('.') || host.contains(':') || host.is_empty() {
        return host;
    }
    format!("{host}.{namespace}.svc.{DOMAIN_SUFFIX}")
}

/// `resolveGatewayName` (model/config.go): `mesh` stays; `name` and `./name` are in the
/// VirtualService's namespace; `ns/name` as written; the legacy `name.ns[.svc.cluster.local]`
/// form becomes `ns/name`.
pub(crate) fn resolve_gateway_name(gateway: &str, namespace: &str) -> String {
    if gateway == "mesh" {
        return gateway.to_owned();
    }
    if let Some(name) = gateway.strip_prefix("./") {
        return format!("{namespace}/{name}");
    }
    if gateway.contains('/') {
        return gateway.to_owned();
    }
    match gateway.split_once('.') {
        Some((name, rest)) => {
            let ns = rest.split('.').next().unwrap_or(rest);
            format!("{ns}/{name}")
        }
        None => format!("{namespace}/{gateway}"),
    }
}

/// `exportTo` visibility (push_context.go): missing or empty = `*`; `.` = own
/// namespace; `~` = nobody; otherwise namespace names.
pub(crate) fn visible_to(export_to: &[String], own_namespace: &str, viewer: &str) -> bool {
    if export_to.is_empty() {
        return true;
    }
    export_to.iter().any(|e| match e.as_str() {
        "*" => true,
        "~" => false,
        "." => own_namespace == viewer,
        ns => ns == viewer,
    })
}

/// Whether a host pattern (`*`, `*.suffix`, or exact; lower-case) matches a concrete name.
/// Envoy domain matching: `*.example.com` matches `a.example.com` and `a.b.example.com`,
/// never `example.com`.
pub(crate) fn host_matches(pattern: &str, host: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) => host.len() > suffix.len() && host.ends_with(suffix),
        None => pattern == host,
    }
}

/// `Names.Intersection` (names.go): for two host patterns, the more specific of the
/// pair when one covers the other, else `None`.
pub(crate) fn intersect(a: &str, b: &str) -> Option<String> {
    if a == b {
        return Some(a.to_owned());
    }
    let covers = |wide: &str, narrow: &str| -> bool {
        if wide == "*" {
            return true;
        }
        match (wide.strip_prefix('*'), narrow.strip_prefix('*')) {
            (Some(ws), Some(ns)) => ns.len() >= ws.len() && ns.ends_with(ws),
            (Some(_), None) => host_matches(wide, narrow),
            (None, _) => false,
        }
    };
    if covers(a, b) {
        Some(b.to_owned())
    } else if covers(b, a) {
        Some(a.to_owned())
    } else {
        None
    }
}

/// How specific a host pattern is, for "exact, then longest suffix, then `*`":
/// larger is more specific.
pub(crate) fn specificity(pattern: &str) -> (u8, usize) {
    if pattern == "*" {
        (0, 0)
    } else if pattern.starts_with('*') {
        (1, pattern.len())
    } else {
        (2, pattern.len())
    }
}

/// Splits a Gateway server host `ns/host` (`sanitizeServerHostNamespace`,
/// model/gateway.go): no prefix or `*/` = any namespace, `./` = the Gateway's.
pub(crate) fn server_host(entry: &str, gateway_namespace: &str) -> (Option<String>, String) {
    match entry.split_once('/') {
        Some(("*", host)) => (None, host.to_ascii_lowercase()),
        Some((".", host)) => (
            Some(gateway_namespace.to_owned()),
            host.to_ascii_lowercase(),
        ),
        Some((ns, host)) => (Some(ns.to_owned()), host.to_ascii_lowercase()),
        None => (None, entry.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_resolve_against_the_vs_namespace() {
        assert_eq!(
            resolve_short_name("reviews", "bookinfo"),
            "reviews.bookinfo.svc.cluster.local"
        );
        assert_eq!(
            resolve_short_name("reviews.other", "bookinfo"),
            "reviews.other"
        );
        assert_eq!(resolve_short_name("*", "bookinfo"), "*");
    }

    #[test]
    fn gateway_names() {
        assert_eq!(resolve_gateway_name("gw", "apps"), "apps/gw");
        assert_eq!(resolve_gateway_name("./gw", "apps"), "apps/gw");
        assert_eq!(
            resolve_gateway_name("istio-system/gw", "apps"),
            "istio-system/gw"
        );
        assert_eq!(
            resolve_gateway_name("gw.istio-system.svc.cluster.local", "apps"),
            "istio-system/gw"
        );
        assert_eq!(resolve_gateway_name("mesh", "apps"), "mesh");
    }

    #[test]
    fn intersection_keeps_the_more_specific() {
        assert_eq!(
            intersect("*.example.com", "api.example.com").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(
            intersect("api.example.com", "*.example.com").as_deref(),
            Some("api.example.com")
        );
        assert_eq!(intersect("*", "*.org").as_deref(), Some("*.org"));
        assert_eq!(
            intersect("*.foo.example.com", "*.example.com").as_deref(),
            Some("*.foo.example.com")
        );
        assert_eq!(intersect("a.com", "b.com"), None);
        assert_eq!(intersect("*.example.com", "example.com"), None);
    }
}
