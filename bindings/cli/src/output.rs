//! Text rendering of decisions, explanations and check reports.

use std::fmt::Write as _;

use gatewright::ir::{BackendTarget, HeaderOps, Listener, Protocol};
use gatewright::{
    Action, BackendName, Condition, Connect, Decision, Explanation, Forward, MeshEntry,
    ObjectStatus, Provenance, Request, Router, Severity,
};

/// Rows of `key  value`, keys aligned; an empty key continues the previous row.
#[derive(Default)]
struct Table {
    rows: Vec<(String, String)>,
}

impl Table {
    fn row(&mut self, key: &str, value: impl Into<String>) {
        self.rows.push((key.to_owned(), value.into()));
    }

    fn more(&mut self, value: impl Into<String>) {
        self.rows.push((String::new(), value.into()));
    }

    fn render(&self, out: &mut String) {
        let width = self.rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (key, value) in &self.rows {
            let _ = writeln!(out, "{key:<width$}  {value}");
        }
    }
}

/// Columns aligned on the widest cell; the last column is not padded.
fn columns(out: &mut String, indent: &str, rows: &[Vec<String>]) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    // The last cell of a row does not count: it is never padded.
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter(|r| i + 1 < r.len())
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = indent.to_owned();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn backend(b: &BackendName) -> String {
    // Istio destinations are hosts (FQDNs), optionally with a DestinationRule subset.
    match &b.host {
        Some(host) => {
            let subset = b
                .subset
                .as_deref()
                .map(|s| format!(" subset {s}"))
                .unwrap_or_default();
            format!("{host}:{}{subset}", b.port)
        }
        None => format!("{}/{}:{}", b.namespace, b.name, b.port),
    }
}

