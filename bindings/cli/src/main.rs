//! `gatewright`: route, explain and check Kubernetes Gateway API manifests
//! offline, with the same engine a proxy embeds.
//!
//! Exit codes: 0 an answer was printed (a 404 is an answer; `check` found no
//! problem), 1 the manifests cannot be read or `check` found problems, 2 usage
//! errors (bad arguments, unreadable files).

mod io;
mod output;
mod request_line;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gatewright::{Config, Connection, Decision, Request, Resources, Router};

use crate::request_line::{
    mesh_target, parse_entropy, parse_gateway, parse_header, parse_mesh_to, parse_namespace,
    parse_target, ConnectionLine, MeshTarget, MeshTo, RequestLine, Target, Transport,
};

/// Route, explain and check Kubernetes Gateway API manifests offline.
///
/// gatewright reads GatewayClass, Gateway, HTTPRoute, GRPCRoute, TLSRoute, TCPRoute,
/// UDPRoute, ReferenceGrant, Namespace, Service and Secret objects (YAML or JSON,
/// multi-document) and answers the questions a controller and proxy would: which
/// listener, route, rule and backend a request or connection gets, and which
/// objects would be accepted.
#[derive(Debug, Parser)]
#[command(
    name = "gatewright",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit codes: 0 answered / check passed, 1 unreadable manifests or check failed, 2 usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Route one request or connection: which rule wins, which backend, which filters
    /// (--explain: and why).
    #[command(after_help = "Examples:\n  \
        gatewright route -f examples/quickstart.yaml 'GET http://shop.example.com/api/health'\n  \
        gatewright route -f examples/platform.yaml --gateway infra/public \\\n    \
        'GET https://orders.shop.example.com/api/orders' -H 'x-release-track: canary' --explain\n  \
        gatewright route -f examples/l4-and-grpc.yaml grpc://grpc.example.com/shop.Cart/Get\n  \
        gatewright route -f examples/l4-and-grpc.yaml tls://db.example.com:443\n  \
        gatewright route -f examples/l4-and-grpc.yaml tcp://:5432 --entropy 0.95\n  \
        gatewright route -f examples/l4-and-grpc.yaml udp://:53\n  \
        gatewright route -f examples/mesh.yaml --mesh-from shop 'GET http://checkout/cart' --entropy 0.95\n  \
        gatewright route -f examples/mesh.yaml --mesh-from frontend 'GET http://checkout.shop/cart'")]
    Route(Box<RouteArgs>),
    /// Print status conditions and diagnostics; exit 1 if a route is not accepted,
    /// has unresolved references, or any diagnostic is an error (a CI gate).
    #[command(after_help = "Example:\n  gatewright check -f examples/platform.yaml")]
    Check(CheckArgs),
    /// Effective policies (GEP-713 policy attachment): for every Gateway → listener →
    /// route → rule → backend path, each field's value and the policy that set it,
    /// every value that lost and why, and each policy's status.
    #[command(after_help = "Examples:\n  \
        gatewright policy -f examples/policy.yaml\n  \
        gatewright policy -f examples/policy.yaml --route shop/checkout --rule pay -o json")]
    Policy(PolicyArgs),
    /// Convert resources of one API into another, and prove the result routes alike.
    #[command(subcommand)]
    Convert(ConvertCommand),
}

