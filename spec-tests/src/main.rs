//! `gatewright-spec run <corpus-dir> [--json] [--skips FILE]`: run a conformance corpus against
//! the gatewright adapter.
//!
//! The skip file defaults to `<corpus-dir>.skips.toml` when it exists. The environment variable
//! `GATEWRIGHT_TEST` restricts the run to tests whose name contains it. Exit code: 0 when every
//! non-skipped test passed, 1 when some failed, 2 on usage or I/O errors.

use std::path::PathBuf;
use std::process::ExitCode;

use gatewright_spec::runner::{filter_from_env, load_skips, run_suite, Skips};

const USAGE: &str = "usage: gatewright-spec run <corpus-dir> [--json] [--skips FILE]";

/// Parsed command line.
struct Args {
    corpus: PathBuf,
    json: bool,
    skips: Option<PathBuf>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    if args.next().as_deref() != Some("run") {
        return Err(USAGE.to_owned());
    }
    let mut corpus = None;
    let mut json = false;
    let mut skips = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--json" => json = true,
            "--skips" => skips = Some(PathBuf::from(args.next().ok_or("--skips needs a FILE")?)),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            flag if flag.starts_with("--") => {
                return Err(format!("unknown option {flag}\n{USAGE}"))
            }
            path if corpus.is_none() => corpus = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument {extra}\n{USAGE}")),
        }
    }
    let corpus = corpus.ok_or(USAGE)?;
    Ok(Args {
        corpus,
        json,
        skips,
    })
}

/// `<corpus-dir>.skips.toml`, if it exists.
fn default_skips(corpus: &std::path::Path) -> Option<PathBuf> {
    let trimmed = corpus.to_string_lossy().trim_end_matches('/').to_owned();
    let path = PathBuf::from(format!("{trimmed}.skips.toml"));
    path.is_file().then_some(path)
}

fn run(args: &Args) -> Result<bool, String> {
    let skips = match args.skips.clone().or_else(|| default_skips(&args.corpus)) {
        Some(path) => load_skips(&path)?,
        None => Skips::new(),
    };
    let engine = gatewright_spec::adapter::engine();
    let filter = filter_from_env();
    // The Istio corpus has its own case format (see `gatewright_spec::istio`).
    let report = if gatewright_spec::policy::is_policy_corpus(&args.corpus) {
        gatewright_spec::policy::run_suite(&args.corpus, &skips, filter.as_deref())?
    } else if gatewright_spec::istio::is_istio_corpus(&args.corpus) {
        gatewright_spec::istio::run_suite(&args.corpus, &skips, filter.as_deref())?
    } else {
        run_suite(&args.corpus, &skips, &engine, filter.as_deref())?
    };
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_table());
    }
    Ok(report.all_passed())
}

/// `gatewright-spec workload <routes.yaml> <requests.jsonl>`.
fn workload(mut args: impl Iterator<Item = String>) -> ExitCode {
    let (Some(routes), Some(requests)) = (args.next(), args.next()) else {
        eprintln!("usage: gatewright-spec workload <routes.yaml> <requests.jsonl>");
        return ExitCode::from(2);
    };
    let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    match read(&routes)
        .and_then(|r| Ok((r, read(&requests)?)))
        .and_then(|(r, q)| gatewright_spec::workload::run(&r, &q))
    {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("workload") {
        return workload(std::env::args().skip(2));
    }
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("gatewright-spec: {message}");
            ExitCode::from(2)
        }
    }
}
