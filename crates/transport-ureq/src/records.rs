//! Records on the blocking [`Client`]: record-by-record iteration over any paginated records
//! endpoint, writes of any size, and shortcuts for the everyday calls.

use zohocrm_core::pagination::PageStop;
use zohocrm_core::records::{
    Batch, BatchError, Chunked, Coql, CoqlQuery, DeleteRecords, GetRecord, InsertRecords, Page,
    RecordCursor, UpdateRecords, UpsertRecords,
};
use zohocrm_core::{ActionResults, Error, Paginated, Record};

use crate::Client;

impl Client {
    /// Every record of every page, starting with `first` (a `ListRecords`, `SearchRecords`,
    /// `CoqlQuery`, `GetRelatedRecords`...; wrap it in `Typed` for user structs), fetched page by page as the iterator advances.
    /// Iteration ends after the last page or after the first error.
    ///
    /// ```no_run
    /// # fn run(client: zohocrm_ureq::Client) -> Result<(), zohocrm_ureq::Error> {
    /// use zohocrm_ureq::zohocrm_core::records::ListRecords;
    ///
    /// for lead in client.records(ListRecords::new("Leads", ["Last_Name", "Email"])) {
    ///     let lead = lead?;
    ///     println!("{:?} {:?}", lead.id(), lead.str("Email"));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn records<T, E: Paginated<Output = Page<T>>>(&self, first: E) -> Records<E, T> {
        Records {
            client: self.clone(),
            cursor: RecordCursor::new(first),
        }
    }

    /// Rows of a COQL query, every page (`limit offset, count` moves automatically).
    pub fn coql(&self, query: Coql) -> Records<CoqlQuery> {
        self.records(CoqlQuery::new(query))
    }

    /// One record; `None` when it does not exist.
    pub fn get_record(&self, module: &str, id: &str) -> Result<Option<Record>, Error> {
        self.send(&GetRecord::new(module, id))
    }

    /// Performs a write of any size in calls of at most 100 items; one outcome per input item,
    /// in input order, across calls and 207 answers.
    pub fn write_all<E: Chunked>(&self, write: E) -> Result<ActionResults, BatchError> {
        let mut batch = Batch::new(write.len());
        for chunk in write.chunks() {
            let answer = self.send(&chunk);
            batch.absorb(chunk.len(), answer)?;
        }
        Ok(batch.finish())
    }

    /// Inserts any number of records.
    pub fn insert_records(
        &self,
        module: &str,
        records: impl IntoIterator<Item = Record>,
    ) -> Result<ActionResults, BatchError> {
        self.write_all(InsertRecords::new(module, records))
    }

    /// Updates any number of records (each with its `id`).
    pub fn update_records(
        &self,
        module: &str,
        records: impl IntoIterator<Item = Record>,
    ) -> Result<ActionResults, BatchError> {
        self.write_all(UpdateRecords::new(module, records))
    }

    /// Inserts or updates any number of records, matched on `duplicate_check_fields` (the
    /// module's unique fields when empty).
    pub fn upsert_records(
        &self,
        module: &str,
        records: impl IntoIterator<Item = Record>,
        duplicate_check_fields: &[&str],
    ) -> Result<ActionResults, BatchError> {
        let mut upsert = UpsertRecords::new(module, records);
        if !duplicate_check_fields.is_empty() {
            upsert = upsert.duplicate_check_fields(duplicate_check_fields.iter().copied());
        }
        self.write_all(upsert)
    }

    /// Deletes any number of records by id.
    pub fn delete_records<S: Into<String>>(
        &self,
        module: &str,
        ids: impl IntoIterator<Item = S>,
    ) -> Result<ActionResults, BatchError> {
        self.write_all(DeleteRecords::new(module, ids))
    }
}

/// The records of every page; see [`Client::records`].
#[derive(Debug)]
#[must_use = "records are fetched only when iterated"]
pub struct Records<E, T = Record> {
    client: Client,
    cursor: RecordCursor<E, T>,
}

impl<T, E: Paginated<Output = Page<T>>> Records<E, T> {
    /// Why the iteration ended although Zoho said more records follow (an empty page, a
    /// cursor that does not move or goes round in a circle): the records read may not be all.
    pub fn stopped(&self) -> Option<&PageStop> {
        self.cursor.stopped()
    }
}

impl<T, E: Paginated<Output = Page<T>>> Iterator for Records<E, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(record) = self.cursor.pop() {
                return Some(Ok(record));
            }
            let request = self.cursor.take_request()?;
            // After an error there is no next request, so the iteration ends.
            match self.client.send(&request) {
                Ok(page) => self.cursor.absorb(&request, page),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl<T, E: Paginated<Output = Page<T>>> std::iter::FusedIterator for Records<E, T> {}
