//! Stage 2, validate and attach: Gateways and their listeners, routes and their
//! parentRefs, references and grants. Produces the [`Ir`], Kubernetes-shaped
//! status for every object, and diagnostics.

mod hostname;
pub(crate) mod ingress;
mod lower;
mod policy;
mod refs;

use std::collections::{BTreeSet, HashMap, HashSet};

pub use lower::parse_duration_ms;

use self::hostname::intersect;
pub(crate) use self::hostname::listener_specificity;
use self::lower::{LoweredRoute, Lowerer};
pub(crate) use self::refs::RefIndex;
use self::refs::{ns_of, secret_is_tls_pair};
use crate::config::Config;
use crate::diag::{
    Code, Condition, Diagnostic, GatewayClassStatus, GatewayStatus, GroupKind, ListenerStatus,
    ObjectRef, ObjectStatus, RouteParentStatus, RouteStatus, Severity, StatusEntry,
    StatusParentRef, StatusReport, GATEWAY_GROUP,
};
use crate::ir::{self, Attachment, Ir, Protocol, RouteKind};
use crate::precedence::RouteOrder;
use crate::resource::model::{
    Gateway, Listener, ListenerSet, ObjectMeta, ObjectReference, ParentReference,
};
use crate::resource::{Object, Resources};

/// The controller name written into route status.
const DEFAULT_CONTROLLER: &str = "gatewright/controller";

/// What attachment produced.
pub(crate) struct Attached {
    pub(crate) ir: Ir,
    pub(crate) status: StatusReport,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// Per-listener state while attaching.
struct ListenerState<'r> {
    spec: &'r Listener,
    /// 0 for the Gateway's own listeners, k + 1 for the k-th attached ListenerSet.
    owner: usize,
    /// Namespace of the owner (for `allowedRoutes: Same` and certificate refs).
    owner_namespace: String,
    /// Accepted: a supported protocol and a valid client validation config.
    accepted: bool,
    /// Programmed: accepted, certificates resolved, no conflict.
    programmed: bool,
    supported_kinds: Vec<GroupKind>,
    attached: HashSet<usize>,
    status: ListenerStatus,
    /// Index in the IR gateway's listeners.
    ir_listener: Option<usize>,
}

/// A ListenerSet whose parentRef names a Gateway of ours.
struct SetState<'r> {
    object: ObjectRef,
    set: &'r ListenerSet,
    /// Whether the Gateway's `allowedListeners` admits it.
    allowed: bool,
}

struct GatewayState<'r> {
    gateway: &'r Gateway,
    object: ObjectRef,
    /// Index in `ir.gateways`, when the Gateway is served.
    ir_index: Option<usize>,
    listeners: Vec<ListenerState<'r>>,
    sets: Vec<SetState<'r>>,
}

