//! Proptest strategies for policy-attachment cases in the corpus format
//! (`conformance/policy/README.md`), for the differential test of the engine's resolver against
//! [`reference_policy`](crate::reference_policy).
//!
//! Everything is drawn from tiny pools so that policies collide: 1–2 GatewayClasses (a Gateway
//! may name a missing one), 1–2 Gateways with 1–3 listeners, 1–3 Services with named ports,
//! 1–4 HTTPRoutes whose parentRefs name a Gateway with or without a (possibly wrong) sectionName
//! and whose 1–3 rules (named or unnamed) point at existing or missing Services on matching or
//! unmatched ports, and 1–6 policies of 1–2 kinds (a second inherited kind, or a direct kind via
//! `policyKinds`, sometimes with restricted `targetKinds`). Policies live in two namespaces whose
//! `{namespace}/{name}` byte order differs from their `(namespace, name)` order (`app-x/…` <
//! `app/…`), or are cluster-scoped; their references reach every level, with and without
//! `sectionName`, including wrong sections, missing objects, objects in the other namespace,
//! explicit (and sometimes foreign) `namespace` fields, GatewayClasses, wrong groups, the legacy
//! `targetRef`, both fields, none, and duplicates. Timestamps tie (one instant is written twice,
//! once with an offset), and are now and then missing or unparsable. `defaults`/`overrides` are
//! nested objects over a small key set that includes `b` and `b-c` (JSON Pointer order is not text
//! order), with scalars, arrays, `null`s and empty objects; strategies are atomic, merge, absent
//! or (rarely) unknown. Every option of the README takes each of its values or is left out.
//!
//! ```
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//! let mut runner = TestRunner::deterministic();
//! let case = gatewright_spec::gen_policy::case().new_tree(&mut runner).unwrap().current();
//! assert!(gatewright_spec::policy::resolve(&case).is_ok());
//! assert!(gatewright_spec::reference_policy::Reference::new(&case).is_ok());
//! ```

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{subsequence, Index};
use serde_json::{json, Map, Value};

/// The gateway API group.
const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
/// Namespaces of routing objects and policies: `app-x/…` sorts before `app/…` as text although
/// `app` < `app-x`.
pub static NAMESPACES: [&str; 2] = ["app", "app-x"];
/// GatewayClass names; the last one is never created.
pub static CLASSES: [&str; 3] = ["gc-a", "gc-b", "gc-none"];
/// Gateway names; the last one is never created.
pub static GATEWAYS: [&str; 3] = ["gw-1", "gw-2", "gw-9"];
/// Listener names; `nope` is never created.
pub static LISTENERS: [&str; 4] = ["http", "https", "admin", "nope"];
/// HTTPRoute names; the last one is never created.
pub static ROUTES: [&str; 5] = ["r1", "r2", "r3", "r4", "r9"];
/// Rule names, by position; `zz` is never used.
pub static RULES: [&str; 4] = ["a", "b", "c", "zz"];
/// Service names; the last one is never created.
pub static SERVICES: [&str; 4] = ["svc-a", "svc-b", "svc-c", "svc-none"];
/// Service ports (name, number; `""` writes no name); backendRefs may also use 7777, which no
/// Service has.
pub static PORTS: [(&str, u16); 4] = [("http", 8080), ("https", 443), ("grpc", 9090), ("", 7070)];
/// Port names a sectionName may use; `nope` is never created.
pub static PORT_NAMES: [&str; 4] = ["http", "https", "grpc", "nope"];
/// Policy names (shuffled per case, so that name order is not declaration order).
pub static POLICY_NAMES: [&str; 6] = ["p1", "p2", "p3", "p4", "p5", "p6"];
/// Creation timestamps: the first three are the same instant.
pub static TIMESTAMPS: [&str; 5] = [
    "2025-01-10T08:00:00Z",
    "2025-01-10T09:00:00+01:00",
    "2025-01-10T08:00:00.000Z",
    "2025-02-10T08:00:00Z",
    "2024-12-01T00:00:00Z",
];
/// The first policy kind (inherited, always present).
pub const KIND_A: &str = "TrafficPolicy";
/// The second inherited kind.
pub const KIND_B_INHERITED: &str = "RetryPolicy";
/// The second kind when it is direct.
pub const KIND_B_DIRECT: &str = "TLSPolicy";
/// Top-level keys of policy values (`x/y~z` is escaped in JSON Pointers: `/x~1y~0z`).
static TOP_KEYS: [&str; 6] = ["timeout", "retries", "limits", "b", "b-c", "x/y~z"];
/// Nested keys of policy values (`b/c` sorts before `b-c` in pointer order, after it as text).
static NESTED_KEYS: [&str; 5] = ["attempts", "backoff", "b", "b-c", "c"];
/// Every option of README "options" with each of its values (`crossNamespaceRefs` has only one:
/// `reference-grant` is reserved).
pub static OPTIONS: [(&str, &[&str]); 8] = [
    ("sameLevelPrecedence", &["oldest", "gep713-established"]),
    ("sameTargetConflicts", &["resolve", "reject"]),
    ("defaultStrategy", &["atomic", "merge"]),
    ("strategyAuthority", &["layer", "child"]),
    ("mergeDepth", &["deep", "top-level"]),
    ("missingTargets", &["report", "ignore"]),
    ("legacyTargetRef", &["reject-both", "prefer-single"]),
    ("crossNamespaceRefs", &["reject"]),
];
/// Every targetable kind.
static TARGET_KINDS: [&str; 4] = ["GatewayClass", "Gateway", "HTTPRoute", "Service"];

