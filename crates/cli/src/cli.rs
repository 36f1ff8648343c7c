//! The command line, as clap derive types. Every option here is part of the tool's interface.

use std::path::PathBuf;

use std::ffi::OsStr;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

/// zcrm: the Zoho CRM v8 API from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "zcrm",
    version,
    about = "The Zoho CRM v8 API from the command line",
    long_about = "The Zoho CRM v8 API from the command line.\n\n\
        Credentials come from flags, then the environment (ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, \
        ZOHO_REFRESH_TOKEN, ZOHO_DC, ZOHO_ACCOUNTS_URL, ZOHO_API_DOMAIN), then the config file \
        (e.g. ~/.config/zcrm/config.toml). Try `zcrm --mock tour` for a guided run against an \
        embedded mock server.",
    after_help = "Exit codes: 0 ok, 1 API error, 2 usage or configuration, 3 authentication, 4 network."
)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command (they may appear before or after the command).
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// OAuth client id from the Zoho API console.
    #[arg(long, global = true, env = "ZOHO_CLIENT_ID", hide_env_values = true)]
    pub client_id: Option<String>,
    /// OAuth client secret (prefer the environment or the config file: flags show in `ps`).
    #[arg(
        long,
        global = true,
        env = "ZOHO_CLIENT_SECRET",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,
    /// Refresh token; when absent, the one saved by `zcrm auth login` is used.
    #[arg(
        long,
        global = true,
        env = "ZOHO_REFRESH_TOKEN",
        hide_env_values = true
    )]
    pub refresh_token: Option<String>,
    /// Data centre: us, eu, in, au, cn, jp, ca, sa, optionally with -sandbox or -developer.
    #[arg(long, global = true, env = "ZOHO_DC")]
    pub dc: Option<String>,
    /// Accounts (OAuth) server origin, instead of the data centre's.
    #[arg(long, global = true, env = "ZOHO_ACCOUNTS_URL")]
    pub accounts_url: Option<String>,
    /// API domain origin, instead of the data centre's.
    #[arg(long, global = true, env = "ZOHO_API_DOMAIN")]
    pub api_domain: Option<String>,
    /// The OAuth scopes granted to the token, comma-separated (e.g. those of the grant code):
    /// calls needing a scope not in the list fail before anything is sent. Used when Zoho's token
    /// answer does not list the scopes (`zcrm auth status` shows which are known).
    #[arg(long, global = true, env = "ZOHO_SCOPES", value_name = "SCOPES")]
    pub scopes: Option<String>,
    /// The org's concurrency limit: N calls at once, HEAVY of them heavy (COQL, bulk, convert;
    /// default 10, at most N), e.g. 15 or 15/10. With a redis:// token store it is shared by every
    /// zcrm and worker using that server (an org-wide limiter); otherwise it limits this process.
    #[arg(long, global = true, env = "ZCRM_ORG_LIMIT", value_name = "N[/HEAVY]")]
    pub org_limit: Option<String>,
    /// Token store: a file (default: in the platform cache directory, one file per client and
    /// host), or a store shared by many workers: redis://HOST:PORT/DB or
    /// postgres://USER@HOST/DB.
    #[arg(long, global = true, env = "ZCRM_TOKEN_STORE", value_name = "PATH|URL")]
    pub token_store: Option<PathBuf>,
    /// Config file (default: zcrm/config.toml in the platform config directory).
    #[arg(long, global = true, env = "ZCRM_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Output format: table, json, jsonl or csv (default: table on a terminal, json
    /// otherwise). For `bulk export`: the CSV file to write, `-` for stdout.
    #[arg(
        long,
        short = 'o',
        global = true,
        value_name = "FORMAT|FILE",
        value_parser = OutputParser
    )]
    pub output: Option<OutputArg>,
    /// Write CSV cells that start with = + - @, a tab or a carriage return as they are. By
    /// default (`-o csv`, `bulk export`) such cells get a leading ' so that a spreadsheet shows
    /// them as text instead of running them as formulas (CRM data often comes from public web
    /// forms); numbers such as -12.5 or +1 555 0100 are left alone.
    #[arg(long, global = true, env = "ZCRM_KEEP_FORMULAS")]
    pub keep_formulas: bool,
    /// Run against an embedded mock Zoho CRM server with demo data (no account needed).
    #[arg(long, global = true)]
    pub mock: bool,
    /// Retries after a failed attempt (connection failures, 429, 5xx of idempotent calls).
    #[arg(long, global = true, default_value_t = 3, value_name = "N")]
    pub retries: u32,
    /// Timeout of one HTTP request, in seconds.
    #[arg(long, global = true, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
    /// HTTP proxy of every call, sign-in included: http://host:port, with user:password@
    /// before the host when it asks for credentials; `none` for no proxy. Default:
    /// HTTPS_PROXY, HTTP_PROXY and ALL_PROXY; NO_PROXY lists hosts reached directly, with this
    /// flag too.
    #[arg(long, global = true, value_name = "URL|none", hide_env_values = true)]
    pub proxy: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in, show the token state, revoke.
    #[command(subcommand)]
    Auth(AuthCommand),
    /// User licence counts: purchased, used, available.
    #[command(alias = "licenses")]
    Licences,
    /// The territory tree, users of territories and territories of records.
    #[command(subcommand)]
    Territories(TerritoriesCommand),
    /// List, get, create, update, upsert, delete and search records.
    #[command(subcommand)]
    Records(RecordsCommand),
    /// Run a COQL query, e.g. `zcrm coql "select Last_Name from Leads where Email is not null limit 200"`.
    Coql(CoqlArgs),
    /// Bulk export (bulk read) to CSV, and bulk import (bulk write) from CSV.
    #[command(subcommand)]
    Bulk(BulkCommand),
    /// Any API call, printing the response JSON (like `gh api`).
    Api(ApiArgs),
    /// Any typed operation of the SDK by its id (see `zcrm ops`), with a JSON input.
    Call(CallArgs),
    /// List the SDK's operations (hand-written and generated), optionally filtered.
    Ops(OpsArgs),
    /// Generate code from the org's metadata, e.g. `zcrm codegen rust --module Leads`.
    #[command(subcommand)]
    Codegen(crate::cmd::codegen::CodegenCommand),
    /// Notification channels: enable, list, renew (keep alive), disable.
    #[command(subcommand)]
    Watch(crate::cmd::watch::WatchCommand),
    /// A guided run of the main features against the embedded mock server (works offline).
    Tour,
}

