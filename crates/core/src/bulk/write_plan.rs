//! A bulk write's plan (job template, org id, columns, polling, temp dir) and its report,
//! shared by both transports' `Client::bulk_write`.

use std::path::PathBuf;

use super::file::RowOutcome;
use super::{BulkWriteJob, CreateBulkWriteJob, WriteOperation};
use crate::jobs::PollPolicy;

/// A bulk write: the job (operation, module, mappings...), the org id for the upload host, the
/// CSV columns, the polling policy and where the files go.
#[derive(Debug, Clone)]
pub struct BulkWrite {
    job: CreateBulkWriteJob,
    org_id: String,
    columns: Vec<String>,
    policy: PollPolicy,
    dir: PathBuf,
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
        }
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