/// The second policy kind of a case, if any, and per-kind configuration.
#[derive(Clone, Debug)]
pub struct GenKinds {
    /// `None`: one kind; `Some(false)`: a second inherited kind; `Some(true)`: a direct one.
    pub second: Option<bool>,
    /// `targetKinds` of the direct kind.
    pub direct_targets: Vec<&'static str>,
    /// A `targetKinds` restriction for [`KIND_A`], written with `class: inherited`.
    pub restrict_a: Option<Vec<&'static str>>,
}

/// A GatewayClass-or-not choice for a `namespace` field in a target reference.
#[derive(Clone, Copy, Debug)]
pub enum NsField {
    /// No `namespace` field.
    Absent,
    /// The policy's own namespace (harmless).
    Own,
    /// Another namespace (Invalid).
    Other,
}

/// One target reference before it is written out.
#[derive(Clone, Debug)]
pub struct GenRef {
    /// Its kind when the policy is namespaced.
    pub kind_namespaced: &'static str,
    /// Its kind when the policy is cluster-scoped.
    pub kind_cluster: &'static str,
    /// Its kind when the policy is of the direct kind: one of that kind's `targetKinds`, unless
    /// `off_target`.
    pub kind_direct: Index,
    /// A direct policy's reference keeps its `kind_namespaced` kind.
    pub off_target: bool,
    /// Picks the name from the kind's pool: 0 the first, 1 the second, otherwise by the index
    /// (so that policies collide on the same objects).
    pub name: (u8, Index),
    /// Picks a sectionName from the kind's pool.
    pub section: Option<Index>,
    /// Writes a wrong `group`.
    pub wrong_group: bool,
    /// Keeps `section` on a GatewayClass reference (Invalid, §3.2 step 2).
    pub class_section: bool,
    /// The `namespace` field.
    pub namespace: NsField,
}

/// How the references are written.
#[derive(Clone, Copy, Debug)]
pub enum RefMode {
    /// `targetRefs`.
    Many,
    /// The legacy `targetRef` (the first reference only).
    Single,
    /// Both `targetRef` (the first reference) and `targetRefs` (the others, or all).
    Both,
    /// `targetRefs: []`.
    None,
}