/// `zcrm auth ...`.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Exchange a self-client grant code for tokens and keep the refresh token in the token store.
    Login {
        /// The grant code (Zoho API console → Self Client → Generate Code).
        #[arg(long, value_name = "CODE")]
        grant_code: String,
        /// The redirect URI registered for the client (not needed for self clients).
        #[arg(long)]
        redirect_uri: Option<String>,
        /// Print the refresh token on stdout instead of storing it (then set ZOHO_REFRESH_TOKEN).
        #[arg(long)]
        print_refresh_token: bool,
    },
    /// Which data centre and hosts are used, and whether a token is cached (never prints secrets).
    Status,
    /// Revoke the refresh token (configured or stored) and empty the token store.
    Revoke,
    /// Print the smallest list of OAuth scopes that operations or commands need, to paste into
    /// the API console or a grant request, e.g. `zcrm auth scopes records list coql`.
    Scopes {
        /// Operation ids (see `zcrm ops`) or commands (`records list`, `coql`, `bulk export`,
        /// `territories`, ...; a group name alone stands for all its commands).
        #[arg(required = true, value_name = "OP_OR_COMMAND")]
        targets: Vec<String>,
    },
    /// Mint an access token with the client-credentials grant (self clients) and cache it.
    ClientCredentials {
        /// The CRM organisation id (Setup → Company Details).
        #[arg(long, value_name = "ID")]
        org_id: String,
        /// Comma-separated scopes.
        #[arg(
            long,
            default_value = "ZohoCRM.modules.ALL,ZohoCRM.settings.ALL,ZohoCRM.users.ALL,ZohoCRM.coql.READ,ZohoCRM.features.READ"
        )]
        scope: String,
    },
}

