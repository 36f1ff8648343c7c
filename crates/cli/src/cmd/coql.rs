//! `zcrm coql "select ..." [--all]`: a raw COQL query (`CoqlQuery::raw`).
//!
//! A raw query is sent as written. With `--all`, the tool pages only when the query ends with a
//! `limit` clause it can parse (`limit N`, `limit OFFSET, N` or `limit N offset OFFSET`, an
//! optional `;` after it): the clause is rewritten to `limit OFFSET, N` with the offset moving by
//! the rows received, until Zoho says no more rows follow or the 100,000-row reach of COQL ends.
//! Without such a clause the query runs once.

use std::io::Write;

use zohocrm_core::records::{CoqlQuery, MAX_REACHABLE};

use zohocrm_core::pagination::PageStop;

use crate::cli::CoqlArgs;
use crate::cmd::records::stopped_early;
use crate::error::CliError;
use crate::output::RowSink;
use crate::term;
use crate::App;

/// A query split at its trailing `limit` clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// The query before `limit`, trimmed.
    pub head: String,
    /// The offset (0 when not written).
    pub offset: u64,
    /// Rows per call.
    pub count: u64,
}

impl Limited {
    /// The query for rows `offset..offset + count`.
    pub fn query(&self, offset: u64, count: u64) -> String {
        format!("{} limit {offset}, {count}", self.head)
    }
}

fn number(token: &str) -> Option<u64> {
    (!token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()))
        .then(|| token.parse().ok())
        .flatten()
}

/// Finds the trailing `limit` clause of a query, if it has one this tool understands.
pub fn split_limit(query: &str) -> Option<Limited> {
    let trimmed = query.trim().trim_end_matches(';').trim_end();
    let lower = trimmed.to_ascii_lowercase();
    // The last `limit` preceded by whitespace; what follows must be only the clause, so a
    // `limit` inside a string literal (which ends with a quote) never matches.
    let at = lower
        .match_indices("limit")
        .map(|(i, _)| i)
        .filter(|&i| i > 0 && lower.as_bytes()[i - 1].is_ascii_whitespace())
        .last()?;
    let clause = &lower[at + "limit".len()..];
    if !clause.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let spaced = clause.replace(',', " , ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let (offset, count) = match tokens.as_slice() {
        [n] => (0, number(n)?),
        [o, ",", n] => (number(o)?, number(n)?),
        [n, "offset", o] => (number(o)?, number(n)?),
        _ => return None,
    };
    if count == 0 {
        return None;
    }
    Some(Limited {
        head: trimmed[..at].trim_end().to_owned(),
        offset,
        count,
    })
}

/// Runs the query once, or page after page with `--all` (see the module docs).
pub fn run(app: &App, args: CoqlArgs) -> Result<(), CliError> {
    let client = app.client()?;
    let mut out = app.stdout();
    let mut sink = RowSink::new(app.format, &mut out, None);
    let paging = if args.all {
        let limited = split_limit(&args.query);
        if limited.is_none() {
            term::say(
                "--all pages only a query ending with `limit N` or `limit OFFSET, N`; running it \
                 once",
            );
        }
        limited
    } else {
        None
    };
    match paging {
        None => {
            let page = client.send(&CoqlQuery::raw(args.query.clone()))?;
            let more = page.info.has_more();
            for record in page.records {
                sink.record(&record)?;
            }
            sink.finish()?;
            if more && !args.all {
                term::say(
                    "more rows follow; add --all (with a trailing `limit` clause) for every page",
                );
            }
        }
        Some(limited) => {
            let mut offset = limited.offset;
            let mut pages = 0u64;
            let mut stop = None;
            loop {
                let count = limited.count.min(MAX_REACHABLE.saturating_sub(offset));
                if count == 0 {
                    term::say(format!(
                        "warning: COQL reaches at most {MAX_REACHABLE} rows; stopping there"
                    ));
                    break;
                }
                let page = client.send(&CoqlQuery::raw(limited.query(offset, count)))?;
                pages += 1;
                let rows = page.records.len() as u64;
                let more = page.info.has_more();
                for record in page.records {
                    sink.record(&record)?;
                }
                if rows == 0 && more {
                    stop = Some(PageStop::EmptyPage { page: pages });
                }
                if rows == 0 || !more {
                    break;
                }
                offset += rows;
            }
            sink.finish()?;
            out.flush()?;
            if let Some(stop) = stop {
                return stopped_early(&stop, offset - limited.offset, MAX_REACHABLE);
            }
        }
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_limit_clauses_are_understood() {
        let q = split_limit("select id from Leads where Last_Name is not null LIMIT 200").unwrap();
        assert_eq!(q.head, "select id from Leads where Last_Name is not null");
        assert_eq!((q.offset, q.count), (0, 200));
        assert_eq!(
            q.query(400, 200),
            "select id from Leads where Last_Name is not null limit 400, 200"
        );
        let q = split_limit("select id from Leads limit 10,50;").unwrap();
        assert_eq!((q.offset, q.count), (10, 50));
        let q = split_limit("select id from Leads\nlimit 50 offset 100").unwrap();
        assert_eq!((q.offset, q.count), (100, 50));
    }

    #[test]
    fn other_queries_are_not_rewritten() {
        assert_eq!(split_limit("select id from Leads"), None);
        assert_eq!(
            split_limit("select id from Leads where Last_Name = 'limit 5'"),
            None
        );
        assert_eq!(
            split_limit("select id from Leads where Name = 'x' limit abc"),
            None
        );
        assert_eq!(split_limit("select id from Leads limit 0"), None);
        assert_eq!(split_limit("select unlimit 5"), None);
    }
}
