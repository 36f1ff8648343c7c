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
use crate::response::{decode_error, ActionResults, ItemOutcome};

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

/// A batch stopped by an error: a failure that is not Zoho's answer about the items (network,
/// auth, undecodable body), an error about the whole call (`500 INTERNAL_ERROR`,
/// `INVALID_MODULE`, ...), or an answer whose outcomes do not match the items sent. What was
/// done before is kept, and so is every outcome Zoho sent.
#[derive(Debug, thiserror::Error)]
#[error("batch stopped after {} of {total} items: {error}", done.items.len())]
pub struct BatchError {
    /// The outcomes of the items sent before the failure, in input order.
    pub done: ActionResults,
    /// The number of items in the whole batch; those after `done` were not written (or their
    /// fate is unknown for the chunk that failed).
    pub total: usize,
    /// Outcomes Zoho sent beyond the items of the last chunk (an answer with more outcomes
    /// than items): which item each belongs to is unknown, so they are reported here.
    pub extra: Vec<ItemOutcome>,
    /// The error, with its HTTP status when Zoho answered.
    pub error: Box<Error>,
}

/// The endpoint id that errors found by [`Batch`] itself carry.
pub const BATCH_ID: &str = "records.batch";

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

    fn stop(&mut self, error: Error, extra: Vec<ItemOutcome>) -> BatchError {
        BatchError {
            done: std::mem::take(&mut self.outcome),
            total: self.total,
            extra,
            error: Box::new(error),
        }
    }

    /// Takes the answer to the next chunk of `len` items.
    ///
    /// Per-item outcomes (a 2xx or 207 answer, or Zoho's all-failed 400 with one error per
    /// item) are kept in input order; an answer with fewer outcomes than items gets a
    /// `MISSING_OUTCOME` error for each missing one. Anything else stops the batch with a
    /// [`BatchError`]: an error about the whole call (with its status), any other failure, and
    /// an answer with more outcomes than items (the extra ones are in [`BatchError::extra`]).
    pub fn absorb(
        &mut self,
        len: usize,
        answer: Result<ActionResults, Error>,
    ) -> Result<(), BatchError> {
        let results = match answer {
            Ok(results) => results,
            Err(error) => return Err(self.stop(error, Vec::new())),
        };
        let status = results.status;
        let start = self.outcome.items.len();
        let mut items = results.items;
        let extra = if items.len() > len {
            items.split_off(len)
        } else {
            Vec::new()
        };
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
        if !extra.is_empty() {
            let error = decode_error(
                BATCH_ID,
                status,
                &[],
                ".data".into(),
                format!(
                    "Zoho answered {} outcomes for {len} items",
                    len + extra.len()
                ),
            );
            return Err(self.stop(error, extra));
        }
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
    fn whole_call_errors_stop_the_batch_with_their_status() {
        let mut batch = Batch::new(150);
        batch
            .absorb(
                100,
                Ok(ActionResults {
                    status: 201,
                    items: (0..100).map(ok).collect(),
                }),
            )
            .unwrap();
        let err = batch
            .absorb(
                50,
                Err(Error::Api {
                    status: 500,
                    error: ApiError::new(ApiErrorCode::InternalError, "Internal Server Error"),
                }),
            )
            .unwrap_err();
        assert_eq!(err.done.items.len(), 100);
        assert_eq!(err.total, 150);
        assert_eq!(err.error.status(), Some(500));
        assert!(err.extra.is_empty());
        assert!(err.to_string().contains("100 of 150"), "{err}");
        assert!(err.to_string().contains("INTERNAL_ERROR"), "{err}");
        let mut first = Batch::new(3);
        let err = first
            .absorb(
                3,
                Err(Error::Api {
                    status: 400,
                    error: ApiError::new(ApiErrorCode::InvalidModule, "bad module"),
                }),
            )
            .unwrap_err();
        assert!(err.done.items.is_empty());
        assert_eq!(err.error.api_code(), Some(&ApiErrorCode::InvalidModule));
    }

    #[test]
    fn outcomes_beyond_the_items_are_reported_not_dropped() {
        let mut batch = Batch::new(2);
        let err = batch
            .absorb(
                2,
                Ok(ActionResults {
                    status: 201,
                    items: (0..5).map(ok).collect(),
                }),
            )
            .unwrap_err();
        assert_eq!(err.done.items.len(), 2);
        assert_eq!(err.extra.len(), 3);
        assert_eq!(err.extra[2].as_ref().unwrap().id(), Some("4"));
        assert!(err.to_string().contains("5 outcomes for 2 items"), "{err}");
        // Fewer outcomes than items: the missing ones are errors, the batch goes on.
        let mut short = Batch::new(2);
        short
            .absorb(
                2,
                Ok(ActionResults {
                    status: 201,
                    items: vec![ok(0)],
                }),
            )
            .unwrap();
        let out = short.finish();
        assert_eq!(out.items.len(), 2);
        assert_eq!(
            out.items[1].as_ref().unwrap_err().code.as_str(),
            "MISSING_OUTCOME"
        );
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
