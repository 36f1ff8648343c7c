//! A bulk write's plan (job template, org id, columns, polling, temp dir) and its report,
//! shared by both transports' `Client::bulk_write`.

use std::io::{Seek, Write};
use std::path::PathBuf;

use super::file::{BulkWriteFile, RowOutcome};
use super::{BulkWriteJob, CreateBulkWriteJob, FieldMapping, WriteOperation, MAX_WRITE_ROWS};
use crate::jobs::{JobError, PollPolicy};
use crate::record::Record;

/// One upload file written by [`BulkWrite::fill`].
#[derive(Debug)]
pub struct FilledFile<W> {
    /// The finished zip's writer.
    pub out: W,
    /// Rows written.
    pub rows: u64,
    /// The columns' mappings by position, used when the job names none.
    pub mappings: Vec<FieldMapping>,
}

/// A bulk write: the job (operation, module, mappings...), the org id for the upload host, the
/// CSV columns, the polling policy and where the files go.
#[derive(Debug, Clone)]
pub struct BulkWrite {
    job: CreateBulkWriteJob,
    org_id: String,
    columns: Vec<String>,
    policy: PollPolicy,
    dir: PathBuf,
    rows_per_file: usize,
}

impl BulkWrite {
    /// `operation` on `module` for the org `org_id` (its `zgid`, sent as `X-CRM-ORG`), with
    /// these CSV columns (field API names). Without explicit mappings the columns map by
    /// position.
    pub fn new<S: Into<String>>(
        operation: WriteOperation,
        module: &str,
        org_id: &str,
        columns: impl IntoIterator<Item = S>,
    ) -> Self {
        BulkWrite {
            job: CreateBulkWriteJob::new(operation, module, "pending"),
            org_id: org_id.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            policy: PollPolicy::default(),
            dir: std::env::temp_dir(),
            rows_per_file: MAX_WRITE_ROWS,
        }
    }

    /// At most `rows` rows per upload file and job (1 to 25,000, Zoho's limit and the
    /// default): smaller jobs finish sooner, and a resumed write redoes less.
    #[must_use]
    pub fn rows_per_file(mut self, rows: usize) -> Self {
        self.rows_per_file = rows.clamp(1, MAX_WRITE_ROWS);
        self
    }

    /// Changes the job (e.g. `|j| j.find_by("Email")` for updates and upserts).
    #[must_use]
    pub fn job(mut self, f: impl FnOnce(CreateBulkWriteJob) -> CreateBulkWriteJob) -> Self {
        self.job = f(self.job);
        self
    }

    /// The polling policy.
    #[must_use]
    pub fn poll(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Where the temporary zips go (default: the system's temporary directory).
    #[must_use]
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// The job every file's job is created from (its file id is filled in per file).
    pub fn job_template(&self) -> &CreateBulkWriteJob {
        &self.job
    }

    /// The org id sent as `X-CRM-ORG` to the upload host.
    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The CSV columns (field API names).
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The polling policy.
    pub fn poll_policy(&self) -> PollPolicy {
        self.policy
    }

    /// Where the temporary zips go.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Writes rows from `rows` into one upload zip on `out` until it is full (25,000 rows or
    /// about 24 MB) or the rows end.
    pub fn fill<W: Write + Seek>(
        &self,
        out: W,
        rows: &mut impl Iterator<Item = Record>,
    ) -> Result<FilledFile<W>, JobError> {
        let mut file = BulkWriteFile::new(out, self.columns.iter().cloned())?;
        while !file.is_full() && file.rows() < self.rows_per_file {
            match rows.next() {
                Some(r) => file.push(&r)?,
                None => break,
            }
        }
        let rows = file.rows() as u64;
        let mappings = file.field_mappings();
        Ok(FilledFile {
            out: file.finish()?,
            rows,
            mappings,
        })
    }

    /// The job for an uploaded file: the template with `file_id`, and the file's positional
    /// mappings when the template names none.
    pub fn job_for(&self, file_id: String, mappings: Vec<FieldMapping>) -> CreateBulkWriteJob {
        let create = self.job.with_file_id(file_id);
        if create
            .resource
            .first()
            .is_some_and(|r| r.field_mappings.is_empty())
        {
            create.field_mappings(mappings)
        } else {
            create
        }
    }

    /// Checks that a job's report had one outcome per row written.
    pub fn check_report(job_id: &str, seen: u64, written: u64) -> Result<(), JobError> {
        if seen == written {
            Ok(())
        } else {
            Err(JobError::File(format!(
                "the report of job {job_id} has {seen} rows for {written} written"
            )))
        }
    }
}

/// The outcome of a bulk write (`Client::bulk_write` on either transport).
#[derive(Debug, Clone)]
pub struct BulkWriteReport {
    /// Each job's final details.
    pub jobs: Vec<BulkWriteJob>,
    /// One outcome per row, in input order.
    pub outcomes: Vec<RowOutcome>,
}

impl BulkWriteReport {
    /// The rows that failed.
    pub fn failures(&self) -> impl Iterator<Item = &RowOutcome> {
        self.outcomes.iter().filter(|o| !o.is_success())
    }
}
