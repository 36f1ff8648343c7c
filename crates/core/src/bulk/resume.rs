//! The state of a resumable bulk read or bulk write: which jobs were created, which pages or
//! files are done, what was written. Plain data and decisions; the clients save it to a
//! [`StateFile`](crate::files::StateFile) after every step (this module does no IO).
//!
//! **Read.** The state holds the export's first request (a rerun with another request is
//! refused), the request of the next page not yet written, the job created for it (saved
//! right after the job is created, before waiting), and the pages, rows and caller's mark
//! (e.g. the output's length) after the last page written. A rerun reuses the saved job while
//! Zoho still knows it (running, or completed with its result downloadable) and creates a new
//! one for the same page only when Zoho no longer does; the caller cuts its output back to the
//! mark, so a page half written by the killed run is written again, once.
//!
//! **Write.** The state holds the job template and columns (a rerun with others is refused)
//! and, per upload file in order, its rows, the file id once uploaded, the job id once
//! created, and the report's tallies once read. A rerun skips the input rows of files whose
//! report was read, never uploads a file whose file id is saved (unless Zoho refuses the id),
//! never creates a second job for a file whose job id is saved, and reads each report to the
//! end once (a report half read by a killed run is read again from its start).
//!
//! One window is left, inherent to any client: a kill after Zoho created a job (or took an
//! upload) and before its answer reached the state file. The rerun then creates the job (or
//! uploads) again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::file::RowOutcome;
use super::{CreateBulkReadJob, CreateBulkWriteJob, FieldMapping};
use crate::error::Error;
use crate::jobs::JobError;

/// The version of the state files written by this SDK.
pub const STATE_VERSION: u32 = 1;

fn check_version(version: u32) -> Result<(), JobError> {
    if version == STATE_VERSION {
        Ok(())
    } else {
        Err(JobError::File(format!(
            "the state file has version {version}; this SDK reads version {STATE_VERSION}"
        )))
    }
}

/// Whether a saved job can no longer be used: Zoho no longer knows it (`RESOURCE_NOT_FOUND`,
/// HTTP 404, or no job in the answer) or it failed. A new job is then created for the same
/// page or file; any other error (network, authentication) keeps the saved job for the next
/// run.
pub fn job_is_gone(error: &JobError) -> bool {
    match error {
        JobError::Failed { .. } => true,
        JobError::Api(e) => is_gone(e),
        _ => false,
    }
}

/// Whether Zoho answered that a job or an uploaded file it was asked about does not exist
/// (any more): HTTP 404, `RESOURCE_NOT_FOUND`, `INVALID_FILE_ID` or `FILE_EXPIRED`.
pub fn is_gone(error: &Error) -> bool {
    error.status() == Some(404)
        || error.api_code().is_some_and(|c| {
            matches!(
                c.as_str(),
                "RESOURCE_NOT_FOUND" | "INVALID_FILE_ID" | "FILE_EXPIRED"
            )
        })
}

/// The state of a resumable bulk read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// The request of the export's first page: what this state is the state of.
    pub request: CreateBulkReadJob,
    /// The request of the next page not yet written; `None` once every page is written.
    pub next: Option<CreateBulkReadJob>,
    /// The job created for `next`, when one was.
    #[serde(default)]
    pub job_id: Option<String>,
    /// Pages written.
    pub pages: u32,
    /// Rows written.
    pub rows: u64,
    /// The caller's position after the last page written (the CLI: the output's length).
    pub mark: u64,
}

impl ReadState {
    /// The state of a new export of `request`.
    pub fn new(request: CreateBulkReadJob) -> Self {
        ReadState {
            version: STATE_VERSION,
            next: Some(request.clone()),
            request,
            job_id: None,
            pages: 0,
            rows: 0,
            mark: 0,
        }
    }

    /// Checks that this saved state is the state of an export of `request`.
    pub fn check(&self, request: &CreateBulkReadJob) -> Result<(), JobError> {
        check_version(self.version)?;
        if self.request == *request {
            Ok(())
        } else {
            Err(JobError::File(
                "the state file belongs to another export (module, fields, criteria or view \
                 differ); give another --state file or remove this one"
                    .into(),
            ))
        }
    }

    /// Whether every page is written.
    pub fn is_finished(&self) -> bool {
        self.next.is_none()
    }

    /// A page was written: `rows` more rows, the caller's `mark` after them, and the request
    /// of the page after it (`None` after the last).
    pub fn page_written(&mut self, rows: u64, mark: u64, next: Option<CreateBulkReadJob>) {
        self.pages = self.pages.saturating_add(1);
        self.rows = self.rows.saturating_add(rows);
        self.mark = mark;
        self.next = next;
        self.job_id = None;
    }
}

/// What one file's report said, by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTally {
    /// Rows that succeeded, by status (`ADDED`, `UPDATED`...).
    pub succeeded: BTreeMap<String, u64>,
    /// Rows that failed.
    pub failed: u64,
}

impl ReportTally {
    /// Counts one outcome.
    pub fn count(&mut self, outcome: &RowOutcome) {
        if outcome.is_success() {
            *self
                .succeeded
                .entry(outcome.status.to_ascii_uppercase())
                .or_default() += 1;
        } else {
            self.failed += 1;
        }
    }

