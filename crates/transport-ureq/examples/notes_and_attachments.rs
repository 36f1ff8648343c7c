//! Notes and attachments of a record: add a note, upload a file, list both, download the file.
//!
//! ```text
//! cargo run -p zohocrm-ureq --example notes_and_attachments -- --mock
//! ```

use zohocrm_ureq::zohocrm_core::records::{
    AddNotes, DownloadAttachment, GetRelatedRecords, ListAttachments, ListRecords, UploadAttachment,
};
use zohocrm_ureq::zohocrm_core::FilePart;
use zohocrm_ureq::Client;

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, _mock) = zohocrm_mock::example_client::<Client>()?;
    let first = client.send(&ListRecords::new("Leads", ["Last_Name"]).per_page(1))?;
    let lead = first
        .records
        .first()
        .and_then(|r| r.id())
        .ok_or("no lead to annotate")?;
    let lead = lead.into_owned();

    client.send(&AddNotes::new(
        "Leads",
        &lead,
        "Called",
        "Wants a demo next week",
    ))?;
    let notes = client.send(&GetRelatedRecords::new(
        "Leads",
        &lead,
        "Notes",
        ["Note_Title", "Note_Content"],
    ))?;
    for note in &notes.records {
        println!(
            "note: {:?} {:?}",
            note.str("Note_Title")?,
            note.str("Note_Content")?
        );
    }

    let file =
        FilePart::new("agenda.txt", b"1. demo\n2. pricing\n".to_vec()).content_type("text/plain");
    let uploaded = client.send(&UploadAttachment::new("Leads", &lead, file))?;
    let attachment = uploaded
        .successes()
        .find_map(|s| s.id())
        .ok_or("no attachment id")?
        .to_owned();
    for listed in client.send(&ListAttachments::new("Leads", &lead))?.records {
        println!(
            "attachment: {:?} ({:?} bytes)",
            listed.str("File_Name")?,
            listed.str("Size")?
        );
    }
    let download = client.send(&DownloadAttachment::new("Leads", &lead, &attachment))?;
    println!(
        "downloaded {:?}: {:?}",
        download.file_name,
        String::from_utf8_lossy(&download.bytes)
    );
    Ok(())
}
