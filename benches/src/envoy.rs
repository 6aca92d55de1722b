//! Baselines built from the same compiled IR, for figures in the same run.
//!
//! * [`EnvoyStyle`]: what Envoy (and Envoy Gateway) does with a route table: a hash of
//!   virtual hosts by domain (exact, then the longest `*.` suffix, then `*`), and in the
//!   chosen virtual host a list of routes sorted by Gateway API precedence, scanned in
//!   order until one matches. No fall-through to a less specific host.
//! * [`PathsOnly`]: `matchit`'s radix tree over the paths alone (exact and prefix; no
//!   hosts, methods, headers, query or regexes): a lower bound for lookup cost, not a
//!   correct router.

use std::collections::HashMap;

use gatewright::ir::{HostMatch, Ir, Match, PathMatch, ValueMatch};
use gatewright::precedence::{HostRank, Key, MatchRank, RouteOrder};
use gatewright::Request;

/// (route, rule, match) indexes into the IR.
pub(crate) type Triple = (usize, usize, usize);

/// Envoy-style route table.
pub(crate) struct EnvoyStyle<'ir> {
    ir: &'ir Ir,
    exact: HashMap<String, Vec<Triple>>,
    wildcard: HashMap<String, Vec<Triple>>,
    any: Vec<Triple>,
}

impl<'ir> EnvoyStyle<'ir> {
    /// Builds the per-host lists from the first Gateway's listeners.
    pub(crate) fn build(ir: &'ir Ir) -> Self {
        let mut by_host: HashMap<HostMatch, Vec<Triple>> = HashMap::new();
        for gw in ir.gateways.iter().take(1) {
            for l in &gw.listeners {
                for a in &l.attachments {
                    let route = &ir.routes[a.route];
                    for h in &a.hostnames {
                        let list = by_host.entry(h.clone()).or_default();
                        for (ri, rule) in route.rules.iter().enumerate() {
                            for mi in 0..rule.matches.len() {
                                list.push((a.route, ri, mi));
                            }
                        }
                    }
                }
            }
        }
        let mut table = EnvoyStyle {
            ir,
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            any: Vec::new(),
        };
        for (host, mut list) in by_host {
            list.sort_by(|a, b| key(ir, &host, *a).cmp(&key(ir, &host, *b)));
            match host {
                HostMatch::Exact(h) => {
                    table.exact.insert(h, list);
                }
                HostMatch::Wildcard(s) => {
                    table.wildcard.insert(s, list);
                }
                _ => table.any = list,
            }
        }
        table
    }

    /// The winning (route, rule, match), or `None` (404).
    pub(crate) fn route(&self, request: &Request<'_>) -> Option<Triple> {
        let host = request.host();
        let list = self.exact.get(host).or_else(|| {
            host.char_indices()
                .filter(|&(i, c)| c == '.' && i > 0)
                .find_map(|(i, _)| self.wildcard.get(&host[i..]))
        });
        let list = list.unwrap_or(&self.any);
        list.iter()
            .copied()
            .find(|&(r, ru, m)| full_match(&self.ir.routes[r].rules[ru].matches[m], request))
    }
}

fn key<'ir>(ir: &'ir Ir, host: &HostMatch, (r, ru, m): Triple) -> Key<'ir> {
    let route = &ir.routes[r];
    let rule = &route.rules[ru];
    let mm = &rule.matches[m];
    Key {
        host: HostRank::of(host),
        matching: MatchRank::of(mm),
        route: RouteOrder::of(route),
        rule: rule.index,
        matched: mm.index,
    }
}

/// Every condition of an `HTTPRouteMatch`, checked in full (no index).
fn full_match(m: &Match, request: &Request<'_>) -> bool {
    m.path.matches(request.path())
        && m.method.as_deref().is_none_or(|x| x == request.method())
        && m.headers.iter().all(|h| {
            request
                .header(&h.name)
                .is_some_and(|v| value_matches(&h.value, v))
        })
        && m.query.iter().all(|q| {
            request
                .query_param(&q.name)
                .is_some_and(|v| value_matches(&q.value, v))
        })
}

fn value_matches(m: &ValueMatch, v: &str) -> bool {
    m.matches(v)
}

/// `matchit` over paths only.
pub(crate) struct PathsOnly {
    router: matchit::Router<Triple>,
}

impl PathsOnly {
    /// Inserts every exact and prefix path (the first route wins a duplicate; conflicts are skipped).
    pub(crate) fn build(ir: &Ir) -> Self {
        let mut router = matchit::Router::new();
        for (r, route) in ir.routes.iter().enumerate() {
            for (ru, rule) in route.rules.iter().enumerate() {
                for (mi, m) in rule.matches.iter().enumerate() {
                    let escaped = |p: &str| p.replace('{', "{{").replace('}', "}}");
                    match &m.path {
                        PathMatch::Exact(p) => {
                            let _ = router.insert(escaped(p), (r, ru, mi));
                        }
                        PathMatch::Prefix(p) => {
                            let p = escaped(gatewright::ir::normalize_prefix(p));
                            let _ = router.insert(p.clone(), (r, ru, mi));
                            let wild = if p == "/" {
                                "/{*rest}".to_owned()
                            } else {
                                format!("{p}/{{*rest}}")
                            };
                            let _ = router.insert(wild, (r, ru, mi));
                        }
                        _ => {}
                    }
                }
            }
        }
        PathsOnly { router }
    }

    /// The path's entry, if any.
    pub(crate) fn route(&self, path: &str) -> Option<Triple> {
        self.router.at(path).ok().map(|m| *m.value)
    }
}
