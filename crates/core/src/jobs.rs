//! Waiting for Zoho's asynchronous jobs (bulk read, bulk write, mass update, scheduled
//! territory assignment): job states, the polling policy and the [`JobError`] of job helpers.
//!
//! The policy is pure: a [`Waiter`] is told what each poll saw and when, and answers whether
//! to stop or how long to sleep. Transports do the polling and the sleeping
//! (`Client::wait` in `zohocrm-ureq` and `zohocrm-hyper`).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use zohocrm_core::jobs::{JobPhase, PollPolicy, Waiter, WaitStep};
//!
//! let policy = PollPolicy::default()
//!     .first_interval(Duration::from_secs(2))
//!     .timeout(Duration::from_secs(60));
//! let mut waiter = Waiter::new(policy);
//! let t0 = SystemTime::UNIX_EPOCH;
//! assert_eq!(waiter.observe(t0, &JobPhase::Running), WaitStep::Sleep(Duration::from_secs(2)));
//! assert_eq!(
//!     waiter.observe(t0 + Duration::from_secs(2), &JobPhase::Running),
//!     WaitStep::Sleep(Duration::from_secs(3)),
//! );
//! assert_eq!(waiter.observe(t0 + Duration::from_secs(5), &JobPhase::Completed), WaitStep::Done);
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ApiError, Error};
use crate::pagination::PageStop;

/// The state of a Zoho job, read leniently: `IN PROGRESS`, `INPROGRESS` and `IN_PROGRESS` are
/// the same state, and so are `FAILED` and `FAILURE`; case does not matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobState {
    /// `ADDED`: accepted, not started.
    Added,
    /// `QUEUED`: waiting for a worker.
    Queued,
    /// `SCHEDULED`: scheduled for later (mass update, territory assignment).
    Scheduled,
    /// `IN PROGRESS` (also spelled `INPROGRESS`) or `RUNNING`.
    InProgress,
    /// `COMPLETED`.
    Completed,
    /// `FAILED` or `FAILURE`.
    Failed,
    /// `SKIPPED` (a resource of a bulk write job).
    Skipped,
    /// A state this SDK does not know, as sent.
    Other(String),
}

impl JobState {
    /// Reads a state as Zoho spells it.
    pub fn parse(s: &str) -> JobState {
        let key: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match key.as_str() {
            "ADDED" => JobState::Added,
            "QUEUED" => JobState::Queued,
            "SCHEDULED" => JobState::Scheduled,
            "INPROGRESS" | "RUNNING" => JobState::InProgress,
            "COMPLETED" | "COMPLETE" => JobState::Completed,
            "FAILED" | "FAILURE" => JobState::Failed,
            "SKIPPED" => JobState::Skipped,
            _ => JobState::Other(s.to_owned()),
        }
    }

    /// The canonical spelling (`IN PROGRESS`, `FAILED`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            JobState::Added => "ADDED",
            JobState::Queued => "QUEUED",
            JobState::Scheduled => "SCHEDULED",
            JobState::InProgress => "IN PROGRESS",
            JobState::Completed => "COMPLETED",
            JobState::Failed => "FAILED",
            JobState::Skipped => "SKIPPED",
            JobState::Other(s) => s,
        }
    }

    /// Whether the job will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Completed | JobState::Failed | JobState::Skipped
        )
    }

    /// The phase a waiter acts on; unknown states count as running.
    pub fn phase(&self) -> JobPhase {
        match self {
            JobState::Completed => JobPhase::Completed,
            JobState::Failed => JobPhase::Failed(format!("the job state is {}", self.as_str())),
            JobState::Skipped => JobPhase::Failed("the job was skipped".into()),
            _ => JobPhase::Running,
        }
    }
}

impl Default for JobState {
    fn default() -> Self {
        JobState::Other(String::new())
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JobState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Option::<String>::deserialize(d)?;
        Ok(v.map(|s| JobState::parse(&s)).unwrap_or_default())
    }
}

/// What a waiter needs to know of one poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobPhase {
    /// Not finished yet.
    Running,
    /// Finished successfully.
    Completed,
    /// Finished with a failure, with Zoho's reason when it gave one.
    Failed(String),
}

/// A job status response a waiter can read.
pub trait JobStatus {
    /// The job's phase.
    fn job_phase(&self) -> JobPhase;

    /// The job's id, for error messages.
    fn job_id(&self) -> Option<&str> {
        None
    }

    /// The state as Zoho spelled it, for error messages.
    fn job_state(&self) -> String {
        match self.job_phase() {
            JobPhase::Running => "running".into(),
            JobPhase::Completed => "completed".into(),
            JobPhase::Failed(_) => "failed".into(),
        }
    }
}

impl<T: JobStatus> JobStatus for Option<T> {
    /// `None` (Zoho answered 204: it knows no such job) is a failure.
    fn job_phase(&self) -> JobPhase {
        match self {
            Some(s) => s.job_phase(),
            None => JobPhase::Failed("Zoho knows no such job (204)".into()),
        }
    }