/// Runs attachment over all resources.
pub(crate) fn attach(resources: &Resources, config: &Config) -> Attached {
    let objects = resources.objects();
    let refs = RefIndex::new(objects);
    let mut diagnostics = resources.diagnostics().to_vec();
    let mut status = StatusReport::default();
    let mut ir = Ir::default();
    let controller = config
        .get_controller_name()
        .unwrap_or(DEFAULT_CONTROLLER)
        .to_owned();

    // GatewayClasses: ours when the controller name matches (or none is configured).
    let mut our_classes: HashMap<&str, bool> = HashMap::new();
    for object in objects {
        if let Object::GatewayClass(gc) = object {
            if our_classes.contains_key(gc.metadata.name.as_str()) {
                let object_ref =
                    ObjectRef::new(GATEWAY_GROUP, "GatewayClass", None, &gc.metadata.name);
                diagnostics.push(Diagnostic::new(
                    Code::DuplicateObject,
                    Severity::Warning,
                    &object_ref,
                    "",
                    "duplicate GatewayClass; the first one is used",
                ));
                continue;
            }
            let ours = config
                .get_controller_name()
                .is_none_or(|c| c == gc.spec.controller_name);
            our_classes.insert(&gc.metadata.name, ours);
            if ours {
                status.objects.push(StatusEntry {
                    kind: "GatewayClass".into(),
                    namespace: None,
                    name: gc.metadata.name.clone(),
                    status: ObjectStatus::GatewayClass(GatewayClassStatus {
                        conditions: vec![Condition::new("Accepted", true, "Accepted", "")],
                    }),
                });
            }
        }
    }

    // Gateways.
    let mut gateways: Vec<GatewayState<'_>> = Vec::new();
    let mut seen = HashSet::new();
    for object in objects {
        let Object::Gateway(gw) = object else {
            continue;
        };
        let namespace = ns_of(gw.metadata.namespace.as_ref());
        let object_ref =
            ObjectRef::new(GATEWAY_GROUP, "Gateway", Some(namespace), &gw.metadata.name);
        if !seen.insert((namespace, gw.metadata.name.as_str())) {
            diagnostics.push(Diagnostic::new(
                Code::DuplicateObject,
                Severity::Warning,
                &object_ref,
                "",
                "duplicate Gateway; ignored",
            ));
            continue;
        }
        match our_classes.get(gw.spec.gateway_class_name.as_str()) {
            Some(true) => {}
            Some(false) => {
                diagnostics.push(Diagnostic::new(
                    Code::GatewayClassNotOurs,
                    Severity::Info,
                    &object_ref,
                    "spec.gatewayClassName",
                    "the GatewayClass belongs to another controller; Gateway ignored",
                ));
                continue;
            }
            None if config.get_controller_name().is_some() => {
                diagnostics.push(Diagnostic::new(
                    Code::GatewayClassNotFound,
                    Severity::Warning,
                    &object_ref,
                    "spec.gatewayClassName",
                    format!(
                        "GatewayClass {:?} not found; Gateway ignored",
                        gw.spec.gateway_class_name
                    ),
                ));
                continue;
            }
            None => {}
        }
        let sets = listener_sets_for(objects, gw, namespace);
        gateways.push(attach_gateway(
            gw,
            object_ref,
            sets,
            &refs,
            &mut diagnostics,
            &mut ir,
        ));
    }

    // BackendTLSPolicies, resolved before the routes that use them.
    let policies = policy::BackendTlsPolicies::new(objects, &refs, &mut diagnostics);
    let mut policy_ancestors: HashMap<usize, BTreeSet<(String, String)>> = HashMap::new();

    // Routes, in input order.
    let mut route_seen = HashSet::new();
    for object in objects {
        let (kind, meta, parent_refs, hostnames) = match object {
            Object::HttpRoute(r) => (
                RouteKind::Http,
                &r.metadata,
                &r.spec.parent_refs,
                &r.spec.hostnames,
            ),
            Object::GrpcRoute(r) => (
                RouteKind::Grpc,
                &r.metadata,
                &r.spec.parent_refs,
                &r.spec.hostnames,
            ),
            Object::TlsRoute(r) => (
                RouteKind::Tls,
                &r.metadata,
                &r.spec.parent_refs,
                &r.spec.hostnames,
            ),
            Object::TcpRoute(r) => (
                RouteKind::Tcp,
                &r.metadata,
                &r.spec.parent_refs,
                &r.spec.hostnames,
            ),
            Object::UdpRoute(r) => (
                RouteKind::Udp,
                &r.metadata,
                &r.spec.parent_refs,
                &r.spec.hostnames,
            ),
            _ => continue,
        };
        let namespace = ns_of(meta.namespace.as_ref());
        let object_ref = ObjectRef::new(GATEWAY_GROUP, kind.as_str(), Some(namespace), &meta.name);
        if !route_seen.insert((kind, namespace, meta.name.as_str())) {
            diagnostics.push(Diagnostic::new(
                Code::DuplicateObject,
                Severity::Warning,
                &object_ref,
                "",
                format!("duplicate {}; ignored", kind.as_str()),
            ));
            continue;
        }
        // GAMMA: a consumer route may send to the Service it is attached to without
        // a ReferenceGrant (the mesh conformance test MeshConsumerRoute).
        let mesh_parents: Vec<(String, String)> = parent_refs
            .iter()
            .filter(|p| {
                p.kind.as_deref() == Some("Service")
                    && p.group
                        .as_deref()
                        .is_none_or(|g| g.is_empty() || g == "core")
            })
            .map(|p| {
                (
                    p.namespace.clone().unwrap_or_else(|| namespace.to_owned()),
                    p.name.clone(),
                )
            })
            .collect();
        let lowerer = Lowerer {
            refs: &refs,
            mesh_parents,
            policies: &policies,
            policy_uses: Vec::new(),
            regex_size_limit: config.get_regex_size_limit(),
            object: &object_ref,
            namespace,
            diagnostics: &mut diagnostics,
            unresolved: None,
        };
        let lowered = match object {
            Object::GrpcRoute(r) => lowerer.lower_grpc_route(r),
            Object::HttpRoute(r) => lowerer.lower_route(r),
            Object::TlsRoute(r) | Object::TcpRoute(r) | Object::UdpRoute(r) => {
                lowerer.lower_l4_route(r)
            }
            _ => continue,
        };
        let input = RouteInput {
            kind,
            meta,
            parent_refs,
            hostnames,
            object: &object_ref,
            lowered,
        };
        let route_status = attach_route(
            input,
            &refs,
            &controller,
            &mut gateways,
            &mut diagnostics,
            &mut ir,
            &mut policy_ancestors,
        );
        status.objects.push(StatusEntry {
            kind: kind.as_str().into(),
            namespace: Some(namespace.to_owned()),
            name: meta.name.clone(),
            status: ObjectStatus::Route(route_status),
        });
    }

    resolve_http_grpc_conflicts(&mut ir, &mut gateways, &mut status, &mut diagnostics);

    // Ingress: one Gateway per IngressClass of ours (see `ingress`).
    let ingress_plan = ingress::plan(objects, &refs, config, &mut diagnostics);
    ingress::lower(&ingress_plan, &mut ir);

    // Gateway and ListenerSet status, now that attachedRoutes are known.
    let mut gateway_entries = Vec::new();
    for state in gateways {
        let mut gs = GatewayStatus::default();
        let own = |l: &&ListenerState<'_>| l.owner == 0;
        let valid = state
            .listeners
            .iter()
            .filter(own)
            .filter(|l| l.accepted)
            .count();
        let total = state.listeners.iter().filter(own).count();
        gs.conditions = gateway_conditions(
            state.gateway,
            &state.object,
            &refs,
            valid,
            total,
            &mut diagnostics,
        );
        let programmed =
            state.ir_index.is_some() && state.listeners.iter().filter(own).any(|l| l.programmed);
        gs.conditions.push(if programmed {
            Condition::new("Programmed", true, "Programmed", "")
        } else {
            Condition::new("Programmed", false, "Invalid", "no listener is programmed")
        });
        // `attachedListenerSets` counts the ListenerSets that are accepted: admitted,
        // with at least one valid listener.
        let attached_sets = (1..=state.sets.len())
            .filter(|k| {
                state.sets[k - 1].allowed
                    && state
                        .listeners
                        .iter()
                        .any(|l| l.owner == *k && l.programmed)
            })
            .count();
        if !state.sets.is_empty() || state.gateway.spec.allowed_listeners.is_some() {
            gs.attached_listener_sets = Some(u32::try_from(attached_sets).unwrap_or(u32::MAX));
        }
        let mut set_statuses: Vec<GatewayStatus> = state
            .sets
            .iter()
            .map(|_| GatewayStatus::default())
            .collect();
        for mut l in state.listeners {
            l.status.attached_routes = u32::try_from(l.attached.len()).unwrap_or(u32::MAX);
            match l.owner {
                0 => gs.listeners.push(l.status),
                k => set_statuses[k - 1].listeners.push(l.status),
            }
        }
        gateway_entries.push(StatusEntry {
            kind: "Gateway".into(),
            namespace: state.object.namespace.clone(),
            name: state.object.name.clone(),
            status: ObjectStatus::Gateway(gs),
        });
        for (set, mut ss) in state.sets.into_iter().zip(set_statuses) {
            // ListenerSet conditions: NotAllowed when the Gateway does not admit it,
            // ListenersNotValid when none of its listeners is valid (listenerset_types.go).
            let valid = ss.listeners.iter().any(|l| {
                l.conditions
                    .iter()
                    .any(|c| c.kind == "Programmed" && c.is_true())
            });
            let (ok, reason, message) = if !set.allowed {
                (
                    false,
                    "NotAllowed",
                    "the Gateway's allowedListeners does not admit this ListenerSet",
                )
            } else if valid {
                (true, "Accepted", "")
            } else {
                (false, "ListenersNotValid", "no listener is valid")
            };
            ss.conditions
                .push(Condition::new("Accepted", ok, reason, message));
            ss.conditions.push(Condition::new(
                "Programmed",
                ok,
                if ok { "Programmed" } else { reason },
                message,
            ));
            gateway_entries.push(StatusEntry {
                kind: "ListenerSet".into(),
                namespace: set.object.namespace.clone(),
                name: set.object.name.clone(),
                status: ObjectStatus::Gateway(ss),
            });
        }
    }
    status
        .objects
        .extend(policies.status(&policy_ancestors, &controller));
    // Gateways first, then routes, as a reader expects.
    let routes = std::mem::take(&mut status.objects);
    let (classes, routes): (Vec<_>, Vec<_>) =
        routes.into_iter().partition(|e| e.kind == "GatewayClass");
    status.objects = classes
        .into_iter()
        .chain(gateway_entries)
        .chain(routes)
        .chain(ingress_plan.statuses)
        .collect();

    Attached {
        ir,
        status,
        diagnostics,
    }
}

