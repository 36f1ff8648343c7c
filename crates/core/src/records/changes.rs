//! Incremental changes of a module since the last run: the records modified (inserted or
//! updated) and the records deleted, with a [`ChangeCursor`] the caller saves between runs.
//! Plain data and decisions; the clients' `changes` sends the requests.
//!
//! How no change is lost, whatever the local clock says:
//! - only Zoho's own times are compared (`Modified_Time`, `deleted_time`), never the local
//!   clock, so a skewed client clock changes nothing;
//! - modified records are listed newest first (`sort_by=Modified_Time&sort_order=desc`) with
//!   `If-Modified-Since` one second before the cursor. A record changed while the listing runs
//!   moves to the front, so the pages behind shift back and show a record twice rather than
//!   skip one (the second sighting is dropped); the new change itself is newer than the
//!   newest record of the first page, so the next run sees it;
//! - the cursor moves only when both listings were read to their end: a run that fails or
//!   stops early reports its changes again next time;
//! - the cursor keeps what it reported at its time (the boundary second, Zoho's times having
//!   whole seconds): each modified record as its id and a hash of the record as read, each
//!   deletion as its id. The next run asks from one second before and drops exactly those: a
//!   record changed again within that second reads differently and is reported.
//!
//! The duplicates allowed, and when: a record changed while a run lists can be reported by that
//! run (values read before the change) and again by the next (the new values); a record whose
//! change within the boundary second leaves the fields read as they were is not reported again
//! (nothing the caller reads changed). Zoho lists at most 100,000 records a query: more changes
//! than that since the cursor is an error, and the cursor stays.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{DeletedKind, DeletedRecords, ListRecords, RecordPage, SortOrder};
use crate::record::Record;
use crate::Paginated;

/// The version of the cursors written by this SDK.
pub const CURSOR_VERSION: u32 = 1;

/// Records a run can read (Zoho's listing reaches 100,000 records).
const MAX_CHANGES: usize = 100_000;

/// Where the next run of a client's `Changes` starts; save it after a run that ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeCursor {
    /// [`CURSOR_VERSION`].
    pub version: u32,
    /// The module.
    pub module: String,
    /// The newest `Modified_Time` reported, as Zoho wrote it; `None` before the first run
    /// (which reports every record).
    #[serde(default)]
    pub modified: Option<String>,
    /// The records reported with that `Modified_Time`: `{id}:{hash of the record as read}`.
    #[serde(default)]
    pub modified_keys: Vec<String>,
    /// The newest `deleted_time` reported.
    #[serde(default)]
    pub deleted: Option<String>,
    /// The ids reported deleted at that time.
    #[serde(default)]
    pub deleted_ids: Vec<String>,
}

impl ChangeCursor {
    /// A first run: every record of `module` is reported, and the deletions Zoho still lists.
    pub fn new(module: impl Into<String>) -> Self {
        ChangeCursor {
            version: CURSOR_VERSION,
            module: module.into(),
            ..ChangeCursor::default()
        }
    }

    /// Changes after `time` (`yyyy-MM-ddTHH:mm:ss±HH:mm`, Zoho's clock).
    pub fn since(module: impl Into<String>, time: impl Into<String>) -> Self {
        let time = time.into();
        ChangeCursor {
            modified: Some(time.clone()),
            deleted: Some(time),
            ..ChangeCursor::new(module)
        }
    }

    /// Checks that a saved cursor is one of `module`'s, of this version.
    pub fn check(&self, module: &str) -> Result<(), String> {
        if self.version != CURSOR_VERSION {
            return Err(format!(
                "the cursor has version {}; this SDK reads version {CURSOR_VERSION}",
                self.version
            ));
        }
        if !self.module.eq_ignore_ascii_case(module) {
            return Err(format!(
                "the cursor is one of {}, not of {module}",
                self.module
            ));
        }
        Ok(())
    }
}

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A record inserted or updated since the cursor (the fields asked for, `id` and
    /// `Modified_Time`).
    Upserted(Record),
    /// A record deleted since the cursor: Zoho's deleted-record entry (`id`, `deleted_time`,
    /// `deleted_by`, `display_name`, `type`).
    Deleted(Record),
}

/// The next request of a [`ChangeTracker`].
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeRequest {
    /// A page of modified records.
    Modified(ListRecords),
    /// A page of deleted records.
    Deleted(DeletedRecords),
}