#[derive(Debug, Args)]
struct PolicyArgs {
    #[command(flatten)]
    manifests: Manifests,
    /// Only paths through this HTTPRoute.
    #[arg(long, value_name = "NS/NAME", value_parser = parse_gateway)]
    route: Option<(String, String)>,
    /// With --route: only this rule (its name, or its index when unnamed).
    #[arg(long, value_name = "NAME", requires = "route")]
    rule: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ConvertCommand {
    /// Convert Ingresses (with their IngressClasses, Services and Secrets) into
    /// Gateway API Gateways, HTTPRoutes and ReferenceGrants.
    ///
    /// Prints the converted resources on stdout. On stderr: the conversion's
    /// diagnostics (every annotation or feature without an exact Gateway API
    /// equivalent), then the proof: every probe request (each path, a child, a
    /// sibling, the root, an unmatched path, http and https, canary headers, …) is
    /// routed through the Ingresses and through the converted resources, and each
    /// decision that differs (backend, status, redirect location, rewritten path) is
    /// listed, ending with `proof: N requests, M differ`. Exits 1 when M > 0.
    #[command(
        after_help = "Example:\n  gatewright convert ingress-to-gateway -f examples/ingress/01-simple.yaml"
    )]
    IngressToGateway(ConvertArgs),
}

#[derive(Debug, Args)]
struct ConvertArgs {
    /// Manifest to read (YAML or JSON; `-` for stdin). Repeat to combine files.
    #[arg(short = 'f', long = "file", value_name = "FILE", required = true)]
    files: Vec<String>,
    /// Output format of the converted resources.
    #[arg(short = 'o', long, value_enum, default_value_t = ConvertFormat::Yaml)]
    output: ConvertFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ConvertFormat {
    /// A multi-document YAML stream.
    Yaml,
    /// A JSON `List`.
    Json,
}

#[derive(Debug, Args)]
struct Manifests {
    /// Manifest to read (YAML or JSON; `-` for stdin). Repeat to combine files.
    #[arg(short = 'f', long = "file", value_name = "FILE", required = true)]
    files: Vec<String>,
    /// Serve only Gateways whose GatewayClass has this spec.controllerName
    /// (default: every Gateway in the input).
    #[arg(long, value_name = "NAME")]
    controller: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Text)]
    output: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Aligned, human-readable text.
    Text,
    /// Pretty-printed JSON (the engine's own data types).
    Json,
}

