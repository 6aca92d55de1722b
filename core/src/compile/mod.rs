//! Stage 3, compile: the IR becomes indexes, so a lookup touches only the
//! candidates that can match.
//!
//! Per Gateway: listeners grouped by port, most specific hostname first. Per
//! listener: virtual hosts found through an exact-host map, a wildcard-suffix
//! map probed once per label, and a catch-all. Per virtual host: an exact-path
//! map, a prefix map keyed by the normalised prefix (probed once per path
//! segment boundary), and regex candidates filtered by their literal prefix.
//! Every candidate list is sorted by the [precedence key](crate::precedence),
//! so the first candidate whose residual conditions (method, headers, query)
//! hold is the winner of its list.

use rustc_hash::FxHashMap as HashMap;

use crate::attach::listener_specificity;
use crate::ir::{normalize_prefix, HostMatch, Ir, Match, PathMatch, Protocol};
use crate::precedence::{HostRank, Key, MatchRank, RouteOrder};

/// A (route, rule, match) triple in the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Candidate {
    pub(crate) route: u32,
    pub(crate) rule: u32,
    pub(crate) matched: u32,
    /// The match has no condition beyond its path (no method, header, query or
    /// gRPC method): a lookup takes it without reading the IR.
    pub(crate) unconditional: bool,
}

impl Candidate {
    /// Match `matched` of rule `rule` of route `route`, which is `m`.
    pub(crate) fn of(route: usize, rule: usize, matched: usize, m: &Match) -> Self {
        let to_u32 = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        Candidate {
            route: to_u32(route),
            rule: to_u32(rule),
            matched: to_u32(matched),
            unconditional: m.method.is_none()
                && m.headers.is_empty()
                && m.query.is_empty()
                && m.grpc.is_none(),
        }
    }

    pub(crate) fn get<'ir>(&self, ir: &'ir Ir) -> &'ir Match {
        &ir.routes[self.route as usize].rules[self.rule as usize].matches[self.matched as usize]
    }

    pub(crate) fn key<'ir>(&self, ir: &'ir Ir, host: &HostMatch) -> Key<'ir> {
        let route = &ir.routes[self.route as usize];
        let rule = &route.rules[self.rule as usize];
        let m = &rule.matches[self.matched as usize];
        Key {
            host: HostRank::of(host),
            matching: MatchRank::of(m),
            route: RouteOrder::of(route),
            rule: rule.index,
            matched: m.index,
        }
    }
}

/// Candidates of one hostname on one listener.
#[derive(Debug, Default)]
pub(crate) struct VirtualHost {
    pub(crate) host: HostMatch,
    pub(crate) exact: HashMap<Box<str>, Vec<Candidate>>,
    /// Lengths of the `exact` keys: a path of another length is not looked up.
    pub(crate) exact_lens: Lengths,
    pub(crate) prefixes: HashMap<Box<str>, Vec<Candidate>>,
    /// Lengths of the `prefixes` keys: only cuts of these lengths are probed.
    pub(crate) prefix_lens: Lengths,
    /// Regex candidates in precedence order, each with a literal the path must start with.
    pub(crate) regexes: Vec<(Box<str>, Candidate)>,
    /// With several regexes: one automaton over all of them, so a path is scanned
    /// once however many regex routes the host has.
    pub(crate) regex_set: Option<RegexSet>,
    /// Ingress default locations ([`PathMatch::Fallback`]), in precedence order.
    pub(crate) fallbacks: Vec<Candidate>,
}

/// Every distinct regex of a virtual host in one multi-pattern automaton
/// (regex-automata's meta regex, `MatchKind::All`): one linear scan of the path
/// says which patterns match in full, and the candidates are then taken in
/// precedence order as before. Identical patterns share one pattern id.
pub(crate) struct RegexSet {
    regex: regex_automata::meta::Regex,
    /// Pattern id of each entry of [`VirtualHost::regexes`].
    pattern_of: Vec<u32>,
    /// Reused result sets (allocated once per thread, as the regex caches are).
    sets: PatternSets,
}

type PatternSets = regex_automata::util::pool::Pool<
    regex_automata::PatternSet,
    Box<
        dyn Fn() -> regex_automata::PatternSet
            + Send
            + Sync
            + std::panic::UnwindSafe
            + std::panic::RefUnwindSafe,
    >,
