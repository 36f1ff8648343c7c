//! `zcrm territories ...`: the territory tree, users of territories, territories of users and
//! of records. The client's helpers cover reading; the other operations go through `send`.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use serde_json::{Map, Value};
use zohocrm_core::territories::{
    AssignTerritoriesToMultipleRecords, AssignTerritoryToRecord, DeassociateTerritoryUsers,
    DeleteTerritories, GetTerritoriesOfUser, PermissionType, RecordTerritoriesInput,
    RemoveTerritoriesFromMultipleRecords, RemoveTerritoriesFromRecord, Territory, TerritoryInput,
    TransferAndDeleteTerritories, TransferInput, UpdateTerritory, UpdateTerritoryUsers,
};

use crate::cli::{
    Permission, RecordTerritoriesArgs, TerritoriesCommand, TerritoryCreateArgs, TerritoryUpdateArgs,
};
use crate::cmd::print_outcomes;
use crate::error::{CliError, Exit};
use crate::input::read_json;
use crate::output::{write_value, Format, RowSink};
use crate::App;

/// Runs a `territories` subcommand.
pub fn run(app: &App, command: TerritoriesCommand) -> Result<(), CliError> {
    let client = app.client()?;
    let mut out = app.stdout();
    let format = app.format;
    match command {
        TerritoriesCommand::List { tree } => {
            let territories = client.territories()?;
            if tree && format == Format::Table {
                write_tree(&mut out, &territories, "")?;
            } else {
                print_territories(format, &mut out, &territories)?;
            }
        }
        TerritoriesCommand::Get { id } => match client.territory(&id)? {
            Some(t) => write_value(format, &mut out, &to_value(&t))?,
            None => {
                crate::term::say(format!("no territory with id {id}"));
                return Err(CliError::Reported(Exit::Api));
            }
        },
        TerritoriesCommand::Children { id } => {
            let children = client.child_territories(&id)?;
            print_territories(format, &mut out, &children)?;
        }
        TerritoriesCommand::Create(args) => {
            let items = create_inputs(args)?;
            let results = client.create_territories(items)?;
            print_outcomes(format, &mut out, &results)?;
        }
        TerritoriesCommand::Update(args) => {
            let id = args.id.clone();
            let changes = update_input(args)?;
            let results = client.send(&UpdateTerritory::new(id, changes))?;
            print_outcomes(format, &mut out, &results)?;
        }
        TerritoriesCommand::Delete {
            ids,
            transfer_to,
            delete_forecasts,
        } => {
            let results = match transfer_to {
                Some(to) => {
                    client.send(&TransferAndDeleteTerritories::new(ids.iter().map(|id| {
                        let t = TransferInput::new(id, to.clone());
                        if delete_forecasts {
                            t.delete_previous_forecasts(true)
                        } else {
                            t
                        }
                    })))?
                }
                None => {
                    let mut delete = DeleteTerritories::new(ids);
                    if delete_forecasts {
                        delete = delete.delete_previous_forecasts(true);
                    }
                    client.send(&delete)?
                }
            };
            print_outcomes(format, &mut out, &results)?;
        }
        TerritoriesCommand::Users {
            territory,
            add,
            remove,
        } => {
            if !add.is_empty() {
                let results = client.send(&UpdateTerritoryUsers::new(territory, add))?;
                print_outcomes(format, &mut out, &results)?;
            } else if !remove.is_empty() {
                let results = client.send(&DeassociateTerritoryUsers::new(territory, remove))?;
                print_outcomes(format, &mut out, &results)?;
            } else {
                let users = client.territory_users(&territory)?;
                let columns = ["id", "full_name", "email", "status", "role", "profile"];
                let mut sink = RowSink::new(format, &mut out, Some(strings(&columns)));
                for u in &users {
                    sink.row(to_row(u))?;
                }
                sink.finish()?;
            }
        }
        TerritoriesCommand::OfUser { user } => {
            let page = client.send(&GetTerritoriesOfUser::new(user))?;
            let columns = ["id", "Name", "Manager", "Reporting_To"];
            let mut sink = RowSink::new(format, &mut out, Some(strings(&columns)));
            for t in &page.territories {
                sink.row(to_row(t))?;
            }
            sink.finish()?;
        }
        TerritoriesCommand::Assign(args) => {
            let results = assign_or_remove(&client, args, true)?;
            print_outcomes(format, &mut out, &results)?;
        }
        TerritoriesCommand::Remove(args) => {
            let results = assign_or_remove(&client, args, false)?;
            print_outcomes(format, &mut out, &results)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn strings(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| (*c).to_owned()).collect()
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn to_row<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match to_value(value) {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

/// Territories as rows: id, name, parent, manager, permission (tables); everything (JSON).
fn print_territories(
    format: Format,
    out: &mut impl Write,
    territories: &[Territory],
) -> Result<(), CliError> {
    let columns = ["id", "name", "reporting_to", "manager", "permission_type"];
    let mut sink = RowSink::new(format, out, Some(strings(&columns)));
    for t in territories {
        sink.row(to_row(t))?;
    }
    sink.finish()?;
    Ok(())
}

/// How deep the tree is drawn: deeper territories are drawn at this depth with their depth
/// written out, so a hostile chain of 100,000 levels costs no more than 100,000 lines.
const MAX_DRAWN_DEPTH: usize = 32;

/// Draws territories as a tree, children under the territory they report to. Territories in a
/// reporting cycle (no root above them) are drawn after the tree, marked, never dropped. The
/// names are the server's: cleaned for the terminal.
pub fn write_tree(
    out: &mut impl Write,
    territories: &[Territory],
    indent: &str,
) -> std::io::Result<()> {
    let ids: HashSet<&str> = territories.iter().map(|t| t.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&Territory>> = HashMap::new();
    for t in territories {
        let parent = t
            .reporting_to
            .as_ref()
            .and_then(|r| r.id.as_deref())
            .filter(|id| ids.contains(id));
        children.entry(parent).or_default().push(t);
    }
    // Depth-first with an explicit stack (no recursion): (territory, depth, last child).
    let mut drawn: HashSet<&str> = HashSet::new();
    let mut last_at: Vec<bool> = Vec::new();
    let mut stack: Vec<(&Territory, usize, bool)> = Vec::new();
    fn push_children<'a>(
        stack: &mut Vec<(&'a Territory, usize, bool)>,
        children: &HashMap<Option<&str>, Vec<&'a Territory>>,
        parent: Option<&str>,
        depth: usize,
    ) {
        if let Some(list) = children.get(&parent) {
            for (i, t) in list.iter().enumerate().rev() {
                stack.push((t, depth, i + 1 == list.len()));
            }
        }
    }
    push_children(&mut stack, &children, None, 0);
    let mut cycle_roots = territories.iter();
    loop {
        let Some((t, depth, last)) = stack.pop() else {
            // What no root leads to is in a cycle: draw it from its first member.
            match cycle_roots.find(|t| !drawn.contains(t.id.as_str())) {
                Some(t) => {
                    stack.push((t, 0, true));
                    writeln!(out, "{indent}(in a reporting cycle:)")?;
                    continue;
                }
                None => break,
            }
        };
        if !drawn.insert(t.id.as_str()) {
            continue;
        }
        last_at.truncate(depth);
        last_at.push(last);
        let shown = depth.min(MAX_DRAWN_DEPTH);
        let mut prefix = indent.to_owned();
        for &ended in &last_at[1..shown.max(1)] {
            prefix.push_str(if ended { "   " } else { "│  " });
        }
        if shown > 0 {
            prefix.push_str(if last { "└─ " } else { "├─ " });
        }
        if depth > MAX_DRAWN_DEPTH {
            prefix.push_str(&format!("(depth {depth}) "));
        }
        let manager = t
            .manager
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .map(|m| format!("  (manager: {m})"))
            .unwrap_or_default();
        let line = format!("{} [{}]{manager}", t.name, t.id);
        writeln!(out, "{prefix}{}", crate::term::clean(&line))?;
        push_children(&mut stack, &children, Some(t.id.as_str()), depth + 1);
    }
    Ok(())
}

fn permission(p: Permission) -> PermissionType {
    match p {
        Permission::ReadOnly => PermissionType::ReadOnly,
        Permission::ReadWriteDelete => PermissionType::ReadWriteDelete,
    }
}

fn create_inputs(args: TerritoryCreateArgs) -> Result<Vec<TerritoryInput>, CliError> {
    if let Some(path) = &args.input {
        let value = match read_json(path)? {
            Value::Object(o) if o.contains_key("territories") => o["territories"].clone(),
            v @ Value::Object(_) => Value::Array(vec![v]),
            v => v,
        };
        return serde_json::from_value(value)
            .map_err(|e| CliError::Usage(format!("{path}: not a list of territories: {e}")));
    }
    let (Some(name), Some(parent)) = (args.name, args.reporting_to) else {
        return Err(CliError::Usage(
            "--name and --reporting-to are required (or --input FILE)".into(),
        ));
    };
    let mut input = TerritoryInput::create(name, parent, permission(args.permission));
    if let Some(m) = &args.manager {
        input = input.manager(Some(m));
    }
    if let Some(d) = &args.description {
        input = input.description(Some(d));
    }
    Ok(vec![input])
}

fn update_input(args: TerritoryUpdateArgs) -> Result<TerritoryInput, CliError> {
    let mut changes = TerritoryInput::changes();
    let mut any = false;
    if let Some(name) = args.name {
        changes = changes.name(name);
        any = true;
    }
    if let Some(parent) = args.reporting_to {
        changes = changes.reporting_to(parent);
        any = true;
    }
    if let Some(p) = args.permission {
        changes = changes.permission_type(permission(p));
        any = true;
    }
    if let Some(m) = args.manager {
        let m = m.trim();
        changes = changes.manager((!m.eq_ignore_ascii_case("none") && !m.is_empty()).then_some(m));
        any = true;
    }
    if let Some(d) = args.description {
        changes = changes.description((!d.is_empty()).then_some(d.as_str()));
        any = true;
    }
    if !any {
        return Err(CliError::Usage(
            "nothing to change: give --name, --reporting-to, --permission, --manager or \
             --description"
                .into(),
        ));
    }
    Ok(changes)
}

fn assign_or_remove(
    client: &zohocrm_ureq::Client,
    args: RecordTerritoriesArgs,
    assign: bool,
) -> Result<zohocrm_core::ActionResults, CliError> {
    let RecordTerritoriesArgs {
        module,
        records,
        territories,
    } = args;
    let results = match (records.as_slice(), assign) {
        ([one], true) => client.send(&AssignTerritoryToRecord::new(module, one, territories))?,
        ([one], false) => {
            client.send(&RemoveTerritoriesFromRecord::new(module, one, territories))?
        }
        (_, true) => client.send(&AssignTerritoriesToMultipleRecords::new(
            module,
            records
                .iter()
                .map(|r| RecordTerritoriesInput::new(r, territories.clone())),
        ))?,
        (_, false) => client.send(&RemoveTerritoriesFromMultipleRecords::new(
            module,
            records
                .iter()
                .map(|r| RecordTerritoriesInput::new(r, territories.clone())),
        ))?,
    };
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn territory(id: &str, parent: Option<&str>) -> Territory {
        let mut v = serde_json::json!({"id": id, "name": format!("T{id}")});
        if let Some(p) = parent {
            v["reporting_to"] = serde_json::json!({"id": p, "name": format!("T{p}")});
        }
        serde_json::from_value(v).unwrap()
    }

    fn draw(territories: &[Territory]) -> String {
        let mut out = Vec::new();
        write_tree(&mut out, territories, "").unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn trees_draw_as_before() {
        let t = [
            territory("1", None),
            territory("2", Some("1")),
            territory("3", Some("2")),
            territory("4", Some("1")),
        ];
        assert_eq!(draw(&t), "T1 [1]\n├─ T2 [2]\n│  └─ T3 [3]\n└─ T4 [4]\n");
    }

    #[test]
    fn hostile_trees_are_bounded_and_nothing_is_dropped() {
        // A chain 20,000 deep: no recursion (a test thread has 2 MiB of stack), lines of bounded
        // width (drawn with prefixes, the lines would hold 60 MB).
        let chain: Vec<Territory> = (0..20_000)
            .map(|i| {
                territory(
                    &i.to_string(),
                    (i > 0).then(|| (i - 1).to_string()).as_deref(),
                )
            })
            .collect();
        let text = draw(&chain);
        assert_eq!(text.lines().count(), 20_000);
        assert!(text.lines().all(|l| l.chars().count() < 200));
        assert!(text.contains("(depth 19999) T19999 [19999]"));
        // A cycle (no root above it) is drawn, marked.
        let cycle = [territory("a", Some("b")), territory("b", Some("a"))];
        let text = draw(&cycle);
        assert!(text.contains("(in a reporting cycle:)"), "{text}");
        assert!(text.contains("Ta [a]") && text.contains("Tb [b]"), "{text}");
    }
}