#[derive(Debug, Args)]
struct RouteArgs {
    #[command(flatten)]
    manifests: Manifests,
    /// What to route: 'METHOD http(s)://HOST/PATH', grpc(s)://HOST/SERVICE/METHOD,
    /// tls://HOST[:PORT], tcp://[HOST]:PORT or udp://[HOST]:PORT.
    ///
    /// An HTTP request: a method and an absolute URL, e.g.
    /// 'GET https://shop.example.com/cart?id=1' (a bare URL means GET). A gRPC call:
    /// grpc://HOST[:PORT]/SERVICE/METHOD (grpcs:// for TLS), an HTTP/2 POST to
    /// /SERVICE/METHOD with content-type application/grpc. A connection:
    /// tls://HOST[:PORT] (TCP with SNI HOST, port 443 by default),
    /// tcp://[HOST]:PORT or udp://[HOST]:PORT (HOST is ignored). The URL's port, if
    /// any, is the port entered.
    #[arg(value_name = "REQUEST", required = true, num_args = 1..=2)]
    request: Vec<String>,
    /// Request header, repeatable. A `Host` header replaces the URL's host (as with curl).
    /// HTTP and gRPC only.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(String, String)>,
    /// The Gateway the request enters (needed when the input has several).
    #[arg(long, value_name = "NS/NAME", value_parser = parse_gateway, conflicts_with = "mesh_from")]
    gateway: Option<(String, String)>,
    /// Enter through the Gateway gatewright synthesizes for this IngressClass
    /// (the same as --gateway IngressClass/NAME). Needed when the input has several
    /// Gateways or IngressClasses.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["gateway", "mesh_from"])]
    ingress_class: Option<String>,
    /// Enter through this listener (by name) instead of choosing by port and host.
    /// HTTP and gRPC only.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["port", "mesh_from"])]
    listener: Option<String>,
    /// The port entered (default: the URL's port, else 80 for http and grpc, 443 for
    /// https, grpcs and tls).
    #[arg(long, value_name = "N", conflicts_with = "mesh_from")]
    port: Option<u16>,
    /// TLS SNI for https, grpcs and tls (default: the URL's host). With tcp:// it makes
    /// the connection a TLS one.
    #[arg(long, value_name = "NAME", conflicts_with = "mesh_from")]
    sni: Option<String>,
    /// Route a mesh (GAMMA) request instead: a workload in namespace NS calls the
    /// Service named by the URL host, SERVICE[.NAMESPACE[.svc[.cluster.local]]]
    /// (namespace NS if the host has none), on the URL's port (else 80 for http,
    /// 443 for https; gRPC calls must name the port). Routes whose parentRef is
    /// that Service (and port) decide; with none, the request goes to the Service.
    /// HTTP and gRPC only; not with --gateway, --listener, --port, --sni or
    /// --no-host-fallthrough.
    #[arg(long, value_name = "NS", value_parser = parse_namespace)]
    mesh_from: Option<String>,
    /// With --mesh-from: the Service called, when the URL host (the Host header)
    /// does not name it. Mesh routing follows the Service dialled, never the Host
    /// header. Without :PORT, the URL's port or the scheme's default.
    #[arg(
        long,
        value_name = "NS/NAME:PORT",
        value_parser = parse_mesh_to,
        requires = "mesh_from"
    )]
    mesh_to: Option<MeshTo>,
    /// Route an Istio sidecar request instead: sent by a workload in namespace NS with
    /// these pod labels, e.g. `bookinfo` or `bookinfo,app=productpage,version=v1`.
    /// The URL host is the Host called (`reviews`, `reviews.bookinfo`, an FQDN) and
    /// its port (else 80) the Service port; VirtualServices decide as the client's
    /// sidecar would.
    #[arg(long, value_name = "NS[,LABEL=VALUE…]", conflicts_with_all = ["gateway", "mesh_from", "listener"])]
    workload: Option<String>,
    /// Randomness for weighted backends and mirror sampling: a u64, or a fraction
    /// in [0, 1) such as 0.95. Same entropy, same decision.
    #[arg(long, value_name = "U64", value_parser = parse_entropy, default_value = "0")]
    entropy: u64,
    /// The most specific matching hostname decides alone, then 404 (Envoy-style
    /// virtual hosts) instead of falling through to wildcard/catch-all routes.
    #[arg(long, conflicts_with = "mesh_from")]
    no_host_fallthrough: bool,
    /// Also print the listener (or mesh Service) choice and every candidate rule
    /// or route with its verdict.
    #[arg(long)]
    explain: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    manifests: Manifests,
}