/// One policy before it is written out.
#[derive(Clone, Debug)]
pub struct GenPolicy {
    /// Of the second kind (when there is one).
    pub second_kind: bool,
    /// `None` = cluster-scoped.
    pub namespace: Option<&'static str>,
    /// A cluster-scoped policy writes `namespace: ""` (§2.2: absent or empty).
    pub empty_namespace: bool,
    /// `Ok(Some)` a timestamp, `Ok(None)` none, `Err` an unparsable one.
    pub timestamp: Result<Option<&'static str>, &'static str>,
    /// The references.
    pub refs: Vec<GenRef>,
    /// Repeats the first reference at the end.
    pub duplicate: bool,
    /// Replaces the references by this many distinct ones (16 is the most allowed, §3.1).
    pub many: Option<usize>,
    /// How the references are written.
    pub ref_mode: RefMode,
    /// `strategy` (inherited kinds).
    pub strategy: Option<&'static str>,
    /// `defaults` (inherited kinds).
    pub defaults: Option<Value>,
    /// `overrides` (inherited kinds).
    pub overrides: Option<Value>,
    /// The spec proper (direct kinds).
    pub direct_spec: Value,
    /// 0: nothing; 1: a `strategy` on a direct policy; 2: `defaults` on a direct policy; 3: an
    /// empty spec proper.
    pub direct_flaw: u8,
}

/// One Gateway (all Gateways of a case share [`GenWorld`]'s Gateway namespace).
#[derive(Clone, Debug)]
pub struct GenGateway {
    namespace: &'static str,
    class: &'static str,
    listeners: Vec<&'static str>,
}

/// One HTTPRoute parentRef.
#[derive(Clone, Debug)]
pub struct GenParent {
    gateway: &'static str,
    namespace: Option<&'static str>,
    section: Option<&'static str>,
}

/// One backendRef: Service name, port, explicit namespace, explicit `(group, kind)`.
type GenBackend = (
    &'static str,
    u16,
    Option<&'static str>,
    Option<(&'static str, &'static str)>,
);

/// One rule: named or not, and its backendRefs.
#[derive(Clone, Debug)]
pub struct GenRule {
    named: bool,
    backends: Vec<GenBackend>,
}

/// One HTTPRoute.
#[derive(Clone, Debug)]
pub struct GenRoute {
    namespace: &'static str,
    parents: Vec<GenParent>,
    rules: Vec<GenRule>,
}

/// One Service.
#[derive(Clone, Debug)]
pub struct GenService {
    namespace: &'static str,
    ports: Vec<(&'static str, u16)>,
}

/// The routing resources of a case.
#[derive(Clone, Debug)]
pub struct GenWorld {
    classes: usize,
    gateways: Vec<GenGateway>,
    services: Vec<GenService>,
    routes: Vec<GenRoute>,
}

/// Mostly `app`, sometimes `app-x`.
fn namespace(roll: u16) -> &'static str {
    pick(roll, &[(4, NAMESPACES[0]), (1, NAMESPACES[1])])
}