>;

impl std::fmt::Debug for RegexSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegexSet")
            .field("patterns", &self.regex.pattern_len())
            .finish_non_exhaustive()
    }
}

impl RegexSet {
    /// Builds the automaton of `sources` (one per regex candidate, in order); `None`
    /// when it would exceed `size_limit` (the candidates are then tried one by one).
    fn build(sources: &[&str], size_limit: usize) -> Option<Self> {
        let mut distinct: Vec<&str> = Vec::new();
        let mut ids: HashMap<&str, u32> = HashMap::default();
        let pattern_of = sources
            .iter()
            .map(|&src| {
                *ids.entry(src).or_insert_with(|| {
                    distinct.push(src);
                    u32::try_from(distinct.len() - 1).unwrap_or(u32::MAX)
                })
            })
            .collect();
        // Anchored at both ends, as `ir::Pattern` compiles each one.
        let anchored: Vec<String> = distinct.iter().map(|p| format!("^(?:{p})$")).collect();
        let regex = regex_automata::meta::Regex::builder()
            .configure(
                regex_automata::meta::Regex::config()
                    .match_kind(regex_automata::MatchKind::All)
                    .nfa_size_limit(Some(size_limit))
                    .hybrid_cache_capacity(2 * size_limit),
            )
            .build_many(&anchored)
            .ok()?;
        let len = regex.pattern_len();
        Some(RegexSet {
            regex,
            pattern_of,
            sets: regex_automata::util::pool::Pool::new(Box::new(move || {
                regex_automata::PatternSet::new(len)
            })),
        })
    }

    /// The first entry `i` of [`VirtualHost::regexes`] (in order) whose pattern
    /// matches all of `path` and for which `accept(i)` holds.
    pub(crate) fn first(&self, path: &str, mut accept: impl FnMut(usize) -> bool) -> Option<usize> {
        let mut set = self.sets.get();
        set.clear();
        self.regex
            .which_overlapping_matches(&regex_automata::Input::new(path), &mut set);
        if set.is_empty() {
            return None;
        }
        self.pattern_of.iter().enumerate().find_map(|(i, &p)| {
            (set.contains(regex_automata::PatternID::new_unchecked(p as usize)) && accept(i))
                .then_some(i)
        })
    }
}

/// The set of lengths of a map's keys, so a lookup probes the map only at the
/// lengths that can hit (most virtual hosts have prefixes of two or three lengths,
/// while a path has a cut at every `/`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Lengths {
    /// Bit `n` is set when a key of length `n < 128` exists.
    short: u128,
    /// Lengths of 128 and more, sorted.
    long: Vec<usize>,
}

impl Lengths {
    fn insert(&mut self, n: usize) {
        match u32::try_from(n) {
            Ok(bit) if bit < 128 => self.short |= 1 << bit,
            _ => {
                if let Err(at) = self.long.binary_search(&n) {
                    self.long.insert(at, n);
                }
            }
        }
    }

    /// Whether a key of length `n` exists.
    pub(crate) fn contains(&self, n: usize) -> bool {
        match u32::try_from(n) {
            Ok(bit) if bit < 128 => self.short & (1 << bit) != 0,
            _ => self.long.binary_search(&n).is_ok(),
        }
    }
}

/// One listener's hosts.
#[derive(Debug, Default)]
pub(crate) struct ListenerIndex {
    pub(crate) vhosts: Vec<VirtualHost>,
    pub(crate) exact_hosts: HashMap<Box<str>, usize>,
    /// Wildcard suffix (with leading dot) → virtual host.
    pub(crate) wildcard_hosts: HashMap<Box<str>, usize>,
    /// Lengths of the `wildcard_hosts` keys.
    pub(crate) wildcard_lens: Lengths,
    /// Ingress one-label wildcard suffix (with leading dot) → virtual host.
    pub(crate) single_label_hosts: HashMap<Box<str>, usize>,
    pub(crate) any_host: Option<usize>,
}