/// Why the command stopped early.
enum Failure {
    /// Exit 2.
    Usage(String),
    /// Exit 1.
    Input(String),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` are "errors" that print to stdout and exit 0.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = match &cli.command {
        Command::Route(args) => route(args),
        Command::Check(args) => check(args),
        Command::Policy(args) => policy(args),
        Command::Convert(ConvertCommand::IngressToGateway(args)) => convert(args),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            io::err(&format!(
                "error: {message}\n\nFor more information, try '--help'.\n"
            ));
            ExitCode::from(2)
        }
        Err(Failure::Input(message)) => {
            io::err(&format!("error: {message}\n"));
            ExitCode::from(1)
        }
    }
}

/// Reads every manifest.
fn load(manifests: &Manifests) -> Result<Resources, Failure> {
    load_files(&manifests.files)
}

fn load_files(files: &[String]) -> Result<Resources, Failure> {
    let inputs = io::read_inputs(files).map_err(Failure::Usage)?;
    let mut resources = Resources::new();
    for input in &inputs {
        resources
            .add_text(&input.text)
            .map_err(|e| Failure::Input(format!("{}: {e}", input.name)))?;
    }
    Ok(resources)
}

/// Compiles the manifests read by [`load`].
fn compile(
    manifests: &Manifests,
    resources: &Resources,
    host_fallthrough: bool,
) -> Result<Router, Failure> {
    let mut config = Config::new();
    if !host_fallthrough {
        config = config.host_fallthrough(false);
    }
    if let Some(name) = &manifests.controller {
        config = config.controller_name(name);
    }
    Router::compile_with(resources, config)
        .map_err(|e| Failure::Input(format!("cannot compile: {e}")))
}

fn route(args: &RouteArgs) -> Result<ExitCode, Failure> {
    let target = parse_target(&args.request.join(" ")).map_err(Failure::Usage)?;
    let mesh = match (&target, &args.mesh_from) {
        (Target::Connection(conn), _) => {
            connection_usage(args, conn).map_err(Failure::Usage)?;
            None
        }
        (Target::Http(line), Some(from)) => {
            let to = mesh_target(line, from, args.mesh_to.as_ref()).map_err(Failure::Usage)?;
            Some((from.as_str(), to))
        }
        (Target::Http(_), None) => None,
    };
    let resources = load(&args.manifests)?;
    let router = compile(&args.manifests, &resources, !args.no_host_fallthrough)?;
    let (text, decision) = match &target {
        Target::Http(line) => route_request(args, &router, line, mesh.as_ref())?,
        Target::Connection(conn) => route_connection(args, &router, conn)?,
    };
    io::out(&text);
    if let Some((_, to)) = &mesh {
        if let Some(note) = missing_service(&resources, to) {
            io::err(&note);
        }
    }
    let names = router.gateway_names();
    if matches!(decision.action, gatewright::Action::Reject { .. })
        && decision.matched.is_none()
        && args.gateway.is_none()
        && args.ingress_class.is_none()
        && names.len() > 1
    {
        io::err(&format!(
            "hint: pass --gateway NS/NAME, one of: {}\n",
            names.join(", ")
        ));
    }
    let errors = router
        .diagnostics()
        .iter()
        .filter(|d| d.severity == gatewright::Severity::Error)
        .count();
    if errors > 0 {
        let s = if errors == 1 { "" } else { "s" };
        io::err(&format!("note: the manifests have {errors} error diagnostic{s}; run `gatewright check` for details\n"));
    }
    Ok(ExitCode::SUCCESS)
}

/// Routes an HTTP request or gRPC call; returns the output and the decision.
fn route_request(
    args: &RouteArgs,
    router: &Router,
    line: &RequestLine,
    mesh: Option<&(&str, MeshTarget)>,
) -> Result<(String, Decision), Failure> {
    let host_header = args
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.as_str());
    let mut headers: Vec<(&str, &str)> = args
        .headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    if line.grpc
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.insert(0, ("content-type", "application/grpc"));
    }
    let authority = host_header.unwrap_or(&line.authority);
    let mut request = Request::new(&line.method, authority, &line.path_and_query)
        .scheme(&line.scheme)
        .headers(&headers);
    if let Some((ns, name)) = &args.gateway {
        request = request.gateway(ns, name);
    }
    if let Some(class) = &args.ingress_class {
        request = request.ingress_class(class);
    }
    if let Some(listener) = &args.listener {
        request = request.listener(listener);
    }
    if let Some(port) = args.port.or(line.port) {
        request = request.port(port);
    }
    match (&args.sni, host_header) {
        (Some(sni), _) => request = request.sni(sni),
        // A Host header override does not change the TLS connection's SNI.
        (None, Some(_)) => request = request.sni(&line.host),
        (None, None) => {}
    }
    if let Some((from, to)) = mesh {
        request = request.mesh(from, &to.namespace, &to.service, to.port);
    }
    let workload = args.workload.as_deref().map(parse_workload);
    let workload_labels: Vec<(&str, &str)> = workload
        .as_ref()
        .map(|(_, l)| l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
        .unwrap_or_default();
    if let Some((ns, _)) = &workload {
        request = request.workload(ns, &workload_labels);
    }

    let explanation = args.explain.then(|| router.explain(&request, args.entropy));
    let decision = match &explanation {
        Some(e) => e.decision.clone(),
        None => router.decide_with(&request, args.entropy),
    };
    let text = match (args.manifests.output, &explanation) {
        (Format::Json, Some(e)) => to_json(e)?,
        (Format::Json, None) => to_json(&decision)?,
        (Format::Text, e) => output::route_text(router, &request, &decision, e.as_ref(), line.grpc),
    };
    Ok((text, decision))
}

/// Flags that mean nothing for a connection are usage errors, not silently ignored.
fn connection_usage(args: &RouteArgs, conn: &ConnectionLine) -> Result<(), String> {
    let scheme = match conn.transport {
        Transport::Tls => "tls",
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    };
    if let Some((name, _)) = args.headers.first() {
        return Err(format!(
            "-H {name:?}: a {scheme}:// connection has no HTTP headers"
        ));
    }
    if args.mesh_from.is_some() {
        return Err(format!(
            "--mesh-from: mesh routing covers http://, https:// and grpc:// requests, \
             not {scheme}:// connections"
        ));
    }
    if args.listener.is_some() {
        return Err(format!(
            "--listener is not supported for {scheme}:// connections; use --port (and --sni)"
        ));
    }
    if args.sni.is_some() && conn.transport == Transport::Udp {
        return Err("--sni: a udp:// flow has no TLS ClientHello".into());
    }
    Ok(())
}

/// Routes a TLS, TCP or UDP connection; returns the output and the decision.
/// `NS[,LABEL=VALUE…]` of `--workload`.
fn parse_workload(text: &str) -> (String, Vec<(String, String)>) {
    let mut parts = text.split(',');
    let ns = parts.next().unwrap_or("default").trim().to_owned();
    let labels = parts
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (ns, labels)
}

fn route_connection(
    args: &RouteArgs,
    router: &Router,
    line: &ConnectionLine,
) -> Result<(String, Decision), Failure> {
    let port = args.port.unwrap_or(line.port);
    let sni = match (&args.sni, line.transport) {
        (Some(sni), _) => Some(sni.as_str()),
        (None, Transport::Tls) => line.host.as_deref(),
        (None, _) => None,
    };
    let mut conn = match line.transport {
        Transport::Udp => Connection::udp(port),
        Transport::Tcp | Transport::Tls => Connection::tcp(port),
    };
    if let Some(sni) = sni {
        conn = conn.sni(sni);
    }
    if let Some((ns, name)) = &args.gateway {
        conn = conn.gateway(ns, name);
    }
    let workload = args.workload.as_deref().map(parse_workload);
    let workload_labels: Vec<(&str, &str)> = workload
        .as_ref()
        .map(|(_, l)| l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())
        .unwrap_or_default();
    if let Some((ns, _)) = &workload {
        conn = conn.workload(ns, &workload_labels, line.host.as_deref().unwrap_or(""));
    }
    if let Some(class) = &args.ingress_class {
        conn = conn.gateway(gatewright::INGRESS_CLASS_NAMESPACE, class);
    }
    let explanation = args
        .explain
        .then(|| router.explain_connection(&conn, args.entropy));
    let decision = match &explanation {
        Some(e) => e.decision.clone(),
        None => router.route_connection(&conn, args.entropy),
    };
    let text = match args.manifests.output {
        Format::Json => match &explanation {
            Some(e) => to_json(e)?,
            None => to_json(&decision)?,
        },
        Format::Text => {
            let input = output::ConnectionInput {
                transport: if line.transport == Transport::Udp {
                    "UDP"
                } else {
                    "TCP"
                },
                port,
                sni,
            };
            let mut text = output::connection_text(router, &input, &decision);
            if let Some(e) = &explanation {
                output::explain_rows(&mut text, router, e);
            }
            text
        }
    };
    Ok((text, decision))
}

fn convert(args: &ConvertArgs) -> Result<ExitCode, Failure> {
    let resources = load_files(&args.files)?;
    let conversion = gatewright::convert::ingress_to_gateway(&resources);
    io::out(&match args.output {
        ConvertFormat::Yaml => conversion.to_yaml(),
        ConvertFormat::Json => conversion.to_json(),
    });
    let mut report = String::new();
    for d in conversion.diagnostics() {
        report.push_str(&format!("{d}\n"));
    }
    let proof = conversion
        .prove(&resources)
        .map_err(|e| Failure::Input(format!("cannot prove the conversion: {e}")))?;
    for difference in proof.differences() {
        report.push_str(&format!("differs: {difference}\n"));
    }
    report.push_str(&format!("{proof}\n"));
    io::err(&report);
    Ok(if proof.differences().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn check(args: &CheckArgs) -> Result<ExitCode, Failure> {
    let resources = load(&args.manifests)?;
    let router = compile(&args.manifests, &resources, true)?;
    let report = output::CheckReport::new(&router);
    let text = match args.manifests.output {
        Format::Json => to_json(&serde_json::json!({
            "status": router.status(),
            "diagnostics": router.diagnostics(),
            "ok": report.ok(),
        }))?,
        Format::Text => report.text(),
    };
    io::out(&text);
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn policy(args: &PolicyArgs) -> Result<ExitCode, Failure> {
    let resources = load(&args.manifests)?;
    let router = compile(&args.manifests, &resources, true)?;
    let Some(set) = router.policies() else {
        io::out("no policies (objects with spec.targetRefs) in the input\n");
        return Ok(ExitCode::SUCCESS);
    };
    let paths: Vec<gatewright::policy::PolicyPath> = set
        .paths()
        .into_iter()
        .filter(|p| {
            args.route
                .as_ref()
                .is_none_or(|r| p.route.as_ref() == Some(r))
                && args
                    .rule
                    .as_ref()
                    .is_none_or(|r| p.rule.as_ref() == Some(r))
        })
        .collect();
    let kinds = set.kinds();
    let text = match args.manifests.output {
        Format::Json => {
            let effective: Vec<serde_json::Value> = paths
                .iter()
                .flat_map(|p| {
                    kinds.iter().map(move |k| {
                        serde_json::json!({
                            "kind": k,
                            "path": output::policy_path(p),
                            "effective": set.effective(k, p),
                        })
                    })
                })
                .collect();
            to_json(&serde_json::json!({ "policies": set.reports(), "effective": effective }))?
        }
        Format::Text => output::policy_text(set, &paths, &kinds),
    };
    io::out(&text);
    Ok(ExitCode::SUCCESS)
}

/// A note when the Service a mesh request calls is not in the manifests, or has
/// no such port: the decision still stands (the Service may live elsewhere), but
/// a typo is likelier.
fn missing_service(resources: &Resources, to: &MeshTarget) -> Option<String> {
    let service = resources.objects().iter().find_map(|o| match o {
        gatewright::Object::Service(s)
            if s.metadata.name == to.service
                && s.metadata.namespace.as_deref().unwrap_or("default") == to.namespace =>
        {
            Some(s)
        }
        _ => None,
    });
    let Some(service) = service else {
        return Some(format!(
            "note: Service {}/{} is not in the manifests\n",
            to.namespace, to.service
        ));
    };
    let ports: Vec<String> = service
        .spec
        .ports
        .iter()
        .map(|p| p.port.to_string())
        .collect();
    (!service.spec.ports.iter().any(|p| p.port == to.port)).then(|| {
        format!(
            "note: Service {}/{} has no port {} (ports: {})\n",
            to.namespace,
            to.service,
            to.port,
            if ports.is_empty() {
                "none".to_owned()
            } else {
                ports.join(", ")
            }
        )
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Failure::Input(format!("cannot serialize the answer: {e}")))
}
