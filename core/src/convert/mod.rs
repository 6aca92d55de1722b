//! Converting resources of one API into another, with a proof.
//!
//! [`ingress_to_gateway`] turns Kubernetes Ingresses (with their IngressClasses,
//! Services and Secrets) into Gateway API Gateways, HTTPRoutes and ReferenceGrants.
//! [`Conversion::prove`] then compiles both the Ingresses and the converted resources
//! (serialized and read back) and routes the same requests through both, reporting
//! every decision that differs.
//!
//! ```
//! use gatewright::convert::ingress_to_gateway;
//! use gatewright::Resources;
//! let yaml = "
//! apiVersion: networking.k8s.io/v1
//! kind: IngressClass
//! metadata: {name: nginx}
//! spec: {controller: k8s.io/ingress-nginx}
//! ---
//! apiVersion: v1
//! kind: Service
//! metadata: {name: web, namespace: shop}
//! spec: {ports: [{port: 80}]}
//! ---
//! apiVersion: networking.k8s.io/v1
//! kind: Ingress
//! metadata: {name: web, namespace: shop}
//! spec:
//!   ingressClassName: nginx
//!   rules:
//!   - host: shop.example.com
//!     http:
//!       paths:
//!       - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
//! ";
//! let input = Resources::from_yaml(yaml)?;
//! let conversion = ingress_to_gateway(&input);
//! assert!(conversion.to_yaml().contains("kind: HTTPRoute"));
//! let proof = conversion.prove(&input)?;
//! assert!(proof.requests() > 0 && proof.differences().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod ingress;

pub use ingress::{ingress_to_gateway, Conversion, Difference, Outcome, Proof};
