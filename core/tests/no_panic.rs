//! Bad input gets an error or diagnostics, never a panic: mutated manifests go
//! through parsing, compiling and routing. (The cargo-fuzz campaigns of issue #9
//! go further; this is the always-on smoke.)

use gatewright::{Connection, Request, Resources, Router};
use proptest::prelude::*;

const EXAMPLES: [&str; 7] = [
    include_str!("../../examples/quickstart.yaml"),
    include_str!("../../examples/platform.yaml"),
    include_str!("../../examples/l4-and-grpc.yaml"),
    include_str!("../../examples/ingress/10-rewrite-target.yaml"),
    include_str!("../../examples/ingress/13-canary-header.yaml"),
    include_str!("../../examples/ingress/16-same-host.yaml"),
    include_str!("../../examples/ingress/18-gaps.yaml"),
];

/// Characters that tend to break YAML and the engine's string handling.
const NASTY: &[&str] = &[
    "",
    ":",
    "- ",
    "*",
    "/",
    "//",
    "é",
    "\u{1F600}",
    "[",
    "{",
    "\"",
    "'",
    "\n",
    "  ",
    "~",
    "&a",
    "*a",
    "0",
    "-1",
    "99999999",
    "null",
    "true",
    "\t",
];

fn mutated() -> impl Strategy<Value = String> {
    (
        0..EXAMPLES.len(),
        proptest::collection::vec(
            (any::<prop::sample::Index>(), 0..NASTY.len(), 0usize..4),
            1..8,
        ),
    )
        .prop_map(|(e, edits)| {
            let mut text = EXAMPLES[e].to_owned();
            for (at, nasty, cut) in edits {
                let mut i = at.index(text.len().max(1));
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                let mut end = (i + cut).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(i..end, NASTY[nasty]);
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_manifests_never_panic(text in mutated(), path in "/[a-zé/]{0,12}", host in "[a-zA-Z.é:0-9]{0,20}") {
        if let Ok(resources) = Resources::from_text(&text) {
            let router = Router::compile(&resources).expect("compile never fails on parsed input");
            let _ = router.status();
            for method in ["GET", "POST", "OPTIONS"] {
                let req = Request::new(method, &host, &path).sni(&host);
                let _ = router.decide_with(&req, 7);
                let _ = router.explain(&req, 7);
                let _ = router.decide_with(&req.mesh("shop", "shop", "api", 80), 1);
            }
            let _ = router.route_connection(&Connection::tcp(443).sni(&host), 3);
            let _ = router.route_connection(&Connection::udp(53), 3);
            let _ = router.decide_with(&Request::new("GET", &host, &path).ingress_class("nginx"), 5);
            // Ingress → Gateway API conversion and its proof.
            let conversion = gatewright::convert::ingress_to_gateway(&resources);
            let _ = conversion.prove(&resources).expect("the conversion reads back");
        }
    }
}
