//! Knobs of the compiler and router.

/// Default limit on the compiled size of one regular expression (bytes of NFA).
pub const DEFAULT_REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Options for [`Router::compile_with`](crate::Router::compile_with).
///
/// ```
/// let config = gatewright::Config::new()
///     .controller_name("example.com/gateway")
///     .host_fallthrough(false);
/// assert_eq!(config.get_controller_name(), Some("example.com/gateway"));
/// assert!(!config.get_host_fallthrough());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    controller_name: Option<String>,
    host_fallthrough: Option<bool>,
    regex_size_limit: Option<usize>,
    lints: Option<bool>,
    policy_options: Option<crate::policy::PolicyOptions>,
    policy_registry: Option<crate::policy::PolicyRegistry>,
}

impl Config {
    /// Defaults: every GatewayClass is served, spec host fall-through, 1 MiB regexes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve only Gateways whose GatewayClass has this `spec.controllerName`.
    /// Without it, every Gateway in the input is served (convenient offline).
    #[must_use]
    pub fn controller_name(mut self, name: impl Into<String>) -> Self {
        self.controller_name = Some(name.into());
        self
    }

    /// Whether a request whose most specific matching hostname has no matching
    /// rule may be served by a less specific hostname (a wildcard or catch-all
    /// route). `true` (default) follows the Gateway API precedence text, which
    /// ranks candidates "across all rules specified on applicable Routes";
    /// `false` behaves like Envoy's virtual hosts (the most specific host wins, then 404).
    #[must_use]
    pub fn host_fallthrough(mut self, yes: bool) -> Self {
        self.host_fallthrough = Some(yes);
        self
    }

    /// Whether compiling also runs the lints (identical matches, shadowed rules,
    /// unreachable regexes). On by default; a proxy that only routes can turn them
    /// off to compile faster (they cost about a third of compile time at 10 000 routes).
    #[must_use]
    pub fn lints(mut self, yes: bool) -> Self {
        self.lints = Some(yes);
        self
    }

    /// Options of the policy-attachment resolver (defaults: `spec/policy/SEMANTICS.md`).
    #[must_use]
    pub fn policy_options(mut self, options: crate::policy::PolicyOptions) -> Self {
        self.policy_options = Some(options);
        self
    }

    /// Which kinds are policies and how to read them (default: [`PolicyRegistry::default`](crate::policy::PolicyRegistry::default)).
    #[must_use]
    pub fn policy_registry(mut self, registry: crate::policy::PolicyRegistry) -> Self {
        self.policy_registry = Some(registry);
        self
    }

    /// The policy resolver options.
    pub fn get_policy_options(&self) -> crate::policy::PolicyOptions {
        self.policy_options.clone().unwrap_or_default()
    }

    /// The policy kind registry.
    pub fn get_policy_registry(&self) -> crate::policy::PolicyRegistry {
        self.policy_registry.clone().unwrap_or_default()
    }

    /// Whether the lints run.
    pub fn get_lints(&self) -> bool {
        self.lints.unwrap_or(true)
    }

    /// Limit on the compiled size of each regular expression.
    #[must_use]
    pub fn regex_size_limit(mut self, bytes: usize) -> Self {
        self.regex_size_limit = Some(bytes);
        self
    }

    /// The controller name, if set.
    pub fn get_controller_name(&self) -> Option<&str> {
        self.controller_name.as_deref()
    }

    /// Whether host fall-through is on.
    pub fn get_host_fallthrough(&self) -> bool {
        self.host_fallthrough.unwrap_or(true)
    }

    /// The regex size limit.
    pub fn get_regex_size_limit(&self) -> usize {
        self.regex_size_limit.unwrap_or(DEFAULT_REGEX_SIZE_LIMIT)
    }
}