    fn job_id(&self) -> Option<&str> {
        self.as_ref().and_then(JobStatus::job_id)
    }

    fn job_state(&self) -> String {
        match self {
            Some(s) => s.job_state(),
            None => "unknown".into(),
        }
    }
}

#[cfg(feature = "records")]
impl JobStatus for crate::records::MassUpdateStatus {
    fn job_phase(&self) -> JobPhase {
        JobState::parse(&self.status).phase()
    }

    fn job_state(&self) -> String {
        self.status.clone()
    }
}

/// How often to poll and for how long: the first interval grows by `factor` after each poll up
/// to `max_interval`; waiting stops with [`JobError::TimedOut`] after `timeout`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
#[must_use]
pub struct PollPolicy {
    /// The wait after the first poll (default 2 s).
    pub first_interval: Duration,
    /// The growth of the wait after each poll (default 1.5).
    pub factor: f64,
    /// The longest wait between two polls (default 30 s).
    pub max_interval: Duration,
    /// The longest wait in all, from the first poll (default 1 hour).
    pub timeout: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first_interval: Duration::from_secs(2),
            factor: 1.5,
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(3600),
        }
    }
}

impl PollPolicy {
    /// Sets the wait after the first poll.
    pub fn first_interval(mut self, d: Duration) -> Self {
        self.first_interval = d;
        self
    }

    /// Sets the growth factor (values below 1 are read as 1).
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Sets the longest wait between two polls.
    pub fn max_interval(mut self, d: Duration) -> Self {
        self.max_interval = d;
        self
    }

    /// Sets the longest wait in all.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// A fast policy for tests and mock servers: 10 ms, doubling up to 200 ms, 60 s in all.
    pub fn fast() -> Self {
        PollPolicy {
            first_interval: Duration::from_millis(10),
            factor: 2.0,
            max_interval: Duration::from_millis(200),
            timeout: Duration::from_secs(60),
        }
    }
}

/// What to do after a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum WaitStep {
    /// The job completed.
    Done,
    /// The job failed, with Zoho's reason.
    Failed(String),
    /// Sleep this long, then poll again.
    Sleep(Duration),
    /// The timeout passed with the job still running; `waited` since the first poll.
    TimedOut {
        /// Time since the first poll.
        waited: Duration,
    },
}

/// The polling state machine of one wait. See the module docs.
#[derive(Debug, Clone)]
pub struct Waiter {
    policy: PollPolicy,
    started: Option<SystemTime>,
    next: Duration,
    polls: u32,
}

impl Waiter {
    /// A wait under `policy`.
    pub fn new(policy: PollPolicy) -> Self {
        Waiter {
            policy,
            started: None,
            next: policy.first_interval,
            polls: 0,
        }
    }

    /// Polls observed so far.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// Time since the first poll, as of `now`.
    pub fn elapsed(&self, now: SystemTime) -> Duration {
        self.started
            .and_then(|s| now.duration_since(s).ok())
            .unwrap_or_default()
    }

    /// Takes what the poll at `now` saw; says whether to stop or how long to sleep. The sleep
    /// never goes past the deadline, so the last poll happens at the timeout.
    pub fn observe(&mut self, now: SystemTime, phase: &JobPhase) -> WaitStep {
        let started = *self.started.get_or_insert(now);
        self.polls += 1;
        match phase {
            JobPhase::Completed => return WaitStep::Done,
            JobPhase::Failed(why) => return WaitStep::Failed(why.clone()),
            JobPhase::Running => {}
        }
        let waited = now.duration_since(started).unwrap_or_default();
        if waited >= self.policy.timeout {
            return WaitStep::TimedOut { waited };
        }
        let left = self.policy.timeout - waited;
        let sleep = self.next.min(self.policy.max_interval).min(left);
        let grown = self.next.as_secs_f64() * self.policy.factor.max(1.0);
        self.next = Duration::try_from_secs_f64(grown)
            .unwrap_or(self.policy.max_interval)
            .min(self.policy.max_interval);
        WaitStep::Sleep(sleep)
    }
}

