//! Fixtures shared by the integration tests: one Gateway `infra/gw` (HTTP on 80,
//! routes from all namespaces) and Services `app/a`, `app/b`.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use gatewright::{Action, Request, Resources, Router};

pub(crate) const HEAD: &str = "
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: infra}
spec:
  gatewayClassName: any
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: a, namespace: app}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: app}
spec: {ports: [{port: 80}]}
";

/// Compiles `HEAD` plus `routes` (YAML documents separated by `---`).
pub(crate) fn router(routes: &str) -> Router {
    let text = format!("{HEAD}---\n{routes}");
    Router::compile(&Resources::from_yaml(&text).expect("valid YAML")).expect("compiles")
}

/// An HTTPRoute `app/{name}` on `infra/gw`; `meta` is extra metadata, `spec` the rest of the spec.
pub(crate) fn route(name: &str, meta: &str, spec: &str) -> String {
    format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: {name}, namespace: app{meta}}}\nspec:\n  parentRefs: [{{name: gw, namespace: infra}}]\n{spec}\n"
    )
}

/// The backend name a request is forwarded to, or the action's debug text.
pub(crate) fn backend(router: &Router, req: &Request<'_>) -> String {
    match &router.decide(req).action {
        Action::Forward(f) => f.backend.name.clone(),
        other => format!("{other:?}"),
    }
}