/// Why a run cannot finish.
#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    /// A call failed.
    #[error(transparent)]
    Api(Box<crate::Error>),
    /// The cursor given is not one of this module's or of this version.
    #[error("{0}")]
    Cursor(String),
    /// More changes than one listing reaches.
    #[error(
        "more than {MAX_CHANGES} records changed since the cursor: read them with a bulk export \
         (criteria Modified_Time greater_equal the cursor's time), then continue from its end"
    )]
    TooMany,
    /// A time Zoho sent cannot be read, so the record cannot be placed.
    #[error("record {id}: unreadable {field} `{value}`")]
    Time {
        /// The record.
        id: String,
        /// The field.
        field: &'static str,
        /// Its text.
        value: String,
    },
}

/// One side (modified or deleted) of a run: the boundary it starts from and the newest time
/// seen.
#[derive(Debug, Clone, Default)]
struct Side {
    /// The cursor's time and the keys reported at it.
    from: Option<(OffsetDateTime, HashSet<String>)>,
    /// The newest time seen this run, its text and the keys reported at it.
    newest: Option<(OffsetDateTime, String, Vec<String>)>,
    /// Ids reported this run.
    seen: HashSet<String>,
}

impl Side {
    fn new(time: Option<&str>, ids: &[String]) -> Self {
        let from = time
            .and_then(parse)
            .map(|t| (t, ids.iter().cloned().collect()));
        Side {
            from,
            ..Side::default()
        }
    }

    /// `If-Modified-Since` for this side: one second before the cursor, in UTC.
    fn header(&self) -> Option<String> {
        let (t, _) = self.from.as_ref()?;
        let before = (*t - time::Duration::seconds(1)).to_offset(time::UtcOffset::UTC);
        crate::field_value::zoho_datetime(&before)
    }

    /// Whether the record `id` read as `key` at `time` is to be reported (and notes it).
    fn admit(&mut self, id: &str, key: String, time: OffsetDateTime, text: &str) -> bool {
        if let Some((from, keys)) = &self.from {
            if time < *from || (time == *from && keys.contains(&key)) {
                return false;
            }
        }
        if !self.seen.insert(id.to_owned()) {
            return false;
        }
        match &mut self.newest {
            Some((t, _, keys)) if *t == time => keys.push(key),
            Some((t, _, _)) if *t > time => {}
            _ => self.newest = Some((time, text.to_owned(), vec![key])),
        }
        true
    }

    /// The cursor's time and ids after the run.
    fn end(&self, time: &Option<String>, ids: &[String]) -> (Option<String>, Vec<String>) {
        match &self.newest {
            None => (time.clone(), ids.to_vec()),
            Some((t, text, newest_ids)) => {
                let mut all = newest_ids.clone();
                // The same second as the old cursor: its ids stay reported too.
                if let Some((from, old)) = &self.from {
                    if from == t {
                        all.extend(old.iter().cloned());
                    }
                }
                all.sort();
                all.dedup();
                (Some(text.clone()), all)
            }
        }
    }
}

/// FNV-1a, 64 bits: a hash stable across processes and versions (saved in cursors).
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339).ok()
}

/// A run of incremental changes: which request comes next, and the changes each page brings.
#[derive(Debug)]
pub struct ChangeTracker {
    cursor: ChangeCursor,
    next: Option<ChangeRequest>,
    modified: Side,
    deleted: Side,
    ready: std::collections::VecDeque<Change>,
    read: usize,
    ended: bool,
}

impl ChangeTracker {
    /// A run from `cursor`, reading these fields of modified records (`id` and
    /// `Modified_Time` are always read).
    pub fn new<S: Into<String>>(cursor: ChangeCursor, fields: impl IntoIterator<Item = S>) -> Self {
        let mut names: Vec<String> = fields.into_iter().map(Into::into).collect();
        if !names.iter().any(|f| f == "Modified_Time") {
            names.push("Modified_Time".into());
        }
        let modified = Side::new(cursor.modified.as_deref(), &cursor.modified_keys);
        let deleted = Side::new(cursor.deleted.as_deref(), &cursor.deleted_ids);
        let mut first = ListRecords::new(&cursor.module, names)
            .sort("Modified_Time", SortOrder::Desc)
            .per_page(200);
        if let Some(h) = modified.header() {
            first = first.if_modified_since(h);
        }
        ChangeTracker {
            next: Some(ChangeRequest::Modified(first)),
            cursor,
            modified,
            deleted,
            ready: Default::default(),
            read: 0,
            ended: false,
        }
    }