fn world() -> impl Strategy<Value = GenWorld> {
    let gateway =
        (any::<u16>(), subsequence(&LISTENERS[..3], 1..=3)).prop_map(|(class, listeners)| {
            GenGateway {
                // Gateways of one case may live in `app` and `app-x`, whose `namespace/name`
                // text order differs from (namespace, name) order (ancestor sorting).
                namespace: namespace(class / 8),
                class: pick(class, &[(5, CLASSES[0]), (2, CLASSES[1]), (1, CLASSES[2])]),
                listeners,
            }
        });
    let service =
        (any::<u16>(), subsequence(&PORTS[..], 1..=2)).prop_map(|(ns, ports)| GenService {
            namespace: namespace(ns),
            ports,
        });
    let parent =
        (any::<u16>(), any::<u16>(), any::<Index>()).prop_map(|(gw, ns, section)| GenParent {
            gateway: pick(gw, &[(6, GATEWAYS[0]), (3, GATEWAYS[1]), (1, GATEWAYS[2])]),
            namespace: (!chance(ns, 80)).then(|| namespace(ns / 100)),
            section: (!chance(gw / 100, 60)).then(|| *section.get(&LISTENERS)),
        });
    let backend = (any::<u16>(), any::<u16>()).prop_map(|(svc, port)| {
        (
            pick(
                svc,
                &[
                    (4, SERVICES[0]),
                    (4, SERVICES[1]),
                    (4, SERVICES[2]),
                    (3, SERVICES[3]),
                ],
            ),
            pick(
                port,
                &[
                    (4, PORTS[0].1),
                    (4, PORTS[1].1),
                    (4, PORTS[2].1),
                    (1, PORTS[3].1),
                    (2, 7777),
                ],
            ),
            (!chance(svc / 100, 89)).then(|| namespace(port / 100)),
            // §4: only a backendRef naming a Service (kind Service, group "") continues a path.
            pick(
                port / 1000,
                &[
                    (20, None),
                    (1, Some(("", "Service"))),
                    (1, Some(("example.com", "Backend"))),
                ],
            ),
        )
    });
    let rule = (any::<u16>(), vec(backend, 0..=2)).prop_map(|(named, backends)| GenRule {
        named: !chance(named, 30),
        backends,
    });
    let route =
        (any::<u16>(), vec(parent, 1..=2), vec(rule, 1..=3)).prop_map(|(ns, parents, rules)| {
            GenRoute {
                namespace: namespace(ns),
                parents,
                rules,
            }
        });
    (
        (1usize..=2, any::<u16>()),
        vec(gateway, 1..=2),
        vec(service, 1..=3),
        vec(route, 1..=4),
    )
        .prop_map(|((classes, _), gateways, services, routes)| GenWorld {
            classes,
            gateways,
            services,
            routes,
        })
}

fn kinds() -> impl Strategy<Value = GenKinds> {
    (
        prop_oneof![2 => Just(None), 1 => Just(Some(false)), 2 => Just(Some(true))],
        prop_oneof![
            3 => Just(vec!["Service"]),
            1 => subsequence(&TARGET_KINDS[..], 1..=4),
        ],
        prop_oneof![9 => Just(None), 1 => subsequence(&TARGET_KINDS[..], 1..=4).prop_map(Some)],
    )
        .prop_map(|(second, direct_targets, restrict_a)| GenKinds {
            second,
            direct_targets,
            restrict_a,
        })
}

/// Leaf values, by code (scalars, `null`, arrays); codes past the end are objects.
fn leaf(code: u8) -> Value {
    match code {
        0 => json!("1s"),
        1 => json!("5s"),
        2 => json!("10s"),
        3 => json!(0),
        4 => json!(1),
        5 => json!(2),
        6 => json!(true),
        7 => Value::Null,
        8 => json!([]),
        9 => json!(["x"]),
        _ => json!(["x", "y"]),
    }
}

/// Codes of [`leaf`]; code `LEAF_CODES` is a nested object, `LEAF_CODES + 1` an empty one.
const LEAF_CODES: u8 = 11;

/// One entry of a generated object: key index, value code, and the children `(key, code)` used
/// when the code is [`LEAF_CODES`] (a nested object).
type Entry = (usize, u8, Vec<(usize, u8)>);

/// An object from `(key, code, children)` entries: a later entry for the same key is dropped.
/// `code` < [`LEAF_CODES`] is a leaf, `LEAF_CODES` an object of the children (with `keys`'s
/// grandchildren as leaves), anything else `{}`.
fn build_object(entries: &[Entry], keys: &[&str], nested: bool) -> Value {
    let mut m = Map::new();
    for (key, code, children) in entries {
        let key = keys[key % keys.len()];
        if m.contains_key(key) {
            continue;
        }
        let value = match *code {
            c if c < LEAF_CODES => leaf(c),
            LEAF_CODES if nested => build_object(
                &children
                    .iter()
                    .map(|(k, c)| {
                        // One more level below an object child: `{c: "5s"}`.
                        let grand = if *c == LEAF_CODES {
                            vec![(4, 1)]
                        } else {
                            Vec::new()
                        };
                        (*k, *c, grand)
                    })
                    .collect::<Vec<_>>(),
                &NESTED_KEYS,
                true,
            ),
            LEAF_CODES => leaf(code % LEAF_CODES),
            _ => Value::Object(Map::new()),
        };
        m.insert(key.to_owned(), value);
    }
    Value::Object(m)
}

