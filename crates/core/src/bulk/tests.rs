use super::*;
use crate::jobs::JobStatus;
use crate::pagination::PageStop;

fn resp(status: u16, body: &str) -> http::Response<&[u8]> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body.as_bytes())
        .unwrap()
}

#[test]
fn create_read_job_validates_and_parses() {
    assert!(CreateBulkReadJob::new("").parts().is_err());
    assert!(CreateBulkReadJob::new("Leads").ics().parts().is_err());
    assert!(CreateBulkReadJob::new("Events").ics().parts().is_ok());
    assert!(CreateBulkReadJob::new("Leads").page(0).parts().is_err());
    let single_group =
        CreateBulkReadJob::new("Leads").criteria(BulkCriteria::and([BulkCriteria::field(
            "A",
            Comparator::Equal,
            1,
        )]));
    assert!(single_group.parts().is_err());
    let created = CreateBulkReadJob::new("Leads")
        .parse(resp(
            201,
            r#"{"data":[{"status":"success","code":"ADDED_SUCCESSFULLY","message":"Added successfully.","details":{"id":"5725767000000859031","operation":"read","state":"ADDED","created_by":{"id":"1","name":"P"},"created_time":"2021-07-25T02:13:17-07:00"}}],"info":{}}"#,
        ))
        .unwrap();
    assert_eq!(created.id, "5725767000000859031");
    assert_eq!(created.state, Some(JobState::Added));
    let err = CreateBulkReadJob::new("Leads")
        .parse(resp(
            400,
            r#"{"data":[{"status":"error","code":"INVALID_DATA","message":"invalid module","details":{}}]}"#,
        ))
        .unwrap_err();
    assert_eq!(err.api_code().unwrap().as_str(), "INVALID_DATA");
}

fn full(page: Option<u32>, token: Option<&str>) -> BulkReadResult {
    BulkReadResult {
        page,
        per_page: Some(3),
        count: 3,
        more_records: true,
        next_page_token: token.map(str::to_owned),
        ..Default::default()
    }
}

#[test]
fn next_page_prefers_the_token() {
    let job = CreateBulkReadJob::new("Leads");
    let mut result = full(Some(1), None);
    assert_eq!(job.next_page(&result).unwrap().unwrap().query.page, Some(2));
    result.next_page_token = Some("tok".into());
    let next = job.next_page(&result).unwrap().unwrap();
    assert_eq!(next.query.page_token.as_deref(), Some("tok"));
    assert_eq!(next.query.page, None);
    assert_eq!(next, CreateBulkReadJob::new("Leads").page_token("tok"));
    let stuck = next.next_page(&result).unwrap_err();
    assert!(
        matches!(stuck, JobError::Paging(PageStop::Stuck { page: 2 })),
        "{stuck:?}"
    );
    result.more_records = false;
    assert!(job.next_page(&result).unwrap().is_none());
}

#[test]
fn a_chain_of_pages_stops_on_a_circle_an_empty_or_a_short_page() {
    // Tokens A, B, A: the third job would read page 2 again.
    let first = CreateBulkReadJob::new("Leads");
    let second = first.next_page(&full(Some(1), Some("A"))).unwrap().unwrap();
    let third = second.next_page(&full(None, Some("B"))).unwrap().unwrap();
    let e = third.next_page(&full(None, Some("A"))).unwrap_err();
    assert!(
        matches!(
            e,
            JobError::Paging(PageStop::Cycled {
                page: 3,
                earlier: 2
            })
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("leads back to page 2"), "{e}");
    // New tokens, but nothing in the page.
    let mut empty = full(Some(1), Some("C"));
    empty.count = 0;
    let e = first.next_page(&empty).unwrap_err();
    assert!(matches!(
        e,
        JobError::Paging(PageStop::EmptyPage { page: 1 })
    ));
    // No token and one row a page: only the last page may be short.
    let mut short = full(Some(1), None);
    short.count = 1;
    short.per_page = None;
    let e = first.next_page(&short).unwrap_err();
    assert!(
        matches!(
            e,
            JobError::Paging(PageStop::ShortPage {
                page: 1,
                count: 1,
                per_page: READ_PAGE_SIZE
            })
        ),
        "{e:?}"
    );
    // A server echoing page 1 forever cannot send the chain backwards or in a circle.
    let mut job = first;
    for expected in 2..50 {
        job = job.next_page(&full(Some(1), None)).unwrap().unwrap();
        assert_eq!(job.query.page, Some(expected));
    }
}

#[test]
fn job_states_both_spellings() {
    let w: BulkWriteJob =
        serde_json::from_str(r#"{"id":"1","status":"INPROGRESS","resource":[]}"#).unwrap();
    assert_eq!(w.job_phase(), JobPhase::Running);
    let r: BulkReadJob = serde_json::from_str(
        r#"{"id":"1","state":"FAILURE","result":{"error_message":{"code":"INTERNAL_SERVER_ERROR","message":"boom"}}}"#,
    )
    .unwrap();
    assert_eq!(
        r.job_phase(),
        JobPhase::Failed("INTERNAL_SERVER_ERROR: boom".into())
    );
}

#[test]
fn write_job_validation() {
    let ok = CreateBulkWriteJob::new(WriteOperation::Insert, "Leads", "7")
        .field_mappings([FieldMapping::column("Last_Name", 0)]);
    assert!(ok.parts().is_ok());
    let twice = ok.clone().field_mappings([
        FieldMapping::column("Last_Name", 0),
        FieldMapping::column("Email", 0),
    ]);
    assert!(twice.parts().is_err());
    assert_eq!(
        ok.with_file_id("8").resource[0].file_id,
        "8",
        "next chunk keeps the mappings"
    );
}

#[test]
fn upload_answers() {
    let ok = parse_upload(
        "t",
        &resp(
            200,
            r#"{"status":"success","code":"FILE_UPLOAD_SUCCESS","message":"file uploaded.","details":{"file_id":111111000001492610,"created_time":"2018-12-31T12:00:00-12:00"}}"#,
        ),
    )
    .unwrap();
    assert_eq!(ok.file_id, "111111000001492610");
    let bad = parse_upload(
        "t",
        &resp(
            400,
            r#"{"code":"INVALID_FILE_FORMAT","message":"invalid file format. only zip format is supported","status":"error","details":{}}"#,
        ),
    )
    .unwrap_err();
    assert_eq!(bad.api_code().unwrap().as_str(), "INVALID_FILE_FORMAT");
    assert!(upload_parts("").is_err());
}

#[test]
fn write_result_download_hosts() {
    let ctx = crate::Context::new(crate::DataCenter::Eu, crate::Environment::Production);
    let rel = DownloadBulkWriteResult::for_context(&ctx, "/crm/bulk/v8/write/1/result").unwrap();
    assert_eq!(rel.parts().unwrap().host, Host::Api);
    let content =
        DownloadBulkWriteResult::for_context(&ctx, "https://content.zohoapis.eu/x/1.zip").unwrap();
    assert_eq!(content.parts().unwrap().host, Host::Content);
    assert!(DownloadBulkWriteResult::for_context(&ctx, "https://evil.example/1.zip").is_err());
    assert!(DownloadBulkWriteResult::new("https://evil.example/1.zip")
        .parts()
        .is_err());
    for climbing in [
        "/crm/bulk/../../oauth/v2/token",
        "/crm/%2E%2E/x",
        "/crm/./x",
    ] {
        assert!(
            DownloadBulkWriteResult::new(climbing).parts().is_err(),
            "{climbing}"
        );
    }
    assert!(DownloadBulkWriteResult::new("/crm/a..b/1.zip")
        .parts()
        .is_ok());
}