fn duration(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// `gatewright route` as text; `grpc` adds the gRPC status the client sees.
pub(crate) fn route_text(
    router: &Router,
    request: &Request<'_>,
    decision: &Decision,
    explanation: Option<&Explanation>,
    grpc: bool,
) -> String {
    let mut t = Table::default();
    if grpc {
        t.row("call", format!("gRPC {} (HTTP/2 POST)", request.path()));
    }
    match &decision.action {
        Action::Forward(f) => {
            t.row("outcome", "forward");
            t.row("backend", backend(&f.backend));
            let total: u64 = f.split.iter().map(|w| u64::from(w.weight)).sum();
            for (i, w) in f.split.iter().enumerate() {
                let share = if total == 0 {
                    0.0
                } else {
                    100.0 * f64::from(w.weight) / total as f64
                };
                let line = format!("{} weight {} ({share:.1}%)", backend(&w.backend), w.weight);
                if i == 0 {
                    t.row("split", line);
                } else {
                    t.more(line);
                }
            }
            for (i, (k, v)) in f.attributes.iter().enumerate() {
                let line = format!("{k}: {v}");
                if i == 0 {
                    t.row("attributes", line);
                } else {
                    t.more(line);
                }
            }
        }
        Action::Redirect(r) => {
            t.row("outcome", format!("redirect {}", r.status));
            t.row("location", &r.location);
            for (i, (name, value)) in r.headers.iter().enumerate() {
                let line = format!("{name}: {value}");
                if i == 0 {
                    t.row("headers", line);
                } else {
                    t.more(line);
                }
            }
        }
        Action::Respond(r) => {
            t.row("outcome", format!("respond {}", r.status));
            t.row("reason", &r.reason);
            if let Some(b) = &r.backend {
                t.row("backend", format!("{} (does not exist)", backend(b)));
            }
            if let Some(body) = &r.body {
                t.row("body", body);
            }
            for (i, (name, value)) in r.headers.iter().enumerate() {
                let line = format!("{name}: {value}");
                if i == 0 {
                    t.row("headers", line);
                } else {
                    t.more(line);
                }
            }
        }
        Action::Reject { reason } => {
            t.row("outcome", "reject (connection refused, no HTTP response)");
            t.row("reason", reason);
        }
        // An https:// request to a TLS listener is routed as a connection.
        Action::Connect(c) => {
            t.row("outcome", "connect (a TLS listener: no HTTP routing)");
            connect_rows(&mut t, router, decision.matched.as_ref(), c);
        }
        _ => t.row("outcome", "unknown action (newer engine than this CLI)"),
    }
    if grpc {
        t.row("grpc-status", grpc_status(&decision.action));
    }
    if let Some(mesh) = request.get_mesh() {
        mesh_rows(&mut t, router, &mesh, decision);
    } else if let Some(p) = &decision.matched {
        t.row("gateway", &p.gateway);
        t.row("listener", &p.listener);
        if let Some(e) = explanation {
            t.row("entered", &e.listener);
        }
        if let (Some(ns), Some(name)) = (&p.namespace, &p.name) {
            t.row(
                "route",
                format!("{} {ns}/{name}", p.kind.as_deref().unwrap_or("HTTPRoute")),
            );
        }
        if let Some(rule) = p.rule {
            let name = p
                .rule_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            t.row("rule", format!("{rule}{name}"));
        }
        if let Some(m) = p.matched {
            t.row("match", m.to_string());
        }
        if let Some(h) = &p.hostname {
            t.row("hostname", h);
        }
        if let (Some(ns), Some(name), Some(rule)) = (&p.namespace, &p.name, p.rule) {
            split_rows(&mut t, router, ns, name, rule, decision);
        }
    }
    if let Action::Forward(f) = &decision.action {
        forward_rows(&mut t, request, f);
    }
    if let (Some(e), None) = (explanation, &decision.matched) {
        t.row("entered", &e.listener);
    }
    if let Some(policies) = &decision.policies {
        for (i, (kind, spec)) in policies.iter().enumerate() {
            let line = format!("{kind} {spec}");
            if i == 0 {
                t.row("policies", line);
            } else {
                t.more(line);
            }
        }
    }
    let mut out = String::new();
    t.render(&mut out);
    if let Some(e) = explanation {
        explain_rows(&mut out, router, e);
        for (kind, effective) in &e.policies {
            let _ = writeln!(out, "\n{kind} (effective policy on this path):");
            let mut rows = Vec::new();
            for (field, src) in &effective.fields {
                let value = if src.unset {
                    "(unset)".to_owned()
                } else {
                    lookup_pointer(&effective.spec, field)
                };
                rows.push(vec![
                    field.clone(),
                    value,
                    format!(
                        "set by {} ({} at {})",
                        src.policy,
                        src.stanza,
                        src.level.as_str()
                    ),
                ]);
            }
            for d in &effective.discarded {
                rows.push(vec![
                    d.field.clone(),
                    format!("{} ({} at {})", d.policy, d.stanza, d.level.as_str()),
                    format!("lost to {}: {}", d.by, d.reason),
                ]);
            }
            columns(&mut out, "  ", &rows);
        }
    }
    out
}

/// A mesh request: who called which Service, and the route that applied.
fn mesh_rows(t: &mut Table, router: &Router, mesh: &MeshEntry<'_>, decision: &Decision) {
    t.row(
        "entered",
        format!(
            "mesh: workload in {} \u{2192} Service {}/{}:{}",
            mesh.from_namespace, mesh.service_namespace, mesh.service, mesh.port
        ),
    );
    let Some(p) = &decision.matched else {
        if matches!(decision.action, Action::Forward(_)) {
            t.row("route", "no mesh route applies: sent to the Service itself");
        }
        return;
    };
    if let (Some(ns), Some(name)) = (&p.namespace, &p.name) {
        let role = if *ns == mesh.service_namespace {
            "producer route: applies to every client".to_owned()
        } else {
            format!("consumer route: replaces the producer routes for clients in {ns}")
        };
        t.row(
            "route",
            format!(
                "{} {ns}/{name} ({role})",
                p.kind.as_deref().unwrap_or("HTTPRoute")
            ),
        );
    }
    if let Some(rule) = p.rule {
        let name = p
            .rule_name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        t.row("rule", format!("{rule}{name}"));
    }
    if let Some(m) = p.matched {
        t.row("match", m.to_string());
    }
    if let (Some(ns), Some(name), Some(rule)) = (&p.namespace, &p.name, p.rule) {
        split_rows(t, router, ns, name, rule, decision);
    }
}

/// The gRPC status a client sees for an HTTP decision: gRPC's HTTP-to-gRPC
/// mapping (404 Unimplemented; 429, 502, 503, 504 Unavailable), except that an
/// invalid backend (the gateway's 500) is Unavailable (`GRPCRouteRule.BackendRefs`).
fn grpc_status(action: &Action) -> String {
    match action {
        Action::Forward(_) => "OK (forwarded)".to_owned(),
        Action::Respond(r) => {
            let status = match r.status {
                400 => "Internal",
                401 => "Unauthenticated",
                403 => "PermissionDenied",
                404 => "Unimplemented",
                429 | 500 | 502 | 503 | 504 => "Unavailable",
                _ => "Unknown",
            };
            format!("{status} (HTTP {}: {})", r.status, r.reason)
        }
        Action::Redirect(r) => format!(
            "Unknown (HTTP {} redirect: gRPC clients do not follow redirects)",
            r.status
        ),
        Action::Reject { .. } => "Unavailable (connection refused)".to_owned(),
        Action::Connect(_) => "none (the gateway passes the TLS stream through)".to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// What `gatewright route` routes as a connection, for the text output.
pub(crate) struct ConnectionInput<'a> {
    /// `TCP` or `UDP`.
    pub(crate) transport: &'a str,
    pub(crate) port: u16,
    pub(crate) sni: Option<&'a str>,
}

/// `gatewright route tls://… | tcp://… | udp://…` as text.
pub(crate) fn connection_text(
    router: &Router,
    input: &ConnectionInput<'_>,
    decision: &Decision,
) -> String {
    let mut t = Table::default();
    let mut what = format!("{} to port {}", input.transport, input.port);
    if let Some(sni) = input.sni {
        let _ = write!(what, ", TLS ClientHello with SNI {sni}");
    }
    t.row("connection", what);
    match &decision.action {
        Action::Connect(c) => {
            t.row("outcome", "connect");
            connect_rows(&mut t, router, decision.matched.as_ref(), c);
        }
        Action::Reject { reason } => {
            t.row("outcome", "reject (connection refused)");
            t.row("reason", reason);
        }
        Action::Respond(r) => {
            t.row("outcome", format!("respond {}", r.status));
            t.row("reason", &r.reason);
        }
        _ => t.row("outcome", "unknown action (newer engine than this CLI)"),
    }
    if let Some(p) = &decision.matched {
        t.row("gateway", &p.gateway);
        t.row("listener", listener_label(router, p));
        if let (Some(ns), Some(name)) = (&p.namespace, &p.name) {
            t.row(
                "route",
                format!("{} {ns}/{name}", p.kind.as_deref().unwrap_or("route")),
            );
        }
        if let Some(rule) = p.rule {
            let name = p
                .rule_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            t.row("rule", format!("{rule}{name}"));
        }
        // TCP and UDP routes have no hostnames (the engine reports `*`).
        let tls = find_listener(router, p).is_none_or(|l| l.protocol == Protocol::Tls);
        if let Some(h) = p.hostname.as_ref().filter(|_| tls) {
            t.row("hostname", h);
        }
        if let (Some(ns), Some(name), Some(rule)) = (&p.namespace, &p.name, p.rule) {
            split_rows(&mut t, router, ns, name, rule, decision);
        }
    }
    let mut out = String::new();
    t.render(&mut out);
    out
}

/// The listener a decision names, from the compiled configuration.
fn find_listener<'r>(router: &'r Router, p: &Provenance) -> Option<&'r Listener> {
    router
        .ir()
        .gateways
        .iter()
        .find(|g| format!("{}/{}", g.namespace, g.name) == p.gateway)?
        .listeners
        .iter()
        .find(|l| l.name == p.listener)
}