/// A `defaults`/`overrides` object or a direct spec proper: 1–3 top-level keys, each a leaf, a
/// nested object (up to three levels in all) or, rarely, `{}`.
fn policy_value() -> impl Strategy<Value = Value> {
    let child = (0..NESTED_KEYS.len(), 0..=LEAF_CODES + 1);
    vec((0..TOP_KEYS.len(), any::<u16>(), vec(child, 0..=3)), 1..=3).prop_map(|entries| {
        // Top-level values: 12 in 19 a leaf, 6 in 19 a nested object, 1 in 19 `{}`.
        let entries: Vec<Entry> = entries
            .into_iter()
            .map(|(key, roll, children)| {
                let code = match roll % 19 {
                    r @ 0..12 => u8::try_from(r).unwrap_or(0) % LEAF_CODES,
                    12..18 => LEAF_CODES,
                    _ => LEAF_CODES + 1,
                };
                (key, code, children)
            })
            .collect();
        build_object(&entries, &TOP_KEYS, true)
    })
}

/// Picks from a weighted table by a roll; roll 0 (where shrinking goes) picks the first entry.
fn pick<T: Copy>(roll: u16, table: &[(u16, T)]) -> T {
    let total: u16 = table.iter().map(|(w, _)| w).sum();
    let mut at = roll % total;
    for (w, t) in table {
        if at < *w {
            return *t;
        }
        at -= w;
    }
    table[0].1
}

/// Whether a roll falls in the first `percent` of 100.
fn chance(roll: u16, percent: u16) -> bool {
    roll % 100 < percent
}

// Choices are drawn as plain rolls and indices (cheap to generate in a debug build) and mapped
// through weighted tables, the simplest choice first.

fn target_ref() -> impl Strategy<Value = GenRef> {
    (
        (any::<u16>(), any::<u16>(), any::<Index>(), any::<u16>()),
        (any::<u16>(), any::<Index>(), any::<u16>(), any::<Index>()),
        any::<u16>(),
    )
        .prop_map(
            |(
                (kind, cluster, kind_direct, off),
                (name, name_index, section, section_index),
                ns,
            )| {
                GenRef {
                    kind_namespaced: pick(
                        kind,
                        &[
                            (16, "HTTPRoute"),
                            (14, "Gateway"),
                            (10, "Service"),
                            (1, "GatewayClass"),
                        ],
                    ),
                    kind_cluster: pick(
                        cluster,
                        &[
                            (24, "GatewayClass"),
                            (1, "Gateway"),
                            (1, "HTTPRoute"),
                            (1, "Service"),
                        ],
                    ),
                    kind_direct,
                    off_target: chance(off, 10),
                    name: (pick(name, &[(4, 0), (2, 1), (1, 2)]), name_index),
                    section: (!chance(section, 60)).then_some(section_index),
                    wrong_group: chance(section / 100, 2),
                    class_section: chance(section / 10_000 + off / 100, 5),
                    namespace: pick(
                        ns,
                        &[
                            (30, NsField::Absent),
                            (3, NsField::Own),
                            (1, NsField::Other),
                        ],
                    ),
                }
            },
        )
}

