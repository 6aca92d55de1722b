//! Runs the built `gatewright` binary against the examples and test manifests.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The workspace root (examples live there).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn platform() -> String {
    root().join("examples/platform.yaml").display().to_string()
}

fn quickstart() -> String {
    root()
        .join("examples/quickstart.yaml")
        .display()
        .to_string()
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .display()
        .to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "integration tests run the CLI binary"
)]
fn run_with_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatewright"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("the binary finishes");
    Run {
        code: status.code().expect("exited normally, not by a signal"),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
    }
}

/// The value of a `key  value` row of the text output.
fn row(stdout: &str, key: &str) -> String {
    stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix(key)
                .filter(|rest| rest.starts_with("  "))
                .map(|rest| rest.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no {key:?} row in:\n{stdout}"))
}

fn run(args: &[&str]) -> Run {
    run_with_stdin(args, None)
}

fn route_json(file: &str, extra: &[&str]) -> Value {
    let mut args = vec!["route", "-f", file, "-o", "json"];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    r.json()
}

#[test]
fn quickstart_exact_beats_prefix() {
    let r = run(&[
        "route",
        "-f",
        &quickstart(),
        "GET http://shop.example.com/api/health",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(row(&r.stdout, "outcome"), "forward");
    assert_eq!(row(&r.stdout, "backend"), "shop/health:8080");
    assert_eq!(row(&r.stdout, "rule"), "0");
    let d = route_json(
        &quickstart(),
        &["GET", "http://shop.example.com/api/health/deep"],
    );
    assert_eq!(d["action"]["backend"]["name"], "api");
    assert_eq!(d["matched"]["rule"], 1);
}

#[test]
fn canary_header_selects_canary_rule() {
    let d = route_json(
        &platform(),
        &[
            "--gateway",
            "infra/public",
            "GET https://orders.shop.example.com/api/orders",
            "-H",
            "x-release-track: canary",
        ],
    );
    assert_eq!(d["action"]["type"], "forward");
    assert_eq!(d["action"]["backend"]["name"], "orders-api-canary");
    assert_eq!(d["matched"]["listener"], "https");
    assert_eq!(d["matched"]["rule"], 0);
    assert_eq!(d["matched"]["ruleName"], "canary-opt-in");
    assert_eq!(
        d["action"]["responseHeaders"]["set"][0][0],
        "x-release-track"
    );
}

#[test]
fn weighted_split_follows_entropy() {
    let base = [
        "--gateway",
        "infra/public",
        "GET https://orders.shop.example.com/api/orders",
        "-H",
        "x-debug: 1",
    ];
    let d = route_json(&platform(), &base);
    assert_eq!(d["action"]["backend"]["name"], "orders-api-stable");
    assert_eq!(d["matched"]["ruleName"], "api");
    // RequestHeaderModifier: x-owner-team set, x-debug removed.
    let headers = d["action"]["upstream"]["headers"].as_array().unwrap();
    assert!(
        headers
            .iter()
            .any(|h| h[0] == "x-owner-team" && h[1] == "orders"),
        "{headers:?}"
    );
    assert!(!headers.iter().any(|h| h[0] == "x-debug"), "{headers:?}");
    assert_eq!(d["action"]["requestTimeoutMs"], 10_000);
    let mut canary = base.to_vec();
    canary.extend(["--entropy", "0.95"]);
    assert_eq!(
        route_json(&platform(), &canary)["action"]["backend"]["name"],
        "orders-api-canary"
    );
    canary.pop();
    canary.push("18446744073709551615");
    assert_eq!(
        route_json(&platform(), &canary)["action"]["backend"]["name"],
        "orders-api-canary"
    );

    let text = run(&[
        "route",
        "-f",
        &platform(),
        "--gateway",
        "infra/public",
        "GET https://orders.shop.example.com/api/x",
    ]);
    assert!(
        text.stdout
            .contains("weight  90 (90%)  orders/orders-api-stable:8080  <- chosen"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("+ x-owner-team: orders"),
        "{}",
        text.stdout
    );
    assert_eq!(
        row(&text.stdout, "timeouts"),
        "request 10s, backend request 2s"
    );
}

#[test]
fn plain_http_redirects_to_https() {
    let d = route_json(
        &platform(),
        &[
            "--gateway",
            "infra/public",
            "GET http://orders.shop.example.com/api/orders?page=2",
        ],
    );
    assert_eq!(d["action"]["type"], "redirect");
    assert_eq!(d["action"]["status"], 301);
    assert_eq!(
        d["action"]["location"],
        "https://orders.shop.example.com/api/orders?page=2"
    );
    assert_eq!(d["matched"]["name"], "https-redirect");
    assert_eq!(d["matched"]["listener"], "http");
    // --listener picks the listener explicitly; --port 443 with http scheme enters the HTTPS listener.
    let d = route_json(
        &platform(),
        &[
            "--gateway",
            "infra/public",
            "--listener",
            "https",
            "GET http://orders.shop.example.com/api",
        ],
    );
    assert_eq!(d["action"]["type"], "forward");
}

#[test]
fn payments_rewrite_and_mirror() {
    let d = route_json(
        &platform(),
        &[
            "--gateway",
            "infra/public",
            "POST https://payments.shop.example.com/v1/payments/charge",
        ],
    );
    assert_eq!(d["action"]["backend"]["name"], "payments-api");
    assert_eq!(d["action"]["upstream"]["path"], "/payments/charge");
    assert_eq!(
        d["action"]["mirrors"][0]["backend"]["name"],
        "payments-audit"
    );
    let r = run(&[
        "route",
        "-f",
        &platform(),
        "--gateway",
        "infra/public",
        "POST https://payments.shop.example.com/v1/payments/charge",
    ]);
    assert!(
        r.stdout
            .contains("path /payments/charge (was /v1/payments/charge)"),
        "{}",
        r.stdout
    );
}

#[test]
fn not_found_is_an_answer() {
    let r = run(&[
        "route",
        "-f",
        &platform(),
        "--gateway",
        "infra/public",
        "GET https://orders.shop.example.com/nothing-here",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(row(&r.stdout, "outcome"), "respond 404");
    assert_eq!(row(&r.stdout, "reason"), "no rule matches");
    // The sandbox route is not accepted, so its hostname gets 404 too.
    let d = route_json(
        &platform(),
        &[
            "--gateway",
            "infra/public",
            "GET https://labs.shop.example.com/",
        ],
    );
    assert_eq!(d["action"]["status"], 404);
    // A host outside the listener's *.shop.example.com.
    let d = route_json(
        &platform(),
        &["--gateway", "infra/public", "GET http://example.org/"],
    );
    assert_eq!(d["action"]["status"], 404);
}

#[test]
fn explain_lists_candidates_with_verdicts() {
    let r = run(&[
        "route",
        "-f",
        &platform(),
        "--gateway",
        "infra/public",
        "GET https://orders.shop.example.com/api/orders",
        "-H",
        "x-release-track: canary",
        "--explain",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("infra/public listener https (port 443"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("0 (canary-opt-in)"), "{}", r.stdout);
    assert!(r.stdout.contains("won"), "{}", r.stdout);
    assert!(r.stdout.contains("more header matches"), "{}", r.stdout);
    let e = route_json(
        &platform(),
        &[
            "--gateway",
            "infra/public",
            "GET https://orders.shop.example.com/api/orders",
            "--explain",
        ],
    );
    assert_eq!(
        e["decision"]["action"]["backend"]["name"],
        "orders-api-stable"
    );
    let considered = e["considered"].as_array().unwrap();
    assert_eq!(considered.len(), 2);
    assert!(
        considered[0]["verdict"]
            .as_str()
            .unwrap()
            .contains("header"),
        "{considered:?}"
    );
    assert_eq!(considered[1]["verdict"], "won");
}

#[test]
fn several_gateways_need_gateway_flag() {
    let r = run(&[
        "route",
        "-f",
        &platform(),
        "-f",
        &quickstart(),
        "GET http://shop.example.com/api",
    ]);
    assert_eq!(r.code, 0);
    assert!(
        row(&r.stdout, "outcome").starts_with("reject"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("--gateway"), "{}", r.stderr);
    let d = route_json(
        &platform(),
        &[
            "-f",
            &quickstart(),
            "--gateway",
            "shop/public",
            "GET http://shop.example.com/api",
        ],
    );
    assert_eq!(d["action"]["backend"]["name"], "api");
}

#[test]
fn host_fallthrough_option_and_multiple_files() {
    let (routes, services) = (data("fallthrough.yaml"), data("fallthrough-services.yaml"));
    let d = route_json(
        &routes,
        &["-f", &services, "GET http://api.example.com/other"],
    );
    assert_eq!(d["action"]["backend"]["name"], "default-site");
    let d = route_json(
        &routes,
        &[
            "-f",
            &services,
            "--no-host-fallthrough",
            "GET http://api.example.com/other",
        ],
    );
    assert_eq!(d["action"]["status"], 404);
    let d = route_json(
        &routes,
        &[
            "-f",
            &services,
            "--no-host-fallthrough",
            "GET http://api.example.com/v1/x",
        ],
    );
    assert_eq!(d["action"]["backend"]["name"], "api-v1");
    // Without the Services file the backends do not resolve; with it, they do.
    assert_eq!(run(&["check", "-f", &routes]).code, 1);
    let r = run(&["check", "-f", &routes, "-f", &services]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn check_passes_on_quickstart() {
    let r = run(&["check", "-f", &quickstart()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("HTTPRoute shop/shop"), "{}", r.stdout);
    assert!(
        r.stdout.contains("listener http: 1 attached route"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("OK:"), "{}", r.stdout);
}

#[test]
fn check_fails_on_platform_sandbox_route() {
    let r = run(&["check", "-f", &platform()]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("HTTPRoute sandbox/experiments"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("NotAllowedByListeners"), "{}", r.stdout);
    assert!(
        r.stdout.contains("listener https: 2 attached routes"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("FAILED:"), "{}", r.stdout);
    let r = run(&["check", "-f", &platform(), "-o", "json"]);
    assert_eq!(r.code, 1);
    let j = r.json();
    assert_eq!(j["ok"], false);
    assert!(j["status"]["objects"]
        .as_array()
        .is_some_and(|o| !o.is_empty()));
    assert!(j["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["code"] == "not-allowed-by-listeners"));
}

#[test]
fn check_fails_on_unresolved_backend() {
    let r = run(&["check", "-f", &data("broken-backend.yaml")]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("BackendNotFound"), "{}", r.stdout);
    assert!(r.stdout.contains("storefront-typo"), "{}", r.stdout);
    // Routing still answers: an unresolved backend gets 500.
    let d = route_json(
        &data("broken-backend.yaml"),
        &["GET http://www.example.com/"],
    );
    assert_eq!(d["action"]["status"], 500);
}

#[test]
fn malformed_yaml_names_document_and_line() {
    for command in [
        &["check"][..],
        &["route", "GET http://www.example.com/"][..],
    ] {
        let mut args = command.to_vec();
        let file = data("malformed.yaml");
        args.extend(["-f", &file]);
        let r = run(&args);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("malformed.yaml: document 1 (line 13"),
            "{}",
            r.stderr
        );
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn stdin_manifest_and_field_errors() {
    let yaml = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {hostnames: 7}\n";
    let r = run_with_stdin(&["check", "-f", "-"], Some(yaml));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("<stdin>: document 0 (line 4"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("HTTPRoute default/r"), "{}", r.stderr);
    assert!(r.stderr.contains("spec.hostnames"), "{}", r.stderr);
    let quick = std::str::from_utf8(include_bytes!("../../../examples/quickstart.yaml")).unwrap();
    let r = run_with_stdin(
        &["route", "-f", "-", "GET http://shop.example.com/api/health"],
        Some(quick),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("shop/health:8080"), "{}", r.stdout);
}

#[test]
fn usage_errors_exit_2() {
    let q = quickstart();
    for args in [
        &["route", "-f", &q, "GET ftp://shop.example.com/"][..],
        &["route", "-f", &q, "GET /relative"],
        &["route", "-f", &q, "GET http://shop.example.com:99999/"],
        &[
            "route",
            "-f",
            &q,
            "GET http://shop.example.com/",
            "-H",
            "no-colon",
        ],
        &[
            "route",
            "-f",
            &q,
            "--gateway",
            "a/b/c",
            "GET http://shop.example.com/",
        ],
        &[
            "route",
            "-f",
            &q,
            "--entropy",
            "1.5",
            "GET http://shop.example.com/",
        ],
        &[
            "route",
            "-f",
            &q,
            "--port",
            "80",
            "--listener",
            "http",
            "GET http://shop.example.com/",
        ],
        &["route", "GET http://shop.example.com/"],
        &[
            "route",
            "-f",
            "/definitely/not/here.yaml",
            "GET http://shop.example.com/",
        ],
        &[
            "route",
            "-f",
            "-",
            "-f",
            "-",
            "GET http://shop.example.com/",
        ],
        &["check"],
        &["frobnicate"],
        &[],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("error") || r.stderr.contains("Usage"),
            "{args:?}: {}",
            r.stderr
        );
    }
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("route") && r.stdout.contains("check"));
}

#[test]
fn garbage_input_does_not_panic() {
    for text in [
        "\u{0}\u{1}\u{2}",
        "[1, 2, 3]",
        "{\"kind\": 5}",
        "- - - -",
        "---\n---\n",
        "kind: Gateway\nspec: {listeners: [{port: -1}]}",
    ] {
        let r = run_with_stdin(&["check", "-f", "-"], Some(text));
        assert!(
            r.code == 0 || r.code == 1,
            "{text:?}: {} {}",
            r.code,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{text:?}: {}", r.stderr);
    }
}

fn lints_example() -> String {
    root().join("examples/lints.yaml").display().to_string()
}

#[test]
fn check_reports_lints_and_listener_conflict() {
    let r = run(&["check", "-f", &lints_example()]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    for needle in [
        "error[listener-conflict]: Gateway infra/edge spec.listeners[1]",
        "warning[shadowed-rule]: HTTPRoute shop/api spec.rules[1]: ",
        "rule 0 of this route (PathPrefix /api)",
        "warning[identical-match]: HTTPRoute shop/checkout-v2 spec.rules[0].matches[0]: ",
        "HTTPRoute shop/checkout rule 0 match 0 on Gateway infra/edge listener shop, hostname shop.example.com",
        "an older route (creationTimestamp)",
        "warning[unreachable-regex]: HTTPRoute shop/storefront spec.rules[1].matches[0].path.value",
        "FAILED:",
    ] {
        assert!(r.stdout.contains(needle), "{needle:?} not in:\n{}", r.stdout);
    }
}

#[test]
fn check_json_lists_lint_codes() {
    let r = run(&["check", "-f", &lints_example(), "-o", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["ok"], false);
    let codes: Vec<(String, String)> = j["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["severity"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (code, severity) in [
        ("listener-conflict", "error"),
        ("shadowed-rule", "warning"),
        ("identical-match", "warning"),
        ("unreachable-regex", "warning"),
    ] {
        assert!(
            codes.iter().any(|(c, s)| c == code && s == severity),
            "{code}/{severity} not in {codes:?}"
        );
    }
}

#[test]
fn lint_findings_agree_with_routing() {
    // The shadowed regex rule: the PathPrefix /api rule answers instead.
    let d = route_json(
        &lints_example(),
        &["GET http://shop.example.com/api/v2/orders/7"],
    );
    assert_eq!(d["action"]["backend"]["name"], "api", "{d}");
    // The identical match: the older route wins.
    let d = route_json(
        &lints_example(),
        &["POST http://shop.example.com/api/checkout/cart"],
    );
    assert_eq!(d["action"]["backend"]["name"], "checkout", "{d}");
}

fn l4_and_grpc() -> String {
    root()
        .join("examples/l4-and-grpc.yaml")
        .display()
        .to_string()
}

fn route_text(file: &str, extra: &[&str]) -> String {
    let mut args = vec!["route", "-f", file];
    args.extend_from_slice(extra);
    let r = run(&args);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r.stdout
}

#[test]
fn l4_and_grpc_example_checks_clean() {
    let r = run(&["check", "-f", &l4_and_grpc()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("5 routes (0 parents rejected"),
        "{}",
        r.stdout
    );
}

#[test]
fn grpc_exact_method_header_rule_and_unimplemented() {
    let e = l4_and_grpc();
    let out = route_text(&e, &["grpc://grpc.example.com/shop.Cart/Get"]);
    assert_eq!(row(&out, "outcome"), "forward");
    assert_eq!(row(&out, "backend"), "apps/cart:50051");
    assert_eq!(row(&out, "grpc-status"), "OK (forwarded)");
    assert_eq!(row(&out, "route"), "GRPCRoute apps/cart");
    assert_eq!(row(&out, "rule"), "0 (cart)");

    // The request the engine saw: an HTTP/2-style POST with the gRPC content type.
    let d = route_json(&e, &["grpc://grpc.example.com:80/shop.Cart/Put"]);
    assert_eq!(d["action"]["type"], "forward");
    assert_eq!(d["action"]["backend"]["name"], "cart");
    assert_eq!(d["action"]["upstream"]["method"], "POST");
    assert_eq!(d["action"]["upstream"]["path"], "/shop.Cart/Put");
    assert_eq!(d["action"]["upstream"]["authority"], "grpc.example.com:80");
    assert_eq!(
        d["action"]["upstream"]["headers"][0],
        serde_json::json!(["content-type", "application/grpc"])
    );
    assert_eq!(d["matched"]["kind"], "GRPCRoute");
    assert_eq!(d["matched"]["match"], 1);

    // One more header match wins over the plain method match.
    let out = route_text(
        &e,
        &[
            "grpc://grpc.example.com/shop.Cart/Get",
            "-H",
            "x-canary: true",
        ],
    );
    assert_eq!(row(&out, "backend"), "apps/cart-canary:50051");
    assert_eq!(row(&out, "rule"), "1 (canary)");
    // The header rule is only for Get.
    let d = route_json(
        &e,
        &[
            "grpc://grpc.example.com/shop.Cart/Put",
            "-H",
            "x-canary: true",
        ],
    );
    assert_eq!(d["action"]["backend"]["name"], "cart");

    let out = route_text(&e, &["grpc://grpc.example.com/shop.Cart/Delete"]);
    assert_eq!(row(&out, "outcome"), "respond 404");
    assert!(
        row(&out, "grpc-status").starts_with("Unimplemented (HTTP 404"),
        "{out}"
    );
    let d = route_json(&e, &["POST", "grpc://grpc.example.com/shop.Orders/Get"]);
    assert_eq!(d["action"]["type"], "respond");
    assert_eq!(d["action"]["status"], 404);
}

#[test]
fn grpc_invalid_backend_is_unavailable() {
    let text = std::str::from_utf8(include_bytes!("../../../examples/l4-and-grpc.yaml"))
        .unwrap()
        .replace("{name: cart, port: 50051}", "{name: missing, port: 50051}");
    let r = run_with_stdin(
        &["route", "-f", "-", "grpc://grpc.example.com/shop.Cart/Put"],
        Some(&text),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(row(&r.stdout, "outcome"), "respond 503");
    assert!(
        row(&r.stdout, "grpc-status").starts_with("Unavailable"),
        "{}",
        r.stdout
    );
}

#[test]
fn tls_exact_sni_beats_wildcard_and_unknown_sni_is_rejected() {
    let e = l4_and_grpc();
    let out = route_text(&e, &["tls://db.example.com:443"]);
    assert_eq!(row(&out, "outcome"), "connect");
    assert_eq!(row(&out, "backend"), "apps/db:5432");
    assert!(row(&out, "stream").starts_with("TLS passthrough"), "{out}");
    assert_eq!(row(&out, "backend sni"), "db.example.com");
    assert_eq!(row(&out, "route"), "TLSRoute apps/db");
    assert_eq!(row(&out, "hostname"), "db.example.com");
    assert!(
        row(&out, "listener").starts_with("tls (TLS Passthrough"),
        "{out}"
    );

    let d = route_json(&e, &["tls://api.example.com"]);
    assert_eq!(d["action"]["type"], "connect");
    assert_eq!(d["action"]["backend"]["name"], "tls-default");
    assert_eq!(d["action"]["tlsPassthrough"], true);
    assert_eq!(d["action"]["sni"], "api.example.com");
    assert_eq!(d["matched"]["name"], "wildcard");
    assert_eq!(d["matched"]["hostname"], "*.example.com");

    // --sni overrides the URL's host.
    let d = route_json(&e, &["tls://db.example.com", "--sni", "www.example.com"]);
    assert_eq!(d["action"]["backend"]["name"], "tls-default");
    // ... and with tcp:// it makes the connection a TLS one.
    let d = route_json(&e, &["tcp://:443", "--sni", "db.example.com"]);
    assert_eq!(d["action"]["backend"]["name"], "db");

    let out = route_text(&e, &["tls://shop.other.org:443"]);
    assert_eq!(row(&out, "outcome"), "reject (connection refused)");
    let d = route_json(&e, &["tls://shop.other.org"]);
    assert_eq!(d["action"]["type"], "reject");
    // A plain TCP connection (no SNI) to the TLS port is refused too.
    let d = route_json(&e, &["tcp://:443"]);
    assert_eq!(d["action"]["type"], "reject");
}

#[test]
fn tcp_weighted_pick_follows_entropy() {
    let e = l4_and_grpc();
    let out = route_text(&e, &["tcp://:5432"]);
    assert_eq!(row(&out, "outcome"), "connect");
    assert_eq!(row(&out, "backend"), "apps/postgres-v15:5432");
    assert!(row(&out, "stream").starts_with("plaintext"), "{out}");
    assert_eq!(row(&out, "route"), "TCPRoute apps/postgres");
    assert!(
        out.contains("weight  10 (10%)  apps/postgres-v16:5432"),
        "{out}"
    );
    let out = route_text(&e, &["tcp://db.internal:5432", "--entropy", "0.95"]);
    assert_eq!(row(&out, "backend"), "apps/postgres-v16:5432");
    assert!(out.contains("apps/postgres-v16:5432  <- chosen"), "{out}");
    let d = route_json(&e, &["tcp://:5432", "--entropy", "0.89"]);
    assert_eq!(d["action"]["backend"]["name"], "postgres-v15");
    assert_eq!(d["action"]["tlsPassthrough"], false);
    assert!(d["action"].get("sni").is_none(), "{d}");
    // --port overrides the URL's port.
    let d = route_json(&e, &["tcp://:1", "--port", "5432", "--entropy", "0.9"]);
    assert_eq!(d["action"]["backend"]["name"], "postgres-v16");
    // Nothing listens on TCP 53 (the DNS listener is UDP).
    let d = route_json(&e, &["tcp://:53"]);
    assert_eq!(d["action"]["type"], "reject");
}

#[test]
fn udp_connects_to_its_route() {
    let e = l4_and_grpc();
    let out = route_text(&e, &["udp://ns1.example.com:53"]);
    assert_eq!(row(&out, "outcome"), "connect");
    assert_eq!(row(&out, "backend"), "apps/coredns:53");
    assert_eq!(row(&out, "route"), "UDPRoute apps/dns");
    assert!(
        row(&out, "listener").starts_with("dns (UDP, port 53"),
        "{out}"
    );
    let d = route_json(&e, &["udp://:53"]);
    assert_eq!(d["action"]["type"], "connect");
    assert_eq!(d["matched"]["kind"], "UDPRoute");
    let d = route_json(&e, &["udp://:5432"]);
    assert_eq!(d["action"]["type"], "reject");
}

#[test]
fn malformed_grpc_and_connection_urls_exit_2() {
    let e = l4_and_grpc();
    for args in [
        &["route", "-f", &e, "grpc://grpc.example.com"][..],
        &["route", "-f", &e, "grpc://grpc.example.com/shop.Cart"],
        &["route", "-f", &e, "grpc://grpc.example.com/shop.Cart/"],
        &["route", "-f", &e, "grpc://grpc.example.com/a/b/c"],
        &[
            "route",
            "-f",
            &e,
            "grpc://grpc.example.com/shop.Cart/Get?x=1",
        ],
        &["route", "-f", &e, "grpc:///shop.Cart/Get"],
        &[
            "route",
            "-f",
            &e,
            "GET grpc://grpc.example.com/shop.Cart/Get",
        ],
        &["route", "-f", &e, "tls://:443"],
        &["route", "-f", &e, "tls://db.example.com:70000"],
        &["route", "-f", &e, "tls://db.example.com/path"],
        &["route", "-f", &e, "tcp://db.example.com"],
        &["route", "-f", &e, "udp://"],
        &["route", "-f", &e, "CONNECT tcp://:5432"],
        &["route", "-f", &e, "sctp://:5432"],
        &["route", "-f", &e, "udp://:53", "--sni", "x.example.com"],
        &["route", "-f", &e, "tcp://:5432", "-H", "x-a: b"],
        &["route", "-f", &e, "tcp://:5432", "--listener", "postgres"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("error"), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}

fn mesh() -> String {
    root().join("examples/mesh.yaml").display().to_string()
}

#[test]
fn mesh_example_checks_clean() {
    let r = run(&["check", "-f", &mesh()]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("2 routes (0 parents rejected"),
        "{}",
        r.stdout
    );
}

#[test]
fn mesh_producer_split_follows_entropy() {
    let m = mesh();
    let out = route_text(&m, &["--mesh-from", "shop", "GET http://checkout/cart"]);
    assert_eq!(row(&out, "outcome"), "forward");
    assert_eq!(row(&out, "backend"), "shop/checkout-v1:80");
    assert_eq!(
        row(&out, "entered"),
        "mesh: workload in shop \u{2192} Service shop/checkout:80"
    );
    assert_eq!(
        row(&out, "route"),
        "HTTPRoute shop/checkout-split (producer route: applies to every client)"
    );
    assert_eq!(row(&out, "rule"), "1 (split)");
    assert!(out.contains("shop/checkout-v1:80  <- chosen"), "{out}");
    // No Gateway rows: a mesh request enters no listener.
    assert!(
        !out.contains("gateway") && !out.contains("listener"),
        "{out}"
    );

    let out = route_text(
        &m,
        &[
            "--mesh-from",
            "shop",
            "GET http://checkout/cart",
            "--entropy",
            "0.95",
        ],
    );
    assert_eq!(row(&out, "backend"), "shop/checkout-v2:80");
    assert!(out.contains("shop/checkout-v2:80  <- chosen"), "{out}");

    // Every spelling of the Service host calls the same Service port.
    for url in [
        "http://checkout.shop/cart",
        "http://checkout.shop.svc/cart",
        "http://checkout.shop.svc.cluster.local:80/cart",
    ] {
        let v = route_json(&m, &["--mesh-from", "web", url, "--entropy", "0.95"]);
        assert_eq!(v["action"]["backend"]["name"], "checkout-v2", "{url}: {v}");
        assert_eq!(v["matched"]["name"], "checkout-split", "{url}: {v}");
        assert_eq!(
            v["matched"]["listener"], "Service shop/checkout:80",
            "{url}: {v}"
        );
    }
}

#[test]
fn mesh_header_rule() {
    let out = route_text(
        &mesh(),
        &[
            "--mesh-from",
            "shop",
            "GET http://checkout/cart",
            "-H",
            "x-canary: true",
        ],
    );
    assert_eq!(row(&out, "backend"), "shop/checkout-v2:80");
    assert_eq!(row(&out, "rule"), "0 (canary)");
    assert!(!out.contains("weight"), "{out}");
}

#[test]
fn mesh_consumer_route_applies_only_from_its_namespace() {
    let m = mesh();
    // From `frontend` the consumer route replaces the producer route: no canary
    // rule, no split, the added header.
    for extra in [&[][..], &["-H", "x-canary: true"], &["--entropy", "0.95"]] {
        let mut args = vec!["--mesh-from", "frontend", "GET http://checkout.shop/cart"];
        args.extend_from_slice(extra);
        let out = route_text(&m, &args);
        assert_eq!(row(&out, "backend"), "shop/checkout:80", "{extra:?}: {out}");
        assert_eq!(
            row(&out, "route"),
            "HTTPRoute frontend/checkout-from-frontend (consumer route: replaces the producer \
             routes for clients in frontend)"
        );
        assert_eq!(row(&out, "rule"), "0 (tag)");
        assert!(out.contains("+ x-from: frontend"), "{extra:?}: {out}");
    }
    // From any other namespace the producer route applies and the header is not added.
    for from in ["shop", "web"] {
        let v = route_json(&m, &["--mesh-from", from, "GET http://checkout.shop/cart"]);
        assert_eq!(v["matched"]["namespace"], "shop", "{from}: {v}");
        assert_eq!(v["action"]["backend"]["name"], "checkout-v1", "{from}: {v}");
        assert_eq!(
            v["action"]["upstream"]["headers"],
            serde_json::json!([]),
            "{from}: {v}"
        );
    }
    // Without a namespace in the host, the Service is looked up in the caller's
    // namespace: `frontend/checkout` has no routes (and is not in the manifests).
    let r = run(&[
        "route",
        "-f",
        &m,
        "--mesh-from",
        "frontend",
        "GET http://checkout/",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(row(&r.stdout, "backend"), "frontend/checkout:80");
    assert!(
        r.stderr
            .contains("note: Service frontend/checkout is not in the manifests"),
        "{}",
        r.stderr
    );
}

#[test]
fn mesh_routes_by_service_not_host_header() {
    let m = mesh();
    // The Host header names another Service; the Service dialled decides.
    let v = route_json(
        &m,
        &[
            "--mesh-from",
            "shop",
            "GET http://checkout/cart",
            "-H",
            "Host: checkout-v2.shop",
        ],
    );
    assert_eq!(v["matched"]["name"], "checkout-split", "{v}");
    assert_eq!(v["action"]["backend"]["name"], "checkout-v1", "{v}");
    assert_eq!(
        v["action"]["upstream"]["authority"], "checkout-v2.shop",
        "{v}"
    );
    // --mesh-to names the Service when the URL host does not.
    let out = route_text(
        &m,
        &[
            "--mesh-from",
            "frontend",
            "--mesh-to",
            "shop/checkout:80",
            "GET http://shop.example.com/cart",
        ],
    );
    assert_eq!(
        row(&out, "entered"),
        "mesh: workload in frontend \u{2192} Service shop/checkout:80"
    );
    assert_eq!(row(&out, "rule"), "0 (tag)");
}

#[test]
fn mesh_uncovered_port_goes_to_the_service_itself() {
    let m = mesh();
    for (from, url) in [
        ("shop", "GET http://checkout:8080/admin"),
        (
            "frontend",
            "GET http://checkout.shop.svc.cluster.local:8080/admin",
        ),
    ] {
        let r = run(&["route", "-f", &m, "--mesh-from", from, url]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(row(&r.stdout, "backend"), "shop/checkout:8080", "{url}");
        assert_eq!(
            row(&r.stdout, "route"),
            "no mesh route applies: sent to the Service itself"
        );
        assert_eq!(row(&r.stdout, "upstream"), "as received");
        assert!(r.stderr.is_empty(), "{}", r.stderr);
    }
    let v = route_json(
        &m,
        &["--mesh-from", "shop", "GET http://checkout:8080/admin"],
    );
    assert!(v["matched"].is_null(), "{v}");
    // gRPC: the port is required, and 8080 has no routes either.
    let out = route_text(
        &m,
        &[
            "--mesh-from",
            "frontend",
            "grpc://checkout.shop:8080/shop.Checkout/Pay",
        ],
    );
    assert_eq!(row(&out, "grpc-status"), "OK (forwarded)");
    assert_eq!(row(&out, "backend"), "shop/checkout:8080");
    // A port the Service does not have is noted on stderr.
    let r = run(&[
        "route",
        "-f",
        &m,
        "--mesh-from",
        "shop",
        "GET http://checkout:9090/",
    ]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .contains("note: Service shop/checkout has no port 9090 (ports: 80, 8080)"),
        "{}",
        r.stderr
    );
}

#[test]
fn mesh_usage_errors_exit_2() {
    let m = mesh();
    let url = "GET http://checkout.shop/";
    for args in [
        &["--mesh-from", "shop", "--gateway", "infra/public", url][..],
        &["--mesh-from", "shop", "--listener", "http", url],
        &["--mesh-from", "shop", "--port", "80", url],
        &["--mesh-from", "shop", "--sni", "checkout.shop", url],
        &["--mesh-from", "shop", "--no-host-fallthrough", url],
        &["--mesh-to", "shop/checkout:80", url],
        &["--mesh-from", "Shop", url],
        &["--mesh-from", "shop", "--mesh-to", "checkout:80", url],
        &["--mesh-from", "shop", "--mesh-to", "shop/checkout:0", url],
        &["--mesh-from", "shop", "GET http://10.0.0.1/"],
        &["--mesh-from", "shop", "GET http://a.b.c/"],
        &[
            "--mesh-from",
            "shop",
            "grpc://checkout.shop/shop.Checkout/Pay",
        ],
        &["--mesh-from", "shop", "tcp://:80"],
    ] {
        let mut all = vec!["route", "-f", &m];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert!(r.stderr.contains("error"), "{args:?}: {}", r.stderr);
    }
    let r = run(&[
        "route",
        "-f",
        &m,
        "--mesh-from",
        "shop",
        "--gateway",
        "a/b",
        url,
    ]);
    assert!(
        r.stderr
            .contains("'--mesh-from <NS>' cannot be used with '--gateway"),
        "{}",
        r.stderr
    );
}

#[test]
fn mesh_explain_lists_the_service_routes() {
    let out = run(&[
        "route",
        "-f",
        &mesh(),
        "--mesh-from",
        "shop",
        "--explain",
        "GET http://checkout.shop/cart",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("mesh: workload in shop"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("won"), "{}", out.stdout);
}

#[test]
fn tls_explain_lists_routes_with_verdicts() {
    let e = l4_and_grpc();
    let r = run(&["route", "-f", &e, "--explain", "tls://db.example.com:443"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("won"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("matches, but the winner has a more specific hostname"),
        "{}",
        r.stdout
    );
}

fn ingress_example(name: &str) -> String {
    root()
        .join("examples/ingress")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn ingress_class_routing() {
    let file = ingress_example("15-classes.yaml");
    let run_for = |class: &str| {
        run(&[
            "route",
            "-f",
            &file,
            "--ingress-class",
            class,
            "GET http://corp.example.com/",
        ])
    };
    let public = run_for("public");
    assert_eq!(public.code, 0, "{}", public.stderr);
    assert_eq!(row(&public.stdout, "backend"), "corp/site:80");
    assert_eq!(row(&public.stdout, "gateway"), "IngressClass/public");
    let internal = run_for("internal");
    assert_eq!(row(&internal.stdout, "backend"), "corp/wiki:80");
    // Two classes and no --ingress-class: the hint names the Gateways.
    let unnamed = run(&["route", "-f", &file, "GET http://corp.example.com/"]);
    assert!(
        unnamed.stderr.contains("IngressClass/public"),
        "{}",
        unnamed.stderr
    );
}

#[test]
fn convert_ingress_to_gateway_prints_yaml_and_the_proof() {
    let ok = run(&[
        "convert",
        "ingress-to-gateway",
        "-f",
        &ingress_example("06-tls.yaml"),
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.contains("kind: HTTPRoute"), "{}", ok.stdout);
    assert!(ok.stdout.contains("statusCode: 308"), "{}", ok.stdout);
    assert!(ok.stderr.trim_end().ends_with("differ"), "{}", ok.stderr);
    assert!(ok.stderr.contains(", 0 differ"), "{}", ok.stderr);
    // JSON: a List that reads back.
    let json = run(&[
        "convert",
        "ingress-to-gateway",
        "-o",
        "json",
        "-f",
        &ingress_example("01-simple.yaml"),
    ]);
    assert_eq!(json.json()["kind"], "List");
    // A documented gap: the proof lists the differences and exits 1.
    let gap = run(&[
        "convert",
        "ingress-to-gateway",
        "-f",
        &ingress_example("07-wildcard.yaml"),
    ]);
    assert_eq!(gap.code, 1);
    assert!(
        gap.stderr
            .contains("differs: GET http://two.one.example.com/"),
        "{}",
        gap.stderr
    );
    assert!(
        gap.stderr.contains("warning[conversion-gap]"),
        "{}",
        gap.stderr
    );
}