/// `tls (TLS Passthrough, port 443, hostname *.example.com)`.
fn listener_label(router: &Router, p: &Provenance) -> String {
    let Some(l) = find_listener(router, p) else {
        return p.listener.clone();
    };
    let protocol = match (l.protocol, l.tls_passthrough) {
        (Protocol::Tls, true) => "TLS Passthrough".to_owned(),
        (Protocol::Tls, false) => "TLS Terminate".to_owned(),
        (protocol, _) => format!("{protocol:?}").to_ascii_uppercase(),
    };
    let host = l
        .hostname
        .as_deref()
        .map(|h| format!(", hostname {h}"))
        .unwrap_or_default();
    format!("{} ({protocol}, port {}{host})", l.name, l.port)
}

/// Backend, what it receives, and the SNI it sees.
fn connect_rows(t: &mut Table, router: &Router, matched: Option<&Provenance>, c: &Connect) {
    t.row("backend", backend(&c.backend));
    let listener = matched.and_then(|p| find_listener(router, p));
    let stream = match (c.tls_passthrough, listener.map(|l| l.protocol)) {
        (true, _) => "TLS passthrough: the backend gets the client's TLS stream",
        (false, Some(Protocol::Tls)) => "plaintext: TLS terminated at the gateway",
        (false, Some(Protocol::Udp)) => "plaintext: the datagrams as received",
        (false, _) => "plaintext: the bytes as received (no TLS at the gateway)",
    };
    t.row("stream", stream);
    if let Some(sni) = &c.sni {
        t.row("backend sni", sni);
    }
}

