//! `zcrm coql "select ..." [--all]`: a raw COQL query (`CoqlQuery::raw`).
//!
//! A raw query is sent as written. With `--all`, it pages by the core's rule for raw queries
//! ([`RawLimit`]): only a query ending with a `limit` clause pages, the offset moving by the rows
//! received, until Zoho says no more rows follow or the 100,000-row reach of COQL ends. Without
//! such a clause the query runs once.

use std::io::Write;

use zohocrm_core::records::{CoqlQuery, RawLimit, MAX_REACHABLE};

use zohocrm_core::pagination::PageStop;

use crate::cli::CoqlArgs;
use crate::cmd::records::stopped_early;
use crate::error::CliError;
use crate::output::RowSink;
use crate::term;
use crate::App;

/// Runs the query once, or page after page with `--all` (see the module docs).
pub fn run(app: &App, args: CoqlArgs) -> Result<(), CliError> {
    let client = app.client()?;
    let mut out = app.stdout();
    let mut sink = RowSink::new(app.format, &mut out, None);
    let paging = if args.all {
        let limited = RawLimit::of(&args.query);
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
        let q = RawLimit::of("select id from Leads where Last_Name is not null LIMIT 200").unwrap();
        assert_eq!(q.head, "select id from Leads where Last_Name is not null");
        assert_eq!((q.offset, q.count), (0, 200));
        assert_eq!(
            q.query(400, 200),
            "select id from Leads where Last_Name is not null limit 400, 200"
        );
        let q = RawLimit::of("select id from Leads limit 10,50;").unwrap();
        assert_eq!((q.offset, q.count), (10, 50));
        let q = RawLimit::of("select id from Leads\nlimit 50 offset 100").unwrap();
        assert_eq!((q.offset, q.count), (100, 50));
    }

    #[test]
    fn other_queries_are_not_rewritten() {
        assert_eq!(RawLimit::of("select id from Leads"), None);
        assert_eq!(
            RawLimit::of("select id from Leads where Last_Name = 'limit 5'"),
            None
        );
        assert_eq!(
            RawLimit::of("select id from Leads where Name = 'x' limit abc"),
            None
        );
        assert_eq!(RawLimit::of("select id from Leads limit 0"), None);
        assert_eq!(RawLimit::of("select unlimit 5"), None);
    }
}
