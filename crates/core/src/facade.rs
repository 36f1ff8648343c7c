//! The client façade, written once for both modes: [`client_facade!`](crate::client_facade)
//! expands into a transport crate (`zohocrm-ureq`, `zohocrm-hyper`) the `Client` struct, its
//! builder, `send`, paging, calls by id, the convenience methods (records, COQL, licences,
//! territories, jobs, bulk read and write, composite, notifications) and the iterators they
//! return. A convenience method added here exists in both clients at once.
//!
//! The macro is given the mode as tokens: `async` and `.await` (or nothing) where a method
//! is async and a call awaited, and the extra bounds (`+ Send`, `+ Sync`) an async future
//! needs. What differs in kind stays in the transport crate: the transport itself, `download`
//! and `upload` (the sink type), and how iterators are consumed (`Iterator` for the blocking
//! client, `async fn next` for the async one).
//!
//! The expansion refers to the transport crate's `download_file` (a download written to a
//! local file) and the core's driver-side [`files`](crate::files); it does no IO itself.

/// Re-exports at a transport crate's root what both transport crates offer besides their
/// client and transport, so everyday code needs no `zohocrm_core` import.
#[macro_export]
#[doc(hidden)]
macro_rules! transport_exports {
    () => {
        pub use $crate::bulk::{BulkWrite, BulkWriteReport};
        pub use $crate::config::TransportConfig;
        pub use $crate::config::{DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_DOWNLOAD_BYTES};
        pub use $crate::proxy::{NoProxy, Proxy, ProxyConfig, ProxyRules};
        pub use $crate::TokenStore;
        pub use $crate::{Credentials, DataCenter, Endpoint, Environment, Error};
        pub use $crate::{FileTokenStore, MemoryTokenStore, Paginated, RetryPolicy, Session};
    };
}