/// The weighted backends of the winning rule, when there are several.
fn split_rows(
    t: &mut Table,
    router: &Router,
    ns: &str,
    name: &str,
    rule: usize,
    decision: &Decision,
) {
    let ir = router.ir();
    let Some(route) = ir
        .routes
        .iter()
        .find(|r| r.namespace == ns && r.name == name)
    else {
        return;
    };
    let Some(rule) = route.rules.iter().find(|r| r.index == rule) else {
        return;
    };
    let backends = &rule.action.backends;
    if backends.len() < 2 {
        return;
    }
    let total: u64 = backends.iter().map(|b| u64::from(b.weight)).sum();
    let chosen = decision.backend();
    for (i, b) in backends.iter().enumerate() {
        let pct = if total == 0 {
            0.0
        } else {
            f64::from(b.weight) * 100.0 / total as f64
        };
        let (target, is_chosen) = match &b.target {
            BackendTarget::Service {
                namespace,
                name,
                port,
            } => (
                format!("{namespace}/{name}:{port}"),
                chosen.is_some_and(|c| {
                    &c.namespace == namespace && &c.name == name && c.port == *port
                }),
            ),
            BackendTarget::Invalid { reason, name } => {
                (format!("{name} (invalid: {reason})"), false)
            }
            _ => ("unknown target".to_owned(), false),
        };
        let mark = if is_chosen { "  <- chosen" } else { "" };
        let line = format!("weight {:>3} ({pct:.0}%)  {target}{mark}", b.weight);
        if i == 0 {
            t.row("split", line);
        } else {
            t.more(line);
        }
    }
    t.more("(pick with --entropy, e.g. --entropy 0.95)");
}