/// One Gateway: listener indexes parallel to `ir.gateways[g].listeners`, and
/// per port the listener indexes sorted from most to least specific hostname.
#[derive(Debug, Default)]
pub(crate) struct GatewayIndex {
    pub(crate) listeners: Vec<ListenerIndex>,
    /// Each listener's hostname, parsed once.
    pub(crate) listener_hosts: Vec<HostMatch>,
    pub(crate) ports: Vec<(u16, Vec<usize>)>,
    /// Per port, only the HTTP and HTTPS listeners (same order), so a request's
    /// entry does not read the IR's listeners.
    pub(crate) http_ports: Vec<HttpPort>,
    /// Whether each listener is programmed (parallel to `listeners`).
    pub(crate) programmed: Vec<bool>,
}

/// The HTTP(S) listeners of one port, most specific hostname first.
#[derive(Debug, Default)]
pub(crate) struct HttpPort {
    pub(crate) port: u16,
    pub(crate) listeners: Vec<usize>,
    /// Whether one of them is HTTPS (the SNI then selects the listener).
    pub(crate) https: bool,
}

/// Builds the indexes of every Gateway; `regex_size_limit` bounds each
/// virtual host's multi-pattern automaton.
pub(crate) fn compile(ir: &Ir, regex_size_limit: usize) -> Vec<GatewayIndex> {
    ir.gateways
        .iter()
        .map(|gw| {
            let listeners = gw
                .listeners
                .iter()
                .map(|l| compile_listener(ir, l, regex_size_limit))
                .collect();
            let mut ports: Vec<(u16, Vec<usize>)> = Vec::new();
            for (i, l) in gw.listeners.iter().enumerate() {
                match ports.iter_mut().find(|(p, _)| *p == l.port) {
                    Some((_, v)) => v.push(i),
                    None => ports.push((l.port, vec![i])),
                }
            }
            for (_, v) in &mut ports {
                // Most specific listener hostname first (stable: spec order on ties).
                v.sort_by_key(|&i| {
                    std::cmp::Reverse(listener_specificity(gw.listeners[i].hostname.as_deref()))
                });
            }
            let listener_hosts = gw
                .listeners
                .iter()
                .map(|l| HostMatch::parse(l.hostname.as_deref()))
                .collect();
            let http_ports = ports
                .iter()
                .map(|(port, ls)| {
                    let is = |l: usize, p: Protocol| gw.listeners[l].protocol == p;
                    HttpPort {
                        port: *port,
                        listeners: ls
                            .iter()
                            .copied()
                            .filter(|&l| is(l, Protocol::Http) || is(l, Protocol::Https))
                            .collect(),
                        https: ls.iter().any(|&l| is(l, Protocol::Https)),
                    }
                })
                .filter(|p| !p.listeners.is_empty())
                .collect();
            GatewayIndex {
                listeners,
                listener_hosts,
                ports,
                http_ports,
                programmed: gw.listeners.iter().map(|l| l.programmed).collect(),
            }
        })
        .collect()
}

fn compile_listener(
    ir: &Ir,
    listener: &crate::ir::Listener,
    regex_size_limit: usize,
) -> ListenerIndex {
    let mut index = ListenerIndex::default();
    let mut by_host: HashMap<HostMatch, usize> = HashMap::default();
    for attachment in &listener.attachments {
        let route = &ir.routes[attachment.route];
        for host in &attachment.hostnames {
            let v = *by_host.entry(host.clone()).or_insert_with(|| {
                index.vhosts.push(VirtualHost {
                    host: host.clone(),
                    ..VirtualHost::default()
                });
                index.vhosts.len() - 1
            });
            let vhost = &mut index.vhosts[v];
            for (ri, rule) in route.rules.iter().enumerate() {
                for (mi, m) in rule.matches.iter().enumerate() {
                    let c = Candidate::of(attachment.route, ri, mi, m);
                    match &m.path {
                        PathMatch::Exact(p) => {
                            vhost.exact.entry(p.as_str().into()).or_default().push(c)
                        }
                        PathMatch::Prefix(p) => vhost
                            .prefixes
                            .entry(normalize_prefix(p).into())
                            .or_default()
                            .push(c),
                        PathMatch::Regex(re) => {
                            vhost.regexes.push((literal_prefix(re.as_str()).into(), c))
                        }
                        PathMatch::Fallback => vhost.fallbacks.push(c),
                    }
                }
            }
        }
    }
    for (i, vhost) in index.vhosts.iter_mut().enumerate() {
        let host = vhost.host.clone();
        let sort = |list: &mut Vec<Candidate>| {
            list.sort_by(|a, b| a.key(ir, &host).cmp(&b.key(ir, &host)))
        };
        vhost.exact.values_mut().for_each(sort);
        vhost.prefixes.values_mut().for_each(sort);
        for key in vhost.exact.keys() {
            vhost.exact_lens.insert(key.len());
        }
        for key in vhost.prefixes.keys() {
            vhost.prefix_lens.insert(key.len());
        }
        vhost
            .regexes
            .sort_by(|a, b| a.1.key(ir, &host).cmp(&b.1.key(ir, &host)));
        sort(&mut vhost.fallbacks);
        if vhost.regexes.len() > 1 {
            let sources: Vec<&str> = vhost
                .regexes
                .iter()
                .map(|(_, c)| match &c.get(ir).path {
                    PathMatch::Regex(re) => re.as_str(),
                    _ => "",
                })
                .collect();
            vhost.regex_set = RegexSet::build(&sources, regex_size_limit);
        }
        match &vhost.host {
            HostMatch::Exact(h) => {
                index.exact_hosts.insert(h.as_str().into(), i);
            }
            HostMatch::Wildcard(s) => {
                index.wildcard_hosts.insert(s.as_str().into(), i);
                index.wildcard_lens.insert(s.len());
            }
            HostMatch::SingleLabel(s) => {
                index.single_label_hosts.insert(s.as_str().into(), i);
            }
            HostMatch::Any => index.any_host = Some(i),
        }
    }
    index
}

