//! Record-by-record iteration over any paginated records endpoint ([`Record`]s or, through
//! [`Typed`](super::Typed), user structs), as a pure state machine the
//! clients drive: take the next request when the buffer is empty, send it, absorb the page.
//!
//! The iteration stops when Zoho says no more records follow, and also when it says more follow
//! but the cursor cannot be followed: an empty page, a cursor that does not move, or one that
//! leads back to a page already read. [`RecordCursor::stopped`] says which, so a caller can tell
//! the user the list may be incomplete.

use super::Page;
use crate::endpoint::Paginated;
use crate::pagination::{PageGuard, PageStop};
use crate::record::Record;

/// The state of an iteration over the records of every page, starting with a first request.
#[derive(Debug)]
pub struct RecordCursor<E, T = Record> {
    next: Option<E>,
    buffer: std::vec::IntoIter<T>,
    guard: PageGuard,
    stopped: Option<PageStop>,
}

impl<T, E: Paginated<Output = Page<T>>> RecordCursor<E, T> {
    /// Starts with `first`.
    pub fn new(first: E) -> Self {
        let mut guard = PageGuard::new();
        // The first request is new by definition.
        let _ = guard.admit(&first);
        RecordCursor {
            next: Some(first),
            buffer: Vec::new().into_iter(),
            guard,
            stopped: None,
        }
    }

    /// The next buffered record, if any.
    pub fn pop(&mut self) -> Option<T> {
        self.buffer.next()
    }

    /// The request for the next page, once the buffer is empty; `None` when done.
    pub fn take_request(&mut self) -> Option<E> {
        if self.buffer.len() > 0 {
            return None;
        }
        self.next.take()
    }

    /// Takes the page answering `request` and prepares the request after it.
    pub fn absorb(&mut self, request: &E, page: Page<T>) {
        let more = page.info.has_more() && !page.not_modified;
        let at = self.guard.pages();
        self.next = match request.next_page(&page) {
            Some(next) => match self.guard.admit(&next) {
                Ok(()) => Some(next),
                Err(stop) => {
                    self.stopped = Some(stop);
                    None
                }
            },
            None if more && page.records.is_empty() => {
                self.stopped = Some(PageStop::EmptyPage { page: at });
                None
            }
            None if more => {
                self.stopped = Some(PageStop::NoCursor { page: at });
                None
            }
            None => None,
        };
        self.buffer = page.records.into_iter();
    }

    /// Why the iteration ended although Zoho said more records follow (`None` while it runs
    /// and after a complete iteration).
    pub fn stopped(&self) -> Option<&PageStop> {
        self.stopped.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{ListRecords, RecordPage};
    use crate::response::PageInfo;

    fn page(n: usize, more: bool, token: Option<&str>) -> RecordPage {
        Page {
            records: (0..n)
                .map(|i| Record::new().with("id", i.to_string()))
                .collect(),
            info: PageInfo {
                more_records: Some(more),
                next_page_token: token.map(str::to_owned),
                ..PageInfo::default()
            },
            not_modified: false,
        }
    }

    /// Drives the cursor over canned pages; returns the records read and the stop.
    fn drive(pages: Vec<RecordPage>) -> (usize, Option<PageStop>, usize) {
        let first = ListRecords::new("Leads", ["Last_Name"]).page_token("start");
        let mut cursor = RecordCursor::new(first);
        let mut pages = pages.into_iter();
        let (mut records, mut requests) = (0, 0);
        loop {
            while cursor.pop().is_some() {
                records += 1;
            }
            let Some(request) = cursor.take_request() else {
                break;
            };
            requests += 1;
            let Some(p) = pages.next() else { break };
            cursor.absorb(&request, p);
        }
        (records, cursor.stopped().cloned(), requests)
    }

    #[test]
    fn a_complete_iteration_has_no_stop() {
        let (records, stop, _) = drive(vec![page(2, true, Some("b")), page(1, false, None)]);
        assert_eq!((records, stop), (3, None));
    }

    #[test]
    fn cycling_tokens_stop_with_a_reason() {
        let pages = (0..100)
            .map(|i| page(1, true, Some(if i % 2 == 0 { "a" } else { "b" })))
            .collect();
        let (records, stop, requests) = drive(pages);
        assert_eq!(
            stop,
            Some(PageStop::Cycled {
                page: 3,
                earlier: 2
            })
        );
        assert_eq!((records, requests), (3, 3));
    }

    #[test]
    fn empty_and_stuck_pages_stop_with_a_reason() {
        let (_, stop, _) = drive(vec![page(1, true, Some("b")), page(0, true, Some("c"))]);
        assert_eq!(stop, Some(PageStop::EmptyPage { page: 2 }));
        let (records, stop, requests) = drive(vec![page(2, true, Some("start"))]);
        assert_eq!(stop, Some(PageStop::NoCursor { page: 1 }));
        assert_eq!((records, requests), (2, 1));
    }
}