/// `zcrm territories ...`.
#[derive(Debug, Subcommand)]
pub enum TerritoriesCommand {
    /// Every territory (`--tree` draws the hierarchy).
    List {
        /// Draw the tree instead of a table (table output only).
        #[arg(long)]
        tree: bool,
    },
    /// One territory.
    Get {
        /// The territory id.
        id: String,
    },
    /// The territories directly below one.
    Children {
        /// The parent territory id.
        id: String,
    },
    /// Create territories: one from flags, or up to 10 from `--input` (JSON, Zoho's keys).
    Create(TerritoryCreateArgs),
    /// Change one territory.
    Update(TerritoryUpdateArgs),
    /// Delete territories without children, or with `--transfer-to` move their children first.
    Delete {
        /// Territory ids (at most 10).
        #[arg(required = true)]
        ids: Vec<String>,
        /// Move the children (and records) of the deleted territories to this territory.
        #[arg(long, value_name = "ID")]
        transfer_to: Option<String>,
        /// Also delete the territories' forecasts.
        #[arg(long)]
        delete_forecasts: bool,
    },
    /// List the users of a territory, or add/remove users.
    Users {
        /// The territory id.
        territory: String,
        /// Users to associate with the territory.
        #[arg(long, value_name = "USER_ID", value_delimiter = ',')]
        add: Vec<String>,
        /// Users to remove from the territory.
        #[arg(
            long,
            value_name = "USER_ID",
            value_delimiter = ',',
            conflicts_with = "add"
        )]
        remove: Vec<String>,
    },
    /// The territories of a user.
    OfUser {
        /// The user id.
        user: String,
    },
    /// Assign territories to records (Accounts, Contacts, Deals).
    Assign(RecordTerritoriesArgs),
    /// Remove manually assigned territories from records.
    Remove(RecordTerritoriesArgs),
}

/// Flags of `territories create`.
#[derive(Debug, Args)]
pub struct TerritoryCreateArgs {
    /// The name.
    #[arg(long, required_unless_present = "input")]
    pub name: Option<String>,
    /// The parent territory id.
    #[arg(long, value_name = "ID", required_unless_present = "input")]
    pub reporting_to: Option<String>,
    /// The record permission of the territory's users.
    #[arg(long, value_enum, default_value_t = Permission::ReadOnly)]
    pub permission: Permission,
    /// The manager's user id.
    #[arg(long, value_name = "USER_ID")]
    pub manager: Option<String>,
    /// The description.
    #[arg(long)]
    pub description: Option<String>,
    /// A JSON file (or `-`) with an array of territories, as Zoho's API takes them.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "reporting_to"])]
    pub input: Option<String>,
}

/// Flags of `territories update`.
#[derive(Debug, Args)]
pub struct TerritoryUpdateArgs {
    /// The territory id.
    pub id: String,
    /// A new name.
    #[arg(long)]
    pub name: Option<String>,
    /// A new parent territory.
    #[arg(long, value_name = "ID")]
    pub reporting_to: Option<String>,
    /// A new record permission.
    #[arg(long, value_enum)]
    pub permission: Option<Permission>,
    /// A new manager (user id; `none` removes the manager).
    #[arg(long, value_name = "USER_ID")]
    pub manager: Option<String>,
    /// A new description (empty removes it).
    #[arg(long)]
    pub description: Option<String>,
}

/// The record permission of a territory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Permission {
    /// `read_only`.
    ReadOnly,
    /// `read_write_delete`.
    ReadWriteDelete,
}

/// Arguments of `territories assign|remove`.
#[derive(Debug, Args)]
pub struct RecordTerritoriesArgs {
    /// The module (Accounts, Contacts or Deals).
    pub module: String,
    /// Record ids.
    #[arg(required = true)]
    pub records: Vec<String>,
    /// Territory ids (comma-separated or repeated; 1 to 10).
    #[arg(
        long = "territory",
        short = 't',
        required = true,
        value_delimiter = ','
    )]
    pub territories: Vec<String>,
}

/// `zcrm records ...`.
#[derive(Debug, Subcommand)]
pub enum RecordsCommand {
    /// List records of a module (one page, or every page with `--all`).
    List(ListArgs),
    /// One record.
    Get {
        /// The module API name, e.g. Leads.
        module: String,
        /// The record id.
        id: String,
        /// Only these fields (comma-separated).
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
    },
    /// Insert records read from JSON (array or JSON lines) or CSV.
    Create(WriteArgs),
    /// Update records (each with its `id`) read from JSON or CSV.
    Update(WriteArgs),
    /// Insert or update records, matched on duplicate-check fields.
    Upsert {
        /// Input options.
        #[command(flatten)]
        write: WriteArgs,
        /// The unique fields to match on, in order (default: the module's unique fields).
        #[arg(long, value_delimiter = ',')]
        duplicate_check_fields: Vec<String>,
    },
    /// Delete records by id.
    Delete {
        /// The module API name.
        module: String,
        /// Record ids (any number; sent 100 per call).
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Search records by criteria, email, phone or word.
    Search(SearchArgs),
    /// Records inserted, updated or deleted since the last run, e.g.
    /// `zcrm records changes Leads --state leads.cursor -o jsonl`.
    Changes(crate::cmd::changes::ChangesArgs),
}

/// Arguments of `records list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The module API name, e.g. Leads.
    pub module: String,
    /// Fields to read (comma-separated, at most 50; required by Zoho).
    #[arg(long, required = true, value_delimiter = ',')]
    pub fields: Vec<String>,
    /// Every page (up to Zoho's 100,000 records); with `-o jsonl` records stream as they arrive.
    #[arg(long)]
    pub all: bool,
    /// Records per page (1 to 200).
    #[arg(long, value_name = "N")]
    pub per_page: Option<u32>,
    /// The page to read (without `--all`).
    #[arg(long, value_name = "N", conflicts_with = "all")]
    pub page: Option<u32>,
    /// Sort by `id`, `Created_Time` or `Modified_Time`.
    #[arg(long, value_name = "FIELD")]
    pub sort_by: Option<String>,
    /// Sort order.
    #[arg(long, value_enum, requires = "sort_by")]
    pub sort_order: Option<Order>,
    /// Records of this custom view.
    #[arg(long, value_name = "ID")]
    pub cvid: Option<String>,
}

