//! Lints: rules that can never receive traffic, found on the validated [`Ir`].
//!
//! Three findings, all [`Severity::Warning`] (the configuration is served as written):
//!
//! * [`Code::IdenticalMatch`] — two candidates (route, rule, match) under the same
//!   listener and route hostname have identical conditions. The precedence key
//!   ([`crate::precedence`]) breaks the tie, so the loser's match never receives traffic.
//! * [`Code::ShadowedRule`] — every match of a rule is covered by a higher-precedence
//!   candidate of another rule under the same listener and hostname: that candidate
//!   matches a superset of the requests, so the rule never wins there.
//! * [`Code::UnreachableRegex`] — a path `RegularExpression` that matches no string
//!   starting with `/`, hence no request path.
//!
//! ## Algorithm
//!
//! For each Gateway listener and each route hostname on it (a *virtual host*, as the
//! compiler builds them), the candidates are sorted by [`Key`], exactly as the compiled
//! lookup orders them. Candidates are visited in that order; each one is compared only
//! with the earlier candidates whose path condition can cover its own, found through
//! three maps of the earlier candidates (Exact path, normalised PathPrefix, regex source):
//! an Exact loser looks up its path; a PathPrefix loser looks up each of its element-wise
//! ancestors; a regex loser looks up its own source, and, when the regex's language is
//! known (below) to stay under a literal prefix, that prefix's ancestors and Exact path.
//! The cost is therefore linear in the candidates times the number of path ancestors,
//! plus, within one bucket of equal or nested paths, one comparison per earlier candidate:
//! quadratic only in the size of such a bucket. The comparisons per virtual host are
//! capped at [`PAIR_BUDGET`]; past it the remaining candidates of that virtual host are
//! not examined (the lint stays silent rather than slow).
//!
//! Candidates under *different* hostnames are never compared: with host fall-through a
//! less specific hostname is only consulted when nothing under a more specific one
//! matches, and without it not at all, so a candidate only shadows within its own
//! virtual host.
//!
//! ## Soundness
//!
//! A finding claims that a candidate can never win. It is made only when an earlier
//! candidate (smaller key) of another rule matches every request the loser matches:
//!
//! * path: identical; or the winner is `PathPrefix p` and the loser is `Exact e` with
//!   `p` matching `e`, or `PathPrefix q` whose normalised form `p` matches (every path
//!   under `q` is then under `p`, element by element); or the winner is `Exact e` or
//!   `PathPrefix p` and the loser a regex whose every match equals `e` / lies under `p`,
//!   decided on the regex's lazy DFA (never guessed from the pattern's text);
//! * method: the winner has none, or the same;
//! * headers and query parameters: each winner condition appears, with the same name
//!   and the same value condition, among the loser's (the winner's set is a subset).
//!
//! `spec-tests/tests/lint_soundness.rs` checks every finding against the spec-literal
//! reference matcher on generated configurations.

use std::collections::HashMap;

use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::hybrid::LazyStateID;
use regex_automata::util::start;
use regex_automata::Anchored;

use crate::compile::literal_prefix;
use crate::diag::{Code, Diagnostic, ObjectRef, Severity, GATEWAY_GROUP};
use crate::ir::{
    normalize_prefix, prefix_matches, Gateway, HostMatch, Ir, Listener, Match, NameValueMatch,
    PathMatch, Route, RouteKind, ValueMatch,
};
use crate::precedence::{deciding_field, HostRank, Key, MatchRank, RouteOrder};

/// Comparisons allowed per virtual host before the shadowing lints give up on it.
pub(crate) const PAIR_BUDGET: usize = 1 << 20;

/// DFA states explored per regex before its analysis gives up (then: no claim).
const STATE_LIMIT: usize = 1024;

/// Longest literal prefix of a regex language that is computed.
const LCP_LIMIT: usize = 512;

/// Every lint finding for `ir`, in a deterministic order: unreachable regexes by
/// route, then per Gateway, listener and hostname the identical and shadowed matches
/// in precedence order.
pub(crate) fn lint(ir: &Ir) -> Vec<Diagnostic> {
    let mut regexes = RegexFacts::default();
    let mut out = unreachable_regexes(ir, &mut regexes);
    for gw in &ir.gateways {
        for listener in &gw.listeners {
            for (host, candidates) in virtual_hosts(ir, listener) {
                let place = Place {
                    gateway: gw,
                    listener,
                    host: &host,
                };
                shadowing(ir, &place, &candidates, &mut regexes, &mut out);
            }
        }
    }
    out
}

