//! Listener × route hostname intersection and listener hostname specificity.
//!
//! Source: `apis/v1/httproute_types.go`, `HTTPRouteSpec.Hostnames` (v1.6, 62–118):
//! a route without hostnames takes the listener's; a listener without hostname
//! accepts every route hostname; otherwise only intersecting pairs count, with
//! wildcards matching symmetrically (`*.example.com` and `test.example.com`
//! intersect as `test.example.com`).

use crate::ir::HostMatch;

/// The hostnames a route serves on a listener: the intersection of the two
/// lists, most specific form of each pair, deduplicated, in route order.
pub(crate) fn intersect(listener: Option<&str>, route_hostnames: &[String]) -> Vec<HostMatch> {
    let listener = HostMatch::parse(listener);
    if route_hostnames.is_empty() {
        return vec![listener];
    }
    let mut out = Vec::new();
    for h in route_hostnames {
        let route = HostMatch::parse(Some(&h.to_ascii_lowercase()));
        if let Some(m) = intersect_one(&listener, &route) {
            if !out.contains(&m) {
                out.push(m);
            }
        }
    }
    out
}

/// Whether two hostname patterns share at least one host.
pub(crate) fn hosts_intersect(a: &HostMatch, b: &HostMatch) -> bool {
    intersect_one(a, b).is_some()
}

fn intersect_one(listener: &HostMatch, route: &HostMatch) -> Option<HostMatch> {
    use HostMatch::{Any, Exact, SingleLabel, Wildcard};
    match (listener, route) {
        (Any, r) => Some(r.clone()),
        (l, Any) => Some(l.clone()),
        (Exact(l), Exact(r)) => (l == r).then(|| route.clone()),
        (Wildcard(_) | SingleLabel(_), Exact(r)) => listener.matches(r).then(|| route.clone()),
        (Exact(l), Wildcard(_) | SingleLabel(_)) => route.matches(l).then(|| listener.clone()),
        // Ingress one-label wildcards (only Ingress classes carry them): `*.a.b` (one
        // label) lies inside `*.b` (any labels) when its suffix ends with the other's.
        (Wildcard(w), SingleLabel(s)) => s.ends_with(w.as_str()).then(|| route.clone()),
        (SingleLabel(s), Wildcard(w)) => s.ends_with(w.as_str()).then(|| listener.clone()),
        (SingleLabel(a), SingleLabel(b)) => (a == b).then(|| route.clone()),
        // Two wildcards intersect when one suffix ends with the other; the longer is the intersection.
        (Wildcard(l), Wildcard(r)) => {
            if r.ends_with(l.as_str()) {
                Some(route.clone())
            } else if l.ends_with(r.as_str()) {
                Some(listener.clone())
            } else {
                None
            }
        }
    }
}

/// Specificity of a listener hostname for listener selection, higher wins:
/// exact before wildcard, longer wildcard before shorter, and the empty
/// hostname last (`GatewaySpec.Listeners`, "Listeners that are distinct only by
/// Hostname", gateway_types.go 146–163).
pub(crate) fn listener_specificity(hostname: Option<&str>) -> (u8, usize) {
    match HostMatch::parse(hostname) {
        HostMatch::Exact(h) => (2, h.len()),
        HostMatch::Wildcard(s) | HostMatch::SingleLabel(s) => (1, s.len()),
        HostMatch::Any => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: Vec<HostMatch>) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn wildcard_listener_admits_subdomains_and_wildcards() {
        let route = [
            "test.example.com".into(),
            "foo.test.example.com".into(),
            "*.example.com".into(),
            "example.com".into(),
            "test.example.net".into(),
        ];
        assert_eq!(
            names(intersect(Some("*.example.com"), &route)),
            ["test.example.com", "foo.test.example.com", "*.example.com"]
        );
    }

    #[test]
    fn exact_listener_takes_route_wildcard() {
        assert_eq!(
            names(intersect(
                Some("test.example.com"),
                &["*.example.com".into()]
            )),
            ["test.example.com"]
        );
        assert!(intersect(Some("example.com"), &["*.example.com".into()]).is_empty());
    }

    #[test]
    fn nested_wildcards_keep_the_longer() {
        assert_eq!(
            names(intersect(
                Some("*.example.com"),
                &["*.foo.example.com".into()]
            )),
            ["*.foo.example.com"]
        );
        assert_eq!(
            names(intersect(
                Some("*.foo.example.com"),
                &["*.example.com".into()]
            )),
            ["*.foo.example.com"]
        );
    }

    #[test]
    fn hostless_sides() {
        assert_eq!(names(intersect(None, &[])), ["*"]);
        assert_eq!(names(intersect(Some("a.com"), &[])), ["a.com"]);
        assert_eq!(names(intersect(None, &["A.com".into()])), ["a.com"]);
    }
}