fn policy() -> impl Strategy<Value = GenPolicy> {
    let stanzas = prop_oneof![
        20 => policy_value().prop_map(|d| (Some(d), None)),
        10 => policy_value().prop_map(|o| (None, Some(o))),
        8 => (policy_value(), policy_value()).prop_map(|(d, o)| (Some(d), Some(o))),
        1 => Just((None, None)),
    ];
    (
        (
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
        ),
        vec(target_ref(), 1..=3),
        stanzas,
    )
        .prop_map(
            |((kind_ns, time, refs_strategy, flaws, more), refs, (defaults, overrides))| {
                GenPolicy {
                    empty_namespace: chance(more, 25),
                    second_kind: kind_ns % 2 == 1,
                    namespace: pick(
                        kind_ns / 2,
                        &[
                            (7, Some(NAMESPACES[0])),
                            (2, Some(NAMESPACES[1])),
                            (2, None),
                        ],
                    ),
                    timestamp: pick(
                        time,
                        &[
                            (15, Ok(Some(TIMESTAMPS[0]))),
                            (15, Ok(Some(TIMESTAMPS[1]))),
                            (5, Ok(Some(TIMESTAMPS[2]))),
                            (15, Ok(Some(TIMESTAMPS[3]))),
                            (15, Ok(Some(TIMESTAMPS[4]))),
                            (1, Ok(None)),
                            (1, Err("yesterday")),
                        ],
                    ),
                    refs,
                    duplicate: chance(refs_strategy, 4),
                    many: pick(time / 100, &[(100, None), (1, Some(16)), (1, Some(17))]),
                    ref_mode: pick(
                        refs_strategy / 100,
                        &[
                            (40, RefMode::Many),
                            (3, RefMode::Single),
                            (2, RefMode::Both),
                            (1, RefMode::None),
                        ],
                    ),
                    strategy: pick(
                        flaws,
                        &[
                            (10, None),
                            (10, Some("atomic")),
                            (10, Some("merge")),
                            (1, Some("replace")),
                        ],
                    ),
                    // A direct policy's spec proper is its `defaults` or `overrides` value.
                    direct_spec: defaults
                        .clone()
                        .or_else(|| overrides.clone())
                        .unwrap_or_else(|| json!({"b": 1})),
                    defaults,
                    overrides,
                    direct_flaw: pick(flaws / 100, &[(20, 0), (1, 1), (1, 2), (1, 3)]),
                }
            },
        )
}

fn options() -> impl Strategy<Value = Map<String, Value>> {
    vec(any::<u16>(), OPTIONS.len()).prop_map(|rolls| {
        OPTIONS
            .iter()
            .zip(rolls)
            .filter_map(|((k, values), roll)| {
                // Left out (the default applies) or one of the values, each about as often.
                let i = usize::from(roll) % (values.len() + 1);
                (i > 0).then(|| ((*k).to_owned(), Value::from(values[i - 1])))
            })
            .collect()
    })
}

/// A whole case in the corpus format (without `expect`).
pub fn case() -> impl Strategy<Value = Value> {
    (
        kinds(),
        options(),
        world(),
        vec(policy(), 1..=6),
        Just(POLICY_NAMES.to_vec()).prop_shuffle(),
    )
        .prop_map(|(kinds, options, world, policies, names)| {
            assemble(&kinds, options, &world, &policies, &names)
        })
}

fn object(api: &str, kind: &str, metadata: Value, spec: Value) -> Value {
    json!({"apiVersion": api, "kind": kind, "metadata": metadata, "spec": spec})
}

/// The section pool of a target kind.
fn sections(kind: &str) -> &'static [&'static str] {
    match kind {
        "Gateway" => &LISTENERS,
        "HTTPRoute" => &RULES,
        "Service" => &PORT_NAMES,
        _ => &["x"],
    }
}

/// The name pool of a target kind.
fn names(kind: &str) -> &'static [&'static str] {
    match kind {
        "GatewayClass" => &CLASSES,
        "Gateway" => &GATEWAYS,
        "HTTPRoute" => &ROUTES,
        _ => &SERVICES,
    }
}

