//! Running a whole corpus against an [`Engine`] and reporting the result.
//!
//! Each test is compiled once per distinct mutation set (most tests: once). A test listed in the
//! skip file is not compiled at all; it is still reported, with its declared case/status counts
//! and zero passed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::check::{check_case, check_status_assertion};
use crate::engine::{Compiled, Engine};
use crate::format::{discover_tests, load_test, objects_for, Mutation, TestFile};

/// Environment variable holding a test-name filter (substring), like regex's `REGEX_TEST`.
pub const FILTER_ENV: &str = "GATEWRIGHT_TEST";

/// Skip list: test name → reason.
pub type Skips = BTreeMap<String, String>;

/// Result of one test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// Test (folder) name.
    pub name: String,
    /// Request cases declared.
    pub cases: usize,
    /// Request cases that passed.
    pub cases_passed: usize,
    /// Request cases skipped one by one (skip key `test/case`), with their reasons.
    pub cases_skipped: Vec<(String, String)>,
    /// Status assertions declared.
    pub status: usize,
    /// Status assertions that passed.
    pub status_passed: usize,
    /// Skip reason when the test is in the skip list.
    pub skipped: Option<String>,
    /// Mismatch and load messages, one per line.
    pub failures: Vec<String>,
}

impl TestReport {
    /// Not skipped, every case and status assertion passed, and nothing failed to load.
    pub fn passed(&self) -> bool {
        self.skipped.is_none()
            && self.failures.is_empty()
            && self.cases_passed + self.cases_skipped.len() == self.cases
            && self.status_passed == self.status
    }
}

/// Result of a whole corpus run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteReport {
    /// Corpus directory name (e.g. `gateway-api`).
    pub suite: String,
    /// One report per test, sorted by name.
    pub tests: Vec<TestReport>,
}

impl SuiteReport {
    /// Every non-skipped test passed.
    pub fn all_passed(&self) -> bool {
        self.tests.iter().all(|t| t.skipped.is_some() || t.passed())
    }

    /// The JSON report (pretty-printed, keys in this order): `{"suite", "tests": [{name, cases,
    /// cases_passed, status, status_passed, skipped}], "totals": {tests, skipped, cases,
    /// cases_passed, status, status_passed}}`. Totals are sums over all listed tests, skipped ones
    /// included.
    pub fn to_json(&self) -> String {
        let report = JsonReport {
            suite: &self.suite,
            tests: self
                .tests
                .iter()
                .map(|t| JsonTest {
                    name: &t.name,
                    cases: t.cases,
                    cases_passed: t.cases_passed,
                    status: t.status,
                    status_passed: t.status_passed,
                    skipped: t.skipped.as_deref(),
                })
                .collect(),
            totals: self.totals(),
        };
        serde_json::to_string_pretty(&report).unwrap_or_default()
    }

    /// Sums over all listed tests (skipped tests contribute their declared counts and 0 passed).
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for t in &self.tests {
            totals.tests += 1;
            totals.skipped += usize::from(t.skipped.is_some());
            totals.cases += t.cases;
            totals.cases_passed += t.cases_passed;
            totals.status += t.status;
            totals.status_passed += t.status_passed;
        }
        totals
    }

    /// A per-test table with totals, followed by the failure messages of each failing test.
    pub fn to_table(&self) -> String {
        let width = self
            .tests
            .iter()
            .map(|t| t.name.len())
            .max()
            .unwrap_or(4)
            .max(5);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<width$}  {:>9}  {:>9}  RESULT",
            "TEST", "CASES", "STATUS"
        );
        for t in &self.tests {
            let result = match &t.skipped {
                Some(reason) => format!("skipped: {reason}"),
                None if t.passed() && !t.cases_skipped.is_empty() => format!(
                    "ok ({} case(s) skipped: {})",
                    t.cases_skipped.len(),
                    t.cases_skipped
                        .iter()
                        .map(|(case, reason)| format!("{case}: {reason}"))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                None if t.passed() => "ok".to_owned(),
                None => "FAILED".to_owned(),
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:>9}  {:>9}  {result}",
                t.name,
                format!("{}/{}", t.cases_passed, t.cases),
                format!("{}/{}", t.status_passed, t.status),
            );
        }
        let totals = self.totals();
        let failed = self
            .tests
            .iter()
            .filter(|t| t.skipped.is_none() && !t.passed())
            .count();
        let _ = writeln!(
            out,
            "{:<width$}  {:>9}  {:>9}  {} tests, {} skipped, {failed} failed",
            "TOTAL",
            format!("{}/{}", totals.cases_passed, totals.cases),
            format!("{}/{}", totals.status_passed, totals.status),
            totals.tests,
            totals.skipped,
        );
        for t in self.tests.iter().filter(|t| !t.failures.is_empty()) {
            let _ = writeln!(out, "\n{}:", t.name);
            for failure in &t.failures {
                let _ = writeln!(out, "  - {failure}");
            }
        }
        out
    }
}

