//! `zcrm codegen rust --module Leads [--module Deals ...]`: prints a Rust module with one struct
//! per CRM module, typed by the org's own fields. The metadata comes from
//! `GET /crm/v8/settings/fields` through the SDK's call-by-id path (`fields.get_fields`); the
//! source comes from `zohocrm_core::schema::generate`, the function a `build.rs` can call too.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use clap::{Args, Subcommand};
use serde_json::json;
use zohocrm_core::schema::{generate, CodegenOptions, ModuleFields};

use crate::error::CliError;
use crate::App;

/// `zcrm codegen ...`.
#[derive(Debug, Subcommand)]
pub enum CodegenCommand {
    /// Rust structs typed by the org's fields (picklist enums, exact decimals, lookups, ...),
    /// printed on stdout: save them as a module of your crate.
    Rust(RustArgs),
}

/// Flags of `codegen rust`.
#[derive(Debug, Args)]
pub struct RustArgs {
    /// A module to type, by API name, optionally naming its struct: `Leads` or
    /// `Leads=Prospect` (default: the name made singular, `Lead`). Repeat for more modules;
    /// the subform modules they use are added.
    #[arg(long = "module", required = true, value_name = "MODULE[=STRUCT]")]
    pub modules: Vec<String>,
    /// The path of zohocrm-core in the crate that compiles the output (e.g.
    /// `::zohocrm_ureq::zohocrm_core` when only zohocrm-ureq is a dependency).
    #[arg(long, default_value = "::zohocrm_core", value_name = "PATH")]
    pub core_path: String,
    /// Print the source as generated, without passing it through rustfmt.
    #[arg(long)]
    pub no_rustfmt: bool,
}

/// Runs `zcrm codegen`.
pub fn run(app: &App, command: CodegenCommand) -> Result<(), CliError> {
    match command {
        CodegenCommand::Rust(args) => rust(app, args),
    }
}

/// Struct names given on the command line: (module, struct).
type StructNames = Vec<(String, String)>;

/// The modules of `--module MODULE[=STRUCT]` flags, without repeats, and the struct names given.
fn parse_modules(specs: &[String]) -> Result<(Vec<String>, StructNames), CliError> {
    let mut modules: Vec<String> = Vec::new();
    let mut names = Vec::new();
    for spec in specs {
        let (module, name) = match spec.split_once('=') {
            Some((m, n)) => (m.trim(), Some(n.trim())),
            None => (spec.trim(), None),
        };
        if module.is_empty() || name.is_some_and(str::is_empty) {
            return Err(CliError::Usage(format!(
                "--module {spec:?} is not of the form MODULE or MODULE=STRUCT"
            )));
        }
        if let Some(name) = name {
            names.push((module.to_owned(), name.to_owned()));
        }
        if !modules.iter().any(|m| m == module) {
            modules.push(module.to_owned());
        }
    }
    Ok((modules, names))
}

fn rust(app: &App, args: RustArgs) -> Result<(), CliError> {
    let (wanted, names) = parse_modules(&args.modules)?;
    let mut options = CodegenOptions::default().core_path(args.core_path.trim());
    for (module, name) in names {
        options = options.struct_name(module, name);
    }
    options = options.generated_by(format!(
        "zcrm codegen rust {}",
        wanted
            .iter()
            .map(|m| format!("--module {m}"))
            .collect::<Vec<_>>()
            .join(" ")
    ));

    let client = app.client()?;
    let mut modules: Vec<ModuleFields> = Vec::new();
    for module in &wanted {
        modules.push(fields(&client, module)?);
    }
    // Subform rows get their own struct when their module's fields can be read; otherwise they
    // stay dynamic records (the generator's fallback), which loses nothing.
    let mut i = 0;
    while i < modules.len() {
        let subforms: Vec<String> = modules[i]
            .subform_modules()
            .into_iter()
            .map(str::to_owned)
            .collect();
        for sub in subforms {
            if modules.iter().any(|m| m.module == sub) {
                continue;
            }
            match fields(&client, &sub) {
                Ok(m) => modules.push(m),
                Err(e) => {
                    let why = e.message(None).unwrap_or_default();
                    eprintln!("zcrm: subform module {sub:?} stays untyped (Vec<Record>): {why}");
                }
            }
        }
        i += 1;
    }

    let source = generate(&modules, &options).map_err(|e| CliError::Usage(e.to_string()))?;
    let source = if args.no_rustfmt {
        source
    } else {
        rustfmt(&source).unwrap_or(source)
    };
    let mut out = app.stdout();
    out.write_all(source.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The fields of `module` (`GET /crm/v8/settings/fields?module=`).
fn fields(client: &zohocrm_ureq::Client, module: &str) -> Result<ModuleFields, CliError> {
    // The typed answer, as JSON (an empty answer, 204, has no `fields`).
    let body = client.call("fields.get_fields", json!({ "module": module }))?;
    if body.get("fields").is_none() {
        return Err(CliError::Api(format!(
            "Zoho sent no field metadata for module {module:?}"
        )));
    }
    let fields =
        ModuleFields::from_value(module, &body).map_err(|e| CliError::Api(e.to_string()))?;
    if fields.fields.is_empty() {
        return Err(CliError::Api(format!(
            "module {module:?} has no fields with an API name"
        )));
    }
    Ok(fields)
}

/// The source through `rustfmt` when it is installed and accepts it; `None` otherwise.
fn rustfmt(source: &str) -> Option<String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    };
    let input = source.to_owned();
    // Written from a thread so that a full stdout pipe cannot block both sides.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut formatted = String::new();
    let read = stdout.read_to_string(&mut formatted);
    let wrote = writer.join().is_ok_and(|w| w.is_ok());
    let status = child.wait().ok()?;
    (read.is_ok() && wrote && status.success() && !formatted.trim().is_empty()).then_some(formatted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_flags() {
        let specs = ["Leads", "Deals=Opportunity", " Leads "].map(String::from);
        let (modules, names) = parse_modules(&specs).unwrap();
        assert_eq!(modules, ["Leads", "Deals"]);
        assert_eq!(names, [("Deals".to_owned(), "Opportunity".to_owned())]);
        for bad in ["", "=Lead", "Leads="] {
            assert!(parse_modules(&[bad.to_owned()]).is_err(), "{bad:?}");
        }
    }
}
