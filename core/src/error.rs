//! Errors: the input could not be read at all ([`ParseError`]) or no router could be
//! built ([`CompileError`]). Everything else is a [`Diagnostic`](crate::Diagnostic).

use std::fmt;

/// The input is not a readable stream of Kubernetes objects.
///
/// It names the document (0-based index in a multi-document stream), the line
/// and column when known (1-based), the object (kind/namespace/name, when it
/// could be read) and the field path.
///
/// ```
/// let yaml = "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\nspec: {hostnames: 7}\n";
/// let err = gatewright::Resources::from_yaml(yaml).unwrap_err();
/// assert_eq!(err.line(), Some(4));
/// assert_eq!(err.document(), 0);
/// assert_eq!(err.field(), "spec.hostnames");
/// assert!(err.to_string().contains("HTTPRoute default/r"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(Box<ParseErrorInner>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseErrorInner {
    pub(crate) document: usize,
    pub(crate) item: Option<usize>,
    pub(crate) line: Option<usize>,
    pub(crate) column: Option<usize>,
    pub(crate) object: Option<String>,
    pub(crate) field: String,
    pub(crate) message: String,
}

impl From<ParseErrorInner> for ParseError {
    fn from(inner: ParseErrorInner) -> Self {
        ParseError(Box::new(inner))
    }
}

impl ParseError {
    /// 0-based index of the document in the stream.
    pub fn document(&self) -> usize {
        self.0.document
    }

    /// 0-based index inside a `kind: List` document (or a JSON array), if any.
    pub fn item(&self) -> Option<usize> {
        self.0.item
    }

    /// 1-based line, when known.
    pub fn line(&self) -> Option<usize> {
        self.0.line
    }

    /// 1-based column, when known.
    pub fn column(&self) -> Option<usize> {
        self.0.column
    }

    /// The object, as `Kind namespace/name`, when it could be read.
    pub fn object(&self) -> Option<&str> {
        self.0.object.as_deref()
    }

    /// Field path inside the object, e.g. `spec.rules[0].matches`; empty for syntax errors.
    pub fn field(&self) -> &str {
        &self.0.field
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "document {}", self.0.document)?;
        if let Some(item) = self.0.item {
            write!(f, " item {item}")?;
        }
        if let (Some(line), Some(col)) = (self.0.line, self.0.column) {
            write!(f, " (line {line}, column {col})")?;
        }
        if let Some(obj) = &self.0.object {
            write!(f, ", {obj}")?;
        }
        if !self.0.field.is_empty() {
            write!(f, ", field {}", self.0.field)?;
        }
        write!(f, ": {}", self.0.message)
    }
}

impl std::error::Error for ParseError {}

/// No router could be built (a global limit was exceeded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub(crate) message: String,
}

impl CompileError {
    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}