/// Whether a route is linted: HTTPRoutes only (GRPCRoute precedence differs).
fn is_http(route: &Route) -> bool {
    route.kind == RouteKind::Http
}

/// The route's object reference (group `gateway.networking.k8s.io`, its kind).
fn object(route: &Route) -> ObjectRef {
    ObjectRef::new(
        GATEWAY_GROUP,
        route.kind.as_str(),
        Some(&route.namespace),
        &route.name,
    )
}

// --- unreachable-regex ---------------------------------------------------------------------

/// Path regexes that cannot match any string starting with `/`.
///
/// Every request path starts with `/` (RFC 9110 §4.2.1 origin-form; the Gateway API
/// matches on the path), and `RegularExpression` must match the whole path
/// (`PathMatchType`, httproute_types.go), so such a regex never matches.
fn unreachable_regexes(ir: &Ir, regexes: &mut RegexFacts) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for route in ir.routes.iter().filter(|r| is_http(r)) {
        for rule in &route.rules {
            for m in &rule.matches {
                let PathMatch::Regex(re) = &m.path else {
                    continue;
                };
                let source = re.as_str();
                let why = match regexes.get(source) {
                    Some(facts) if !facts.slash_start => Some(
                        "it matches no string that starts with '/', and every request path does"
                            .to_owned(),
                    ),
                    Some(_) => None,
                    // The automaton is too large: fall back on the literal prefix.
                    None => {
                        let literal = literal_prefix(source);
                        (!literal.is_empty() && !literal.starts_with('/')).then(|| {
                            format!(
                                "every match starts with {literal:?}, but request paths start with '/'"
                            )
                        })
                    }
                };
                if let Some(why) = why {
                    out.push(Diagnostic::new(
                        Code::UnreachableRegex,
                        Severity::Warning,
                        &object(route),
                        format!("spec.rules[{}].matches[{}].path.value", rule.index, m.index),
                        format!("path regex {source:?} can never match: {why}"),
                    ));
                }
            }
        }
    }
    out
}

// --- candidates per virtual host -------------------------------------------------------------

/// A (route, rule, match) under one hostname of one listener, with its precedence key.
#[derive(Clone, Copy, Debug)]
struct Cand<'ir> {
    /// Index in [`Ir::routes`].
    route: usize,
    /// Position in [`Route::rules`] (the rule's spec index is in the key).
    rule: usize,
    /// The match.
    m: &'ir Match,
    /// Its precedence key under this hostname.
    key: Key<'ir>,
}

impl Cand<'_> {
    /// Whether both candidates belong to one rule of one route.
    fn same_rule(&self, other: &Cand<'_>) -> bool {
        self.route == other.route && self.rule == other.rule
    }
}

/// The candidates of each route hostname on a listener (first-seen hostname order),
/// each list sorted by the precedence key, exactly as `compile` sorts its lists.
fn virtual_hosts<'ir>(ir: &'ir Ir, listener: &Listener) -> Vec<(HostMatch, Vec<Cand<'ir>>)> {
    let mut hosts: Vec<(HostMatch, Vec<Cand<'ir>>)> = Vec::new();
    let mut by_host: HashMap<&HostMatch, usize> = HashMap::new();
    let mut seen: HashMap<(usize, &HostMatch), ()> = HashMap::new();
    for attachment in &listener.attachments {
        let route = &ir.routes[attachment.route];
        if !is_http(route) {
            continue;
        }
        for host in &attachment.hostnames {
            // A route attached twice (two parentRefs) adds its candidates once.
            if seen.insert((attachment.route, host), ()).is_some() {
                continue;
            }
            let v = *by_host.entry(host).or_insert_with(|| {
                hosts.push((host.clone(), Vec::new()));
                hosts.len() - 1
            });
            for (ri, rule) in route.rules.iter().enumerate() {
                for m in rule.matches.iter().filter(|m| m.grpc.is_none()) {
                    hosts[v].1.push(Cand {
                        route: attachment.route,
                        rule: ri,
                        m,
                        key: Key {
                            host: HostRank::of(host),
                            matching: MatchRank::of(m),
                            route: RouteOrder::of(route),
                            rule: rule.index,
                            matched: m.index,
                        },
                    });
                }
            }
        }
    }
    for (_, list) in &mut hosts {
        list.sort_by(|a, b| a.key.cmp(&b.key));
    }
    hosts
}

/// Where a finding applies, for messages.
struct Place<'a> {
    /// The Gateway.
    gateway: &'a Gateway,
    /// The listener.
    listener: &'a Listener,
    /// The route hostname (virtual host).
    host: &'a HostMatch,
}

