//! Record-by-record iteration over any paginated records endpoint ([`Record`]s or, through
//! [`Typed`](super::Typed), user structs), as a pure state machine the
//! clients drive: take the next request when the buffer is empty, send it, absorb the page.

use super::Page;
use crate::endpoint::Paginated;
use crate::record::Record;

/// The state of an iteration over the records of every page, starting with a first request.
#[derive(Debug)]
pub struct RecordCursor<E, T = Record> {
    next: Option<E>,
    buffer: std::vec::IntoIter<T>,
}

impl<T, E: Paginated<Output = Page<T>>> RecordCursor<E, T> {
    /// Starts with `first`.
    pub fn new(first: E) -> Self {
        RecordCursor {
            next: Some(first),
            buffer: Vec::new().into_iter(),
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
        self.next = request.next_page(&page);
        self.buffer = page.records.into_iter();
    }
}