/// A sort order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// Input options of `records create|update|upsert`.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// The module API name, e.g. Leads.
    pub module: String,
    /// The input file, or `-` for stdin.
    #[arg(long, short = 'i', default_value = "-", value_name = "FILE")]
    pub input: String,
    /// The input format (default: from the file extension; JSON for stdin).
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
}

/// The format of record input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// A JSON array of objects, one object, or JSON lines.
    Json,
    /// JSON lines (same reader as `json`).
    Jsonl,
    /// CSV with a header row of field API names.
    Csv,
}

/// Arguments of `records search`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("matcher").required(true).args(["criteria", "email", "phone", "word"])))]
pub struct SearchArgs {
    /// The module API name, e.g. Leads.
    pub module: String,
    /// A criteria expression, e.g. `(Last_Name:equals:Smith)`, sent as written.
    #[arg(long)]
    pub criteria: Option<String>,
    /// Records with this email address.
    #[arg(long)]
    pub email: Option<String>,
    /// Records with this phone number.
    #[arg(long)]
    pub phone: Option<String>,
    /// Records containing this word.
    #[arg(long)]
    pub word: Option<String>,
    /// Only these fields (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub fields: Vec<String>,
    /// Every page (search reaches 2,000 records).
    #[arg(long)]
    pub all: bool,
    /// Records per page (1 to 200).
    #[arg(long, value_name = "N")]
    pub per_page: Option<u32>,
}

/// Arguments of `coql`.
#[derive(Debug, Args)]
pub struct CoqlArgs {
    /// The query, e.g. `select Last_Name, Email from Leads where Last_Name is not null limit 0, 200`.
    pub query: String,
    /// Every page: only when the query ends with `limit N` or `limit OFFSET, N`, which is then
    /// rewritten page after page; otherwise the query runs once.
    #[arg(long)]
    pub all: bool,
}

/// The value of `--output`: a format, or a file name (which only `bulk export` takes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputArg {
    /// `table`, `json`, `jsonl` or `csv`.
    Format(Format),
    /// Anything else: the file of `bulk export` (`-` for stdout).
    File(String),
}

/// Parses `--output`: a format name (any case), else a file name. Commands other than
/// `bulk export` refuse file names (exit 2), as clap would refuse an unknown format.
#[derive(Debug, Clone, Copy)]
pub struct OutputParser;

impl TypedValueParser for OutputParser {
    type Value = OutputArg;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<OutputArg, clap::Error> {
        let text = value
            .to_str()
            .ok_or_else(|| clap::Error::new(clap::error::ErrorKind::InvalidUtf8).with_cmd(cmd))?;
        Ok(match Format::from_str(text, true) {
            Ok(format) => OutputArg::Format(format),
            Err(_) => OutputArg::File(text.to_owned()),
        })
    }
}

/// `zcrm bulk ...`.
#[derive(Debug, Subcommand)]
pub enum BulkCommand {
    /// Export a module's records to one CSV file with bulk read jobs (200,000 records a page,
    /// streamed to the file), e.g. `zcrm bulk export Leads --fields Last_Name,Email -o leads.csv`.
    Export(BulkExportArgs),
    /// Import records from a CSV file with bulk write jobs (25,000 rows a job); prints the rows
    /// that failed, e.g. `zcrm bulk import Leads leads.csv --operation upsert --find-by Email`.
    Import(BulkImportArgs),
}

