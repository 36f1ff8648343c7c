//! Writes of any size: split into calls of at most 100 items, and merged back into one outcome
//! per input item, in input order, across chunks and 207 answers. Pure; the clients drive it.
//!
//! ```
//! use zohocrm_core::records::{batch::{Batch, Chunked}, InsertRecords};
//! use zohocrm_core::{ActionResults, Record};
//!
//! let records = (0..250).map(|i| Record::new().with("Last_Name", format!("L{i}")));
//! let insert = InsertRecords::new("Leads", records);
//! let chunks = insert.chunks();
//! assert_eq!(chunks.iter().map(|c| c.len()).collect::<Vec<_>>(), [100, 100, 50]);
//! let mut batch = Batch::new(insert.len());
//! for chunk in &chunks {
//!     // a client sends `chunk` here and absorbs the answer
//!     batch.absorb(chunk.len(), Ok(ActionResults { status: 201, items: vec![] })).unwrap();
//! }
//! let outcome = batch.finish();
//! assert_eq!(outcome.items.len(), 250); // missing answers are reported, never dropped
//! assert_eq!(outcome.failures().count(), 250);
//! ```

use serde_json::json;

use super::write::{DeleteRecords, InsertRecords, UpdateRecords, UpsertRecords};
use super::MAX_RECORDS_PER_CALL;
use crate::endpoint::Endpoint;
use crate::error::{ApiError, ApiErrorCode, Error};
use crate::response::{ActionResults, ItemOutcome};

/// A write endpoint whose items can be split into several calls.
pub trait Chunked: Endpoint<Output = ActionResults> + Sized {
    /// The number of items (records or ids).
    fn len(&self) -> usize;

    /// Whether there is no item.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The calls, each of at most 100 items, in input order (one call when there is no item,
    /// so that the endpoint's own validation reports it).
    fn chunks(&self) -> Vec<Self>;
}

macro_rules! chunked_records {
    ($($ty:ty),*) => {$(
        impl Chunked for $ty {
            fn len(&self) -> usize {
                self.records().len()
            }

            fn chunks(&self) -> Vec<Self> {
                if self.records().len() <= MAX_RECORDS_PER_CALL {
                    return vec![self.clone()];
                }
                self.records()
                    .chunks(MAX_RECORDS_PER_CALL)
                    .map(|c| self.with_records(c.to_vec()))
                    .collect()
            }
        }
    )*};
}

chunked_records!(InsertRecords, UpdateRecords, UpsertRecords);

impl Chunked for DeleteRecords {
    fn len(&self) -> usize {
        self.ids().len()
    }

    fn chunks(&self) -> Vec<Self> {
        if self.ids().len() <= MAX_RECORDS_PER_CALL {
            return vec![self.clone()];
        }
        self.ids()
            .chunks(MAX_RECORDS_PER_CALL)
            .map(|c| self.with_ids(c.to_vec()))
            .collect()
    }
}

/// A batch stopped by an error that is not Zoho's answer about the items (network, auth,
/// undecodable body). What was done before is kept.
#[derive(Debug, thiserror::Error)]
#[error("batch stopped after {} of {total} items: {error}", done.items.len())]
pub struct BatchError {
    /// The outcomes of the items sent before the failure, in input order.
    pub done: ActionResults,
    /// The number of items in the whole batch; those after `done` were not written (or their
    /// fate is unknown for the chunk that failed).
    pub total: usize,
    /// The error.
    pub error: Box<Error>,
}

/// Merges chunk answers into one outcome per input item.
#[derive(Debug)]
pub struct Batch {
    total: usize,
    outcome: ActionResults,
}

impl Batch {
    /// A batch of `total` items.
    pub fn new(total: usize) -> Self {
        Batch {
            total,
            outcome: ActionResults {
                status: 0,
                items: Vec::with_capacity(total),
            },
        }
    }