impl Place<'_> {
    /// `Gateway infra/gw listener http, hostname a.example.com` (the lint-soundness test
    /// reads this phrase back).
    fn describe(&self) -> String {
        format!(
            "Gateway {}/{} listener {}, hostname {}",
            self.gateway.namespace, self.gateway.name, self.listener.name, self.host
        )
    }
}

// --- identical-match and shadowed-rule -------------------------------------------------------

/// How an earlier candidate covers a later one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cover {
    /// Identical conditions.
    Identical,
    /// A superset of the requests.
    Superset,
}

/// The best (earliest) identical and superset coverers of each candidate, by index.
#[derive(Clone, Copy, Debug, Default)]
struct Found {
    /// Earliest earlier candidate with identical conditions.
    identical: Option<usize>,
    /// Earliest earlier candidate matching a strict superset (or an equal set with a
    /// differently written path).
    superset: Option<usize>,
}

/// Finds, for each candidate of one virtual host (sorted by key), its earliest
/// identical and superset coverers among the earlier candidates of other rules, and
/// reports them.
fn shadowing(
    ir: &Ir,
    place: &Place<'_>,
    cands: &[Cand<'_>],
    regexes: &mut RegexFacts,
    out: &mut Vec<Diagnostic>,
) {
    // Earlier candidates by path condition.
    let mut exact: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut prefixes: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut regex_sources: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut found = vec![Found::default(); cands.len()];
    let mut budget = PAIR_BUDGET;
    let mut examined = cands.len();
    for (i, loser) in cands.iter().enumerate() {
        // Buckets of earlier candidates whose path may cover the loser's, with the
        // path relation already established for the whole bucket.
        let mut buckets: Vec<&[usize]> = Vec::new();
        match &loser.m.path {
            PathMatch::Exact(e) => {
                buckets.extend(exact.get(e.as_str()).map(Vec::as_slice));
                // A PathPrefix never precedes an Exact match in key order
                // ("Exact" path match first, HTTPRouteRule.Matches), but the
                // relation holds and costs one lookup per path element.
                for a in ancestors(e) {
                    if prefix_matches(a, e) {
                        buckets.extend(prefixes.get(a).map(Vec::as_slice));
                    }
                }
            }
            PathMatch::Prefix(q) => {
                let q = normalize_prefix(q);
                // `PathMatchType` PathPrefix is element-wise: every path under `q` is
                // under each element-wise ancestor of `q` (including `q` itself).
                for a in ancestors(q) {
                    if prefix_matches(a, q) {
                        buckets.extend(prefixes.get(a).map(Vec::as_slice));
                    }
                }
            }
            PathMatch::Regex(re) => {
                buckets.extend(regex_sources.get(re.as_str()).map(Vec::as_slice));
                if let Some(facts) = regexes.get(re.as_str()) {
                    if let Some(e) = facts.only_string() {
                        buckets.extend(exact.get(e).map(Vec::as_slice));
                    }
                    for a in facts.prefix_candidates() {
                        if facts.under_prefix(a) {
                            buckets.extend(prefixes.get(a).map(Vec::as_slice));
                        }
                    }
                }
            }
            // An Ingress default location exists to be shadowed: never reported.
            PathMatch::Fallback => {}
        }
        for bucket in buckets {
            if budget < bucket.len() {
                examined = i;
                break;
            }
            budget -= bucket.len();
            for &j in bucket {
                let winner = &cands[j];
                if winner.same_rule(loser) {
                    // A rule does not shadow itself.
                    continue;
                }
                match conditions_cover(winner.m, loser.m) {
                    Some(Cover::Identical) if path_identical(winner.m, loser.m) => {
                        found[i].identical = Some(found[i].identical.map_or(j, |k| k.min(j)));
                    }
                    Some(_) => {
                        found[i].superset = Some(found[i].superset.map_or(j, |k| k.min(j)));
                    }
                    None => {}
                }
            }
        }
        if examined < cands.len() {
            break;
        }
        let bucket = match &loser.m.path {
            PathMatch::Exact(e) => exact.entry(e.as_str()),
            PathMatch::Prefix(p) => prefixes.entry(normalize_prefix(p)),
            PathMatch::Regex(re) => regex_sources.entry(re.as_str()),
            // A default location covers nothing that ranks after it.
            PathMatch::Fallback => continue,
        };
        bucket.or_default().push(i);
    }
    report(ir, place, cands, examined, &found, out);
}

/// Element-wise ancestors of a normalised path or prefix, longest first: itself, then
/// cut before each `/` (except the leading one), then `/`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let cuts = path
        .char_indices()
        .rev()
        .filter(|&(i, c)| c == '/' && i > 0)
        .map(move |(i, _)| &path[..i]);
    std::iter::once(path)
        .chain(cuts)
        .chain((path != "/").then_some("/"))
}

