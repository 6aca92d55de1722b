//! The effective policy on one path: layers (SEMANTICS §5.1), their order (§5.2),
//! the defaults pass (§5.3), the overrides pass (§5.4), the output (§5.5) and the
//! provenance of every field and every dropped value (§6).

use serde_json::{Map, Value};

use super::graph::{Graph, NodeId, RefResult};
use super::{
    Discarded, Effective, FieldSource, Level, MergeDepth, PolicyOptions, Rejected,
    SameLevelPrecedence, Strategy, StrategyAuthority,
};
use crate::ir::Timestamp;

/// What one attachment contributes on the path.
struct Layer<'g> {
    policy: &'g str,
    stanza: &'static str,
    level: Level,
    strategy: Strategy,
    created: Timestamp,
    leaves: Vec<(Vec<String>, Value)>,
}

impl Layer<'_> {
    fn is_override(&self) -> bool {
        self.stanza == "overrides"
    }
}

/// A leaf of the result: pointer, value, owning layer.
struct Held {
    pointer: Vec<String>,
    value: Value,
    layer: usize,
}

/// Two pointers overlap when one is equal to or a whole-token prefix of the other (§1).
fn overlaps(a: &[String], b: &[String]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

/// Leaves of a stanza (§1 "Leaf"): non-empty objects are descended into; scalars,
/// arrays and `null` are leaves; empty objects contribute nothing. `TopLevel`: every
/// top-level key is one leaf.
fn leaves(value: &Value, depth: MergeDepth) -> Vec<(Vec<String>, Value)> {
    fn walk(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    prefix.push(k.clone());
                    match x {
                        Value::Object(inner) if inner.is_empty() => {}
                        Value::Object(_) => walk(x, prefix, out),
                        _ => out.push((prefix.clone(), x.clone())),
                    }
                    prefix.pop();
                }
            }
            other => out.push((prefix.clone(), other.clone())),
        }
    }
    let mut out = Vec::new();
    match (depth, value) {
        (MergeDepth::TopLevel, Value::Object(m)) => {
            for (k, x) in m {
                out.push((vec![k.clone()], x.clone()));
            }
        }
        _ => walk(value, &mut Vec::new(), &mut out),
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// RFC 6901 pointer text.
pub(crate) fn pointer(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// §6 `reason`, from the loser `x` and the displacer `y`.
fn reason(x: &Layer<'_>, y: &Layer<'_>) -> &'static str {
    if !x.is_override() && y.is_override() {
        "Override"
    } else if x.level == y.level {
        if x.created == y.created {
            "SameLevelName"
        } else {
            "SameLevelTimestamp"
        }
    } else if x.is_override() {
        "LessSpecificOverride"
    } else {
        "MoreSpecificTarget"
    }
}

/// The effective policy of `kind` over `nodes` (one path).
pub(crate) fn effective(
    graph: &Graph,
    options: &PolicyOptions,
    kind: &str,
    nodes: &[NodeId],
) -> Effective {
    let mut layers: Vec<Layer<'_>> = Vec::new();
    let mut rejected = Vec::new();
    // Only the policies attached to (or conflicted at) a node of the path take part.
    let mut involved: Vec<usize> = nodes
        .iter()
        .filter_map(|n| graph.by_node.get(n))
        .flatten()
        .copied()
        .collect();
    involved.sort_unstable();
    involved.dedup();
    for p in involved
        .into_iter()
        .map(|i| &graph.policies[i])
        .filter(|p| p.kind == kind && p.invalid.is_none())
    {
        for r in &p.refs {
            match &r.result {
                RefResult::Attached(node) if nodes.contains(node) => {
                    for (stanza, value) in &p.stanzas {
                        layers.push(Layer {
                            policy: &p.id,
                            stanza,
                            level: node.level(),
                            strategy: p.strategy,
                            created: p.created,
                            leaves: leaves(value, options.merge_depth),
                        });
                    }
                }
                RefResult::Conflicted(node, by) if nodes.contains(node) => {
                    rejected.push(Rejected {
                        policy: p.id.clone(),
                        level: node.level(),
                        reason: "Conflicted".into(),
                        by: by.clone(),
                    })
                }
                _ => {}
            }
        }
    }
    let senior = |a: &Layer<'_>, b: &Layer<'_>| (a.created, a.policy).cmp(&(b.created, b.policy));
    // §5.2 Defaults, highest precedence first: deeper level first; within a level the
    // senior first (gep713-established: the junior first).
    let mut defaults: Vec<usize> = (0..layers.len())
        .filter(|&i| !layers[i].is_override())
        .collect();
    defaults.sort_by(|&a, &b| {
        let (x, y) = (&layers[a], &layers[b]);
        y.level
            .cmp(&x.level)
            .then_with(|| match options.same_level_precedence {
                SameLevelPrecedence::Oldest => senior(x, y),
                SameLevelPrecedence::Gep713Established => senior(y, x),
            })
    });
    // Overrides, highest precedence first: shallower level first, senior first.
    let mut overrides: Vec<usize> = (0..layers.len())
        .filter(|&i| layers[i].is_override())
        .collect();
    overrides.sort_by(|&a, &b| {
        let (x, y) = (&layers[a], &layers[b]);
        x.level.cmp(&y.level).then_with(|| senior(x, y))
    });

    let mut held: Vec<Held> = Vec::new();
    let mut discarded: Vec<Discarded> = Vec::new();
    let mut first_contributor: Option<usize> = None;
    let discard = |discarded: &mut Vec<Discarded>,
                   layers: &[Layer<'_>],
                   loser: usize,
                   tokens: &[String],
                   by: usize,
                   mode: &str| {
        let (x, y) = (&layers[loser], &layers[by]);
        discarded.push(Discarded {
            policy: x.policy.to_owned(),
            stanza: x.stanza.to_owned(),
            level: x.level,
            field: pointer(tokens),
            reason: reason(x, y).to_owned(),
            by: y.policy.to_owned(),
            mode: mode.to_owned(),
        });
    };
    // §5.3 Defaults pass: fill in, most specific first.
    for &li in &defaults {
        let strategy = match (options.strategy_authority, first_contributor) {
            (StrategyAuthority::Child, Some(first)) => layers[first].strategy,
            _ => layers[li].strategy,
        };
        let first_overlap = |held: &[Held], tokens: &[String]| -> Option<usize> {
            held.iter()
                .filter(|h| overlaps(&h.pointer, tokens))
                .min_by(|a, b| a.pointer.cmp(&b.pointer))
                .map(|h| held.iter().position(|x| std::ptr::eq(x, h)).unwrap_or(0))
        };
        // Atomic: a layer joins only an empty result, whole; merge: leaf by leaf, where
        // nothing more specific is set. (Leaves of one layer never overlap each other.)
        let blocked = strategy == Strategy::Atomic && !held.is_empty();
        for (tokens, value) in &layers[li].leaves {
            match first_overlap(&held, tokens) {
                Some(h) => {
                    let mode = if held[h].value.is_null() {
                        "unset"
                    } else {
                        "field"
                    };
                    discard(&mut discarded, &layers, li, tokens, held[h].layer, mode);
                }
                None if blocked => {
                    let by = first_contributor.unwrap_or(li);
                    discard(&mut discarded, &layers, li, tokens, by, "atomic");
                }
                None => {
                    held.push(Held {
                        pointer: tokens.clone(),
                        value: value.clone(),
                        layer: li,
                    });
                    first_contributor.get_or_insert(li);
                }
            }
        }
    }
    // §5.4 Overrides pass: overwrite, from the lowest precedence to the highest.
    for &li in overrides.iter().rev() {
        let layer_leaves = layers[li].leaves.clone();
        match layers[li].strategy {
            Strategy::Atomic => {
                for h in std::mem::take(&mut held) {
                    let over = layer_leaves.iter().find(|(t, _)| overlaps(t, &h.pointer));
                    let mode = match over {
                        Some((_, v)) if v.is_null() => "unset",
                        Some(_) => "field",
                        None => "atomic",
                    };
                    discard(&mut discarded, &layers, h.layer, &h.pointer, li, mode);
                }
                for (tokens, value) in layer_leaves {
                    held.push(Held {
                        pointer: tokens,
                        value,
                        layer: li,
                    });
                }
            }
            Strategy::Merge => {
                for (tokens, value) in layer_leaves {
                    let mode = if value.is_null() { "unset" } else { "field" };
                    let (lost, kept): (Vec<Held>, Vec<Held>) = std::mem::take(&mut held)
                        .into_iter()
                        .partition(|h| overlaps(&h.pointer, &tokens));
                    held = kept;
                    for h in lost {
                        discard(&mut discarded, &layers, h.layer, &h.pointer, li, mode);
                    }
                    held.push(Held {
                        pointer: tokens,
                        value,
                        layer: li,
                    });
                }
            }
        }
    }
    // §5.5 Output: nested objects without the `null` leaves.
    held.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    let mut spec = Value::Object(Map::new());
    let mut fields = std::collections::BTreeMap::new();
    for h in &held {
        let l = &layers[h.layer];
        fields.insert(
            pointer(&h.pointer),
            FieldSource {
                policy: l.policy.to_owned(),
                stanza: l.stanza.to_owned(),
                level: l.level,
                unset: h.value.is_null(),
            },
        );
        if !h.value.is_null() {
            insert(&mut spec, &h.pointer, h.value.clone());
        }
    }
    discarded.sort_by(|a, b| (&a.field, &a.policy).cmp(&(&b.field, &b.policy)));
    Effective {
        spec,
        fields,
        discarded,
        rejected,
    }
}

fn insert(root: &mut Value, tokens: &[String], value: Value) {
    let Some((last, parents)) = tokens.split_last() else {
        *root = value;
        return;
    };
    let mut cur = root;
    for t in parents {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        cur = m
            .entry(t.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Value::Object(m) = cur {
        m.insert(last.clone(), value);
    }
}