    /// Takes the answer to the next chunk of `len` items.
    ///
    /// A Zoho error about the whole call (e.g. `INVALID_MODULE`, or `LIMIT_EXCEEDED`) becomes
    /// the outcome of each of its items; any other error stops the batch. Answers with fewer
    /// outcomes than items get a `MISSING_OUTCOME` error for each missing one.
    pub fn absorb(
        &mut self,
        len: usize,
        answer: Result<ActionResults, Error>,
    ) -> Result<(), BatchError> {
        let (status, items) = match answer {
            Ok(results) => (results.status, results.items),
            Err(Error::Api { status, error }) => (status, vec![Err(error); len]),
            Err(error) => {
                return Err(BatchError {
                    done: std::mem::take(&mut self.outcome),
                    total: self.total,
                    error: Box::new(error),
                })
            }
        };
        let start = self.outcome.items.len();
        let mut items = items.into_iter();
        for i in 0..len {
            let item: ItemOutcome = items.next().unwrap_or_else(|| {
                Err(ApiError {
                    code: ApiErrorCode::Unknown("MISSING_OUTCOME".into()),
                    message: "Zoho returned no outcome for this item".into(),
                    details: json!({"index": start + i}),
                })
            });
            self.outcome.items.push(item);
        }
        self.outcome.status = match self.outcome.status {
            0 => status,
            s if s == status => s,
            _ => 207,
        };
        Ok(())
    }

    /// The outcomes, one per input item, in input order. The status is the common status of
    /// the calls, or 207 when they differ.
    pub fn finish(self) -> ActionResults {
        self.outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;
    use crate::response::ActionSuccess;

    fn ok(id: usize) -> ItemOutcome {
        Ok(ActionSuccess {
            code: "SUCCESS".into(),
            message: "record added".into(),
            details: json!({"id": id.to_string()}),
            extra: Default::default(),
        })
    }

    #[test]
    fn outcomes_follow_input_order_across_chunks() {
        let insert = InsertRecords::new(
            "Leads",
            (0..250).map(|i| Record::new().with("Last_Name", i)),
        );
        let chunks = insert.chunks();
        assert_eq!(chunks.len(), 3);
        let mut batch = Batch::new(250);
        let mut next = 0;
        for chunk in &chunks {
            let items = (0..chunk.len())
                .map(|_| {
                    let i = next;
                    next += 1;
                    if i == 7 || i == 199 {
                        Err(ApiError::new(ApiErrorCode::InvalidData, "invalid data"))
                    } else {
                        ok(i)
                    }
                })
                .collect();
            let status = if chunk.len() == 100 { 207 } else { 201 };
            batch
                .absorb(chunk.len(), Ok(ActionResults { status, items }))
                .unwrap();
        }
        let out = batch.finish();
        assert_eq!(out.items.len(), 250);
        assert_eq!(out.status, 207);
        let failed: Vec<usize> = out.failures().map(|(i, _)| i).collect();
        assert_eq!(failed, [7, 199]);
        assert_eq!(out.items[249].as_ref().unwrap().id(), Some("249"));
    }

    #[test]
    fn whole_call_errors_apply_to_each_item_and_others_stop() {
        let mut batch = Batch::new(150);
        batch
            .absorb(
                100,
                Err(Error::Api {
                    status: 400,
                    error: ApiError::new(ApiErrorCode::InvalidModule, "bad module"),
                }),
            )
            .unwrap();
        let err = batch
            .absorb(
                50,
                Err(Error::Build(crate::error::BuildError::Missing("data"))),
            )
            .unwrap_err();
        assert_eq!(err.done.items.len(), 100);
        assert_eq!(err.total, 150);
        assert!(err.to_string().contains("100 of 150"));
    }

    #[test]
    fn deletes_split_by_ids() {
        let ids: Vec<String> = (0..201).map(|i| i.to_string()).collect();
        let chunks = DeleteRecords::new("Leads", ids).chunks();
        assert_eq!(
            chunks.iter().map(Chunked::len).collect::<Vec<_>>(),
            [100, 100, 1]
        );
        assert_eq!(chunks[2].ids(), ["200"]);
    }
}