/// Whether two matches have the same path condition (type and value as written).
fn path_identical(a: &Match, b: &Match) -> bool {
    match (&a.path, &b.path) {
        (PathMatch::Exact(x), PathMatch::Exact(y))
        | (PathMatch::Prefix(x), PathMatch::Prefix(y)) => x == y,
        (PathMatch::Regex(x), PathMatch::Regex(y)) => x.as_str() == y.as_str(),
        _ => false,
    }
}

/// How the winner's method, header and query conditions relate to the loser's (the
/// path is the caller's business): `Identical` when equal as sets, `Superset` when
/// the winner's are a subset (it matches at least the loser's requests), else `None`.
///
/// The conditions are ANDed (`HTTPRouteMatch`), so fewer conditions admit more requests;
/// two conditions are the same when they have the same name and the same value
/// condition (same type and value; a regex by its source).
fn conditions_cover(winner: &Match, loser: &Match) -> Option<Cover> {
    let method_ok = winner.method.is_none() || winner.method == loser.method;
    let subset = |w: &[NameValueMatch], l: &[NameValueMatch]| {
        w.iter().all(|wc| {
            l.iter()
                .any(|lc| lc.name == wc.name && same_value(&lc.value, &wc.value))
        })
    };
    if !(method_ok
        && subset(&winner.headers, &loser.headers)
        && subset(&winner.query, &loser.query))
    {
        return None;
    }
    // Names are unique per list (attach keeps the first entry per name), so subset
    // plus equal length is set equality.
    let identical = winner.method == loser.method
        && winner.headers.len() == loser.headers.len()
        && winner.query.len() == loser.query.len();
    Some(if identical {
        Cover::Identical
    } else {
        Cover::Superset
    })
}

/// Whether two value conditions are the same: same type and value (a regex by source).
fn same_value(a: &ValueMatch, b: &ValueMatch) -> bool {
    match (a, b) {
        (ValueMatch::Exact(x), ValueMatch::Exact(y)) => x == y,
        (ValueMatch::Regex(x), ValueMatch::Regex(y)) => x.as_str() == y.as_str(),
        _ => false,
    }
}