fn forward_rows(t: &mut Table, request: &Request<'_>, f: &Forward) {
    let up = &f.upstream;
    let mut changes = Vec::new();
    if up.method != request.method() {
        changes.push(format!("method {} (was {})", up.method, request.method()));
    }
    if up.authority != request.authority() {
        changes.push(format!(
            "host {} (was {})",
            up.authority,
            request.authority()
        ));
    }
    if up.path != request.path() {
        changes.push(format!("path {} (was {})", up.path, request.path()));
    }
    if up.query.as_deref() != request.query() {
        changes.push(format!(
            "query {} (was {})",
            up.query.as_deref().unwrap_or("none"),
            request.query().unwrap_or("none")
        ));
    }
    // Header changes as a multiset difference: what the backend sees that the
    // client did not send (+), and what the client sent that is gone (-).
    let original: Vec<(String, &str)> = request
        .get_headers()
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), *v))
        .collect();
    let mut remaining = original.clone();
    let mut added = Vec::new();
    for (name, value) in &up.headers {
        let key = name.to_ascii_lowercase();
        match remaining.iter().position(|(n, v)| *n == key && v == value) {
            Some(i) => {
                remaining.remove(i);
            }
            None => added.push(format!("+ {name}: {value}")),
        }
    }
    changes.extend(remaining.iter().map(|(n, v)| format!("- {n}: {v}")));
    changes.extend(added);
    if changes.is_empty() {
        t.row("upstream", "as received");
    } else {
        for (i, c) in changes.into_iter().enumerate() {
            if i == 0 {
                t.row("upstream", c);
            } else {
                t.more(c);
            }
        }
    }
    header_ops_rows(t, "response", &f.response_headers);
    for (i, m) in f.mirrors.iter().enumerate() {
        let sel = if m.selected {
            "this request is mirrored"
        } else {
            "this request is not mirrored"
        };
        let line = format!("{} {}% ({sel})", backend(&m.backend), m.percent);
        if i == 0 {
            t.row("mirror", line);
        } else {
            t.more(line);
        }
    }
    let mut timeouts = Vec::new();
    if let Some(ms) = f.request_timeout_ms {
        timeouts.push(format!("request {}", duration(ms)));
    }
    if let Some(ms) = f.backend_request_timeout_ms {
        timeouts.push(format!("backend request {}", duration(ms)));
    }
    if !timeouts.is_empty() {
        t.row("timeouts", timeouts.join(", "));
    }
    if let Some(r) = &f.retry {
        let codes = r
            .codes
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let backoff = r
            .backoff_ms
            .map(|ms| format!(", backoff {}", duration(ms)))
            .unwrap_or_default();
        t.row(
            "retry",
            format!("{} attempts on {codes}{backoff}", r.attempts),
        );
    }
}

fn header_ops_rows(t: &mut Table, key: &str, ops: &HeaderOps) {
    let lines = ops
        .set
        .iter()
        .map(|(n, v)| format!("set {n}: {v}"))
        .chain(ops.add.iter().map(|(n, v)| format!("add {n}: {v}")))
        .chain(ops.remove.iter().map(|n| format!("remove {n}")));
    for (i, line) in lines.enumerate() {
        if i == 0 {
            t.row(key, line);
        } else {
            t.more(line);
        }
    }
}

pub(crate) fn explain_rows(out: &mut String, router: &Router, e: &Explanation) {
    if e.considered.is_empty() {
        out.push_str("\nno candidate rules on this listener for this host\n");
        return;
    }
    out.push_str("\ncandidates, most specific hostname first, then in precedence order:\n");
    let mut rows = vec![[
        "#",
        "route",
        "rule",
        "match",
        "hostname",
        "conditions",
        "verdict",
    ]
    .map(str::to_owned)
    .to_vec()];
    for (i, c) in e.considered.iter().enumerate() {
        let rule_name = c
            .route
            .split_once('/')
            .and_then(|(ns, name)| {
                router
                    .ir()
                    .routes
                    .iter()
                    .find(|r| r.namespace == ns && r.name == name)
            })
            .and_then(|r| r.rules.iter().find(|rule| rule.index == c.rule))
            .and_then(|rule| rule.name.as_deref())
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        rows.push(vec![
            (i + 1).to_string(),
            c.route.clone(),
            format!("{}{rule_name}", c.rule),
            c.matched.to_string(),
            c.hostname.clone(),
            c.summary.clone(),
            c.verdict.clone(),
        ]);
    }
    columns(out, "  ", &rows);
}

/// What `gatewright check` found.
pub(crate) struct CheckReport<'r> {
    router: &'r Router,
    /// Route parents with Accepted or ResolvedRefs False.
    failing_parents: usize,
    routes: usize,
    /// Ingresses, and those not served or with unresolved backends.
    ingresses: usize,
    failing_ingresses: usize,
    errors: usize,
    warnings: usize,
}