/// `GRPCRouteSpec.Hostnames` (grpcroute_types.go 90–140): an HTTPRoute and a
/// GRPCRoute attached to one listener with intersecting hostnames conflict; only
/// the older (then `{namespace}/{name}` first) is accepted there, the other gets
/// `Accepted=False`. The spec names no reason; gatewright uses `Conflicted`.
fn resolve_http_grpc_conflicts(
    ir: &mut Ir,
    gateways: &mut [GatewayState<'_>],
    status: &mut StatusReport,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut losers: Vec<(usize, usize, usize, usize)> = Vec::new(); // (gateway, listener, loser, winner)
    for (g, gateway) in ir.gateways.iter().enumerate() {
        for (l, listener) in gateway.listeners.iter().enumerate() {
            let routes = &ir.routes;
            let of_kind = |kind: RouteKind| -> Vec<&Attachment> {
                listener
                    .attachments
                    .iter()
                    .filter(|a| routes[a.route].kind == kind)
                    .collect()
            };
            let grpc = of_kind(RouteKind::Grpc);
            // Only listeners carrying both kinds can conflict (avoids a quadratic scan otherwise).
            if grpc.is_empty() {
                continue;
            }
            for a in of_kind(RouteKind::Http) {
                for &b in &grpc {
                    let (ra, rb) = (&ir.routes[a.route], &ir.routes[b.route]);
                    let overlap = a
                        .hostnames
                        .iter()
                        .any(|x| b.hostnames.iter().any(|y| hostname::hosts_intersect(x, y)));
                    if overlap {
                        let (winner, loser) = if RouteOrder::of(ra) <= RouteOrder::of(rb) {
                            (a.route, b.route)
                        } else {
                            (b.route, a.route)
                        };
                        losers.push((g, l, loser, winner));
                    }
                }
            }
        }
    }
    for (g, l, loser, winner) in losers {
        ir.gateways[g].listeners[l]
            .attachments
            .retain(|a| a.route != loser);
        let gw = &ir.gateways[g];
        if let Some(state) = gateways.iter_mut().find(|s| s.ir_index == Some(g)) {
            for ls in state
                .listeners
                .iter_mut()
                .filter(|ls| ls.ir_listener == Some(l))
            {
                ls.attached.remove(&loser);
            }
        }
        let (lr, wr) = (&ir.routes[loser], &ir.routes[winner]);
        let message = format!(
            "{} {}/{} on listener {} has an intersecting hostname and is older (or first by name)",
            wr.kind.as_str(),
            wr.namespace,
            wr.name,
            gw.listeners[l].name
        );
        let object = ObjectRef::new(
            GATEWAY_GROUP,
            lr.kind.as_str(),
            Some(&lr.namespace),
            &lr.name,
        );
        diagnostics.push(Diagnostic::new(
            Code::RouteConflict,
            Severity::Error,
            &object,
            "spec.hostnames",
            message.clone(),
        ));
        let still_attached = gw
            .listeners
            .iter()
            .any(|x| x.attachments.iter().any(|a| a.route == loser));
        if still_attached {
            continue;
        }
        for entry in status.objects.iter_mut().filter(|e| {
            e.kind == lr.kind.as_str()
                && e.namespace.as_deref() == Some(&lr.namespace)
                && e.name == lr.name
        }) {
            if let ObjectStatus::Route(rs) = &mut entry.status {
                for p in rs.parents.iter_mut().filter(|p| {
                    p.parent_ref.kind == "Gateway"
                        && p.parent_ref.namespace == gw.namespace
                        && p.parent_ref.name == gw.name
                }) {
                    for c in p.conditions.iter_mut().filter(|c| c.kind == "Accepted") {
                        *c = Condition::new("Accepted", false, "Conflicted", message.clone());
                    }
                }
            }
        }
    }
}

/// Gateway-level conditions: Accepted (with ListenersNotValid / InvalidParameters)
/// and ResolvedRefs for `spec.tls.backend.clientCertificateRef`.
fn gateway_conditions(
    gw: &Gateway,
    object: &ObjectRef,
    refs: &RefIndex<'_>,
    valid: usize,
    total: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Condition> {
    let namespace = object.namespace.as_deref().unwrap_or("default");
    let mut conditions = Vec::new();
    let params_ok = gw
        .spec
        .infrastructure
        .as_ref()
        .and_then(|i| i.parameters_ref.as_ref())
        .is_none_or(|p| {
            // Only a ConfigMap in the Gateway's namespace is understood as parameters.
            p.group.as_deref().unwrap_or("").is_empty()
                && p.kind.as_deref() == Some("ConfigMap")
                && refs.config_map(namespace, &p.name).is_some()
        });
    if !params_ok {
        diagnostics.push(Diagnostic::new(
            Code::InvalidParameters,
            Severity::Error,
            object,
            "spec.infrastructure.parametersRef",
            "parametersRef does not resolve to a supported object",
        ));
        conditions.push(Condition::new(
            "Accepted",
            false,
            "InvalidParameters",
            "spec.infrastructure.parametersRef is invalid",
        ));
    } else if valid == 0 && total > 0 {
        conditions.push(Condition::new(
            "Accepted",
            false,
            "ListenersNotValid",
            "no listener is valid",
        ));
    } else if valid < total {
        conditions.push(Condition::new(
            "Accepted",
            true,
            "ListenersNotValid",
            "some listeners are not valid",
        ));
    } else {
        conditions.push(Condition::new("Accepted", true, "Accepted", ""));
    }
    if let Some(cert) = gw
        .spec
        .tls
        .as_ref()
        .and_then(|t| t.backend.as_ref())
        .and_then(|b| b.client_certificate_ref.as_ref())
    {
        let field = "spec.tls.backend.clientCertificateRef";
        match check_secret_ref(cert, namespace, "Gateway", refs) {
            Ok(()) => conditions.push(Condition::new("ResolvedRefs", true, "ResolvedRefs", "")),
            Err((reason, message)) => {
                let reason = if reason == "RefNotPermitted" {
                    reason
                } else {
                    "InvalidClientCertificateRef"
                };
                diagnostics.push(Diagnostic::new(
                    Code::InvalidClientCertificateRef,
                    Severity::Error,
                    object,
                    field,
                    message.clone(),
                ));
                conditions.push(Condition::new("ResolvedRefs", false, reason, message));
            }
        }
    }
    conditions
}

/// Checks a Secret reference holding a TLS certificate and key.
/// `Err((reason, message))` with reason `InvalidCertificateRef` or `RefNotPermitted`.
fn check_secret_ref(
    r: &ObjectReference,
    from_namespace: &str,
    from_kind: &str,
    refs: &RefIndex<'_>,
) -> Result<(), (&'static str, String)> {
    let group = r.group.as_deref().unwrap_or("");
    let kind = r.kind.as_deref().unwrap_or("Secret");
    if !group.is_empty() || kind != "Secret" {
        return Err((
            "InvalidCertificateRef",
            format!("certificate reference to unsupported kind {group}/{kind}"),
        ));
    }
    let namespace = r.namespace.as_deref().unwrap_or(from_namespace);
    if namespace != from_namespace
        && !refs.granted(
            (GATEWAY_GROUP, from_kind, from_namespace),
            ("", "Secret", namespace, &r.name),
        )
    {
        return Err(("RefNotPermitted", format!("no ReferenceGrant in {namespace} allows Gateways from {from_namespace} to use Secret {}", r.name)));
    }
    match refs.secret(namespace, &r.name) {
        None => Err((
            "InvalidCertificateRef",
            format!("Secret {namespace}/{} not found", r.name),
        )),
        Some(s) if !secret_is_tls_pair(s) => Err((
            "InvalidCertificateRef",
            format!(
                "Secret {namespace}/{} does not hold a PEM certificate and key",
                r.name
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// ListenerSets whose parentRef names `gw`, oldest first, then by
/// `{namespace}/{name}` (`ListenerSetSpec.Listeners`, listenerset_types.go 82–103).
fn listener_sets_for<'r>(
    objects: &'r [Object],
    gw: &Gateway,
    gw_namespace: &str,
) -> Vec<(&'r ListenerSet, ObjectRef)> {
    let mut sets: Vec<(&ListenerSet, ObjectRef)> = objects
        .iter()
        .filter_map(|o| match o {
            Object::ListenerSet(ls) => Some(ls),
            _ => None,
        })
        .filter(|ls| {
            let ns = ns_of(ls.metadata.namespace.as_ref());
            let p = &ls.spec.parent_ref;
            p.kind.as_deref().unwrap_or("Gateway") == "Gateway"
                && p.name == gw.metadata.name
                && p.namespace.as_deref().unwrap_or(ns) == gw_namespace
        })
        .map(|ls| {
            let ns = ns_of(ls.metadata.namespace.as_ref());
            (
                ls,
                ObjectRef::new(GATEWAY_GROUP, "ListenerSet", Some(ns), &ls.metadata.name),
            )
        })
        .collect();
    sets.sort_by(|(a, ao), (b, bo)| {
        let ta = a
            .metadata
            .creation_timestamp
            .as_deref()
            .and_then(parse_timestamp);
        let tb = b
            .metadata
            .creation_timestamp
            .as_deref()
            .and_then(parse_timestamp);
        let age = match (ta, tb) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        age.then_with(|| (&ao.namespace, &ao.name).cmp(&(&bo.namespace, &bo.name)))
    });
    sets
}

/// `GatewaySpec.AllowedListeners` (gateway_types.go 291–335): `from` defaults to `None`.
fn listener_set_allowed(
    gw: &Gateway,
    gw_namespace: &str,
    set_namespace: &str,
    refs: &RefIndex<'_>,
) -> bool {
    let ns = gw
        .spec
        .allowed_listeners
        .as_ref()
        .and_then(|a| a.namespaces.as_ref());
    match ns.and_then(|n| n.from.as_deref()).unwrap_or("None") {
        "All" => true,
        "Same" => set_namespace == gw_namespace,
        "Selector" => ns
            .and_then(|n| n.selector.as_ref())
            .is_some_and(|s| refs.namespace_selected(set_namespace, s)),
        _ => false,
    }
}

/// Where a listener comes from: the Gateway (owner 0) or a ListenerSet.
struct ListenerSource<'r, 'o> {
    spec: &'r Listener,
    owner: usize,
    object: &'o ObjectRef,
    field: String,
}

/// Validates a Gateway's listeners, merged with those of the ListenerSets it
/// admits, and adds the served ones to the IR.
fn attach_gateway<'r>(
    gw: &'r Gateway,
    object: ObjectRef,
    sets: Vec<(&'r ListenerSet, ObjectRef)>,
    refs: &RefIndex<'_>,
    diagnostics: &mut Vec<Diagnostic>,
    ir: &mut Ir,
) -> GatewayState<'r> {
    let namespace = object.namespace.clone().unwrap_or_default();
    let set_states: Vec<SetState<'r>> = sets
        .into_iter()
        .map(|(set, set_object)| {
            let set_ns = set_object.namespace.as_deref().unwrap_or("default");
            let allowed = listener_set_allowed(gw, &namespace, set_ns, refs);
            SetState {
                object: set_object,
                set,
                allowed,
            }
        })
        .collect();
    let mut sources: Vec<ListenerSource<'r, '_>> = gw
        .spec
        .listeners
        .iter()
        .enumerate()
        .map(|(i, spec)| ListenerSource {
            spec,
            owner: 0,
            object: &object,
            field: format!("spec.listeners[{i}]"),
        })
        .collect();
    for (k, set) in set_states.iter().enumerate() {
        if set.allowed {
            for (i, spec) in set.set.spec.listeners.iter().enumerate() {
                sources.push(ListenerSource {
                    spec,
                    owner: k + 1,
                    object: &set.object,
                    field: format!("spec.listeners[{i}]"),
                });
            }
        }
    }
    let mut listeners: Vec<ListenerState<'r>> = Vec::new();
    let mut protocols = Vec::new();
    for source in &sources {
        let (state, protocol, passthrough) = validate_listener(gw, source, refs, diagnostics);
        listeners.push(state);
        protocols.push((protocol, passthrough));
    }
    // Conflicts between listeners on one port (`GatewaySpec.Listeners`: listeners on a
    // port must be distinct by protocol compatibility and hostname). With ListenerSets
    // the earlier listener in the merged order keeps the port (listenerset_types.go).
    let specs: Vec<(&Listener, usize)> = sources.iter().map(|s| (s.spec, s.owner)).collect();
    let conflicts = listener_conflicts(&specs);
    for (i, state) in listeners.iter_mut().enumerate() {
        state.status.supported_kinds = state.supported_kinds.clone();
        match conflicts[i] {
            Some(reason) => {
                diagnostics.push(Diagnostic::new(
                    Code::ListenerConflict,
                    Severity::Error,
                    sources[i].object,
                    &sources[i].field,
                    format!(
                        "listener conflicts with another on port {} ({reason})",
                        state.spec.port
                    ),
                ));
                let message = "conflicts with another listener on the same port";
                state.status.conditions.retain(|c| c.kind != "Accepted");
                state
                    .status
                    .conditions
                    .insert(0, Condition::new("Accepted", false, reason, message));
                state
                    .status
                    .conditions
                    .push(Condition::new("Conflicted", true, reason, message));
                state
                    .status
                    .conditions
                    .push(Condition::new("Programmed", false, reason, message));
                state.accepted = false;
                state.programmed = false;
            }
            None => {
                state.status.conditions.push(Condition::new(
                    "Conflicted",
                    false,
                    "NoConflicts",
                    "",
                ));
                state.status.conditions.push(if state.programmed {
                    Condition::new("Programmed", true, "Programmed", "")
                } else {
                    Condition::new("Programmed", false, "Invalid", "the listener is not valid")
                });
            }
        }
    }
    let params_ok = gw
        .spec
        .infrastructure
        .as_ref()
        .and_then(|i| i.parameters_ref.as_ref())
        .is_none();
    let ir_index = params_ok.then(|| {
        let mut ir_listeners = Vec::new();
        for (state, (protocol, passthrough)) in listeners.iter_mut().zip(&protocols) {
            let Some(protocol) = *protocol else { continue };
            state.ir_listener = Some(ir_listeners.len());
            ir_listeners.push(ir::Listener {
                name: state.spec.name.clone(),
                port: state.spec.port,
                protocol,
                hostname: state.spec.hostname.as_ref().map(|h| h.to_ascii_lowercase()),
                programmed: state.programmed,
                tls_passthrough: *passthrough,
                attachments: Vec::new(),
            });
        }
        ir.gateways.push(ir::Gateway {
            namespace: namespace.clone(),
            name: gw.metadata.name.clone(),
            listeners: ir_listeners,
            host_fallthrough: None,
        });
        ir.gateways.len() - 1
    });
    GatewayState {
        gateway: gw,
        object,
        ir_index,
        listeners,
        sets: set_states,
    }
}

/// Validates one listener: protocol, route kinds, certificates, client validation.
fn validate_listener<'r>(
    gw: &Gateway,
    source: &ListenerSource<'r, '_>,
    refs: &RefIndex<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (ListenerState<'r>, Option<Protocol>, bool) {
    let l = source.spec;
    let object = source.object;
    let field = &source.field;
    let owner_namespace = object.namespace.clone().unwrap_or_else(|| "default".into());
    let protocol = match l.protocol.as_str() {
        "HTTP" => Some(Protocol::Http),
        "HTTPS" => Some(Protocol::Https),
        "TLS" => Some(Protocol::Tls),
        "TCP" => Some(Protocol::Tcp),
        "UDP" => Some(Protocol::Udp),
        _ => None,
    };
    // `GatewayTLSConfig.Mode` defaults to Terminate.
    let passthrough = protocol == Some(Protocol::Tls)
        && l.tls.as_ref().and_then(|t| t.mode.as_deref()) == Some("Passthrough");
    let mut accepted = protocol.is_some();
    let mut resolved: Result<(), (&str, String)> = Ok(());
    let mut accepted_reason = ("Accepted", String::new());
    if protocol.is_none() {
        let message = format!("protocol {:?} is not supported", l.protocol);
        diagnostics.push(Diagnostic::new(
            Code::UnsupportedProtocol,
            Severity::Error,
            object,
            format!("{field}.protocol"),
            message.clone(),
        ));
        accepted_reason = ("UnsupportedProtocol", message);
    }
    // Route kinds: `AllowedRoutes.Kinds`; invalid kinds → ResolvedRefs=False/InvalidRouteKinds.
    let (supported_kinds, kinds_ok) = supported_kinds(l, protocol.is_some());
    if !kinds_ok {
        diagnostics.push(Diagnostic::new(
            Code::InvalidRouteKinds,
            Severity::Error,
            object,
            format!("{field}.allowedRoutes.kinds"),
            format!(
                "a {} listener can carry only {}",
                l.protocol,
                kinds_for_protocol(&l.protocol).join(", ")
            ),
        ));
        resolved = Err((
            "InvalidRouteKinds",
            "unsupported route kinds in allowedRoutes.kinds".into(),
        ));
    }
    let terminates =
        protocol == Some(Protocol::Https) || (protocol == Some(Protocol::Tls) && !passthrough);
    if terminates {
        if let Err(e) = check_certificates(l, &owner_namespace, &object.kind, refs) {
            diagnostics.push(Diagnostic::new(
                Code::InvalidCertificateRef,
                Severity::Error,
                object,
                format!("{field}.tls.certificateRefs"),
                e.1.clone(),
            ));
            if resolved.is_ok() {
                resolved = Err(e);
            }
        }
        if let Err((reason, message)) = check_client_validation(gw, l.port, &owner_namespace, refs)
        {
            diagnostics.push(Diagnostic::new(
                Code::InvalidCaCertificateRef,
                Severity::Error,
                object,
                "spec.tls.frontend",
                message.clone(),
            ));
            resolved = Err((reason, message.clone()));
            accepted = false;
            accepted_reason = ("NoValidCACertificate", message);
        }
    }
    let mut conditions = vec![Condition::new(
        "Accepted",
        accepted,
        accepted_reason.0,
        accepted_reason.1,
    )];
    conditions.push(match &resolved {
        Ok(()) => Condition::new("ResolvedRefs", true, "ResolvedRefs", ""),
        Err((reason, message)) => Condition::new("ResolvedRefs", false, reason, message.clone()),
    });
    let refs_ok = !matches!(&resolved, Err((r, _)) if *r != "InvalidRouteKinds");
    let state = ListenerState {
        spec: l,
        owner: source.owner,
        owner_namespace,
        accepted,
        programmed: accepted && refs_ok,
        supported_kinds,
        attached: HashSet::new(),
        status: ListenerStatus {
            name: l.name.clone(),
            supported_kinds: Vec::new(),
            attached_routes: 0,
            conditions,
        },
        ir_listener: None,
    };
    (state, protocol, passthrough)
}

/// Route kinds a listener protocol can carry (`Listener.Protocol` and the route
/// types' docs: HTTP/HTTPS carry HTTPRoute and GRPCRoute).
pub(crate) fn kinds_for_protocol(protocol: &str) -> &'static [&'static str] {
    match protocol {
        "HTTP" | "HTTPS" => &["HTTPRoute", "GRPCRoute"],
        "TLS" => &["TLSRoute"],
        "TCP" => &["TCPRoute"],
        "UDP" => &["UDPRoute"],
        _ => &[],
    }
}

/// `supportedKinds` of a listener and whether every kind listed in
/// `allowedRoutes.kinds` is valid (`AllowedRoutes.Kinds`: unsupported kinds set
/// `ResolvedRefs=False/InvalidRouteKinds`).
fn supported_kinds(l: &Listener, protocol_ok: bool) -> (Vec<GroupKind>, bool) {
    if !protocol_ok {
        return (Vec::new(), true);
    }
    let possible = kinds_for_protocol(&l.protocol);
    let group_kind = |kind: &str| GroupKind {
        group: GATEWAY_GROUP.into(),
        kind: kind.into(),
    };
    match l.allowed_routes.as_ref().and_then(|a| a.kinds.as_ref()) {
        None => (possible.iter().map(|k| group_kind(k)).collect(), true),
        Some(kinds) => {
            let mut ok = true;
            let mut out: Vec<GroupKind> = Vec::new();
            for k in kinds {
                let valid = k.group.as_deref().unwrap_or(GATEWAY_GROUP) == GATEWAY_GROUP
                    && possible.contains(&k.kind.as_str());
                if !valid {
                    ok = false;
                } else if !out.iter().any(|o| o.kind == k.kind) {
                    out.push(group_kind(&k.kind));
                }
            }
            (out, ok)
        }
    }
}

fn check_certificates<'a>(
    l: &Listener,
    namespace: &str,
    from_kind: &str,
    refs: &RefIndex<'_>,
) -> Result<(), (&'a str, String)> {
    let Some(tls) = &l.tls else {
        return Err((
            "InvalidCertificateRef",
            format!(
                "{} listener terminating TLS has no tls.certificateRefs",
                l.protocol
            ),
        ));
    };
    if l.protocol == "HTTPS" && tls.mode.as_deref().is_some_and(|m| m != "Terminate") {
        return Err((
            "InvalidCertificateRef",
            "HTTPS listeners terminate TLS (tls.mode must be Terminate)".into(),
        ));
    }
    if tls.certificate_refs.is_empty() {
        return Err((
            "InvalidCertificateRef",
            format!(
                "{} listener terminating TLS has no tls.certificateRefs",
                l.protocol
            ),
        ));
    }
    for r in &tls.certificate_refs {
        check_secret_ref(r, namespace, from_kind, refs)?;
    }
    Ok(())
}

/// Frontend client certificate validation for the listener's port: the per-port
/// entry, else the default. CA refs must be ConfigMaps (or Secrets) that exist,
/// with a ReferenceGrant when cross-namespace.
fn check_client_validation<'a>(
    gw: &Gateway,
    port: u16,
    namespace: &str,
    refs: &RefIndex<'_>,
) -> Result<(), (&'a str, String)> {
    let Some(frontend) = gw.spec.tls.as_ref().and_then(|t| t.frontend.as_ref()) else {
        return Ok(());
    };
    let config = frontend
        .per_port
        .iter()
        .find(|p| p.port == port)
        .map(|p| &p.tls)
        .or(frontend.default.as_ref());
    let Some(validation) = config.and_then(|c| c.validation.as_ref()) else {
        return Ok(());
    };
    for r in &validation.ca_certificate_refs {
        let group = r.group.as_deref().unwrap_or("");
        let kind = r.kind.as_deref().unwrap_or("ConfigMap");
        if !group.is_empty() || !matches!(kind, "ConfigMap" | "Secret") {
            return Err((
                "InvalidCACertificateKind",
                format!("CA certificate reference to unsupported kind {group}/{kind}"),
            ));
        }
        let ref_ns = r.namespace.as_deref().unwrap_or(namespace);
        if ref_ns != namespace
            && !refs.granted(
                (GATEWAY_GROUP, "Gateway", namespace),
                ("", kind, ref_ns, &r.name),
            )
        {
            return Err(("RefNotPermitted", format!("no ReferenceGrant in {ref_ns} allows Gateways from {namespace} to use {kind} {}", r.name)));
        }
        let exists = if kind == "ConfigMap" {
            refs.config_map(ref_ns, &r.name).is_some()
        } else {
            refs.secret(ref_ns, &r.name).is_some()
        };
        if !exists {
            return Err((
                "InvalidCACertificateRef",
                format!("{kind} {ref_ns}/{} not found", r.name),
            ));
        }
    }
    Ok(())
}

/// For each listener, the reason it conflicts with another one, if it does.
/// Listeners of the Gateway itself (owner 0) that conflict are all marked. A
/// ListenerSet listener is compared with the earlier listeners that kept their
/// port (the merged order is the precedence, listenerset_types.go 82–103) and is
/// the one marked.
fn listener_conflicts(listeners: &[(&Listener, usize)]) -> Vec<Option<&'static str>> {
    let mut out: Vec<Option<&'static str>> = vec![None; listeners.len()];
    for i in 0..listeners.len() {
        let (a, a_owner) = listeners[i];
        for (j, &(b, b_owner)) in listeners.iter().enumerate() {
            let relevant = if a_owner == 0 {
                b_owner == 0 && j != i
            } else {
                j < i && out[j].is_none()
            };
            if !relevant || a.port != b.port {
                continue;
            }
            if let Some(reason) = conflict_between(a, b) {
                if reason == "ProtocolConflict" || out[i].is_none() {
                    out[i] = Some(reason);
                }
            }
        }
    }
    out
}

/// Why two listeners on the same port cannot coexist, if they cannot.
fn conflict_between(a: &Listener, b: &Listener) -> Option<&'static str> {
    // UDP and the TCP-based protocols use different transports, so they may
    // share a port number; HTTPS and TLS share by SNI.
    let udp = |p: &str| p == "UDP";
    let compatible = a.protocol == b.protocol
        || udp(&a.protocol) != udp(&b.protocol)
        || matches!(
            (a.protocol.as_str(), b.protocol.as_str()),
            ("HTTPS", "TLS") | ("TLS", "HTTPS")
        );
    // `Listener.Hostname`: "ignored for protocols that don't require hostname based
    // matching" (TCP, UDP), so two such listeners on one port always collide.
    let hostless = matches!(a.protocol.as_str(), "TCP" | "UDP");
    if !compatible {
        Some("ProtocolConflict")
    } else if a.protocol == b.protocol
        && (hostless
            || a.hostname.as_deref().map(str::to_ascii_lowercase)
                == b.hostname.as_deref().map(str::to_ascii_lowercase))
    {
        Some("HostnameConflict")
    } else {
        None
    }
}

