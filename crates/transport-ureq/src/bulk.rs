//! Asynchronous jobs on the blocking [`Client`]: waiting for any job, bulk read page by page
//! with rows decoded from a temporary file, bulk write of any number of rows in files of
//! 25,000, composite requests and notification channels.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use zohocrm_core::bulk::file::{CsvZip, RowOutcome, Rows};
use zohocrm_core::bulk::{
    BulkReadJob, BulkWrite, BulkWriteJob, BulkWriteReport, CreateBulkReadJob,
    DownloadBulkReadResult, DownloadBulkWriteResult, GetBulkReadJob, GetBulkWriteJob,
    UploadBulkFileStream,
};
use zohocrm_core::composite::{Composite, SubCalls};
use zohocrm_core::jobs::{JobError, JobPhase, JobStatus, PollPolicy, WaitStep, Waiter};
use zohocrm_core::notifications::EnableNotifications;
use zohocrm_core::stream::FileUpload;
use zohocrm_core::{ActionResults, BlockingTransport, Endpoint, Error, Record};

use crate::Client;

/// A file in a temporary directory, deleted when dropped.
#[derive(Debug)]
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn new(dir: &Path, stem: &str, seed: u64) -> Self {
        TempFile {
            path: dir.join(format!(
                "zohocrm-{stem}-{}-{seed:016x}.zip",
                std::process::id()
            )),
        }
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Client {
    /// Polls `query` until the job it reads is done, sleeping per `policy` between polls;
    /// `progress` sees every status. Returns the last status, or [`JobError::Failed`] /
    /// [`JobError::TimedOut`].
    ///
    /// ```no_run
    /// # fn run(client: zohocrm_ureq::Client) -> Result<(), zohocrm_ureq::zohocrm_core::jobs::JobError> {
    /// use zohocrm_ureq::zohocrm_core::jobs::PollPolicy;
    /// use zohocrm_ureq::zohocrm_core::records::MassUpdateStatusQuery;
    ///
    /// let done = client.wait(
    ///     &MassUpdateStatusQuery::new("Leads", "111000"),
    ///     PollPolicy::default(),
    ///     |s| println!("{:?}", s.as_ref().map(|s| &s.status)),
    /// )?;
    /// # Ok(()) }
    /// ```
    pub fn wait<E>(
        &self,
        query: &E,
        policy: PollPolicy,
        progress: impl FnMut(&E::Output),
    ) -> Result<E::Output, JobError>
    where
        E: Endpoint,
        E::Output: JobStatus,
    {
        let mut progress = progress;
        self.wait_job(query, policy, &mut progress)
    }

    /// As [`wait`](Self::wait), with the phase read by `phase`: any endpoint can tell when a
    /// job is done (e.g. a record's territories after a `SCHEDULED` assignment).
    pub fn wait_until<E: Endpoint>(
        &self,
        query: &E,
        policy: PollPolicy,
        phase: impl Fn(&E::Output) -> JobPhase,
        mut progress: impl FnMut(&E::Output),
    ) -> Result<E::Output, JobError> {
        let mut waiter = Waiter::new(policy);
        loop {
            let status = self.send(query)?;
            progress(&status);
            match waiter.observe(self.transport().now(), &phase(&status)) {
                WaitStep::Done => return Ok(status),
                WaitStep::Failed(message) => {
                    return Err(JobError::Failed {
                        job_id: String::new(),
                        state: "failed".into(),
                        message,
                        error: None,
                    })
                }
                WaitStep::Sleep(d) => self.transport().sleep(d),
                WaitStep::TimedOut { waited } => {
                    return Err(JobError::TimedOut {
                        job_id: String::new(),
                        state: "running".into(),
                        waited,
                    })
                }
            }
        }
    }

    fn wait_job<E>(
        &self,
        query: &E,
        policy: PollPolicy,
        progress: &mut dyn FnMut(&E::Output),
    ) -> Result<E::Output, JobError>
    where
        E: Endpoint,
        E::Output: JobStatus,
    {
        let mut waiter = Waiter::new(policy);
        loop {
            let status = self.send(query)?;
            progress(&status);
            match waiter.observe(self.transport().now(), &status.job_phase()) {
                WaitStep::Done => return Ok(status),
                WaitStep::Failed(message) => return Err(JobError::failed(&status, message)),
                WaitStep::Sleep(d) => self.transport().sleep(d),
                WaitStep::TimedOut { waited } => return Err(JobError::timed_out(&status, waited)),
            }
        }
    }

    /// A bulk read of `job` and the pages after it, created lazily by [`BulkRead::next_page`].
    pub fn bulk_read(&self, job: CreateBulkReadJob) -> BulkRead {
        BulkRead {
            client: self.clone(),
            next: Some(job),
            policy: PollPolicy::default(),
            dir: std::env::temp_dir(),
            progress: None,
        }
    }

    /// Uploads the zip at `path` for a bulk write, streamed from disk, to the content host with
    /// `X-CRM-ORG: org_id`; returns the file id.
    pub fn upload_bulk_file(&self, org_id: &str, path: &Path) -> Result<String, JobError> {
        let len = std::fs::metadata(path)?.len();
        let seed = (u128::from(self.transport().jitter_seed()) << 64)
            | u128::from(self.transport().jitter_seed());
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data.zip".into());
        let upload = FileUpload::zip(path, len, name, seed);
        let endpoint = UploadBulkFileStream::new(org_id, upload);
        Ok(self.upload(&endpoint, endpoint.upload())?.file_id)
    }

    /// Writes any number of rows with bulk write jobs: the rows go into zips of at most 25,000
    /// rows (and about 25 MB) in `write`'s directory, each uploaded and run as one job, one
    /// after the other; `on_row` gets each row's outcome, numbered across files from 0.
    /// Returns the details of every job.
    pub fn bulk_write_with(
        &self,
        write: &BulkWrite,
        rows: impl IntoIterator<Item = Record>,
        mut on_row: impl FnMut(RowOutcome),
    ) -> Result<Vec<BulkWriteJob>, JobError> {
        let mut jobs = Vec::new();
        let mut first_row = 0u64;
        let mut rows = rows.into_iter().peekable();
        let mut n = 0u32;
        while rows.peek().is_some() {
            n += 1;
            let temp = TempFile::new(
                write.dir(),
                &format!("write{n}"),
                self.transport().jitter_seed(),
            );
            let filled = write.fill(BufWriter::new(File::create(&temp.path)?), &mut rows)?;
            let count = filled.rows;
            filled
                .out
                .into_inner()
                .map_err(|e| JobError::Io(e.into_error()))?
                .sync_all()?;
            let file_id = self.upload_bulk_file(write.org_id(), &temp.path)?;
            let create = write.job_for(file_id, filled.mappings);
            let created = self.send(&create)?;
            let mut progress = |_: &Option<BulkWriteJob>| {};
            let done = self
                .wait_job(
                    &GetBulkWriteJob::new(&created.id),
                    write.poll_policy(),
                    &mut progress,
                )?
                .ok_or_else(|| JobError::File("the job vanished".into()))?;
            let url = done
                .download_url()
                .ok_or_else(|| JobError::File("the finished job has no download_url".into()))?;
            let report = DownloadBulkWriteResult::for_context(&self.session().context(), url)
                .map_err(Error::from)?;
            let report_file = TempFile::new(
                write.dir(),
                &format!("report{n}"),
                self.transport().jitter_seed(),
            );
            let mut sink = File::options()
                .create(true)
                .truncate(true)
                .read(true)
                .write(true)
                .open(&report_file.path)?;
            self.download(&report, &mut sink)?;
            sink.flush()?;
            sink.seek(SeekFrom::Start(0))?;
            let mut zip = CsvZip::open(sink)?;
            zip.expect_rows(count);
            let mut seen = 0u64;
            for outcome in zip.outcomes(first_row)? {
                on_row(outcome?);
                seen += 1;
            }
            BulkWrite::check_report(&done.id, seen, count)?;
            first_row += count;
            jobs.push(done);
        }
        Ok(jobs)
    }

    /// [`bulk_write_with`](Self::bulk_write_with), collecting the outcomes.
    pub fn bulk_write(
        &self,
        write: &BulkWrite,
        rows: impl IntoIterator<Item = Record>,
    ) -> Result<BulkWriteReport, JobError> {
        let mut outcomes = Vec::new();
        let jobs = self.bulk_write_with(write, rows, |o| outcomes.push(o))?;
        Ok(BulkWriteReport { jobs, outcomes })
    }

    /// Runs a [`Composite`] request of typed endpoints: one HTTP call, one typed result each.
    pub fn composite<T: SubCalls>(&self, composite: &Composite<T>) -> Result<T::Outputs, Error> {
        self.send(composite)
    }

    /// Enables notification channels after checking their expiry against the clock (at most
    /// one week ahead).
    pub fn enable_notifications(
        &self,
        enable: &EnableNotifications,
    ) -> Result<ActionResults, Error> {
        enable.check_expiry(self.transport().now())?;
        self.send(enable)
    }
}

/// A progress callback of a bulk read.
type Progress = Box<dyn FnMut(&BulkReadJob)>;

/// A bulk read in progress: each [`next_page`](Self::next_page) creates the job of the next
/// result page (while `more_records`), waits for it, and downloads its zip to a temporary file
/// whose rows are then read one at a time.
///
/// ```no_run
/// # fn run(client: zohocrm_ureq::Client) -> Result<(), zohocrm_ureq::zohocrm_core::jobs::JobError> {
/// use zohocrm_ureq::zohocrm_core::bulk::CreateBulkReadJob;
///
/// let mut export = client.bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name", "Email"]));
/// while let Some(mut page) = export.next_page()? {
///     for lead in page.records()? {
///         let lead = lead?;
///         println!("{:?}", lead.str("Email"));
///     }
/// }
/// # Ok(()) }
/// ```
pub struct BulkRead {
    client: Client,
    next: Option<CreateBulkReadJob>,
    policy: PollPolicy,
    dir: PathBuf,
    progress: Option<Progress>,
}

impl std::fmt::Debug for BulkRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkRead")
            .field("next", &self.next)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl BulkRead {
    /// The polling policy.
    #[must_use]
    pub fn poll(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Where the result zips go (default: the system's temporary directory).
    #[must_use]
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// Called with every job status seen while waiting.
    #[must_use]
    pub fn on_progress(mut self, f: impl FnMut(&BulkReadJob) + 'static) -> Self {
        self.progress = Some(Box::new(f));
        self
    }

    /// The next result page, or `None` after the last.
    pub fn next_page(&mut self) -> Result<Option<BulkPage>, JobError> {
        let Some(create) = self.next.take() else {
            return Ok(None);
        };
        let client = &self.client;
        let created = client.send(&create)?;
        let progress = &mut self.progress;
        let mut report = |s: &Option<BulkReadJob>| {
            if let (Some(f), Some(s)) = (progress.as_mut(), s.as_ref()) {
                f(s);
            }
        };
        let job = client
            .wait_job(&GetBulkReadJob::new(&created.id), self.policy, &mut report)?
            .ok_or_else(|| JobError::File("the job vanished".into()))?;
        let result = job.result.clone().unwrap_or_default();
        let temp = TempFile::new(&self.dir, "read", client.transport().jitter_seed());
        let mut file = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&temp.path)?;
        {
            let mut sink = BufWriter::with_capacity(256 * 1024, &mut file);
            client.download(&DownloadBulkReadResult::new(&job.id), &mut sink)?;
            sink.flush()?;
        }
        file.seek(SeekFrom::Start(0))?;
        let mut zip = CsvZip::open(file)?;
        zip.expect_rows(result.count);
        self.next = create.next_page(&result)?;
        Ok(Some(BulkPage {
            job,
            zip,
            _temp: temp,
        }))
    }

    /// Every row of every page as a [`Record`], given to `f` one at a time. Returns the rows read.
    pub fn for_each_record(mut self, mut f: impl FnMut(Record)) -> Result<u64, JobError> {
        let mut n = 0;
        while let Some(mut page) = self.next_page()? {
            for r in page.records()? {
                f(r?);
                n += 1;
            }
        }
        Ok(n)
    }

    /// Every row of every page deserialised as `T`, given to `f` one at a time. Returns the rows read.
    pub fn for_each_row<T: DeserializeOwned>(
        mut self,
        mut f: impl FnMut(T),
    ) -> Result<u64, JobError> {
        let mut n = 0;
        while let Some(mut page) = self.next_page()? {
            for r in page.rows::<T>()? {
                f(r?);
                n += 1;
            }
        }
        Ok(n)
    }
}

/// One downloaded result page of a bulk read; its temporary file is deleted when dropped.
#[derive(Debug)]
pub struct BulkPage {
    /// The completed job (its `result` has the page's count and `more_records`).
    pub job: BulkReadJob,
    zip: CsvZip<File>,
    _temp: TempFile,
}

impl BulkPage {
    /// The rows as [`Record`]s (strings; empty cells null), decoded one at a time.
    pub fn records(&mut self) -> Result<Rows<'_, Record>, JobError> {
        self.zip.records()
    }

    /// The rows deserialised as `T`, one at a time.
    pub fn rows<T: DeserializeOwned>(&mut self) -> Result<Rows<'_, T>, JobError> {
        self.zip.rows()
    }

    /// The zip itself (e.g. to read an ICS result with [`CsvZip::raw`]).
    pub fn zip(&mut self) -> &mut CsvZip<File> {
        &mut self.zip
    }
}