    /// The next request, or `None` when both listings are read (or after an error).
    pub fn take_request(&mut self) -> Option<ChangeRequest> {
        self.next.take()
    }

    /// The next change ready to be given out.
    pub fn pop(&mut self) -> Option<Change> {
        self.ready.pop_front()
    }

    fn deleted_request(&self) -> ChangeRequest {
        let mut first = DeletedRecords::new(&self.cursor.module, DeletedKind::All).per_page(200);
        if let Some(h) = self.deleted.header() {
            first = first.if_modified_since(h);
        }
        ChangeRequest::Deleted(first)
    }

    /// Takes the answer to `request`.
    pub fn absorb(
        &mut self,
        request: &ChangeRequest,
        page: RecordPage,
    ) -> Result<(), ChangesError> {
        self.read = self.read.saturating_add(page.records.len());
        if self.read > MAX_CHANGES.saturating_mul(2) {
            return Err(ChangesError::TooMany);
        }
        let (side, field) = match request {
            ChangeRequest::Modified(_) => (&mut self.modified, "Modified_Time"),
            ChangeRequest::Deleted(_) => (&mut self.deleted, "deleted_time"),
        };
        for record in &page.records {
            let Some(id) = record.id().map(|i| i.into_owned()) else {
                continue;
            };
            let text = record.str(field).ok().flatten().map(|t| t.into_owned());
            let Some((time, text)) = text.as_deref().and_then(|t| Some((parse(t)?, t))) else {
                return Err(ChangesError::Time {
                    id,
                    field,
                    value: text.unwrap_or_default(),
                });
            };
            let key = match request {
                ChangeRequest::Modified(_) => {
                    format!("{id}:{:016x}", fnv64(record.to_json().as_bytes()))
                }
                ChangeRequest::Deleted(_) => id.clone(),
            };
            if side.admit(&id, key, time, text) {
                self.ready.push_back(match request {
                    ChangeRequest::Modified(_) => Change::Upserted(record.clone()),
                    ChangeRequest::Deleted(_) => Change::Deleted(record.clone()),
                });
            }
        }
        self.next = match request {
            ChangeRequest::Modified(list) => match list.next_page(&page) {
                Some(next) => Some(ChangeRequest::Modified(next)),
                None if page.info.more_records == Some(true) => return Err(ChangesError::TooMany),
                None => Some(self.deleted_request()),
            },
            ChangeRequest::Deleted(list) => match list.next_page(&page) {
                Some(next) => Some(ChangeRequest::Deleted(next)),
                None => {
                    self.ended = true;
                    None
                }
            },
        };
        Ok(())
    }