/// A route of any kind, read and lowered, ready to attach.
struct RouteInput<'a> {
    kind: RouteKind,
    meta: &'a ObjectMeta,
    parent_refs: &'a [ParentReference],
    hostnames: &'a [String],
    object: &'a ObjectRef,
    lowered: LoweredRoute,
}

/// Attaches one route to its parents; returns its status.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the attach state"
)]
fn attach_route(
    input: RouteInput<'_>,
    refs: &RefIndex<'_>,
    controller: &str,
    gateways: &mut [GatewayState<'_>],
    diagnostics: &mut Vec<Diagnostic>,
    ir: &mut Ir,
    policy_ancestors: &mut HashMap<usize, BTreeSet<(String, String)>>,
) -> RouteStatus {
    let mut accepted_on: Vec<(String, String)> = Vec::new();
    let RouteInput {
        kind: route_kind,
        meta,
        parent_refs,
        hostnames: route_hostnames,
        object,
        lowered,
    } = input;
    let namespace = object.namespace.as_deref().unwrap_or("default");
    let route_id = ir.routes.len();
    let mut status = RouteStatus::default();
    let mut attachments: Vec<(usize, usize, Vec<ir::HostMatch>)> = Vec::new();
    let mut mesh_attachments: Vec<(String, String, Option<u16>)> = Vec::new();

    let all_dropped = lowered.rules.is_empty() && lowered.dropped.is_some();
    for (p, parent) in parent_refs.iter().enumerate() {
        let field = format!("spec.parentRefs[{p}]");
        let group = parent.group.as_deref().unwrap_or(GATEWAY_GROUP);
        let kind = parent.kind.as_deref().unwrap_or("Gateway");
        if (group.is_empty() || group == "core") && kind == "Service" {
            let parent_ns = parent.namespace.as_deref().unwrap_or(namespace);
            let parent_status = attach_to_service(
                parent,
                parent_ns,
                route_kind,
                all_dropped,
                &lowered,
                refs,
                controller,
            );
            if parent_status
                .conditions
                .iter()
                .any(|c| c.kind == "Accepted" && c.is_true())
            {
                // `sectionName` on a Service parentRef names a port (GEP-1426).
                let named_port = parent.section_name.as_ref().and_then(|section| {
                    refs.service(parent_ns, &parent.name)
                        .and_then(|svc| {
                            svc.spec
                                .ports
                                .iter()
                                .find(|p| p.name.as_deref() == Some(section.as_str()))
                        })
                        .map(|p| p.port)
                });
                mesh_attachments.push((
                    parent_ns.to_owned(),
                    parent.name.clone(),
                    parent.port.or(named_port),
                ));
            } else if let Some(c) = parent_status.conditions.first() {
                diagnostics.push(Diagnostic::new(
                    Code::NoMatchingParent,
                    Severity::Error,
                    object,
                    &field,
                    c.message.clone(),
                ));
            }
            status.parents.push(parent_status);
            continue;
        }
        if group != GATEWAY_GROUP || !matches!(kind, "Gateway" | "ListenerSet") {
            diagnostics.push(Diagnostic::new(
                Code::UnsupportedValue,
                Severity::Info,
                object,
                &field,
                format!("parentRef kind {group}/{kind} is not supported; ignored"),
            ));
            continue;
        }
        let parent_ns = parent.namespace.as_deref().unwrap_or(namespace);
        let parent_ref = StatusParentRef {
            group: GATEWAY_GROUP.into(),
            kind: kind.into(),
            namespace: parent_ns.to_owned(),
            name: parent.name.clone(),
            section_name: parent.section_name.clone(),
            port: parent.port,
        };
        let mut conditions = Vec::new();
        // The parent: a Gateway (its own listeners), or an attached ListenerSet (its listeners).
        let is_parent = |g: &GatewayState<'_>| -> Option<usize> {
            if kind == "Gateway" {
                (g.object.namespace.as_deref() == Some(parent_ns) && g.object.name == parent.name)
                    .then_some(0)
            } else {
                g.sets
                    .iter()
                    .position(|s| {
                        s.allowed
                            && s.object.namespace.as_deref() == Some(parent_ns)
                            && s.object.name == parent.name
                    })
                    .map(|k| k + 1)
            }
        };
        let found = gateways
            .iter_mut()
            .find_map(|g| is_parent(g).map(|owner| (g, owner)));
        let accepted = match found {
            None => Err((
                "NoMatchingParent",
                format!("{kind} {parent_ns}/{} not found", parent.name),
            )),
            Some((gw, _)) if gw.ir_index.is_none() => Err((
                "NoMatchingParent",
                format!(
                    "the Gateway of {kind} {parent_ns}/{} is not accepted",
                    parent.name
                ),
            )),
            Some((gw, owner)) => {
                let gw_index = gw.ir_index.unwrap_or_default();
                let mut found_section = false;
                let mut allowed = false;
                let mut attached_any = false;
                for state in gw.listeners.iter_mut().filter(|l| l.owner == owner) {
                    let l = state.spec;
                    // `ParentReference.SectionName` / `.Port`: both must match when both are set.
                    if parent.section_name.as_ref().is_some_and(|s| *s != l.name)
                        || parent.port.is_some_and(|port| port != l.port)
                    {
                        continue;
                    }
                    found_section = true;
                    let kind_allowed = state
                        .supported_kinds
                        .iter()
                        .any(|k| k.kind == route_kind.as_str());
                    if !state.accepted
                        || !kind_allowed
                        || !namespace_allowed(l, namespace, &state.owner_namespace, refs)
                    {
                        continue;
                    }
                    allowed = true;
                    // TCP and UDP listeners ignore their hostname (`Listener.Hostname`).
                    let listener_host = l
                        .hostname
                        .as_deref()
                        .filter(|_| !matches!(l.protocol.as_str(), "TCP" | "UDP"));
                    let hostnames = intersect(listener_host, route_hostnames);
                    if hostnames.is_empty() {
                        continue;
                    }
                    attached_any = true;
                    // A route whose every rule was dropped is not accepted, so it is not counted.
                    if !all_dropped {
                        state.attached.insert(route_id);
                    }
                    if let Some(ir_li) = state.ir_listener {
                        attachments.push((gw_index, ir_li, hostnames));
                    }
                }
                if attached_any {
                    accepted_on.push((
                        gw.object.namespace.clone().unwrap_or_default(),
                        gw.object.name.clone(),
                    ));
                }
                if !found_section {
                    Err((
                        "NoMatchingParent",
                        "no listener matches the parentRef's sectionName/port".to_owned(),
                    ))
                } else if !allowed {
                    Err((
                        "NotAllowedByListeners",
                        "no listener's allowedRoutes admits this route".to_owned(),
                    ))
                } else if !attached_any {
                    Err((
                        "NoMatchingListenerHostname",
                        "no route hostname intersects a listener hostname".to_owned(),
                    ))
                } else {
                    Ok(())
                }
            }
        };
        match accepted {
            Ok(()) if all_dropped => {
                conditions.push(Condition::new(
                    "Accepted",
                    false,
                    "UnsupportedValue",
                    lowered.dropped.clone().unwrap_or_default(),
                ));
            }
            Ok(()) => conditions.push(Condition::new("Accepted", true, "Accepted", "")),
            Err((reason, message)) => {
                let code = match reason {
                    "NotAllowedByListeners" => Code::NotAllowedByListeners,
                    "NoMatchingListenerHostname" => Code::NoMatchingListenerHostname,
                    _ => Code::NoMatchingParent,
                };
                diagnostics.push(Diagnostic::new(
                    code,
                    Severity::Error,
                    object,
                    &field,
                    message.clone(),
                ));
                conditions.push(Condition::new("Accepted", false, reason, message));
            }
        }
        conditions.push(match &lowered.unresolved {
            None => Condition::new("ResolvedRefs", true, "ResolvedRefs", ""),
            Some((reason, message)) => {
                Condition::new("ResolvedRefs", false, reason, message.clone())
            }
        });
        if let (Some(message), false) = (&lowered.dropped, all_dropped) {
            // GEP-1364: PartiallyInvalid=True when some rules were dropped.
            conditions.push(Condition::new(
                "PartiallyInvalid",
                true,
                "UnsupportedValue",
                message.clone(),
            ));
        }
        status.parents.push(RouteParentStatus {
            parent_ref,
            controller_name: controller.to_owned(),
            conditions,
        });
    }

    for &policy in &lowered.policy_uses {
        policy_ancestors
            .entry(policy)
            .or_default()
            .extend(accepted_on.iter().cloned());
    }
    if (!attachments.is_empty() || !mesh_attachments.is_empty()) && !lowered.rules.is_empty() {
        ir.routes.push(ir::Route {
            kind: route_kind,
            namespace: namespace.to_owned(),
            name: meta.name.clone(),
            created: meta.creation_timestamp.as_deref().and_then(parse_timestamp),
            rules: lowered.rules,
        });
        for (svc_ns, svc_name, port) in mesh_attachments {
            let consumer = svc_ns != namespace;
            let index = match ir
                .services
                .iter()
                .position(|s| s.namespace == svc_ns && s.name == svc_name)
            {
                Some(i) => i,
                None => {
                    ir.services.push(ir::MeshService {
                        namespace: svc_ns,
                        name: svc_name,
                        attachments: Vec::new(),
                    });
                    ir.services.len() - 1
                }
            };
            ir.services[index].attachments.push(ir::MeshAttachment {
                route: route_id,
                port,
                consumer,
            });
        }
        for (g, l, hostnames) in attachments {
            let listener = &mut ir.gateways[g].listeners[l];
            // One attachment per route and listener even if two parentRefs select it.
            // This route's attachments are pushed last, so only the last one can be it
            // (a linear search here would make attachment quadratic in routes per listener).
            match listener
                .attachments
                .last_mut()
                .filter(|a| a.route == route_id)
            {
                Some(a) => {
                    for h in hostnames {
                        if !a.hostnames.contains(&h) {
                            a.hostnames.push(h);
                        }
                    }
                }
                None => listener.attachments.push(Attachment {
                    route: route_id,
                    hostnames,
                }),
            }
        }
    }
    status
}

