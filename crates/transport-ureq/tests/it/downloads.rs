//! Downloads against a hostile server and the mock: the cases of
//! `zohocrm_conformance::downloads`, on the blocking client.

use std::path::Path;

use zohocrm_conformance::Downloads;
use zohocrm_core::bulk::{CreateBulkReadJob, DownloadBulkReadResult};
use zohocrm_core::jobs::{JobError, PollPolicy};
use zohocrm_core::stream::Downloaded;
use zohocrm_core::Error;
use zohocrm_mock::MockConfig;
use zohocrm_ureq::Client;

struct Ureq;

fn client(base: &str, cap: u64) -> Client {
    let cfg = MockConfig::default();
    Client::builder()
        .hosts(base, base, base)
        .refresh_token(cfg.client_id, cfg.client_secret, cfg.refresh_token)
        .retry_policy(zohocrm_conformance::fast_retry())
        .max_download_bytes(cap)
        .build()
        .expect("client")
}

impl Downloads for Ureq {
    fn download(
        &self,
        base: &str,
        cap: u64,
        job_id: &str,
        sink: &mut Vec<u8>,
    ) -> Result<Downloaded, Error> {
        client(base, cap).download(&DownloadBulkReadResult::new(job_id), sink)
    }

    fn bulk_read(
        &self,
        base: &str,
        cap: u64,
        dir: &Path,
        during: &mut dyn FnMut(),
    ) -> Result<u64, JobError> {
        let mut export = client(base, cap)
            .bulk_read(CreateBulkReadJob::new("Leads").fields(["Last_Name"]))
            .poll(PollPolicy::fast())
            .temp_dir(dir);
        let mut rows = 0;
        while let Some(mut page) = export.next_page()? {
            during();
            for row in page.records()? {
                row?;
                rows += 1;
            }
        }
        Ok(rows)
    }
}

#[test]
fn endless_download_stops_at_the_cap() {
    zohocrm_conformance::endless_download_stops_at_the_cap(&Ureq, "ureq");
}

#[test]
fn declared_download_over_the_cap_is_refused() {
    zohocrm_conformance::declared_download_over_the_cap_is_refused(&Ureq, "ureq");
}

#[test]
fn failed_bulk_read_leaves_no_file() {
    zohocrm_conformance::failed_bulk_read_leaves_no_file(&Ureq, "ureq");
}

#[test]
fn bulk_read_files_are_private_and_removed() {
    zohocrm_conformance::bulk_read_files_are_private_and_removed(&Ureq, "ureq");
}

#[test]
fn garbled_download_is_a_protocol_error() {
    zohocrm_conformance::garbled_download_is_a_protocol_error(&Ureq, "ureq");
}