impl<'r> CheckReport<'r> {
    pub(crate) fn new(router: &'r Router) -> Self {
        let mut failing_parents = 0;
        let mut routes = 0;
        let (mut ingresses, mut failing_ingresses) = (0, 0);
        for entry in &router.status().objects {
            match &entry.status {
                ObjectStatus::Route(rs) => {
                    routes += 1;
                    failing_parents += rs
                        .parents
                        .iter()
                        .filter(|p| parent_fails(&p.conditions))
                        .count();
                }
                ObjectStatus::Ingress(s) => {
                    ingresses += 1;
                    if s.conditions.iter().any(|c| !c.is_true()) {
                        failing_ingresses += 1;
                    }
                }
                _ => {}
            }
        }
        let count = |s: Severity| {
            router
                .diagnostics()
                .iter()
                .filter(|d| d.severity == s)
                .count()
        };
        CheckReport {
            router,
            failing_parents,
            routes,
            ingresses,
            failing_ingresses,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
        }
    }

    /// No route parent rejected or unresolved, every Ingress served with its
    /// backends resolved, and no error diagnostic.
    pub(crate) fn ok(&self) -> bool {
        self.failing_parents == 0 && self.failing_ingresses == 0 && self.errors == 0
    }

    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let status = self.router.status();
        let (mut classes, mut gateways) = (0, 0);
        for entry in &status.objects {
            let name = match &entry.namespace {
                Some(ns) => format!("{ns}/{}", entry.name),
                None => entry.name.clone(),
            };
            let _ = writeln!(out, "{} {name}", entry.kind);
            let mut rows = Vec::new();
            match &entry.status {
                ObjectStatus::GatewayClass(s) => {
                    classes += 1;
                    condition_rows(&mut rows, "", &s.conditions);
                }
                ObjectStatus::Gateway(s) => {
                    gateways += 1;
                    condition_rows(&mut rows, "", &s.conditions);
                    for l in &s.listeners {
                        let s = if l.attached_routes == 1 { "" } else { "s" };
                        rows.push(vec![format!(
                            "listener {}: {} attached route{s}",
                            l.name, l.attached_routes
                        )]);
                        condition_rows(&mut rows, "  ", &l.conditions);
                    }
                }
                ObjectStatus::Route(s) => {
                    if s.parents.is_empty() {
                        rows.push(vec!["no parent of ours (no status written)".to_owned()]);
                    }
                    for p in &s.parents {
                        let r = &p.parent_ref;
                        let mut parent = format!("parent {} {}/{}", r.kind, r.namespace, r.name);
                        if let Some(section) = &r.section_name {
                            let _ = write!(parent, " sectionName {section}");
                        }
                        if let Some(port) = r.port {
                            let _ = write!(parent, " port {port}");
                        }
                        if parent_fails(&p.conditions) {
                            parent.push_str("  <- NOT OK");
                        }
                        rows.push(vec![parent]);
                        condition_rows(&mut rows, "  ", &p.conditions);
                    }
                }
                ObjectStatus::Ingress(s) => {
                    if let Some(class) = &s.class {
                        rows.push(vec![format!("class {class}")]);
                    }
                    condition_rows(&mut rows, "", &s.conditions);
                }
                _ => rows.push(vec!["(status of a kind this CLI does not know)".to_owned()]),
            }
            columns(&mut out, "  ", &rows);
        }
        let diagnostics = self.router.diagnostics();
        if !diagnostics.is_empty() {
            let _ = writeln!(out, "\ndiagnostics:");
            for d in diagnostics {
                let _ = writeln!(out, "  {d}");
            }
        }
        let plural = |n: usize, word: &str| {
            let suffix = match (n, word.ends_with('s')) {
                (1, _) => "",
                (_, true) => "es",
                (_, false) => "s",
            };
            format!("{n} {word}{suffix}")
        };
        let ingresses = if self.ingresses == 0 {
            String::new()
        } else {
            format!(
                ", {} ({} not served or unresolved)",
                plural(self.ingresses, "Ingress"),
                self.failing_ingresses
            )
        };
        let _ = writeln!(
            out,
            "\n{}: {}, {}, {} ({} rejected or unresolved){ingresses}; {}, {}",
            if self.ok() { "OK" } else { "FAILED" },
            plural(classes, "GatewayClass"),
            plural(gateways, "Gateway"),
            plural(self.routes, "route"),
            plural(self.failing_parents, "parent"),
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
        );
        out
    }
}