/// Sums over a suite's tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Tests listed.
    pub tests: usize,
    /// Tests skipped.
    pub skipped: usize,
    /// Cases declared.
    pub cases: usize,
    /// Cases passed.
    pub cases_passed: usize,
    /// Status assertions declared.
    pub status: usize,
    /// Status assertions passed.
    pub status_passed: usize,
}

/// The test-name filter from [`FILTER_ENV`], if set and non-empty.
pub fn filter_from_env() -> Option<String> {
    std::env::var(FILTER_ENV).ok().filter(|f| !f.is_empty())
}

/// Read a skip file: a TOML table `[skip]` of `TestName = "reason"`.
pub fn load_skips(path: &Path) -> Result<Skips, String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct SkipFile {
        #[serde(default)]
        skip: Skips,
    }
    let text =
        fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let file: SkipFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(file.skip)
}

/// Run every test of `corpus_dir` whose name contains `filter` (all when `None`).
///
/// Only failing to list the corpus is an error; a test that fails to load is reported as a
/// failed test with the load error as its message.
pub fn run_suite(
    corpus_dir: &Path,
    skips: &Skips,
    engine: &dyn Engine,
    filter: Option<&str>,
) -> Result<SuiteReport, String> {
    let names = discover_tests(corpus_dir).map_err(|e| e.to_string())?;
    let tests = names
        .iter()
        .filter(|name| filter.is_none_or(|f| name.contains(f)))
        .map(|name| run_named_test(corpus_dir, name, skips.get(name), engine))
        .collect();
    let suite = corpus_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| corpus_dir.display().to_string());
    Ok(SuiteReport { suite, tests })
}

/// Load and run one test (or report it skipped).
fn run_named_test(
    corpus_dir: &Path,
    name: &str,
    skip: Option<&String>,
    engine: &dyn Engine,
) -> TestReport {
    match load_test(corpus_dir, name) {
        Ok(test) => match skip {
            Some(reason) => TestReport {
                name: name.to_owned(),
                cases: test.cases.len(),
                status: test.status.len(),
                skipped: Some(reason.clone()),
                ..TestReport::default()
            },
            None => run_test(&test, engine),
        },
        Err(e) => TestReport {
            name: name.to_owned(),
            skipped: skip.cloned(),
            failures: if skip.is_some() {
                Vec::new()
            } else {
                vec![e.to_string()]
            },
            ..TestReport::default()
        },
    }
}

/// Compiled object sets of one test, keyed by their mutation list.
struct CompileCache<'a> {
    test: &'a TestFile,
    engine: &'a dyn Engine,
    compiled: BTreeMap<String, Result<Box<dyn Compiled>, String>>,
}

impl<'a> CompileCache<'a> {
    fn new(test: &'a TestFile, engine: &'a dyn Engine) -> Self {
        CompileCache {
            test,
            engine,
            compiled: BTreeMap::new(),
        }
    }

