//! Operations whose endpoint type is hand-written: the generated module re-exports that type
//! under the operation's name and gives it the operation's `OpSpec`, so every operation has
//! exactly one public type and one id.
//!
//! A hand-written type earns its place by what the spec cannot say: module records decoded on
//! access (`Record`), page numbers then `page_token` past 2,000 records, batches split at 100
//! with one outcome per input row, COQL built with escaping, bulk files streamed, composite
//! sub-requests typed, territory limits checked before sending.

/// (operation id, hand-written type, what it adds).
pub const OVERRIDES: &[(&str, &str, &str)] = &[
    (
        "record.get_records",
        "crate::records::ListRecords",
        "records decoded on access; page numbers, then `page_token` past 2,000 records",
    ),
    (
        "record.get_record",
        "crate::records::GetRecord",
        "one record decoded on access; `None` for 204 and 304",
    ),
    (
        "record.create_records",
        "crate::records::InsertRecords",
        "1 to 100 records, one outcome per record",
    ),
    (
        "record.update_records",
        "crate::records::UpdateRecords",
        "1 to 100 records with ids, one outcome per record",
    ),
    (
        "record.upsert_records",
        "crate::records::UpsertRecords",
        "1 to 100 records, duplicate check fields, one outcome per record",
    ),
    (
        "record.delete_records",
        "crate::records::DeleteRecords",
        "1 to 100 ids, one outcome per id",
    ),
    (
        "record.search_records",
        "crate::records::SearchRecords",
        "criteria built with Zoho's escaping",
    ),
    (
        "record.record_count",
        "crate::records::CountRecords",
        "the count as a number",
    ),
    (
        "record.get_deleted_records",
        "crate::records::DeletedRecords",
        "typed deleted-record entries",
    ),
    (
        "record.mass_update_records",
        "crate::records::MassUpdateRecords",
        "the scheduled job id",
    ),
    (
        "record.get_mass_update_status",
        "crate::records::MassUpdateStatusQuery",
        "the job's state and counts",
    ),
    (
        "coql.get_records",
        "crate::records::CoqlQuery",
        "queries built with escaping, paged by `limit offset, count`",
    ),
    (
        "related_records.get_related_records",
        "crate::records::GetRelatedRecords",
        "related records decoded on access, paged like record lists",
    ),
    (
        "related_records.update_related_records",
        "crate::records::UpdateRelatedRecords",
        "one outcome per related record",
    ),
    (
        "related_records.delink_records",
        "crate::records::DelinkRelatedRecords",
        "one outcome per delinked record",
    ),
    (
        "notes.create_notes",
        "crate::records::AddNotes",
        "notes with their parent record, one outcome per note",
    ),
    (
        "tags.add_tags_to_multiple_records",
        "crate::records::AddTags",
        "tags by name, one outcome per record",
    ),
    (
        "tags.remove_tags_from_multiple_records",
        "crate::records::RemoveTags",
        "tags by name, one outcome per record",
    ),
    (
        "attachments.get_attachments",
        "crate::records::ListAttachments",
        "typed attachment entries",
    ),
    (
        "attachments.upload_url_attachments",
        "crate::records::UploadAttachment",
        "a file (multipart) or a URL",
    ),
    (
        "attachments.get_attachment",
        "crate::records::DownloadAttachment",
        "the file with its name",
    ),
    (
        "convert_lead.convert_lead",
        "crate::records::ConvertLead",
        "the ids of the records the lead became",
    ),
    (
        "bulk_read.create_bulk_read_job",
        "crate::bulk::CreateBulkReadJob",
        "typed query, the job, and the next result page",
    ),
    (
        "bulk_read.get_bulk_read_job_details",
        "crate::bulk::GetBulkReadJob",
        "the job's state as a `JobState`",
    ),
    (
        "bulk_read.download_result",
        "crate::bulk::DownloadBulkReadResult",
        "the result zip, streamed to a file by the transports",
    ),
    (
        "bulk_write.upload_file",
        "crate::bulk::UploadBulkFile",
        "the upload host's headers and answer",
    ),
    (
        "bulk_write.create_bulk_write_job",
        "crate::bulk::CreateBulkWriteJob",
        "typed field mappings",
    ),
    (
        "bulk_write.get_bulk_write_job_details",
        "crate::bulk::GetBulkWriteJob",
        "the job's state and result",
    ),
    (
        "bulk_write.download_bulk_write_result",
        "crate::bulk::DownloadBulkWriteResult",
        "the report zip",
    ),
    (
        "composite_requests.composite",
        "crate::composite::CompositeRequests",
        "up to 5 sub-requests, one answer each, rollback reported",
    ),
    (
        "notifications.enable_notifications",
        "crate::notifications::EnableNotifications",
        "channel limits checked, one outcome per channel",
    ),
    (
        "notifications.update_notifications",
        "crate::notifications::UpdateNotifications",
        "channel limits checked, one outcome per channel",
    ),
    (
        "notifications.disable_notification",
        "crate::notifications::PatchNotifications",
        "events removed from channels",
    ),
    (
        "notifications.get_notifications",
        "crate::notifications::GetNotifications",
        "typed channel details",
    ),
    (
        "notifications.delete_notification",
        "crate::notifications::DisableNotifications",
        "channels by id",
    ),
    (
        "features.get_user_licences_count",
        "crate::features::GetUserLicences",
        "available, used and limit as numbers",
    ),
    (
        "territories.get_territories",
        "crate::territories::GetTerritories",
        "typed territories",
    ),
    (
        "territories.get_territory",
        "crate::territories::GetTerritory",
        "typed territory",
    ),
    (
        "territories.create_territories",
        "crate::territories::CreateTerritories",
        "1 to 10 per call",
    ),
    (
        "territories.update_territories",
        "crate::territories::UpdateTerritories",
        "1 to 10 per call",
    ),
    (
        "territories.update_territory",
        "crate::territories::UpdateTerritory",
        "typed territory",
    ),
    (
        "territories.delete_territories",
        "crate::territories::DeleteTerritories",
        "1 to 10 per call",
    ),
    (
        "territories.delete_territory",
        "crate::territories::DeleteTerritory",
        "one outcome",
    ),
    (
        "territories.transfer_and_delete_territories",
        "crate::territories::TransferAndDeleteTerritories",
        "1 to 10 per call",
    ),
    (
        "territories.transfer_and_delete_territory",
        "crate::territories::TransferAndDeleteTerritory",
        "one outcome",
    ),
    (
        "territories.get_child_territory",
        "crate::territories::GetChildTerritories",
        "typed territories",
    ),
    (
        "territories.get_associated_user_count",
        "crate::territories::GetAssociatedUserCount",
        "counts as numbers",
    ),
    (
        "territories.get_deleted_associated_territory",
        "crate::territories::GetDeletedAssociatedTerritories",
        "typed territories",
    ),
    (
        "territory_users.get_territory_users",
        "crate::territories::GetTerritoryUsers",
        "typed users",
    ),
    (
        "territory_users.get_territory_user",
        "crate::territories::GetTerritoryUser",
        "typed user",
    ),
    (
        "territory_users.update_territory_users",
        "crate::territories::UpdateTerritoryUsers",
        "one outcome per user",
    ),
    (
        "territory_users.update_territory_user",
        "crate::territories::UpdateTerritoryUser",
        "one outcome",
    ),
    (
        "territory_users.deassociate_territory_users",
        "crate::territories::DeassociateTerritoryUsers",
        "one outcome per user",
    ),
    (
        "territory_users.deassociate_territory_user",
        "crate::territories::DeassociateTerritoryUser",
        "one outcome",
    ),
    (
        "users_territories.get_territories_of_user",
        "crate::territories::GetTerritoriesOfUser",
        "typed territories",
    ),
    (
        "users_territories.get_territory_of_user",
        "crate::territories::GetTerritoryOfUser",
        "typed territory",
    ),
    (
        "users_territories.associate_territories_to_user",
        "crate::territories::AssociateTerritoriesToUser",
        "one outcome per territory",
    ),
    (
        "users_territories.remove_territories_from_user",
        "crate::territories::RemoveTerritoriesFromUser",
        "one outcome per territory",
    ),
    (
        "users_territories.remove_territory_from_user",
        "crate::territories::RemoveTerritoryFromUser",
        "one outcome",
    ),
    (
        "record.assign_territories_to_multiple_records",
        "crate::territories::AssignTerritoriesToMultipleRecords",
        "1 to 10 territories per record",
    ),
    (
        "record.remove_territories_from_multiple_records",
        "crate::territories::RemoveTerritoriesFromMultipleRecords",
        "one outcome per record",
    ),
    (
        "record.assign_territory_to_record",
        "crate::territories::AssignTerritoryToRecord",
        "1 to 10 territories",
    ),
    (
        "record.remove_territories_from_record",
        "crate::territories::RemoveTerritoriesFromRecord",
        "one outcome",
    ),
];

/// Overrides whose type pages (`Paginated`): callers by id page with the type's own rule.
pub const PAGED: &[&str] = &[
    "record.get_records",
    "record.search_records",
    "record.get_deleted_records",
    "coql.get_records",
    "related_records.get_related_records",
    "notifications.get_notifications",
    "territories.get_territories",
    "territories.get_child_territory",
];

/// The hand-written type of `id`, and what it adds.
pub fn of(id: &str) -> Option<(&'static str, &'static str)> {
    OVERRIDES
        .iter()
        .find(|(op, _, _)| *op == id)
        .map(|(_, ty, why)| (*ty, *why))
}
