//! Maintainer tasks for the workspace.
//!
//! ```text
//! cargo xtask codegen --spec <oas-dir> [--check]   generate crates/core/src/generated/
//! cargo xtask fixtures generate --spec <oas-dir>   write missing OpenAPI-schema fixtures
//! cargo xtask fixtures check                       every fixture loads, names a known operation, builds and parses
//! cargo xtask features check                       zohocrm-core compiles with each cluster feature alone
//! cargo xtask coverage --spec <oas-dir> [--write|--check]   one TSV line per spec operation, or COVERAGE.md
//! cargo xtask bench [--quick]                      run the benchmarks and print one table of ratios
//! cargo xtask interop [--cache DIR] [--only python|node]   Zoho's Python and Node SDKs against the mock
//! cargo xtask api [--write|--check]                the public API of each publishable library crate
//! ```
//!
//! xtask links `zohocrm-core`, generated code included. When a generator change makes the
//! committed generated code fail to compile, regenerate with the generated modules compiled out:
//! `cargo run -p xtask --no-default-features -- codegen --spec <oas-dir>`.

mod api;
mod bench;
mod clusters;
mod codegen;
mod fixtures;
mod interop;
mod meta;
mod model;
mod names;
mod overrides;
mod patches;
mod spec;
mod types;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn flag_value(args: &[String], flag: &str) -> Option<PathBuf> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}

/// Loads and patches the spec, and lists its operations.
pub fn load_ops(args: &[String]) -> Result<Vec<model::Op>, String> {
    let dir = flag_value(args, "--spec").ok_or("missing --spec <oas-dir>")?;
    let mut spec = spec::Spec::load(&dir)?;
    patches::apply(&mut spec)?;
    let ops = model::operations(&spec)?;
    Ok(ops)
}

/// Loads the patched spec itself (for the fixture synthesiser).
pub fn load_spec(args: &[String]) -> Result<spec::Spec, String> {
    let dir = flag_value(args, "--spec").ok_or("missing --spec <oas-dir>")?;
    let mut spec = spec::Spec::load(&dir)?;
    patches::apply(&mut spec)?;
    Ok(spec)
}

fn codegen(args: &[String]) -> Result<bool, String> {
    let check = args.iter().any(|a| a == "--check");
    let spec = load_spec(args)?;
    let ops = model::operations(&spec)?;
    for (id, _, _) in overrides::OVERRIDES {
        if !ops.iter().any(|op| op.id() == *id) {
            return Err(format!(
                "xtask/src/overrides.rs names {id}, which the spec does not have"
            ));
        }
    }
    let set = types::TypeSet::build(&spec, &ops)?;
    let files = codegen::render(&ops, &set)?;
    let dir = workspace_root().join("crates/core/src/generated");
    let differ = codegen::sync(&dir, &files, check)?;
    if check {
        if differ.is_empty() {
            println!(
                "generated code is up to date ({} operations, {} files)",
                ops.len(),
                files.len()
            );
            return Ok(true);
        }
        eprintln!("generated code is stale; run `cargo xtask codegen --spec <dir>`. Files that would change:");
        for path in &differ {
            eprintln!("  {}", path.display());
        }
        return Ok(false);
    }
    println!(
        "{} operations, {} files written, {} changed; {} spec patches and {} rules applied (xtask/src/patches.rs)",
        ops.len(),
        files.len(),
        differ.len(),
        patches::PATCHES.len(),
        patches::RULES.len()
    );
    Ok(true)
}

fn types_stats(args: &[String]) -> Result<bool, String> {
    let spec = load_spec(args)?;
    let ops = model::operations(&spec)?;
    let set = types::TypeSet::build(&spec, &ops)?;
    let fields: usize = set.models.iter().map(|m| m.fields.len()).sum();
    println!(
        "{} models ({} fields), {} enums",
        set.models.len(),
        fields,
        set.enums.len()
    );
    let classes = set.classes();
    let used: Vec<usize> = (0..set.models.len())
        .filter(|i| !set.models[*i].features.is_empty())
        .collect();
    let reps: std::collections::BTreeSet<usize> = used.iter().map(|i| classes[*i]).collect();
    let rep_fields: usize = reps.iter().map(|i| set.models[*i].fields.len()).sum();
    println!(
        "{} used models, {} distinct shapes ({} fields)",
        used.len(),
        reps.len(),
        rep_fields
    );
    let mut kinds = std::collections::BTreeMap::new();
    for (id, o) in &set.outputs {
        let k = match o {
            types::Output::Typed(types::Ty::Model(_)) => "model".to_owned(),
            types::Output::Typed(t) => format!("typed {t:?}"),
            types::Output::Outcomes(k) => format!("outcomes {k:?}"),
            types::Output::Download => "download".into(),
            types::Output::Untyped => "untyped".to_owned(),
        };
        if args.iter().any(|a| a == "-v") {
            println!("{id}\t{k}");
        }
        *kinds.entry(k).or_insert(0) += 1;
    }
    for (k, n) in kinds {
        println!("{n:5} {k}");
    }
    Ok(true)
}

fn features_check() -> Result<bool, String> {
    let mut ok = true;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut runs: Vec<Vec<&str>> = vec![vec!["--no-default-features"]];
    for (feature, _) in clusters::CLUSTERS {
        runs.push(vec!["--no-default-features", "--features", feature]);
    }
    for extra in runs {
        let status = std::process::Command::new(&cargo)
            .args(["check", "-q", "-p", "zohocrm-core"])
            .args(&extra)
            .current_dir(workspace_root())
            .status()
            .map_err(|e| e.to_string())?;
        println!(
            "{} {}",
            if status.success() { "ok  " } else { "FAIL" },
            extra.join(" ")
        );
        ok &= status.success();
    }
    Ok(ok)
}

fn run() -> Result<bool, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["codegen", ..] => codegen(&args),
        ["fixtures", "generate", ..] => fixtures::generate(&args),
        ["fixtures", "check", ..] => fixtures::check(&args),
        ["features", "check", ..] => features_check(),
        ["coverage", ..] => fixtures::coverage(&args),
        ["bench", ..] => bench::run(&args),
        ["interop", ..] => interop::run(&args),
        ["types", ..] => types_stats(&args),
        ["api", ..] => api::run(&args),
        _ => Err("usage: cargo xtask codegen --spec <dir> [--check] | fixtures generate --spec <dir> | fixtures check | features check | coverage --spec <dir> [--write|--check] | types --spec <dir> [-v] | bench [--quick] | interop [--cache <dir>] [--only python|node] | api [--write|--check]".into()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