/// Arguments of `bulk export` (the file is the global `-o FILE`).
#[derive(Debug, Args)]
pub struct BulkExportArgs {
    /// The module API name, e.g. Leads.
    pub module: String,
    /// The fields to export (comma-separated API names; default: every field). `id` always
    /// comes first.
    #[arg(long, value_delimiter = ',')]
    pub fields: Vec<String>,
    /// Which records: `FIELD:COMPARATOR:VALUE`, conditions in parentheses joined by `and` or
    /// `or` (e.g. `(Lead_Source:equal:Web) and (Annual_Revenue:greater_than:1000)`), or Zoho's
    /// criteria JSON. Values of `in`, `not_in`, `between` are comma-separated.
    #[arg(long)]
    pub criteria: Option<String>,
    /// Records of this custom view.
    #[arg(long, value_name = "ID")]
    pub cvid: Option<String>,
    /// Makes the export resumable: progress (job ids, pages and rows written) is kept in
    /// FILE, and the output in a hidden file beside `-o` until the export ends; rerun the same
    /// command after a failure or an interruption to continue without new jobs for the pages
    /// already written.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// How jobs are polled.
    #[command(flatten)]
    pub job: JobArgs,
}

/// Arguments of `bulk import`.
#[derive(Debug, Args)]
pub struct BulkImportArgs {
    /// The module API name, e.g. Leads.
    pub module: String,
    /// The CSV file: a header row of field API names, then one record per row.
    pub file: PathBuf,
    /// What to do with each row.
    #[arg(long, value_enum, default_value_t = BulkOperation::Insert)]
    pub operation: BulkOperation,
    /// The field that finds existing records (required by update and upsert), e.g. `Email` or
    /// `id`.
    #[arg(long, value_name = "FIELD")]
    pub find_by: Option<String>,
    /// Empty cells leave fields unchanged (instead of emptying them).
    #[arg(long)]
    pub ignore_empty: bool,
    /// The organisation id (zgid, sent as `X-CRM-ORG` to the upload host); `zcrm api GET org`
    /// shows it. Else `org_id` in the config file; with `--mock`, the mock's.
    #[arg(long, env = "ZOHO_ORG_ID", value_name = "ID")]
    pub org_id: Option<String>,
    /// Makes the import resumable: progress (uploads made, jobs created, reports read) is
    /// kept in FILE; rerun the same command after a failure or an interruption to continue
    /// without uploading or importing a row twice.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Rows per upload file and job (1 to 25,000, the default): smaller jobs finish sooner
    /// and a resumed import redoes less.
    #[arg(long, value_name = "N", default_value_t = 25_000,
          value_parser = clap::value_parser!(u32).range(1..=25_000))]
    pub rows_per_job: u32,
    /// How jobs are polled.
    #[command(flatten)]
    pub job: JobArgs,
}

/// The operation of `bulk import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BulkOperation {
    /// Create a record per row.
    Insert,
    /// Update the record found by `--find-by`.
    Update,
    /// Update the record found by `--find-by`, or create one.
    Upsert,
}

/// Polling options of bulk jobs.
#[derive(Debug, Args)]
pub struct JobArgs {
    /// Seconds before the second status poll of a job; later waits grow by half up to 30 s
    /// (default 2; with `--mock`, 0.01).
    #[arg(long, value_name = "SECS")]
    pub poll_interval: Option<f64>,
    /// Give up waiting for a job after this many seconds (default 3600).
    #[arg(long, value_name = "SECS")]
    pub job_timeout: Option<u64>,
}

/// Arguments of `api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The HTTP method (GET, POST, PUT, PATCH, DELETE).
    pub method: String,
    /// The path, e.g. `/crm/v8/Leads` or `Leads` (`/crm/v8/` is added to relative paths);
    /// a `?query` is allowed.
    pub path: String,
    /// A query parameter `key=value` (repeatable).
    #[arg(short = 'q', long = "query", value_name = "KEY=VALUE")]
    pub query: Vec<String>,
    /// A JSON body from a file, or `-` for stdin.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Option<String>,
}

/// Arguments of `call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The operation id, e.g. `territories.get_territories` (see `zcrm ops`).
    pub op: String,
    /// An input parameter `name=value` (repeatable); values that parse as JSON are sent as JSON.
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// The whole input as a JSON object from a file, or `-` for stdin.
    #[arg(long, short = 'i', value_name = "FILE")]
    pub input: Option<String>,
}

/// Arguments of `ops`.
#[derive(Debug, Args)]
pub struct OpsArgs {
    /// Only operations whose id contains this text.
    pub filter: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