/// Turns the coverers found into diagnostics: `identical-match` per match with an
/// identical earlier candidate; `shadowed-rule` once per rule whose every match is
/// covered, unless every one of them was already reported as identical.
/// Only the first `examined` candidates were compared (see [`PAIR_BUDGET`]); a rule with
/// a candidate beyond them is not reported.
fn report(
    ir: &Ir,
    place: &Place<'_>,
    cands: &[Cand<'_>],
    examined: usize,
    found: &[Found],
    out: &mut Vec<Diagnostic>,
) {
    let where_ = place.describe();
    // Rules in the order their first candidate appears.
    let mut rules: Vec<(usize, usize)> = Vec::new();
    let mut matches_of: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
    for (i, c) in cands.iter().enumerate() {
        let entry = matches_of.entry((c.route, c.rule)).or_default();
        if entry.is_empty() {
            rules.push((c.route, c.rule));
        }
        entry.push(i);
    }
    for (i, c) in cands.iter().enumerate().take(examined) {
        let Some(j) = found[i].identical else {
            continue;
        };
        let route = &ir.routes[c.route];
        let w = &cands[j];
        let who = if w.route == c.route {
            format!("rule {} match {} of this route", w.key.rule, w.key.matched)
        } else {
            format!(
                "{} rule {} match {}",
                describe_route(&ir.routes[w.route]),
                w.key.rule,
                w.key.matched
            )
        };
        // HTTPRouteRule.Matches: ties across Routes go to the oldest Route, then
        // `{namespace}/{name}`; within a Route to the first rule in list order.
        out.push(Diagnostic::new(
            Code::IdenticalMatch,
            Severity::Warning,
            &object(route),
            format!("spec.rules[{}].matches[{}]", c.key.rule, c.key.matched),
            format!(
                "match {} of rule {} has the same conditions as {who} on {where_}; that one wins: \
                 it has {}, so this match never receives traffic there",
                c.key.matched,
                c.key.rule,
                deciding_field(&w.key, &c.key)
            ),
        ));
    }
    for (route_id, rule_pos) in rules {
        let members = &matches_of[&(route_id, rule_pos)];
        if members.iter().any(|&i| {
            i >= examined || (found[i].identical.is_none() && found[i].superset.is_none())
        }) {
            continue;
        }
        // Identical pairs are reported as identical-match (one code per pair).
        let shadows: Vec<(usize, usize)> = members
            .iter()
            .filter(|&&i| found[i].identical.is_none())
            .filter_map(|&i| found[i].superset.map(|j| (j, i)))
            .collect();
        if shadows.is_empty() {
            continue;
        }
        let route = &ir.routes[route_id];
        let rule_index = route.rules[rule_pos].index;
        let mut named: Vec<(usize, usize)> = Vec::new();
        let mut parts = Vec::new();
        for (j, i) in shadows {
            let w = &cands[j];
            if named.contains(&(w.route, w.rule)) {
                continue;
            }
            named.push((w.route, w.rule));
            let who = if w.route == route_id {
                format!("rule {} of this route", w.key.rule)
            } else {
                format!(
                    "{} rule {}",
                    describe_route(&ir.routes[w.route]),
                    w.key.rule
                )
            };
            parts.push(format!(
                "{who} ({}), which has {}",
                crate::route::summarize(w.m),
                deciding_field(&w.key, &cands[i].key)
            ));
        }
        out.push(Diagnostic::new(
            Code::ShadowedRule,
            Severity::Warning,
            &object(route),
            format!("spec.rules[{rule_index}]"),
            format!(
                "rule {rule_index} never receives traffic on {where_}: every request it matches \
                 is matched with higher precedence by {}",
                parts.join("; and by ")
            ),
        ));
    }
}

/// `HTTPRoute namespace/name`.
fn describe_route(route: &Route) -> String {
    format!("{} {}/{}", route.kind.as_str(), route.namespace, route.name)
}

// --- regex languages --------------------------------------------------------------------------

/// What the lints need to know about a path regex's language, decided on its lazy DFA.
#[derive(Clone, Debug)]
struct Language {
    /// Some string starting with `/` matches.
    slash_start: bool,
    /// The empty language (nothing matches at all).
    empty: bool,
    /// The longest common prefix of every matching string (bytes).
    lcp: Vec<u8>,
    /// After [`Language::lcp`], every continuation is `/` or the end of the string.
    tail_slash_or_end: bool,
    /// The language is exactly `{lcp}`.
    single: bool,
}

impl Language {
    /// The one string the regex matches, if it matches exactly one.
    fn only_string(&self) -> Option<&str> {
        if self.single && !self.empty {
            std::str::from_utf8(&self.lcp).ok()
        } else {
            None
        }
    }

    /// Normalised prefixes that might contain the whole language: the element-wise
    /// ancestors of its common prefix.
    fn prefix_candidates(&self) -> Vec<&str> {
        if self.empty {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut push = |end: usize| {
            if let Ok(s) = std::str::from_utf8(&self.lcp[..end]) {
                out.push(normalize_prefix(s));
            }
        };
        push(self.lcp.len());
        for (i, &b) in self.lcp.iter().enumerate().rev() {
            if b == b'/' && i > 0 {
                push(i);
            }
        }
        out.push("/");
        out.dedup();
        out
    }

    /// Whether every matching string `s` satisfies [`prefix_matches`]`(p, s)`.
    fn under_prefix(&self, p: &str) -> bool {
        if self.empty {
            return false;
        }
        let p = normalize_prefix(p).as_bytes();
        if p == b"/" {
            return self.lcp.first() == Some(&b'/');
        }
        if !self.lcp.starts_with(p) {
            return false;
        }
        match self.lcp.get(p.len()) {
            Some(&b) => b == b'/',
            None => self.tail_slash_or_end,
        }
    }
}

/// Analyses of path regexes by source, computed once per lint run.
#[derive(Debug, Default)]
struct RegexFacts {
    /// `None`: the analysis gave up.
    by_source: HashMap<String, Option<Language>>,
}

impl RegexFacts {
    /// The language facts of `source`, or `None` when the analysis gave up.
    fn get(&mut self, source: &str) -> Option<&Language> {
        if !self.by_source.contains_key(source) {
            let facts = analyse(source);
            self.by_source.insert(source.to_owned(), facts);
        }
        self.by_source.get(source).and_then(Option::as_ref)
    }
}

/// Explored lazy DFA of `^(?:source)$` (the path regex as [`crate::ir::Pattern`] compiles
/// it): every reachable state, with which ones can still reach a match.
struct Explored {
    /// The lazy DFA.
    dfa: DFA,
    /// Its cache (never cleared while the ids below are held).
    cache: Cache,
    /// State id → position in `states`.
    index: HashMap<LazyStateID, usize>,
    /// Reachable states; the start state first.
    states: Vec<LazyStateID>,
    /// May lead to a match (over-approximated: a quit state counts as a match).
    live: Vec<bool>,
    /// The input so far may be a whole match (the end-of-input transition matches).
    accepting: Vec<bool>,
}

/// The [`Language`] facts of a path regex; `None` when the DFA is too large, uses a
/// feature the lazy DFA cannot build, or its cache had to be cleared.
fn analyse(source: &str) -> Option<Language> {
    let mut x = explore(source)?;
    let start = 0;
    let empty = !x.live[start];
    let slash_start = {
        let t = x.dfa.next_state(&mut x.cache, x.states[start], b'/').ok()?;
        if x.cache.clear_count() != 0 {
            return None;
        }
        x.is_live(t)?
    };
    // Longest common prefix: follow the only live byte while the input so far is not
    // itself a match.
    let mut lcp = Vec::new();
    let mut s = start;
    let (tail_slash_or_end, single) = loop {
        let live = x.live_bytes(s)?;
        if x.accepting[s] || live.len() != 1 || lcp.len() >= LCP_LIMIT {
            // What follows the common prefix: the end (when accepting) or a live byte.
            break (
                live.iter().all(|&b| b == b'/'),
                x.accepting[s] && live.is_empty(),
            );
        }
        lcp.push(live[0]);
        let t = x.dfa.next_state(&mut x.cache, x.states[s], live[0]).ok()?;
        if x.cache.clear_count() != 0 {
            return None;
        }
        s = *x.index.get(&t)?;
    };
    // An inconsistent cache (cleared while exploring) would invalidate the ids above.
    (x.cache.clear_count() == 0).then_some(Language {
        slash_start,
        empty,
        lcp,
        tail_slash_or_end,
        single,
    })
}

/// Builds the lazy DFA of `^(?:source)$` (anchored, as [`crate::ir::Pattern`] matches)
/// and explores every state reachable from the start, up to [`STATE_LIMIT`].
fn explore(source: &str) -> Option<Explored> {
    let dfa = DFA::builder()
        .configure(
            DFA::config()
                // `\b` makes the DFA quit on non-ASCII bytes; quit counts as "may match".
                .unicode_word_boundary(true)
                // Room for STATE_LIMIT states, so the cache is never cleared.
                .cache_capacity(16 << 20),
        )
        .thompson(regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(1 << 20)))
        .build(&format!("^(?:{source})$"))
        .ok()?;
    let mut cache = dfa.create_cache();
    let start = dfa
        .start_state(&mut cache, &start::Config::new().anchored(Anchored::Yes))
        .ok()?;
    // One representative byte per equivalence class.
    let classes = dfa.byte_classes();
    let mut reps: Vec<u8> = Vec::new();
    let mut seen = [false; 256];
    for b in 0..=255u8 {
        let class = usize::from(classes.get(b));
        if !seen[class] {
            seen[class] = true;
            reps.push(b);
        }
    }
    let mut index = HashMap::new();
    let mut states = vec![start];
    index.insert(start, 0);
    let mut edges: Vec<Vec<usize>> = Vec::new();
    let mut accepting = Vec::new();
    let mut n = 0;
    while n < states.len() {
        if states.len() > STATE_LIMIT {
            return None;
        }
        let s = states[n];
        let eoi = dfa.next_eoi_state(&mut cache, s).ok()?;
        // A cleared cache invalidates the ids held in `states`: give up at once.
        if cache.clear_count() != 0 {
            return None;
        }
        let mut out = Vec::new();
        let mut maybe = eoi.is_quit() || eoi.is_unknown();
        for &b in &reps {
            let t = dfa.next_state(&mut cache, s, b).ok()?;
            if cache.clear_count() != 0 {
                return None;
            }
            if t.is_dead() {
                continue;
            }
            if t.is_quit() || t.is_unknown() {
                maybe = true;
                continue;
            }
            let id = *index.entry(t).or_insert_with(|| {
                states.push(t);
                states.len() - 1
            });
            out.push(id);
        }
        // Matches are reported one byte late: entering a match state means the input
        // before that byte matched. With `$` that is the end-of-input transition, but
        // count both.
        let matched = eoi.is_match() || out.iter().any(|&t| states[t].is_match());
        accepting.push(matched || maybe);
        edges.push(out);
        n += 1;
    }
    if cache.clear_count() != 0 {
        return None;
    }
    // Backward closure from the accepting states.
    let mut reverse: Vec<Vec<usize>> = vec![Vec::new(); states.len()];
    for (s, out) in edges.iter().enumerate() {
        for &t in out {
            reverse[t].push(s);
        }
    }
    let mut live = accepting.clone();
    let mut work: Vec<usize> = (0..states.len()).filter(|&s| live[s]).collect();
    while let Some(t) = work.pop() {
        for &s in &reverse[t] {
            if !live[s] {
                live[s] = true;
                work.push(s);
            }
        }
    }
    Some(Explored {
        dfa,
        cache,
        index,
        states,
        live,
        accepting,
    })
}

impl Explored {
    /// Whether state `t` (just reached) may lead to a match; `None` if it was not explored.
    fn is_live(&self, t: LazyStateID) -> Option<bool> {
        if t.is_dead() {
            return Some(false);
        }
        if t.is_quit() || t.is_unknown() {
            return Some(true);
        }
        self.index.get(&t).map(|&i| self.live[i])
    }

    /// Every byte (not just class representatives) leading from state `s` to a state
    /// that may lead to a match.
    fn live_bytes(&mut self, s: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for b in 0..=255u8 {
            let t = self
                .dfa
                .next_state(&mut self.cache, self.states[s], b)
                .ok()?;
            if self.cache.clear_count() != 0 {
                return None;
            }
            if self.is_live(t)? {
                out.push(b);
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{analyse, ancestors};

    #[test]
    fn regex_languages() {
        let l = analyse("/a/.*").expect("analysed");
        assert!(l.slash_start && !l.empty && !l.single);
        assert_eq!(l.lcp, b"/a/");
        assert!(l.under_prefix("/a") && l.under_prefix("/") && !l.under_prefix("/a/b"));

        let l = analyse("/a/b/?").expect("analysed");
        assert_eq!(l.lcp, b"/a/b");
        assert!(l.tail_slash_or_end && l.under_prefix("/a/b") && !l.single);

        let l = analyse("/a/b").expect("analysed");
        assert_eq!(l.only_string(), Some("/a/b"));

        let l = analyse("/[ab]+").expect("analysed");
        assert_eq!(l.lcp, b"/");
        assert!(l.under_prefix("/") && !l.under_prefix("/a"));

        let l = analyse("/ab.*").expect("analysed");
        assert!(!l.under_prefix("/a"), "/abc is not under /a");

        let l = analyse("api/.*").expect("analysed");
        assert!(!l.slash_start);
        let l = analyse("(?i)/API").expect("analysed");
        assert!(l.slash_start);
        let l = analyse(".*").expect("analysed");
        assert!(l.slash_start && l.lcp.is_empty() && !l.under_prefix("/"));
        let l = analyse(r"\b/x").expect("analysed");
        assert!(
            !l.slash_start,
            "a word boundary before '/' at the start never holds"
        );
    }

    #[test]
    fn ancestors_are_element_wise() {
        let a: Vec<&str> = ancestors("/a/b/c").collect();
        assert_eq!(a, ["/a/b/c", "/a/b", "/a", "/"]);
        assert_eq!(ancestors("/").collect::<Vec<_>>(), ["/"]);
    }
}