/// What can go wrong while running an asynchronous job and reading its result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobError {
    /// A call failed (Zoho error, authentication, transport, decoding, invalid request).
    #[error(transparent)]
    Api(Box<Error>),
    /// The job finished in failure.
    #[error("job {job_id} failed ({state}): {message}")]
    Failed {
        /// The job id (empty when unknown).
        job_id: String,
        /// The last state seen.
        state: String,
        /// Zoho's reason, or the state.
        message: String,
        /// Zoho's error object, when the job status carried one.
        error: Option<Box<ApiError>>,
    },
    /// The job was still running when the policy's timeout passed.
    #[error("job {job_id} still {state} after {waited:?}")]
    TimedOut {
        /// The job id (empty when unknown).
        job_id: String,
        /// The last state seen.
        state: String,
        /// Time since the first poll.
        waited: Duration,
    },
    /// Reading or writing a local file failed.
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
    /// A result or upload file is not what Zoho documents (not a zip, no CSV inside, ...).
    #[error("bulk file: {0}")]
    File(String),
    /// A CSV row could not be read or written.
    #[error("csv row {row}: {message}")]
    Csv {
        /// The 1-based data row (the header is row 0).
        row: u64,
        /// What was wrong.
        message: String,
    },
    /// A bulk read's next page cannot be followed although Zoho says more records follow (an
    /// empty or short page, a token that repeats or goes round in a circle): going on would
    /// create jobs forever.
    #[error("bulk read stopped: {0}")]
    Paging(PageStop),
    /// A bulk file went past one of its limits (see `bulk::file::FileLimits`): a zip bomb, an
    /// endless line, more rows than the job reported.
    #[error("bulk file: {0}")]
    OverLimit(FileLimit),
}

/// Which limit of a bulk file was passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileLimit {
    /// The zip holds too many entries (Zoho's hold one file).
    #[error("the zip holds more than {max} entries")]
    Entries {
        /// The limit.
        max: u64,
    },
    /// Reading the zip's directory took more bytes than any sane directory needs.
    #[error("the zip's directory is larger than {max} bytes")]
    Directory {
        /// The limit.
        max: u64,
    },
    /// One CSV record (row) is longer than the limit.
    #[error("row {row} is longer than {max} bytes")]
    Record {
        /// The 1-based data row (the header is row 0).
        row: u64,
        /// The limit.
        max: u64,
    },
    /// The data file decompresses to more bytes than the limit.
    #[error("the data file is larger than {max} bytes once decompressed")]
    Bytes {
        /// The limit.
        max: u64,
    },
    /// The file holds more rows than the job reported.
    #[error("the file holds more than the {reported} rows the job reported")]
    Rows {
        /// The rows the job reported.
        reported: u64,
    },
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        JobError::Api(Box::new(e))
    }
}

impl From<crate::error::BuildError> for JobError {
    fn from(e: crate::error::BuildError) -> Self {
        JobError::Api(Box::new(e.into()))
    }
}

impl JobError {
    /// The error for a job status that ended the wait in failure.
    pub fn failed(status: &impl JobStatus, message: String) -> Self {
        JobError::Failed {
            job_id: status.job_id().unwrap_or_default().to_owned(),
            state: status.job_state(),
            message,
            error: None,
        }
    }

    /// The error for a job still running at the timeout.
    pub fn timed_out(status: &impl JobStatus, waited: Duration) -> Self {
        JobError::TimedOut {
            job_id: status.job_id().unwrap_or_default().to_owned(),
            state: status.job_state(),
            waited,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_read_leniently() {
        for s in ["IN PROGRESS", "INPROGRESS", "in_progress", "Running"] {
            assert_eq!(JobState::parse(s), JobState::InProgress, "{s}");
        }
        assert_eq!(JobState::parse("FAILURE"), JobState::Failed);
        assert_eq!(JobState::parse("FAILED"), JobState::Failed);
        assert_eq!(JobState::parse("weird"), JobState::Other("weird".into()));
        assert_eq!(JobState::parse("QUEUED").phase(), JobPhase::Running);
        assert!(matches!(JobState::Failed.phase(), JobPhase::Failed(_)));
        let s: JobState = serde_json::from_str("\"INPROGRESS\"").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"IN PROGRESS\"");
    }

    #[test]
    fn backoff_grows_caps_and_stops_at_the_deadline() {
        let policy = PollPolicy::default()
            .first_interval(Duration::from_secs(4))
            .factor(2.0)
            .max_interval(Duration::from_secs(10))
            .timeout(Duration::from_secs(25));
        let mut w = Waiter::new(policy);
        let t0 = SystemTime::UNIX_EPOCH;
        let mut now = t0;
        let mut sleeps = Vec::new();
        loop {
            match w.observe(now, &JobPhase::Running) {
                WaitStep::Sleep(d) => {
                    sleeps.push(d.as_secs());
                    now += d;
                }
                WaitStep::TimedOut { waited } => {
                    assert_eq!(waited, Duration::from_secs(25));
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(sleeps, [4, 8, 10, 3]);
        assert_eq!(w.polls(), 5);
    }

    #[test]
    fn terminal_phases_stop_at_once() {
        let mut w = Waiter::new(PollPolicy::fast());
        let t0 = SystemTime::UNIX_EPOCH;
        assert_eq!(
            w.observe(t0, &JobPhase::Failed("boom".into())),
            WaitStep::Failed("boom".into())
        );
        let none: Option<crate::records::MassUpdateStatus> = None;
        assert!(matches!(none.job_phase(), JobPhase::Failed(_)));
    }
}