/// Rows for conditions: one-cell rows (headings) are left as they are.
fn condition_rows(rows: &mut Vec<Vec<String>>, indent: &str, conditions: &[Condition]) {
    for c in conditions {
        rows.push(vec![
            format!("{indent}{}", c.kind),
            c.status.clone(),
            c.reason.clone(),
            c.message.clone(),
        ]);
    }
}

fn parent_fails(conditions: &[Condition]) -> bool {
    conditions
        .iter()
        .any(|c| (c.kind == "Accepted" || c.kind == "ResolvedRefs") && !c.is_true())
}

/// `gateway ns/name > listener > route ns/name > rule > service ns/name:port`.
pub(crate) fn policy_path(p: &gatewright::policy::PolicyPath) -> String {
    let mut out = format!("{}/{}", p.gateway.0, p.gateway.1);
    if let Some(l) = &p.listener {
        let _ = write!(out, " > listener {l}");
    }
    if let Some((ns, name)) = &p.route {
        let _ = write!(out, " > HTTPRoute {ns}/{name}");
    }
    if let Some(r) = &p.rule {
        let _ = write!(out, " > rule {r}");
    }
    if let Some((ns, name)) = &p.service {
        let _ = write!(out, " > Service {ns}/{name}");
    }
    if let Some(port) = &p.port {
        let _ = write!(out, ":{port}");
    }
    out
}

/// `gatewright policy` as text: per path and kind, the effective fields with their
/// source, the values that lost, then every policy's status.
pub(crate) fn policy_text(
    set: &gatewright::policy::PolicySet,
    paths: &[gatewright::policy::PolicyPath],
    kinds: &[String],
) -> String {
    let mut out = String::new();
    for p in paths {
        for kind in kinds {
            let e = set.effective(kind, p);
            if e.fields.is_empty() && e.discarded.is_empty() && e.rejected.is_empty() {
                continue;
            }
            let _ = writeln!(out, "{kind} on {}", policy_path(p));
            let mut rows = vec![vec![
                "FIELD".to_owned(),
                "VALUE".to_owned(),
                "SET BY".to_owned(),
            ]];
            for (field, src) in &e.fields {
                let value = if src.unset {
                    "(unset)".to_owned()
                } else {
                    lookup_pointer(&e.spec, field)
                };
                rows.push(vec![
                    field.clone(),
                    value,
                    format!("{} ({} at {})", src.policy, src.stanza, src.level.as_str()),
                ]);
            }
            columns(&mut out, "  ", &rows);
            if !e.discarded.is_empty() {
                let _ = writeln!(out, "  lost:");
                let mut rows = Vec::new();
                for d in &e.discarded {
                    rows.push(vec![
                        d.field.clone(),
                        format!("{} ({} at {})", d.policy, d.stanza, d.level.as_str()),
                        format!("lost to {}: {} ({})", d.by, d.reason, d.mode),
                    ]);
                }
                columns(&mut out, "    ", &rows);
            }
            for r in &e.rejected {
                let _ = writeln!(
                    out,
                    "  rejected: {} at {}: {} (kept by {})",
                    r.policy,
                    r.level.as_str(),
                    r.reason,
                    r.by
                );
            }
            out.push('\n');
        }
    }
    let _ = writeln!(out, "policies:");
    let mut rows = Vec::new();
    for (id, r) in set.reports() {
        let ancestors: Vec<String> = r
            .ancestors
            .iter()
            .map(|a| {
                let by = if a.overridden_by.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", a.overridden_by.join(", "))
                };
                format!(
                    "{}: {}{by}",
                    a.gateway,
                    a.programmed.as_deref().unwrap_or(&a.accepted)
                )
            })
            .collect();
        let targets: Vec<String> = r
            .targets
            .iter()
            .map(|t| format!("{} {}", t.reference, t.result))
            .collect();
        rows.push(vec![
            format!("{} {id}", r.kind),
            r.accepted.clone(),
            targets.join(", "),
            ancestors.join("; "),
        ]);
    }
    columns(&mut out, "  ", &rows);
    out
}

fn lookup_pointer(spec: &serde_json::Value, pointer: &str) -> String {
    spec.pointer(pointer)
        .map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}