    /// The cursor for the next run, once both listings were read to their end.
    pub fn cursor(&self) -> Option<ChangeCursor> {
        if !self.ended {
            return None;
        }
        let (modified, modified_keys) = self
            .modified
            .end(&self.cursor.modified, &self.cursor.modified_keys);
        let (deleted, deleted_ids) = self
            .deleted
            .end(&self.cursor.deleted, &self.cursor.deleted_ids);
        Some(ChangeCursor {
            version: CURSOR_VERSION,
            module: self.cursor.module.clone(),
            modified,
            modified_keys,
            deleted,
            deleted_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[(&str, &str)], field: &str) -> RecordPage {
        let records = items
            .iter()
            .map(|(id, t)| {
                let json = format!(r#"{{"id":"{id}","{field}":"{t}"}}"#);
                serde_json::from_str::<Record>(&json).unwrap()
            })
            .collect();
        RecordPage {
            records,
            ..RecordPage::default()
        }
    }

    fn ids(changes: &mut ChangeTracker) -> Vec<String> {
        std::iter::from_fn(|| changes.pop())
            .map(|c| match c {
                Change::Upserted(r) => format!("u{}", r.id().unwrap()),
                Change::Deleted(r) => format!("d{}", r.id().unwrap()),
            })
            .collect()
    }

    /// Runs a tracker over one page of modified and one of deleted records.
    fn run(
        cursor: ChangeCursor,
        modified: RecordPage,
        deleted: RecordPage,
    ) -> (Vec<String>, ChangeCursor) {
        let mut t = ChangeTracker::new(cursor, ["Email"]);
        let first = t.take_request().unwrap();
        assert!(matches!(first, ChangeRequest::Modified(_)));
        let ChangeRequest::Modified(list) = &first else {
            unreachable!()
        };
        let parts = crate::Endpoint::parts(list).unwrap();
        assert!(parts
            .query
            .iter()
            .any(|(k, v)| k == "sort_order" && v == "desc"));
        t.absorb(&first, modified).unwrap();
        assert_eq!(t.cursor(), None, "not before the deletions are read");
        let second = t.take_request().unwrap();
        t.absorb(&second, deleted).unwrap();
        assert!(t.take_request().is_none());
        let got = ids(&mut t);
        (got, t.cursor().unwrap())
    }

    #[test]
    fn the_boundary_second_is_asked_again_and_its_reported_ids_dropped() {
        let (got, cursor) = run(
            ChangeCursor::new("Leads"),
            page(
                &[
                    ("3", "2025-01-01T10:00:05+00:00"),
                    ("2", "2025-01-01T10:00:05+00:00"),
                    ("1", "2025-01-01T09:00:00+00:00"),
                ],
                "Modified_Time",
            ),
            page(&[("9", "2025-01-01T08:00:00+00:00")], "deleted_time"),
        );
        assert_eq!(got, ["u3", "u2", "u1", "d9"]);
        assert_eq!(
            cursor.modified.as_deref(),
            Some("2025-01-01T10:00:05+00:00")
        );
        assert_eq!(cursor.modified_keys.len(), 2);
        assert!(cursor.modified_keys[0].starts_with("2:"));

        // The next run asks from one second before; Zoho's answer repeats the boundary.
        let mut t = ChangeTracker::new(cursor.clone(), ["Email"]);
        let ChangeRequest::Modified(list) = t.take_request().unwrap() else {
            panic!()
        };
        let parts = crate::Endpoint::parts(&list).unwrap();
        let header = parts
            .headers
            .iter()
            .find(|(k, _)| k == "if-modified-since")
            .unwrap();
        assert_eq!(header.1, "2025-01-01T10:00:04+00:00");
        let (got, next) = run(
            cursor,
            page(
                &[
                    ("4", "2025-01-01T10:00:05+00:00"),
                    ("3", "2025-01-01T10:00:05+00:00"),
                    ("2", "2025-01-01T10:00:05+00:00"),
                ],
                "Modified_Time",
            ),
            page(&[("9", "2025-01-01T08:00:00+00:00")], "deleted_time"),
        );
        assert_eq!(
            got,
            ["u4"],
            "only the record of the boundary second not yet reported"
        );
        assert_eq!(next.modified_keys.len(), 3);

        // Record 3 changed again within the boundary second: it reads differently.
        let mut changed = page(&[("2", "2025-01-01T10:00:05+00:00")], "Modified_Time");
        changed.records.push(
            serde_json::from_str(
                r#"{"id":"3","Modified_Time":"2025-01-01T10:00:05+00:00","Email":"new@x.test"}"#,
            )
            .unwrap(),
        );
        let (got, _) = run(next, changed, page(&[], "deleted_time"));
        assert_eq!(got, ["u3"]);
    }

    #[test]
    fn a_record_seen_twice_in_a_run_is_reported_once_and_times_are_zohos() {
        // Shifted pages show record 5 twice; a time in another offset compares by instant.
        let cursor = ChangeCursor::since("Leads", "2025-01-01T12:00:00+02:00");
        let (got, next) = run(
            cursor,
            page(
                &[
                    ("5", "2025-01-01T10:30:00Z"),
                    ("5", "2025-01-01T10:30:00Z"),
                    ("6", "2025-01-01T09:59:59Z"),
                ],
                "Modified_Time",
            ),
            page(&[], "deleted_time"),
        );
        assert_eq!(got, ["u5"], "6 is older than the cursor (10:00 UTC)");
        assert_eq!(next.modified.as_deref(), Some("2025-01-01T10:30:00Z"));
        assert_eq!(next.deleted.as_deref(), Some("2025-01-01T12:00:00+02:00"));
    }

    #[test]
    fn an_unreadable_time_fails_the_run_and_keeps_the_cursor() {
        let mut t = ChangeTracker::new(ChangeCursor::new("Leads"), Vec::<String>::new());
        let first = t.take_request().unwrap();
        let e = t
            .absorb(&first, page(&[("1", "yesterday")], "Modified_Time"))
            .unwrap_err();
        assert!(e.to_string().contains("unreadable Modified_Time"), "{e}");
        assert_eq!(t.cursor(), None);
        assert!(ChangeCursor::new("Leads").check("Deals").is_err());
        assert!(ChangeCursor::new("Leads").check("leads").is_ok());
    }
}
