//! The only place the CLI touches files, stdin, stdout and stderr.
//!
//! `clippy.toml` bans I/O workspace-wide (it is meant for the no-I/O core);
//! the functions here opt out one by one.

use std::io::{Read as _, Write as _};

/// One manifest: where it came from (for messages) and its text.
pub(crate) struct Input {
    pub(crate) name: String,
    pub(crate) text: String,
}

/// Reads every `-f` argument; `-` is stdin (at most once).
#[allow(
    clippy::disallowed_methods,
    reason = "the CLI reads the manifests it is given"
)]
pub(crate) fn read_inputs(paths: &[String]) -> Result<Vec<Input>, String> {
    if paths.iter().filter(|p| *p == "-").count() > 1 {
        return Err("`-f -` (stdin) may be given only once".into());
    }
    paths
        .iter()
        .map(|path| {
            let read = if path == "-" {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map(|_| text)
            } else {
                std::fs::read_to_string(path)
            };
            let name = if path == "-" {
                "<stdin>".to_owned()
            } else {
                path.clone()
            };
            read.map(|text| Input {
                name: name.clone(),
                text,
            })
            .map_err(|e| format!("cannot read {name}: {e}"))
        })
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
#[allow(clippy::disallowed_methods, reason = "the CLI prints its answer")]
pub(crate) fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Writes to stderr.
#[allow(clippy::disallowed_methods, reason = "the CLI reports errors")]
pub(crate) fn err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(text.as_bytes())
        .and_then(|()| stderr.flush());
}