fn write_ref(
    r: &GenRef,
    policy_namespace: Option<&str>,
    direct_targets: Option<&[&'static str]>,
) -> Value {
    let kind = match (policy_namespace, direct_targets) {
        (None, _) => r.kind_cluster,
        (Some(_), Some(targets)) if !r.off_target && !targets.is_empty() => {
            *r.kind_direct.get(targets)
        }
        (Some(_), _) => r.kind_namespaced,
    };
    let pool = names(kind);
    let name = match r.name.0 {
        0 => pool[0],
        1 => pool[1],
        _ => r.name.1.get(pool),
    };
    let group = match (kind, r.wrong_group) {
        ("Service", false) => "",
        ("Service", true) => GATEWAY_GROUP,
        (_, false) => GATEWAY_GROUP,
        (_, true) => "gateway.networking.k8s.io/v1",
    };
    let mut out = json!({"group": group, "kind": kind, "name": name});
    match &r.section {
        Some(_) if kind == "GatewayClass" && !r.class_section => {}
        Some(section) => out["sectionName"] = json!(section.get(sections(kind))),
        None => {}
    }
    match (r.namespace, policy_namespace) {
        (NsField::Absent, _) | (NsField::Own, None) => {}
        (NsField::Own, Some(ns)) => out["namespace"] = json!(ns),
        (NsField::Other, ns) => {
            out["namespace"] = json!(if ns == Some(NAMESPACES[0]) {
                NAMESPACES[1]
            } else {
                NAMESPACES[0]
            });
        }
    }
    out
}

/// `n` distinct references (HTTPRoutes, Gateways and Services, with and without sections).
fn many_refs(n: usize) -> Vec<Value> {
    let mut out = Vec::new();
    for kind in ["HTTPRoute", "Gateway", "Service"] {
        let group = if kind == "Service" { "" } else { GATEWAY_GROUP };
        for name in names(kind) {
            out.push(json!({"group": group, "kind": kind, "name": name}));
            for section in sections(kind) {
                out.push(
                    json!({"group": group, "kind": kind, "name": name, "sectionName": section}),
                );
            }
        }
    }
    out.truncate(n);
    out
}

fn assemble(
    kinds: &GenKinds,
    options: Map<String, Value>,
    world: &GenWorld,
    policies: &[GenPolicy],
    names: &[&'static str],
) -> Value {
    let mut manifests = Vec::new();
    for class in &CLASSES[..world.classes] {
        manifests.push(object(
            "gateway.networking.k8s.io/v1",
            "GatewayClass",
            json!({"name": class}),
            json!({"controllerName": "example.com/gatewright"}),
        ));
    }
    for (g, name) in world.gateways.iter().zip(GATEWAYS) {
        let listeners: Vec<Value> = g
            .listeners
            .iter()
            .map(|l| json!({"name": l, "port": 80, "protocol": "HTTP"}))
            .collect();
        manifests.push(object(
            "gateway.networking.k8s.io/v1",
            "Gateway",
            json!({"namespace": g.namespace, "name": name}),
            json!({"gatewayClassName": g.class, "listeners": listeners}),
        ));
    }
    for (s, name) in world.services.iter().zip(SERVICES) {
        let ports: Vec<Value> = s
            .ports
            .iter()
            .map(|(n, p)| {
                if n.is_empty() {
                    json!({"port": p})
                } else {
                    json!({"name": n, "port": p})
                }
            })
            .collect();
        manifests.push(object(
            "v1",
            "Service",
            json!({"namespace": s.namespace, "name": name}),
            json!({"ports": ports}),
        ));
    }
    for (r, name) in world.routes.iter().zip(ROUTES) {
        let parents: Vec<Value> = r
            .parents
            .iter()
            .map(|p| {
                let mut v = json!({"name": p.gateway});
                if let Some(ns) = p.namespace {
                    v["namespace"] = json!(ns);
                }
                if let Some(s) = p.section {
                    v["sectionName"] = json!(s);
                }
                v
            })
            .collect();
        let rules: Vec<Value> = r
            .rules
            .iter()
            .zip(RULES)
            .map(|(rule, rule_name)| {
                let backends: Vec<Value> = rule
                    .backends
                    .iter()
                    .map(|(svc, port, ns, group_kind)| {
                        let mut v = json!({"name": svc, "port": port});
                        if let Some(ns) = ns {
                            v["namespace"] = json!(ns);
                        }
                        if let Some((group, kind)) = group_kind {
                            v["group"] = json!(group);
                            v["kind"] = json!(kind);
                        }
                        v
                    })
                    .collect();
                let mut v = json!({"backendRefs": backends});
                if rule.named {
                    v["name"] = json!(rule_name);
                }
                v
            })
            .collect();
        manifests.push(object(
            "gateway.networking.k8s.io/v1",
            "HTTPRoute",
            json!({"namespace": r.namespace, "name": name}),
            json!({"parentRefs": parents, "rules": rules}),
        ));
    }
    let second = kinds.second.map(|direct| {
        if direct {
            KIND_B_DIRECT
        } else {
            KIND_B_INHERITED
        }
    });
    for (p, name) in policies.iter().zip(names) {
        let kind = match second {
            Some(k) if p.second_kind => k,
            _ => KIND_A,
        };
        let direct = kind == KIND_B_DIRECT;
        let mut metadata = json!({"name": name});
        match p.namespace {
            Some(ns) => metadata["namespace"] = json!(ns),
            None if p.empty_namespace => metadata["namespace"] = json!(""),
            None => {}
        }
        match p.timestamp {
            Ok(Some(t)) | Err(t) => metadata["creationTimestamp"] = json!(t),
            Ok(None) => {}
        }
        let direct_targets = direct.then_some(kinds.direct_targets.as_slice());
        let refs: Vec<Value> = p
            .refs
            .iter()
            .map(|r| write_ref(r, p.namespace, direct_targets))
            .collect();
        // Distinct references, unless a duplicate is asked for (§3.1: identical
        // group/kind/name/sectionName make the policy Invalid).
        let key = |r: &Value| ["group", "kind", "name", "sectionName"].map(|k| r.get(k).cloned());
        let mut distinct: Vec<Value> = Vec::new();
        for r in refs {
            if !distinct.iter().any(|d| key(d) == key(&r)) {
                distinct.push(r);
            }
        }
        let mut refs = distinct;
        if let Some(n) = p.many {
            refs = many_refs(n);
        }
        if p.duplicate {
            refs.push(refs[0].clone());
        }
        let mut spec = Map::new();
        match p.ref_mode {
            RefMode::Many => {
                spec.insert("targetRefs".into(), json!(refs));
            }
            RefMode::Single => {
                spec.insert("targetRef".into(), refs[0].clone());
            }
            RefMode::Both => {
                spec.insert("targetRef".into(), refs[0].clone());
                let rest = if refs.len() > 1 {
                    &refs[1..]
                } else {
                    &refs[..]
                };
                spec.insert("targetRefs".into(), json!(rest));
            }
            RefMode::None => {
                spec.insert("targetRefs".into(), json!([]));
            }
        }
        if direct {
            let direct_spec = p.direct_spec.clone();
            if p.direct_flaw != 3 {
                for (k, v) in direct_spec.as_object().into_iter().flatten() {
                    spec.insert(k.clone(), v.clone());
                }
            }
            match p.direct_flaw {
                1 => {
                    spec.insert("strategy".into(), json!("atomic"));
                }
                2 => {
                    spec.insert("defaults".into(), p.direct_spec.clone());
                }
                _ => {}
            }
        } else {
            if let Some(s) = p.strategy {
                spec.insert("strategy".into(), json!(s));
            }
            for (stanza, value) in [("defaults", &p.defaults), ("overrides", &p.overrides)] {
                if let Some(v) = value {
                    spec.insert(stanza.into(), v.clone());
                }
            }
        }
        manifests.push(object(
            "policies.example.com/v1",
            kind,
            metadata,
            Value::Object(spec),
        ));
    }
    let mut policy_kinds = Map::new();
    if let Some(targets) = &kinds.restrict_a {
        policy_kinds.insert(
            KIND_A.into(),
            json!({"class": "inherited", "targetKinds": targets}),
        );
    }
    if second == Some(KIND_B_DIRECT) {
        policy_kinds.insert(
            KIND_B_DIRECT.into(),
            json!({"class": "direct", "targetKinds": kinds.direct_targets}),
        );
    }
    json!({
        "id": "policy-90-generated",
        "title": "generated by spec-tests/tests/differential_policy.rs",
        "description": "A case from the policy generator (spec-tests/src/gen_policy.rs); expectations are the spec-literal reference's (spec-tests/src/reference_policy.rs).",
        "anchors": ["SEMANTICS.md sections 3-7"],
        "options": options,
        "policyKinds": policy_kinds,
        "manifests": manifests,
    })
}