    /// The compiled result for these mutations, compiling on first use.
    fn get(&mut self, mutations: &[Mutation]) -> Result<&dyn Compiled, String> {
        let key = serde_json::to_string(mutations).unwrap_or_default();
        let (test, engine) = (self.test, self.engine);
        let entry = self.compiled.entry(key).or_insert_with(|| {
            let objects = objects_for(test, mutations).map_err(|e| e.to_string())?;
            engine
                .compile(&objects)
                .map_err(|e| format!("engine refused the input: {e}"))
        });
        match &*entry {
            Ok(compiled) => Ok(&**compiled),
            Err(message) => Err(message.clone()),
        }
    }
}

/// Evaluate every case and status assertion of a loaded test.
pub fn run_test(test: &TestFile, engine: &dyn Engine) -> TestReport {
    let mut report = TestReport {
        name: test.test.clone(),
        cases: test.cases.len(),
        status: test.status.len(),
        ..TestReport::default()
    };
    let mut cache = CompileCache::new(test, engine);
    for case in &test.cases {
        let failures = match cache.get(&case.mutations) {
            Ok(compiled) => check_case(compiled, case),
            Err(message) => vec![message],
        };
        record(
            &mut report.cases_passed,
            &mut report.failures,
            &format!("case {:?}", case.name),
            failures,
        );
    }
    let mut statuses: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (index, assertion) in test.status.iter().enumerate() {
        let key = serde_json::to_string(&assertion.mutations).unwrap_or_default();
        let failures = match cache.get(&assertion.mutations) {
            Ok(compiled) => {
                let status = statuses.entry(key).or_insert_with(|| compiled.status());
                check_status_assertion(status, assertion)
            }
            Err(message) => vec![message],
        };
        let label = format!(
            "status #{index} ({} {}/{})",
            assertion.kind, assertion.namespace, assertion.name
        );
        record(
            &mut report.status_passed,
            &mut report.failures,
            &label,
            failures,
        );
    }
    report
}

/// Count a pass or keep the labelled failure messages.
fn record(passed: &mut usize, out: &mut Vec<String>, label: &str, failures: Vec<String>) {
    if failures.is_empty() {
        *passed += 1;
    } else {
        out.extend(failures.into_iter().map(|f| format!("{label}: {f}")));
    }
}

/// JSON shape of a suite report (field order = output order).
#[derive(Serialize)]
struct JsonReport<'a> {
    suite: &'a str,
    tests: Vec<JsonTest<'a>>,
    totals: Totals,
}

