//! `zcrm`: the Zoho CRM v8 API from the command line.
//!
//! A thin layer over the blocking client of `zohocrm-ureq`: every API call, token refresh,
//! retry and parse happens in the SDK; this binary parses the command line, resolves the
//! configuration (flags > environment > config file), prints results and maps failures to exit
//! codes (0 ok, 1 API error, 2 usage, 3 authentication, 4 network). See `README.md`.
#![forbid(unsafe_code)]

mod cli;
mod cmd;
mod config;
mod error;
mod files;
mod input;
mod output;
mod progress;
mod term;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::{BulkCommand, Cli, Command, OutputArg, RecordsCommand, TerritoriesCommand};
use crate::config::Settings;
use crate::error::CliError;
use crate::output::Format;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let scope = scope_of(&cli.command);
    output::set_csv_policy(cli.global.keep_formulas, io::stdout().is_terminal());
    files::install_cleanup();
    match run(cli, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(line) = e.message(scope.as_deref()) {
                // The line quotes the server (codes, messages, details): cleaned for the terminal.
                term::say(line);
            }
            e.exit().into()
        }
    }
}

/// What every command gets: the settings and the output format.
pub struct App {
    /// The resolved settings.
    pub settings: Settings,
    /// The output format (`--output`, or detected).
    pub format: Format,
    /// Whether `--output` was given.
    pub explicit_format: bool,
    /// The file named by `--output` (only `bulk export` takes one; `-` is stdout).
    pub output_file: Option<String>,
    /// Whether `--mock` is on.
    pub mock: bool,
}

impl App {
    /// Buffered stdout; rows that stream are flushed one by one.
    pub fn stdout(&self) -> BufWriter<io::StdoutLock<'static>> {
        BufWriter::new(io::stdout().lock())
    }

    /// A client with the configured credentials.
    pub fn client(&self) -> Result<zohocrm_ureq::Client, CliError> {
        self.settings.client()
    }
}

/// The mock server of `--mock` and its private token store, removed at exit.
struct MockGuard {
    _mock: zohocrm_mock::BlockingMock,
    _dir: files::PrivateDir,
}

impl MockGuard {
    fn start(settings: &mut Settings) -> Result<MockGuard, CliError> {
        let mock = zohocrm_mock::BlockingMock::start()
            .map_err(|e| CliError::Usage(format!("cannot start the mock server: {e}")))?;
        let dir = files::PrivateDir::new_in(&std::env::temp_dir(), "mock")
            .map_err(|e| CliError::Usage(format!("cannot create a temporary directory: {e}")))?;
        settings.use_mock(&mock.base_url(), dir.path().join("token.json"));
        Ok(MockGuard {
            _mock: mock,
            _dir: dir,
        })
    }
}

fn run(cli: Cli, matches: &ArgMatches) -> Result<(), CliError> {
    let exporting = matches!(cli.command, Command::Bulk(BulkCommand::Export(_)));
    let (format, output_file) = match cli.global.output.clone() {
        None => (None, None),
        Some(OutputArg::Format(f)) if !exporting => (Some(f), None),
        Some(OutputArg::Format(f)) => {
            let name = format!("{f:?}").to_ascii_lowercase();
            return Err(CliError::Usage(format!(
                "bulk export writes CSV to the file named by -o; `{name}` is a format name: give \
                 a file name (e.g. -o leads.csv, or -o ./{name} for a file called {name}), or \
                 -o - for stdout"
            )));
        }
        Some(OutputArg::File(name)) if exporting => (None, Some(name)),
        Some(OutputArg::File(name)) => {
            return Err(CliError::Usage(format!(
                "invalid value '{name}' for '--output': use table, json, jsonl or csv (only \
                 `bulk export` takes a file name)"
            )));
        }
    };
    let explicit_format = format.is_some();
    let format = format.unwrap_or_else(Format::detect);
    match &cli.command {
        Command::Tour => return cmd::tour::run(),
        Command::Ops(args) => {
            let mut out = BufWriter::new(io::stdout().lock());
            cmd::ops::run(args, format, &mut out)?;
            out.flush()?;
            return Ok(());
        }
        _ => {}
    }
    let mut settings = Settings::resolve(&cli.global, matches, !cli.global.mock)?;
    let _mock = if cli.global.mock {
        Some(MockGuard::start(&mut settings)?)
    } else {
        None
    };
    let app = App {
        settings,
        format,
        explicit_format,
        output_file,
        mock: cli.global.mock,
    };
    match cli.command {
        Command::Auth(c) => cmd::auth::run(&app, c),
        Command::Licences => cmd::licences::run(&app),
        Command::Territories(c) => cmd::territories::run(&app, c),
        Command::Records(c) => cmd::records::run(&app, c),
        Command::Coql(a) => cmd::coql::run(&app, a),
        Command::Api(a) => cmd::api::run(&app, a),
        Command::Call(a) => cmd::api::call(&app, a),
        Command::Bulk(c) => cmd::bulk::run(&app, c),
        Command::Codegen(c) => cmd::codegen::run(&app, c),
        Command::Watch(c) => cmd::watch::run(&app, c),
        Command::Ops(_) | Command::Tour => unreachable!("handled above"),
    }
}