/// Attaches a route to a Service parent (GAMMA, GEP-1426): the Service must
/// exist and, with a parentRef `port`, have that port. Only HTTPRoute and
/// GRPCRoute route mesh traffic here.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the arguments are the route being attached"
)]
fn attach_to_service(
    parent: &ParentReference,
    parent_ns: &str,
    kind: RouteKind,
    all_dropped: bool,
    lowered: &LoweredRoute,
    refs: &RefIndex<'_>,
    controller: &str,
) -> RouteParentStatus {
    let parent_ref = StatusParentRef {
        group: String::new(),
        kind: "Service".into(),
        namespace: parent_ns.to_owned(),
        name: parent.name.clone(),
        section_name: parent.section_name.clone(),
        port: parent.port,
    };
    let accepted = match refs.service(parent_ns, &parent.name) {
        None => Err((
            "NoMatchingParent",
            format!("Service {parent_ns}/{} not found", parent.name),
        )),
        Some(_) if !matches!(kind, RouteKind::Http | RouteKind::Grpc) => Err((
            "NotAllowedByListeners",
            format!("{} cannot be attached to a Service", kind.as_str()),
        )),
        Some(svc)
            if parent.section_name.as_ref().is_some_and(|section| {
                !svc.spec
                    .ports
                    .iter()
                    .any(|sp| sp.name.as_deref() == Some(section.as_str()))
            }) =>
        {
            Err((
                "NoMatchingParent",
                format!(
                    "Service {parent_ns}/{} has no port named {}",
                    parent.name,
                    parent.section_name.clone().unwrap_or_default()
                ),
            ))
        }
        Some(svc)
            if parent
                .port
                .is_some_and(|p| !svc.spec.ports.iter().any(|sp| sp.port == p)) =>
        {
            Err((
                "NoMatchingParent",
                format!(
                    "Service {parent_ns}/{} has no port {}",
                    parent.name,
                    parent.port.unwrap_or_default()
                ),
            ))
        }
        Some(_) if all_dropped => Err((
            "UnsupportedValue",
            lowered.dropped.clone().unwrap_or_default(),
        )),
        Some(_) => Ok(()),
    };
    let mut conditions = vec![match accepted {
        Ok(()) => Condition::new("Accepted", true, "Accepted", ""),
        Err((reason, message)) => Condition::new("Accepted", false, reason, message),
    }];
    conditions.push(match &lowered.unresolved {
        None => Condition::new("ResolvedRefs", true, "ResolvedRefs", ""),
        Some((reason, message)) => Condition::new("ResolvedRefs", false, reason, message.clone()),
    });
    RouteParentStatus {
        parent_ref,
        controller_name: controller.to_owned(),
        conditions,
    }
}