/// Expands the client façade into a transport crate (see the [module docs](crate::facade)).
#[doc(hidden)]
#[macro_export]
macro_rules! client_facade {
    (
        transport: $Transport:ty,
        asynchronous: [$($async:tt)?],
        awaited: [$($await:tt)*],
        sync: [$($sync:tt)*],
        send: [$($send:tt)*],
        send_fn: $send_fn:ident,
        upload_fn: $upload_fn:ident,
        pages: $Pages:ident,
        next: $next_vis:vis $next:ident,
        store_check: [$($check:path)?],
    ) => {
        use std::sync::Arc;

        use $crate::bulk::file::{CsvZip, RowOutcome, Rows};
        use $crate::bulk::resume::{is_gone, job_is_gone, ReadState, ReportTally, WriteState};
        use $crate::bulk::{
            BulkReadJob, BulkWrite, BulkWriteJob, BulkWriteReport, CreateBulkReadJob,
            DownloadBulkReadResult, DownloadBulkWriteResult, GetBulkReadJob, GetBulkWriteJob,
            UploadBulkFileStream,
        };
        use $crate::composite::{Composite, SubCalls};
        use $crate::config::{BuildClient, TransportConfig};
        use $crate::features::{GetUserLicences, UserLicences};
        use $crate::files::{StateFile, TempFile};
        use $crate::jobs::{JobError, JobPhase, JobStatus, PollPolicy, WaitStep, Waiter};
        use $crate::channel_renewal::{ChannelKeeper, KeepPlan};
        use $crate::notifications::{EnableNotifications, GetNotifications};
        use $crate::pagination::{PageCursor, PageStop};
        use $crate::records::{
            Batch, BatchError, Chunked, Coql, CoqlQuery, DeleteRecords, GetRecord, InsertRecords,
            Page, RecordCursor, UpdateRecords, UpsertRecords,
        };
        use $crate::records::changes::{
            Change, ChangeCursor, ChangeRequest, ChangeTracker, ChangesError,
        };
        #[cfg(feature = "registry")]
        use $crate::registry::Call;
        use $crate::stream::FileUpload;
        use $crate::territories::{
            CreateTerritories, GetChildTerritories, GetTerritories, GetTerritory,
            GetTerritoryUsers, Territory, TerritoryInput, TerritoryUser,
        };
        #[allow(unused_imports)]
        use $crate::driver::{AsyncTransport as _, BlockingTransport as _};
        use $crate::{ActionResults, Endpoint, Error, Paginated, Record, Session};

        /// A Zoho CRM client: one session (hosts, credentials, token) and one connection pool.
        ///
        /// Cloning is cheap and shares both, so one token serves every clone.
        #[derive(Debug, Clone)]
        pub struct Client {
            transport: $Transport,
            session: Arc<Session>,
        }

        /// Builds a [`Client`]: see [`zohocrm_core::config::ClientBuilder`].
        pub type ClientBuilder = $crate::config::ClientBuilder<Client>;

        impl BuildClient for Client {
            fn build_client(session: Session, transport: TransportConfig) -> Result<Self, Error> {
                $($check(&session)?;)?
                Ok(Client {
                    transport: <$Transport>::new(transport),
                    session: Arc::new(session),
                })
            }
        }

        impl Client {
            /// A builder; set a data centre (or hosts) and credentials, then
            /// [`build`](ClientBuilder::build).
            pub fn builder() -> ClientBuilder {
                ClientBuilder::default()
            }

            /// A client from an existing transport and session (e.g. a session shared with
            /// another client).
            pub fn with_session(transport: $Transport, session: Arc<Session>) -> Self {
                Client { transport, session }
            }

            /// The session: hosts, credentials and token state.
            pub fn session(&self) -> &Arc<Session> {
                &self.session
            }

            /// The transport.
            pub fn transport(&self) -> &$Transport {
                &self.transport
            }

            /// Performs any endpoint: authenticates, refreshes the token when needed, retries
            /// per the session's policy and parses the response.
            pub $($async)? fn send<E: Endpoint $($sync)*>(
                &self,
                endpoint: &E,
            ) -> Result<E::Output, Error> {
                $crate::driver::$send_fn(&self.transport, &self.session, endpoint) $($await)*
            }

            /// Performs an upload endpoint whose multipart body is the file of `upload`,
            /// streamed from disk (the file is read again for a replay).
            pub $($async)? fn upload<E: Endpoint $($sync)*>(
                &self,
                endpoint: &E,
                upload: &FileUpload,
            ) -> Result<E::Output, Error> {
                $crate::driver::$upload_fn(&self.transport, &self.session, endpoint, upload)
                    $($await)*
            }

            /// Every page of a paginated endpoint, starting with `first`, fetched lazily.
            /// Paging ends after the last page or after the first error.
            pub fn pages<E: Paginated $($sync)*>(&self, first: E) -> $Pages<E> {
                $Pages {
                    client: self.clone(),
                    cursor: PageCursor::new(first),
                }
            }

            /// Performs the registry operation `op_id` (e.g. `"territories.get_territories"`)
            /// with a JSON input whose keys are the API's parameter names, and returns the
            /// output as JSON (feature `registry`).
            #[cfg(feature = "registry")]
            pub $($async)? fn call(
                &self,
                op_id: &str,
                input: serde_json::Value,
            ) -> Result<serde_json::Value, Error> {
                let call = Call::new(op_id, input)?;
                self.send(&call) $($await)*
            }

            /// The credits spent in Zoho's rolling 24 hours (by this process, or by the fleet
            /// when an org-wide limiter reported its count), the credits Zoho last said are left
            /// (`X-API-CREDITS-REMAINING`) and the daily budget, if set. See
            /// [`zohocrm_core::credits`].
            pub fn credits(&self) -> $crate::credits::CreditUsage {
                self.session.credits(self.transport.now())
            }

            /// The concurrency limits of the org's edition (`GET /crm/v8/org`,
            /// `license_details.paid_type`; see [`ConcurrencyLimits::for_edition`]), to give
            /// the builder's `concurrency` or an org-wide limiter. Costs one call: cache it.
            ///
            /// [`ConcurrencyLimits::for_edition`]: zohocrm_core::ConcurrencyLimits::for_edition
            pub $($async)? fn org_limits(&self) -> Result<$crate::ConcurrencyLimits, Error> {
                // The spec's operation (`org.get_organization`), so its scope is checked before
                // sending like any other call's.
                let org = self.send(&$crate::generated::org::GetOrganization::new()) $($await)*?;
                let paid_type = org
                    .org
                    .as_deref()
                    .and_then(<[_]>::first)
                    .and_then(|org| org.license_details.as_ref())
                    .and_then(|licence| licence.paid_type.as_deref());
                Ok(paid_type.map_or_else(Default::default, $crate::ConcurrencyLimits::for_edition))
            }

            /// The organisation's user licence counts
            /// (`GET /crm/v8/__features/user_licenses`).
            pub $($async)? fn user_licences(&self) -> Result<UserLicences, Error> {
                self.send(&GetUserLicences) $($await)*
            }

            /// Every territory of the organisation, all pages
            /// (`GET /crm/v8/settings/territories`). Each territory's `reporting_to` links it
            /// to its parent; the root has none.
            pub $($async)? fn territories(&self) -> Result<Vec<Territory>, Error> {
                let mut pages = self.pages(GetTerritories::new().per_page(200));
                let mut out = Vec::new();
                while let Some(page) = pages.fetch() $($await)* {
                    out.extend(page?.territories);
                }
                Ok(out)
            }

            /// One territory; `None` when Zoho answers 204.
            pub $($async)? fn territory(&self, id: &str) -> Result<Option<Territory>, Error> {
                self.send(&GetTerritory::new(id)) $($await)*
            }

            /// The territories directly below `id`, all pages.
            pub $($async)? fn child_territories(
                &self,
                id: &str,
            ) -> Result<Vec<Territory>, Error> {
                let mut pages = self.pages(GetChildTerritories::new(id));
                let mut out = Vec::new();
                while let Some(page) = pages.fetch() $($await)* {
                    out.extend(page?.territories);
                }
                Ok(out)
            }

            /// Creates up to 10 territories in one call; the outcome of each comes back in
            /// order.
            pub $($async)? fn create_territories(
                &self,
                territories: impl IntoIterator<Item = TerritoryInput>,
            ) -> Result<ActionResults, Error> {
                self.send(&CreateTerritories::new(territories)) $($await)*
            }

            /// The users of the territory `id`.
            pub $($async)? fn territory_users(
                &self,
                id: &str,
            ) -> Result<Vec<TerritoryUser>, Error> {
                Ok(self.send(&GetTerritoryUsers::new(id)) $($await)*?.users)
            }

            /// Every record of every page, starting with `first` (a `ListRecords`,
            /// `SearchRecords`, `CoqlQuery`, `GetRelatedRecords`...; wrap it in `Typed` for
            /// user structs), fetched page by page as the records are taken. Iteration ends
            /// after the last page or after the first error.
            pub fn records<T, E: Paginated<Output = Page<T>> $($sync)*>(
                &self,
                first: E,
            ) -> Records<E, T> {
                Records {
                    client: self.clone(),
                    cursor: RecordCursor::new(first),
                }
            }

            /// The records of `module` inserted, updated or deleted since `since` (every record
            /// and the deletions Zoho still lists when `None`), page by page as they are taken;
            /// after the last, [`Changes::cursor`] is where the next run starts (see
            /// [`changes`](zohocrm_core::records::changes) for why no change is lost). Only
            /// `id` and `Modified_Time` of modified records are read unless
            /// [`Changes::fields`] names more.
            pub fn changes(&self, module: &str, since: Option<ChangeCursor>) -> Changes {
                let cursor = since.unwrap_or_else(|| ChangeCursor::new(module));
                let problem = cursor.check(module).err();
                Changes {
                    client: self.clone(),
                    tracker: ChangeTracker::new(cursor.clone(), Vec::<String>::new()),
                    cursor,
                    problem,
                }
            }

            /// Rows of a COQL query, every page (`limit offset, count` moves automatically).
            pub fn coql(&self, query: Coql) -> Records<CoqlQuery> {
                self.records(CoqlQuery::new(query))
            }

            /// One record; `None` when it does not exist.
            pub $($async)? fn get_record(
                &self,
                module: &str,
                id: &str,
            ) -> Result<Option<Record>, Error> {
                self.send(&GetRecord::new(module, id)) $($await)*
            }

            /// Performs a write of any size in calls of at most 100 items; one outcome per
            /// input item, in input order, across calls and 207 answers.
            pub $($async)? fn write_all<E: Chunked $($sync)*>(
                &self,
                write: E,
            ) -> Result<ActionResults, BatchError> {
                let mut batch = Batch::new(write.len());
                for chunk in write.chunks() {
                    let answer = self.send(&chunk) $($await)*;
                    batch.absorb(chunk.len(), answer)?;
                }
                Ok(batch.finish())
            }

            /// Inserts any number of records.
            pub $($async)? fn insert_records(
                &self,
                module: &str,
                records: impl IntoIterator<Item = Record>,
            ) -> Result<ActionResults, BatchError> {
                self.write_all(InsertRecords::new(module, records)) $($await)*
            }

            /// Updates any number of records (each with its `id`).
            pub $($async)? fn update_records(
                &self,
                module: &str,
                records: impl IntoIterator<Item = Record>,
            ) -> Result<ActionResults, BatchError> {
                self.write_all(UpdateRecords::new(module, records)) $($await)*
            }

            /// Inserts or updates any number of records, matched on `duplicate_check_fields`
            /// (the module's unique fields when empty).
            pub $($async)? fn upsert_records(
                &self,
                module: &str,
                records: impl IntoIterator<Item = Record>,
                duplicate_check_fields: &[&str],
            ) -> Result<ActionResults, BatchError> {
                let mut upsert = UpsertRecords::new(module, records);
                if !duplicate_check_fields.is_empty() {
                    upsert = upsert.duplicate_check_fields(duplicate_check_fields.iter().copied());
                }
                self.write_all(upsert) $($await)*
            }

            /// Deletes any number of records by id.
            pub $($async)? fn delete_records<S: Into<String>>(
                &self,
                module: &str,
                ids: impl IntoIterator<Item = S>,
            ) -> Result<ActionResults, BatchError> {
                self.write_all(DeleteRecords::new(module, ids)) $($await)*
            }

            /// Polls `query` until the job it reads is done, sleeping per `policy` between
            /// polls; `progress` sees every status. Returns the last status, or
            /// [`JobError::Failed`] / [`JobError::TimedOut`].
            pub $($async)? fn wait<E>(
                &self,
                query: &E,
                policy: PollPolicy,
                progress: impl FnMut(&E::Output) $($send)*,
            ) -> Result<E::Output, JobError>
            where
                E: Endpoint $($sync)*,
                E::Output: JobStatus,
            {
                let mut progress = progress;
                self.wait_job(query, policy, &mut progress) $($await)*
            }

            /// As [`wait`](Self::wait), with the phase read by `phase`: any endpoint can tell
            /// when a job is done (e.g. a record's territories after a `SCHEDULED`
            /// assignment).
            pub $($async)? fn wait_until<E: Endpoint $($sync)*>(
                &self,
                query: &E,
                policy: PollPolicy,
                phase: impl Fn(&E::Output) -> JobPhase $($send)*,
                mut progress: impl FnMut(&E::Output) $($send)*,
            ) -> Result<E::Output, JobError> {
                let mut waiter = Waiter::new(policy);
                loop {
                    let status = self.send(query) $($await)*?;
                    progress(&status);
                    match waiter.observe(self.transport.wall_clock(), &phase(&status)) {
                        WaitStep::Done => return Ok(status),
                        WaitStep::Failed(message) => {
                            return Err(JobError::Failed {
                                job_id: String::new(),
                                state: "failed".into(),
                                message,
                                error: None,
                            })
                        }
                        WaitStep::Sleep(d) => self.transport.sleep(d) $($await)*,
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

            $($async)? fn wait_job<E>(
                &self,
                query: &E,
                policy: PollPolicy,
                progress: &mut (dyn FnMut(&E::Output) $($send)*),
            ) -> Result<E::Output, JobError>
            where
                E: Endpoint $($sync)*,
                E::Output: JobStatus,
            {
                let mut waiter = Waiter::new(policy);
                loop {
                    let status = self.send(query) $($await)*?;
                    progress(&status);
                    match waiter.observe(self.transport.wall_clock(), &status.job_phase()) {
                        WaitStep::Done => return Ok(status),
                        WaitStep::Failed(message) => {
                            return Err(JobError::failed(&status, message))
                        }
                        WaitStep::Sleep(d) => self.transport.sleep(d) $($await)*,
                        WaitStep::TimedOut { waited } => {
                            return Err(JobError::timed_out(&status, waited))
                        }
                    }
                }
            }

            /// A bulk read of `job` and the pages after it, created lazily by
            /// [`BulkRead::next_page`].
            pub fn bulk_read(&self, job: CreateBulkReadJob) -> BulkRead {
                BulkRead {
                    client: self.clone(),
                    next: Some(job),
                    policy: PollPolicy::default(),
                    dir: std::env::temp_dir(),
                    progress: None,
                    resume: None,
                }
            }

            /// Uploads the zip at `path` for a bulk write, streamed from disk, to the content
            /// host with `X-CRM-ORG: org_id`; returns the file id.
            pub $($async)? fn upload_bulk_file(
                &self,
                org_id: &str,
                path: &std::path::Path,
            ) -> Result<String, JobError> {
                let seed = (u128::from(self.transport.jitter_seed()) << 64)
                    | u128::from(self.transport.jitter_seed());
                let upload = $crate::files::zip_upload(path, seed)?;
                let endpoint = UploadBulkFileStream::new(org_id, upload);
                Ok(self.upload(&endpoint, endpoint.upload()) $($await)*?.file_id)
            }

            /// Writes any number of rows with bulk write jobs: the rows go into zips of at
            /// most 25,000 rows (and about 25 MB) in `write`'s directory, each uploaded and
            /// run as one job, one after the other; `on_row` gets each row's outcome, numbered
            /// across files from 0. Returns the details of every job.
            ///
            /// Writing a file and reading a report are local file work done on the calling
            /// thread (a few hundred milliseconds per 25,000 rows).
            pub $($async)? fn bulk_write_with(
                &self,
                write: &BulkWrite,
                rows: impl IntoIterator<Item = Record>,
                mut on_row: impl FnMut(RowOutcome),
            ) -> Result<Vec<BulkWriteJob>, JobError> {
                let mut jobs = Vec::new();
                let mut first_row = 0u64;
                let mut rows = rows.into_iter().peekable();
                let mut n = 0usize;
                while rows.peek().is_some() {
                    n += 1;
                    let (temp, file) = TempFile::create(write.dir(), &format!("write{n}"), "zip")?;
                    let filled = write.fill(std::io::BufWriter::new(file), &mut rows)?;
                    let count = filled.rows;
                    filled
                        .out
                        .into_inner()
                        .map_err(|e| JobError::Io(e.into_error()))?
                        .sync_all()?;
                    let file_id = self.upload_bulk_file(write.org_id(), temp.path()) $($await)*?;
                    let create = write.job_for(file_id, filled.mappings);
                    let created = self.send(&create) $($await)*?;
                    let done = self
                        .bulk_write_report(write, &created.id, count, first_row, n, &mut on_row)
                        $($await)*?;
                    first_row += count;
                    jobs.push(done);
                }
                Ok(jobs)
            }

            /// Waits for the bulk write job `job_id` of file `n` (`count` rows, the first
            /// numbered `first_row`), downloads its report and gives each row's outcome to
            /// `on_row`.
            $($async)? fn bulk_write_report<F: FnMut(RowOutcome)>(
                &self,
                write: &BulkWrite,
                job_id: &str,
                count: u64,
                first_row: u64,
                n: usize,
                on_row: &mut F,
            ) -> Result<BulkWriteJob, JobError> {
                let mut progress = |_: &Option<BulkWriteJob>| {};
                let done = self
                    .wait_job(&GetBulkWriteJob::new(job_id), write.poll_policy(), &mut progress)
                    $($await)*?
                    .ok_or_else(|| JobError::File("the job vanished".into()))?;
                let url = done.download_url().ok_or_else(|| {
                    JobError::File("the finished job has no download_url".into())
                })?;
                let report = DownloadBulkWriteResult::for_context(&self.session.context(), url)
                    .map_err(Error::from)?;
                let (_report_temp, mut report_file) =
                    TempFile::create(write.dir(), &format!("report{n}"), "zip")?;
                self.download_file(&report, &mut report_file) $($await)*?;
                let mut zip = CsvZip::open(report_file)?;
                zip.expect_rows(count);
                let mut seen = 0u64;
                for outcome in zip.outcomes(first_row)? {
                    on_row(outcome?);
                    seen += 1;
                }
                BulkWrite::check_report(&done.id, seen, count)?;
                Ok(done)
            }

            /// [`bulk_write_with`](Self::bulk_write_with), resumable: progress is saved in
            /// `state` after every step (upload made, job created, report read), and a rerun
            /// with the same state and the same rows skips the rows of every file whose report
            /// was read, uploads no file whose file id is saved and creates no job twice for a
            /// file (see [`resume`](zohocrm_core::bulk::resume)). `on_row` gets the outcomes of
            /// this run's reports; the returned state tallies every report, earlier runs' too.
            pub $($async)? fn bulk_write_resumable(
                &self,
                write: &BulkWrite,
                rows: impl IntoIterator<Item = Record>,
                state_file: &StateFile,
                mut on_row: impl FnMut(RowOutcome),
            ) -> Result<WriteState, JobError> {
                let mut state = match state_file.load::<WriteState>()? {
                    Some(saved) => {
                        saved.check(write.job_template(), write.columns())?;
                        saved
                    }
                    None => WriteState::new(write.job_template().clone(), write.columns().to_vec()),
                };
                let mut rows = rows.into_iter().peekable();
                let done = state.rows_done();
                for skipped in 0..done {
                    if rows.next().is_none() {
                        return Err(JobError::File(format!(
                            "the input has {skipped} rows, fewer than the {done} the state file \
                             records as imported"
                        )));
                    }
                }
                let mut first_row = done;
                let mut index = state.reported();
                loop {
                    if index == state.files.len() {
                        if rows.peek().is_none() {
                            break;
                        }
                        state.files.push(Default::default());
                    }
                    // This file's zip when this run wrote it (its rows are then consumed).
                    let mut zip: Option<TempFile> = None;
                    let mut saved_file_id = state.files[index].file_id.is_some();
                    while state.files[index].job_id.is_none() {
                        if state.files[index].file_id.is_none() {
                            if zip.is_none() {
                                let (temp, file) = TempFile::create(
                                    write.dir(),
                                    &format!("write{}", index + 1),
                                    "zip",
                                )?;
                                let filled =
                                    write.fill(std::io::BufWriter::new(file), &mut rows)?;
                                filled
                                    .out
                                    .into_inner()
                                    .map_err(|e| JobError::Io(e.into_error()))?
                                    .sync_all()?;
                                state.files[index].rows = filled.rows;
                                state.files[index].mappings = filled.mappings;
                                zip = Some(temp);
                            }
                            let path = zip.as_ref().map(|t| t.path().to_owned()).unwrap_or_default();
                            let file_id =
                                self.upload_bulk_file(write.org_id(), &path) $($await)*?;
                            state.files[index].file_id = Some(file_id);
                            state_file.save(&state)?;
                        }
                        let file = &state.files[index];
                        let create = write.job_for(
                            file.file_id.clone().unwrap_or_default(),
                            file.mappings.clone(),
                        );
                        match self.send(&create) $($await)* {
                            Ok(created) => {
                                state.files[index].job_id = Some(created.id);
                                state_file.save(&state)?;
                            }
                            // A file id saved by an earlier run that Zoho no longer takes:
                            // upload the file again (once).
                            Err(e) if saved_file_id && is_gone(&e) => {
                                saved_file_id = false;
                                state.files[index].file_id = None;
                                state_file.save(&state)?;
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                    let job_id = state.files[index].job_id.clone().unwrap_or_default();
                    let count = state.files[index].rows;
                    let mut tally = ReportTally::default();
                    let mut each = |outcome: RowOutcome| {
                        tally.count(&outcome);
                        on_row(outcome);
                    };
                    self.bulk_write_report(write, &job_id, count, first_row, index + 1, &mut each)
                        $($await)*?;
                    state.files[index].report = Some(tally);
                    state_file.save(&state)?;
                    if zip.is_none() {
                        // The file was written by an earlier run: its rows are skipped now.
                        for _ in 0..count {
                            rows.next();
                        }
                    }
                    first_row += count;
                    index += 1;
                }
                Ok(state)
            }

            /// [`bulk_write_with`](Self::bulk_write_with), collecting the outcomes.
            pub $($async)? fn bulk_write(
                &self,
                write: &BulkWrite,
                rows: impl IntoIterator<Item = Record>,
            ) -> Result<BulkWriteReport, JobError> {
                let mut outcomes = Vec::new();
                let jobs = self.bulk_write_with(write, rows, |o| outcomes.push(o)) $($await)*?;
                Ok(BulkWriteReport { jobs, outcomes })
            }

            /// Runs a [`Composite`] request of typed endpoints: one HTTP call, one typed result
            /// each.
            pub $($async)? fn composite<T: SubCalls $($sync)*>(
                &self,
                composite: &Composite<T>,
            ) -> Result<T::Outputs, Error> {
                self.send(composite) $($await)*
            }

            /// One round of keeping `keeper`'s channels alive: lists the org's channels,
            /// enables again those Zoho dropped and renews those expiring within the margin
            /// (see [`channel_renewal`](zohocrm_core::channel_renewal)). Returns what was done;
            /// its `next_check` says when to call again. A channel Zoho refuses fails the round.
            pub $($async)? fn renew_channels(
                &self,
                keeper: &ChannelKeeper,
            ) -> Result<KeepPlan, Error> {
                let mut listed = Vec::new();
                let mut pages = self.pages(GetNotifications::new());
                while let Some(page) = pages.fetch() $($await)* {
                    listed.extend(page?.watch);
                }
                let plan = keeper.plan(self.transport.wall_clock(), &listed);
                if let Some(enable) = &plan.enable {
                    self.send(enable) $($await)*?.into_result()?;
                }
                if let Some(renew) = &plan.renew {
                    self.send(renew) $($await)*?.into_result()?;
                }
                Ok(plan)
            }

            /// Keeps `keeper`'s channels alive for `keep_for`: rounds of
            /// [`renew_channels`](Self::renew_channels), sleeping between them as each round
            /// says; `on_round` sees every round. Returns the rounds run.
            pub $($async)? fn keep_channels_alive(
                &self,
                keeper: &ChannelKeeper,
                keep_for: std::time::Duration,
                mut on_round: impl FnMut(&KeepPlan) $($send)*,
            ) -> Result<u32, Error> {
                let start = self.transport.wall_clock();
                let mut rounds = 0u32;
                loop {
                    let plan = self.renew_channels(keeper) $($await)*?;
                    rounds = rounds.saturating_add(1);
                    on_round(&plan);
                    let spent = self
                        .transport
                        .wall_clock()
                        .duration_since(start)
                        .unwrap_or_default();
                    let Some(left) = keep_for.checked_sub(spent).filter(|l| !l.is_zero()) else {
                        return Ok(rounds);
                    };
                    self.transport.sleep(plan.next_check.min(left)) $($await)*;
                }
            }

            /// Enables notification channels after checking their expiry against the clock
            /// (at most one week ahead).
            pub $($async)? fn enable_notifications(
                &self,
                enable: &EnableNotifications,
            ) -> Result<ActionResults, Error> {
                enable.check_expiry(self.transport.wall_clock())?;
                self.send(enable) $($await)*
            }
        }

        /// The pages of a paginated endpoint; see [`Client::pages`].
        #[derive(Debug)]
        #[must_use = "pages are fetched only when asked for"]
        pub struct $Pages<E: Paginated> {
            client: Client,
            cursor: PageCursor<E>,
        }

        impl<E: Paginated $($sync)*> $Pages<E> {
            /// The next page, or `None` after the last page or after an error.
            $($async)? fn fetch(&mut self) -> Option<Result<E::Output, Error>> {
                let request = self.cursor.take_request()?;
                let result = self.client.send(&request) $($await)*;
                if let Ok(output) = &result {
                    self.cursor.absorb(&request, output);
                }
                Some(result)
            }

            /// Why paging ended early: the server's cursor led back to a page already read.
            pub fn stopped(&self) -> Option<&PageStop> {
                self.cursor.stopped()
            }
        }

        /// The records of every page; see [`Client::records`].
        #[derive(Debug)]
        #[must_use = "records are fetched only when asked for"]
        pub struct Records<E, T = Record> {
            client: Client,
            cursor: RecordCursor<E, T>,
        }

        impl<T, E> Records<E, T>
        where
            T: Sized $($send)*,
            E: Paginated<Output = Page<T>> $($sync)*,
        {
            /// Why the iteration ended although Zoho said more records follow (an empty page,
            /// a cursor that does not move or goes round in a circle): the records read may not
            /// be all.
            pub fn stopped(&self) -> Option<&PageStop> {
                self.cursor.stopped()
            }

            /// The next record, or `None` after the last one or after the first error.
            $next_vis $($async)? fn $next(&mut self) -> Option<Result<T, Error>> {
                loop {
                    if let Some(record) = self.cursor.pop() {
                        return Some(Ok(record));
                    }
                    let request = self.cursor.take_request()?;
                    // After an error there is no next request, so the iteration ends.
                    match self.client.send(&request) $($await)* {
                        Ok(page) => self.cursor.absorb(&request, page),
                        Err(e) => return Some(Err(e)),
                    }
                }
            }
        }

        /// Incremental changes of a module; see [`Client::changes`].
        #[derive(Debug)]
        #[must_use = "changes are fetched only when asked for"]
        pub struct Changes {
            client: Client,
            cursor: ChangeCursor,
            tracker: ChangeTracker,
            problem: Option<String>,
        }

        impl Changes {
            /// Reads these fields of modified records too (`id` and `Modified_Time` always).
            pub fn fields<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
                self.tracker = ChangeTracker::new(self.cursor.clone(), fields);
                self
            }

            /// The next change, or `None` after the last one or after the first error.
            pub $($async)? fn next_change(&mut self) -> Option<Result<Change, ChangesError>> {
                if let Some(problem) = self.problem.take() {
                    // No request: the run ends here.
                    let _ = self.tracker.take_request();
                    return Some(Err(ChangesError::Cursor(problem)));
                }
                loop {
                    if let Some(change) = self.tracker.pop() {
                        return Some(Ok(change));
                    }
                    let request = self.tracker.take_request()?;
                    let page = match &request {
                        ChangeRequest::Modified(list) => self.client.send(list) $($await)*,
                        ChangeRequest::Deleted(list) => self.client.send(list) $($await)*,
                    };
                    let absorbed = match page {
                        Ok(page) => self.tracker.absorb(&request, page),
                        Err(e) => Err(ChangesError::Api(Box::new(e))),
                    };
                    if let Err(e) = absorbed {
                        return Some(Err(e));
                    }
                }
            }

            /// Where the next run starts: `Some` once every change was taken, `None` before or
            /// after an error (the next run then starts from the same cursor).
            pub fn cursor(&self) -> Option<ChangeCursor> {
                self.tracker.cursor()
            }
        }

        /// A progress callback of a bulk read.
        type Progress = Box<dyn FnMut(&BulkReadJob) $($send)*>;

        /// A bulk read in progress: each [`next_page`](Self::next_page) creates the job of the
        /// next result page (while `more_records`), waits for it, and downloads its zip to a
        /// temporary file (private, removed with the page) whose rows are then read one at a
        /// time with blocking reads.
        pub struct BulkRead {
            client: Client,
            next: Option<CreateBulkReadJob>,
            policy: PollPolicy,
            dir: std::path::PathBuf,
            progress: Option<Progress>,
            /// The state file and its state, when resumable.
            resume: Option<(StateFile, ReadState)>,
        }

        impl std::fmt::Debug for BulkRead {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("BulkRead")
                    .field("next", &self.next)
                    .field("policy", &self.policy)
                    .field("resume", &self.resume)
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
            pub fn temp_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
                self.dir = dir.into();
                self
            }

            /// Called with every job status seen while waiting.
            #[must_use]
            pub fn on_progress(
                mut self,
                f: impl FnMut(&BulkReadJob) $($send)* + 'static,
            ) -> Self {
                self.progress = Some(Box::new(f));
                self
            }

            /// Makes the read resumable: progress is kept in `state` (see
            /// [`resume`](zohocrm_core::bulk::resume)). When the file holds the state of an
            /// earlier run of the same request, the read continues after its last page
            /// [written](Self::page_written), reusing the job it created for the next page while
            /// Zoho still knows it; when it holds another request's state, this fails.
            pub fn resume(mut self, state: StateFile) -> Result<Self, JobError> {
                let request = self
                    .next
                    .clone()
                    .ok_or_else(|| JobError::File("the read has no first job".into()))?;
                let saved = match state.load::<ReadState>()? {
                    Some(saved) => {
                        saved.check(&request)?;
                        saved
                    }
                    None => {
                        let fresh = ReadState::new(request);
                        state.save(&fresh)?;
                        fresh
                    }
                };
                self.next = saved.next.clone();
                self.resume = Some((state, saved));
                Ok(self)
            }

            /// The saved state of a resumable read: pages and rows written, the caller's mark.
            pub fn state(&self) -> Option<&ReadState> {
                self.resume.as_ref().map(|(_, state)| state)
            }

            /// Records that the page last returned by [`next_page`](Self::next_page) is
            /// written: `rows` rows, and `mark` the caller's position after them (e.g. the
            /// output's length, synced to disk). A resumed read starts after it. Nothing to do
            /// when the read is not resumable.
            pub fn page_written(&mut self, rows: u64, mark: u64) -> Result<(), JobError> {
                if let Some((file, state)) = &mut self.resume {
                    state.page_written(rows, mark, self.next.clone());
                    file.save(state)?;
                }
                Ok(())
            }

            /// Waits for the job `job_id` and downloads its result to a temporary file.
            $($async)? fn finish_job(
                &mut self,
                job_id: &str,
            ) -> Result<(BulkReadJob, CsvZip<$crate::files::File>, TempFile), JobError> {
                let client = &self.client;
                let progress = &mut self.progress;
                let mut report = |s: &Option<BulkReadJob>| {
                    if let (Some(f), Some(s)) = (progress.as_mut(), s.as_ref()) {
                        f(s);
                    }
                };
                let job = client
                    .wait_job(&GetBulkReadJob::new(job_id), self.policy, &mut report)
                    $($await)*?
                    .ok_or_else(|| JobError::File("the job vanished".into()))?;
                let count = job.result.as_ref().map_or(0, |r| r.count);
                let (temp, mut file) = TempFile::create(&self.dir, "read", "zip")?;
                client
                    .download_file(&DownloadBulkReadResult::new(&job.id), &mut file)
                    $($await)*?;
                let mut zip = CsvZip::open(file)?;
                zip.expect_rows(count);
                Ok((job, zip, temp))
            }

            /// The next result page, or `None` after the last.
            pub $($async)? fn next_page(&mut self) -> Result<Option<BulkPage>, JobError> {
                let Some(create) = self.next.take() else {
                    return Ok(None);
                };
                // A job an earlier run created for this page, while Zoho still knows it.
                let mut saved = self.resume.as_ref().and_then(|(_, s)| s.job_id.clone());
                let (job, zip, temp) = loop {
                    let reused = saved.is_some();
                    let job_id = match saved.take() {
                        Some(id) => id,
                        None => {
                            let created = self.client.send(&create) $($await)*?;
                            if let Some((file, state)) = &mut self.resume {
                                state.job_id = Some(created.id.clone());
                                file.save(state)?;
                            }
                            created.id
                        }
                    };
                    match self.finish_job(&job_id) $($await)* {
                        Ok(done) => break done,
                        Err(e) if reused && job_is_gone(&e) => continue,
                        Err(e) => return Err(e),
                    }
                };
                let result = job.result.clone().unwrap_or_default();
                self.next = create.next_page(&result)?;
                Ok(Some(BulkPage {
                    job,
                    zip,
                    _temp: temp,
                }))
            }

            /// Every row of every page as a [`Record`], given to `f` one at a time. Returns the
            /// rows read.
            pub $($async)? fn for_each_record(
                mut self,
                mut f: impl FnMut(Record),
            ) -> Result<u64, JobError> {
                let mut n = 0;
                while let Some(mut page) = self.next_page() $($await)*? {
                    let before = n;
                    for r in page.records()? {
                        f(r?);
                        n += 1;
                    }
                    self.page_written(n - before, n)?;
                }
                Ok(n)
            }

            /// Every row of every page deserialised as `T`, given to `f` one at a time. Returns
            /// the rows read.
            pub $($async)? fn for_each_row<T: serde::de::DeserializeOwned>(
                mut self,
                mut f: impl FnMut(T),
            ) -> Result<u64, JobError> {
                let mut n = 0;
                while let Some(mut page) = self.next_page() $($await)*? {
                    let before = n;
                    for r in page.rows::<T>()? {
                        f(r?);
                        n += 1;
                    }
                    self.page_written(n - before, n)?;
                }
                Ok(n)
            }
        }

        /// One downloaded result page of a bulk read; its temporary file is deleted when
        /// dropped.
        #[derive(Debug)]
        pub struct BulkPage {
            /// The completed job (its `result` has the page's count and `more_records`).
            pub job: BulkReadJob,
            zip: CsvZip<$crate::files::File>,
            _temp: TempFile,
        }

        impl BulkPage {
            /// The rows as [`Record`]s (strings; empty cells null), decoded one at a time.
            pub fn records(&mut self) -> Result<Rows<'_, Record>, JobError> {
                self.zip.records()
            }

            /// The rows deserialised as `T`, one at a time.
            pub fn rows<T: serde::de::DeserializeOwned>(
                &mut self,
            ) -> Result<Rows<'_, T>, JobError> {
                self.zip.rows()
            }

            /// The zip itself (e.g. to read an ICS result with [`CsvZip::raw`]).
            pub fn zip(&mut self) -> &mut CsvZip<$crate::files::File> {
                &mut self.zip
            }
        }
    };
}