/// The OAuth scope a command needs, named in the hint of `OAUTH_SCOPE_MISMATCH` (from Zoho's
/// documentation and operations.tsv).
fn scope_of(command: &Command) -> Option<String> {
    const TERRITORIES: &str = "ZohoCRM.settings.territories.ALL";
    let module_scope = |module: &str, op: &str| {
        format!(
            "ZohoCRM.modules.{}.{op} or ZohoCRM.modules.ALL",
            module.to_ascii_lowercase()
        )
    };
    Some(match command {
        Command::Licences => "ZohoCRM.features.READ".into(),
        Command::Territories(t) => match t {
            TerritoriesCommand::Users { .. } | TerritoriesCommand::OfUser { .. } => {
                format!("{TERRITORIES} and ZohoCRM.users.ALL")
            }
            TerritoriesCommand::Assign(a) | TerritoriesCommand::Remove(a) => {
                format!("{TERRITORIES} and {}", module_scope(&a.module, "UPDATE"))
            }
            _ => TERRITORIES.into(),
        },
        Command::Records(r) => match r {
            RecordsCommand::List(a) => module_scope(&a.module, "READ"),
            RecordsCommand::Get { module, .. } => module_scope(module, "READ"),
            RecordsCommand::Search(a) => module_scope(&a.module, "READ"),
            RecordsCommand::Changes(a) => module_scope(&a.module, "READ"),
            RecordsCommand::Create(a) => module_scope(&a.module, "CREATE"),
            RecordsCommand::Update(a) => module_scope(&a.module, "UPDATE"),
            RecordsCommand::Upsert { write, .. } => format!(
                "ZohoCRM.modules.{m}.CREATE and ZohoCRM.modules.{m}.UPDATE, or ZohoCRM.modules.ALL",
                m = write.module.to_ascii_lowercase()
            ),
            RecordsCommand::Delete { module, .. } => module_scope(module, "DELETE"),
        },
        Command::Coql(_) => "ZohoCRM.coql.READ and ZohoCRM.modules.ALL".into(),
        Command::Codegen(_) => "ZohoCRM.settings.fields.READ or ZohoCRM.settings.ALL".into(),
        Command::Watch(_) => "ZohoCRM.notifications.ALL".into(),
        Command::Bulk(BulkCommand::Export(a)) => {
            format!("ZohoCRM.bulk.read and {}", module_scope(&a.module, "READ"))
        }
        Command::Bulk(BulkCommand::Import(a)) => format!(
            "ZohoCRM.bulk.CREATE (or ZohoCRM.bulk.ALL), ZohoFiles.files.ALL for the upload, and \
             ZohoCRM.modules.{}.ALL or ZohoCRM.modules.ALL",
            a.module.to_ascii_lowercase()
        ),
        // Any operation: the scopes its spec lists (any one of them grants it).
        Command::Call(c) => {
            let spec = zohocrm_core::registry::find(&c.op)?.op_spec()?;
            if spec.scopes.is_empty() {
                return None;
            }
            spec.scopes.join(" or ")
        }
        _ => return None,
    })
}