impl ListenerIndex {
    /// Virtual hosts matching `host`, most specific first: the exact name, then
    /// the one-label (Ingress) wildcard of the host's parent domain, then wildcard
    /// suffixes from the longest, then the catch-all.
    pub(crate) fn hosts_for<'a, 'h>(
        &'a self,
        host: &'h str,
    ) -> impl Iterator<Item = &'a VirtualHost> + use<'a, 'h> {
        let exact = self.exact_hosts.get(host).copied();
        // Kubernetes "Hostname wildcards": `*.foo.com` covers exactly one label, so
        // only the suffix after the first label can match (and the label is not empty).
        let single = (!self.single_label_hosts.is_empty())
            .then(|| host.find('.'))
            .flatten()
            .filter(|&i| i > 0)
            .and_then(|i| self.single_label_hosts.get(&host[i..]).copied());
        // Suffixes ".b.c", ".c" of "a.b.c": at every dot except a final one, probed
        // only at the lengths some wildcard has.
        let wildcards = host
            .bytes()
            .enumerate()
            .filter(move |&(i, c)| {
                c == b'.' && i > 0 && self.wildcard_lens.contains(host.len() - i)
            })
            .filter_map(move |(i, _)| self.wildcard_hosts.get(&host[i..]).copied());
        exact
            .into_iter()
            .chain(single)
            .chain(wildcards)
            .chain(self.any_host)
            .map(move |i| &self.vhosts[i])
    }
}

/// The literal text every match of `pattern` must start with. Conservative: it
/// stops at the first metacharacter, drops a character a quantifier could make
/// optional, and gives up on alternation.
pub(crate) fn literal_prefix(pattern: &str) -> &str {
    if pattern.contains('|') {
        return "";
    }
    let body = pattern.strip_prefix('^').unwrap_or(pattern);
    let offset = pattern.len() - body.len();
    let mut end = 0;
    let mut last_start = 0;
    for (i, c) in body.char_indices() {
        match c {
            '*' | '?' | '{' => {
                end = last_start;
                break;
            }
            '\\' | '.' | '+' | '(' | ')' | '[' | ']' | '^' | '$' => break,
            _ => {
                last_start = i;
                end = i + c.len_utf8();
            }
        }
    }
    &pattern[offset..offset + end]
}

#[cfg(test)]
mod tests {
    use super::literal_prefix;

    #[test]
    fn literal_prefixes_are_conservative() {
        assert_eq!(literal_prefix("/api/v[0-9]+"), "/api/v");
        assert_eq!(literal_prefix("^/abc*"), "/ab");
        assert_eq!(literal_prefix("/a|/b"), "");
        assert_eq!(literal_prefix(".*"), "");
        assert_eq!(literal_prefix("/x\\.y"), "/x");
        assert_eq!(literal_prefix("/abc+"), "/abc");
    }
}