    /// Adds another tally to this one.
    pub fn add(&mut self, other: &ReportTally) {
        for (status, n) in &other.succeeded {
            *self.succeeded.entry(status.clone()).or_default() += n;
        }
        self.failed += other.failed;
    }

    /// Rows that succeeded with `status` (e.g. `ADDED`).
    pub fn with_status(&self, status: &str) -> u64 {
        self.succeeded.get(status).copied().unwrap_or(0)
    }
}

/// One upload file of a resumable bulk write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteFileState {
    /// Input rows in the file.
    pub rows: u64,
    /// The file's column mappings (given to its job).
    #[serde(default)]
    pub mappings: Vec<FieldMapping>,
    /// The upload's file id, once uploaded.
    #[serde(default)]
    pub file_id: Option<String>,
    /// The file's job, once created.
    #[serde(default)]
    pub job_id: Option<String>,
    /// The report's tallies, once read to its end.
    #[serde(default)]
    pub report: Option<ReportTally>,
}

/// The state of a resumable bulk write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteState {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// The job template (operation, module, find_by...): what this state is the state of.
    pub template: CreateBulkWriteJob,
    /// The CSV columns.
    pub columns: Vec<String>,
    /// The upload files so far, in input order.
    pub files: Vec<WriteFileState>,
}

impl WriteState {
    /// The state of a new write with this template and these columns.
    pub fn new(template: CreateBulkWriteJob, columns: Vec<String>) -> Self {
        WriteState {
            version: STATE_VERSION,
            template,
            columns,
            files: Vec::new(),
        }
    }

    /// Checks that this saved state is the state of a write with this template and columns.
    pub fn check(&self, template: &CreateBulkWriteJob, columns: &[String]) -> Result<(), JobError> {
        check_version(self.version)?;
        if self.template == *template && self.columns == columns {
            Ok(())
        } else {
            Err(JobError::File(
                "the state file belongs to another import (module, operation, find_by or \
                 columns differ); give another --state file or remove this one"
                    .into(),
            ))
        }
    }

    /// The files whose report was read: they are done.
    pub fn reported(&self) -> usize {
        self.files.iter().take_while(|f| f.report.is_some()).count()
    }

    /// Input rows of the files whose report was read (skipped by a rerun).
    pub fn rows_done(&self) -> u64 {
        self.files[..self.reported()].iter().map(|f| f.rows).sum()
    }

    /// The tallies of every report read.
    pub fn tally(&self) -> ReportTally {
        let mut all = ReportTally::default();
        for report in self.files.iter().filter_map(|f| f.report.as_ref()) {
            all.add(report);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::WriteOperation;
    use crate::error::{ApiError, ApiErrorCode};

    #[test]
    fn a_read_state_belongs_to_one_request() {
        let request = CreateBulkReadJob::new("Leads").fields(["Email"]);
        let mut state = ReadState::new(request.clone());
        assert!(state.check(&request).is_ok());
        assert!(state.check(&CreateBulkReadJob::new("Leads")).is_err());
        state.job_id = Some("1".into());
        state.page_written(10, 120, Some(request.clone().page(2)));
        assert_eq!((state.pages, state.rows, state.mark), (1, 10, 120));
        assert_eq!(state.job_id, None);
        assert!(!state.is_finished());
        state.page_written(3, 150, None);
        assert!(state.is_finished());
        let json = serde_json::to_string(&state).unwrap();
        let back: ReadState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        let mut old = state.clone();
        old.version = 99;
        assert!(old.check(&request).unwrap_err().to_string().contains("99"));
    }

    #[test]
    fn a_write_state_counts_reported_files_only() {
        let template = CreateBulkWriteJob::new(WriteOperation::Insert, "Leads", "pending");
        let columns = vec!["Last_Name".to_owned()];
        let mut state = WriteState::new(template.clone(), columns.clone());
        assert!(state.check(&template, &columns).is_ok());
        assert!(state.check(&template, &["Email".to_owned()]).is_err());
        let mut tally = ReportTally::default();
        tally.succeeded.insert("ADDED".into(), 4);
        tally.failed = 1;
        state.files.push(WriteFileState {
            rows: 5,
            report: Some(tally.clone()),
            ..WriteFileState::default()
        });
        state.files.push(WriteFileState {
            rows: 7,
            file_id: Some("f".into()),
            ..WriteFileState::default()
        });
        assert_eq!(state.reported(), 1);
        assert_eq!(state.rows_done(), 5);
        assert_eq!(state.tally(), tally);
        assert_eq!(state.tally().with_status("ADDED"), 4);
    }

    #[test]
    fn only_a_job_zoho_no_longer_knows_is_replaced() {
        let api = |status, code: &str| {
            JobError::Api(Box::new(Error::Api {
                status,
                error: ApiError::new(ApiErrorCode::Unknown(code.into()), ""),
            }))
        };
        assert!(job_is_gone(&api(400, "RESOURCE_NOT_FOUND")));
        assert!(job_is_gone(&api(404, "WHATEVER")));
        assert!(!job_is_gone(&api(401, "INVALID_TOKEN")));
        assert!(!job_is_gone(&JobError::Io(std::io::Error::other("x"))));
    }
}