/// `AllowedRoutes.Namespaces` (`FromNamespaces`, gateway_types.go 857–873):
/// `Same` (default), `All`, `Selector`, `None`.
fn namespace_allowed(l: &Listener, route_ns: &str, gateway_ns: &str, refs: &RefIndex<'_>) -> bool {
    let ns = l
        .allowed_routes
        .as_ref()
        .and_then(|a| a.namespaces.as_ref());
    match ns.and_then(|n| n.from.as_deref()).unwrap_or("Same") {
        "All" => true,
        "Selector" => ns
            .and_then(|n| n.selector.as_ref())
            .is_some_and(|s| refs.namespace_selected(route_ns, s)),
        "Same" => route_ns == gateway_ns,
        _ => false,
    }
}

/// Parses an RFC 3339 timestamp (`2024-05-01T10:00:00Z`, fractions and offsets allowed).
pub(crate) fn parse_timestamp(text: &str) -> Option<ir::Timestamp> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &text[19..];
    let mut nanos: u32 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let mut n: u32 = 0;
        for (i, c) in frac[..digits].bytes().enumerate().take(9) {
            n += u32::from(c - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
        }
        nanos = n;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && (rest.starts_with('+') || rest.starts_with('-')) => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (rest.get(1..3)?.parse::<i64>().ok()? * 3600
                + rest.get(4..6)?.parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((
        days * 86_400 + hour * 3600 + minute * 60 + second - offset,
        nanos,
    ))
}

#[cfg(test)]
mod tests {
    use super::parse_timestamp;

    #[test]
    fn timestamps_order() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some((0, 0)));
        assert_eq!(
            parse_timestamp("1970-01-02T00:00:01.5Z"),
            Some((86_401, 500_000_000))
        );
        assert_eq!(
            parse_timestamp("2024-03-01T00:00:00+01:00"),
            parse_timestamp("2024-02-29T23:00:00Z")
        );
        assert!(parse_timestamp("2024-03-01").is_none());
        // Never panics on non-ASCII input (slicing inside a multi-byte character).
        assert!(parse_timestamp("2024-03-01T00:00:00+0\u{e9}00").is_none());
    }
}