/// JSON shape of one test.
#[derive(Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    cases: usize,
    cases_passed: usize,
    status: usize,
    status_passed: usize,
    skipped: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;
    use crate::engine::{CaseRequest, Entry, Observed, Upstream};

    /// Routes everything to infra-backend-v1 and reports a fixed, healthy status; refuses input
    /// whose object count is not `accept_objects` (when set).
    struct FakeEngine {
        accept_objects: Option<usize>,
    }

    struct FakeCompiled;

    impl Engine for FakeEngine {
        fn compile(&self, objects: &[Value]) -> Result<Box<dyn Compiled>, String> {
            match self.accept_objects {
                Some(n) if n != objects.len() => Err(format!("{} objects", objects.len())),
                _ => Ok(Box::new(FakeCompiled)),
            }
        }
    }

    impl Compiled for FakeCompiled {
        fn route(&self, _entry: &Entry, request: &CaseRequest, _entropy: u64) -> Observed {
            Observed {
                status: 200,
                backend: Some((
                    "gateway-conformance-infra".into(),
                    "infra-backend-v1".into(),
                )),
                upstream: Some(Upstream {
                    method: request.method.clone(),
                    path: request.path.clone(),
                    ..Upstream::default()
                }),
                ..Observed::default()
            }
        }

        fn status(&self) -> Vec<Value> {
            let ok = |t: &str| json!({"type": t, "status": "True", "reason": t});
            vec![
                json!({"kind": "HTTPRoute", "namespace": "gateway-conformance-infra",
                       "name": "gateway-conformance-infra-test", "status": {"parents": [
                    {"parentRef": {"name": "same-namespace"}, "controllerName": "gatewright/controller",
                     "conditions": [ok("Accepted"), ok("ResolvedRefs")]}]}}),
                json!({"kind": "Gateway", "namespace": "gateway-conformance-infra", "name": "same-namespace",
                       "status": {"listeners": [{"name": "http", "attachedRoutes": 1,
                        "conditions": [ok("Accepted"), ok("ResolvedRefs"), ok("Programmed")]}]}}),
            ]
        }
    }

    fn corpus() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("conformance/gateway-api")
    }

    #[test]
    fn runs_filters_and_reports() {
        // The filter also matches MeshHTTPRouteSimpleSameNamespace, which is skipped.
        let skips = Skips::from([(
            "MeshHTTPRouteSimpleSameNamespace".to_owned(),
            "mesh later".to_owned(),
        )]);
        let engine = FakeEngine {
            accept_objects: None,
        };
        let report = run_suite(
            &corpus(),
            &skips,
            &engine,
            Some("HTTPRouteSimpleSameNamespace"),
        )
        .unwrap();
        assert_eq!(report.suite, "gateway-api");
        assert_eq!(report.tests.len(), 2);
        let t = &report.tests[0];
        assert_eq!(
            (t.cases, t.cases_passed, t.status, t.status_passed),
            (1, 1, 2, 2),
            "{:?}",
            t.failures
        );
        assert!(report.all_passed());
        let json: Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(
            json,
            json!({"suite": "gateway-api",
                   "tests": [{"name": "HTTPRouteSimpleSameNamespace", "cases": 1, "cases_passed": 1,
                              "status": 2, "status_passed": 2, "skipped": null},
                             {"name": "MeshHTTPRouteSimpleSameNamespace", "cases": 1, "cases_passed": 0,
                              "status": 0, "status_passed": 0, "skipped": "mesh later"}],
                   "totals": {"tests": 2, "skipped": 1, "cases": 2, "cases_passed": 1, "status": 2, "status_passed": 2}})
        );
        assert!(report.to_json().starts_with("{\n  \"suite\""));
        assert!(report.to_table().contains("TOTAL"));
    }

    #[test]
    fn skipped_tests_keep_declared_counts() {
        let skips = Skips::from([("HTTPRouteRetry".to_owned(), "later".to_owned())]);
        let engine = FakeEngine {
            accept_objects: None,
        };
        let report = run_suite(&corpus(), &skips, &engine, Some("HTTPRouteRetry")).unwrap();
        let skipped = &report.tests[0];
        assert_eq!(skipped.name, "HTTPRouteRetry");
        assert_eq!(
            (
                skipped.cases,
                skipped.cases_passed,
                skipped.status,
                skipped.status_passed
            ),
            (11, 0, 2, 0)
        );
        assert_eq!(skipped.skipped.as_deref(), Some("later"));
        let totals = report.totals();
        assert_eq!((totals.tests, totals.skipped), (3, 1));
        // The two other HTTPRouteRetry* tests ran and fail against the fake engine.
        assert!(!report.all_passed());
    }

    #[test]
    fn compile_errors_fail_every_entry_of_that_object_set() {
        let test = load_test(&corpus(), "HTTPRouteReferenceGrant").unwrap();
        // Accept only the unmutated object set: the case with a delete mutation gets the error.
        let engine = FakeEngine {
            accept_objects: Some(test.objects.len()),
        };
        let report = run_test(&test, &engine);
        let refused: Vec<&String> = report
            .failures
            .iter()
            .filter(|f| f.contains("engine refused the input"))
            .collect();
        assert_eq!(refused.len(), 1, "{:?}", report.failures);
        assert!(
            refused[0].starts_with("case \"after deleting the ReferenceGrant"),
            "{refused:?}"
        );
        // Status assertions use the unmutated set, which compiled.
        assert_eq!(report.status_passed, 1, "{:?}", report.failures);
    }
}
