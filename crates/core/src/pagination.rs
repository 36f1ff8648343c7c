//! The one pagination rule of the SDK, as a pure function: where the next page starts; and the
//! guard of an iteration over pages: why it stopped early.
//!
//! Zoho pages with `page` up to record 2,000 and with `page_token` (from `next_page_token`)
//! beyond; the iteration ends when `info.more_records` is false, when a page is empty, or when
//! the cursor would not move (a server bug must never make a caller loop forever).
//! `Paginated::next_page` implementations turn the [`Cursor`] into their next request.
//!
//! A pure `next_page` sees one page, so it cannot see a cursor that goes round in a circle
//! (tokens `A`, `B`, `A`, ...). A [`PageGuard`] remembers every request of one iteration and
//! refuses one already sent; a stop for any such reason is a [`PageStop`] the caller can show,
//! never a silent end.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use crate::endpoint::{Endpoint, Paginated};
use crate::request::{Body, RequestParts};
use crate::response::PageInfo;

/// Why an iteration over pages stopped although the server said more records follow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PageStop {
    /// The page held nothing.
    #[error("page {page} held no record although the server said more follow")]
    EmptyPage {
        /// The page's place in the iteration, from 1.
        page: u64,
    },
    /// The page held fewer records than a full page; only the last page may.
    #[error(
        "page {page} held {count} records, fewer than a full page of {per_page}, although the \
         server said more follow"
    )]
    ShortPage {
        /// The page's place in the iteration, from 1.
        page: u64,
        /// Records in the page.
        count: u64,
        /// Records in a full page.
        per_page: u64,
    },
    /// The server named no next page, or one that is the page just read.
    #[error("the server said more records follow page {page} but its cursor does not move")]
    Stuck {
        /// The page's place in the iteration, from 1.
        page: u64,
    },
    /// The endpoint named no next page although the server said more records follow: its
    /// cursor does not move, or the endpoint's reach is met (Zoho serves 100,000 records by
    /// listing, 2,000 by searching).
    #[error(
        "the server said more records follow page {page}, but no next page can be asked for (the \
         cursor does not move, or Zoho's reach for this list is met)"
    )]
    NoCursor {
        /// The page's place in the iteration, from 1.
        page: u64,
    },
    /// The next page is one read before: following the cursor would go round in a circle.
    #[error("the server's cursor after page {page} leads back to page {earlier}")]
    Cycled {
        /// The page's place in the iteration, from 1.
        page: u64,
        /// The page it leads back to.
        earlier: u64,
    },
}

/// Remembers the requests of one iteration over pages and refuses one already sent.
///
/// Requests are compared by what goes on the wire (method, path, query, body), so any cursor
/// (page number, token, offset) is covered. Memory: one hash per page.
///
/// ```
/// use zohocrm_core::pagination::{PageGuard, PageStop};
/// use zohocrm_core::records::ListRecords;
///
/// let first = ListRecords::new("Leads", ["Last_Name"]);
/// let mut guard = PageGuard::new();
/// guard.admit(&first).unwrap();
/// guard.admit(&first.clone().page_token("A")).unwrap();
/// guard.admit(&first.clone().page_token("B")).unwrap();
/// let stop = guard.admit(&first.clone().page_token("A")).unwrap_err();
/// assert_eq!(stop, PageStop::Cycled { page: 3, earlier: 2 });
/// ```
#[derive(Debug, Clone, Default)]
pub struct PageGuard {
    /// Request key → the page it fetched (from 1).
    seen: HashMap<u64, u64>,
    pages: u64,
}

impl PageGuard {
    /// A guard that has seen no request.
    pub fn new() -> Self {
        PageGuard::default()
    }

    /// Pages admitted so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Admits the request of the next page, or says why it must not be sent: it is the request
    /// of the page just read ([`PageStop::Stuck`]) or of an earlier one ([`PageStop::Cycled`]).
    /// A request that does not build is admitted (sending it reports the error).
    pub fn admit<E: Endpoint>(&mut self, request: &E) -> Result<(), PageStop> {
        match request.parts() {
            Ok(parts) => self.admit_key(request_key(&parts)),
            Err(_) => {
                self.pages += 1;
                Ok(())
            }
        }
    }

    /// [`admit`](Self::admit) for a cursor given as its key (a hash of the token or page).
    pub fn admit_key(&mut self, key: u64) -> Result<(), PageStop> {
        let page = self.pages;
        if let Some(&earlier) = self.seen.get(&key) {
            return Err(if earlier == page {
                PageStop::Stuck { page }
            } else {
                PageStop::Cycled { page, earlier }
            });
        }
        self.pages += 1;
        self.seen.insert(key, self.pages);
        Ok(())
    }
}

/// The state of an iteration over the pages of any [`Paginated`] endpoint, as a pure state
/// machine the clients drive: take the request, send it, absorb the answer. A request already
/// sent in this iteration is never sent again: the iteration stops and
/// [`stopped`](Self::stopped) says why.
#[derive(Debug)]
pub struct PageCursor<E> {
    next: Option<E>,
    guard: PageGuard,
    stopped: Option<PageStop>,
}

impl<E: Paginated> PageCursor<E> {
    /// Starts with `first`.
    pub fn new(first: E) -> Self {
        let mut guard = PageGuard::new();
        let _ = guard.admit(&first);
        PageCursor {
            next: Some(first),
            guard,
            stopped: None,
        }
    }

    /// The request of the next page; `None` when done.
    pub fn take_request(&mut self) -> Option<E> {
        self.next.take()
    }

    /// Takes the answer to `request` and prepares the request after it.
    pub fn absorb(&mut self, request: &E, output: &E::Output) {
        self.next = request
            .next_page(output)
            .and_then(|next| match self.guard.admit(&next) {
                Ok(()) => Some(next),
                Err(stop) => {
                    self.stopped = Some(stop);
                    None
                }
            });
    }

    /// Why the iteration ended early (`None` while it runs and after a complete iteration).
    pub fn stopped(&self) -> Option<&PageStop> {
        self.stopped.as_ref()
    }
}

/// A hash of what a request puts on the wire.
fn request_key(parts: &RequestParts) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.method.as_str().hash(&mut h);
    parts.host.hash(&mut h);
    parts.path.hash(&mut h);
    parts.path_params.hash(&mut h);
    parts.query.hash(&mut h);
    match &parts.body {
        Body::Empty => 0u8.hash(&mut h),
        Body::Json(b) => (1u8, b).hash(&mut h),
        Body::Form(pairs) => (2u8, pairs).hash(&mut h),
        Body::Bytes { content_type, data } => (3u8, content_type, data).hash(&mut h),
        Body::Multipart(m) => {
            4u8.hash(&mut h);
            for p in &m.parts {
                (&p.name, &p.file_name, &p.content_type, &p.data).hash(&mut h);
            }
        }
    }
    h.finish()
}

/// The key of a text cursor (a page token), for [`PageGuard::admit_key`].
pub fn cursor_key(cursor: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    cursor.hash(&mut h);
    h.finish()
}

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// The next page number.
    Page(u32),
    /// The `page_token` to send (without `page`: Zoho refuses both together).
    Token(String),
}

/// The cursor of the page after the current one.
///
/// `page` and `page_token` are the current request's; `info` is the answer's paging object;
/// `had_items` says whether the answer held any item; `tokens` says whether the endpoint accepts
/// `page_token` (when it does not, only page numbers are used).
pub fn next_cursor(
    page: Option<u32>,
    page_token: Option<&str>,
    info: Option<&PageInfo>,
    had_items: bool,
    tokens: bool,
) -> Option<Cursor> {
    let info = info?;
    if !info.has_more() || !had_items {
        return None;
    }
    if tokens {
        if let Some(token) = info.next_page_token.as_deref().filter(|t| !t.is_empty()) {
            // The same token again would fetch the same page again.
            return (Some(token) != page_token).then(|| Cursor::Token(token.to_owned()));
        }
    }
    // A server echoing a stale page number must not send us backwards or in a circle.
    let this = info.page.unwrap_or(0).max(page.unwrap_or(1));
    this.checked_add(1).map(Cursor::Page)
}

/// The cursor after a page of a Zoho record list (records, related records): page numbers while
/// the next page stays within the first `page_reach` records (2,000), then the answer's
/// `page_token`; once tokens are in use, never page numbers again. `per_page` is the page size
/// asked for.
pub fn next_record_cursor(
    page: Option<u32>,
    page_token: Option<&str>,
    per_page: u32,
    page_reach: u64,
    info: &PageInfo,
    had_items: bool,
) -> Option<Cursor> {
    match next_cursor(page, None, Some(info), had_items, false)? {
        Cursor::Page(n)
            if page_token.is_none() && u64::from(n) * u64::from(per_page) <= page_reach =>
        {
            Some(Cursor::Page(n))
        }
        _ => match next_cursor(None, page_token, Some(info), had_items, true)? {
            token @ Cursor::Token(_) => Some(token),
            Cursor::Page(_) => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(page: u32, more: bool, token: Option<&str>) -> PageInfo {
        PageInfo {
            page: Some(page),
            more_records: Some(more),
            next_page_token: token.map(str::to_owned),
            ..PageInfo::default()
        }
    }

    #[test]
    fn pages_then_tokens_then_the_end() {
        assert_eq!(
            next_cursor(None, None, Some(&info(1, true, None)), true, true),
            Some(Cursor::Page(2))
        );
        assert_eq!(
            next_cursor(
                Some(10),
                None,
                Some(&info(10, true, Some("t1"))),
                true,
                true
            ),
            Some(Cursor::Token("t1".into()))
        );
        assert_eq!(
            next_cursor(
                Some(10),
                None,
                Some(&info(10, true, Some("t1"))),
                true,
                false
            ),
            Some(Cursor::Page(11))
        );
        assert_eq!(
            next_cursor(Some(3), None, Some(&info(3, false, None)), true, true),
            None
        );
        assert_eq!(
            next_cursor(Some(3), None, Some(&info(3, true, None)), false, true),
            None
        );
        assert_eq!(next_cursor(Some(3), None, None, true, true), None);
    }

    #[test]
    fn the_guard_tells_a_stuck_cursor_from_a_circle() {
        let mut guard = PageGuard::new();
        for t in ["a", "b", "c"] {
            guard.admit_key(cursor_key(t)).unwrap();
        }
        assert_eq!(
            guard.admit_key(cursor_key("c")),
            Err(PageStop::Stuck { page: 3 })
        );
        assert_eq!(
            guard.admit_key(cursor_key("a")),
            Err(PageStop::Cycled {
                page: 3,
                earlier: 1
            })
        );
        guard.admit_key(cursor_key("d")).unwrap();
        assert_eq!(guard.pages(), 4);
        let stop = PageStop::Cycled {
            page: 4,
            earlier: 2,
        };
        assert_eq!(
            stop.to_string(),
            "the server's cursor after page 4 leads back to page 2"
        );
    }

    #[test]
    fn a_page_cursor_never_sends_a_request_twice() {
        use crate::records::{ListRecords, RecordPage};
        let answer = |token: &str| RecordPage {
            records: vec![crate::Record::new().with("id", "1")],
            info: info(0, true, Some(token)),
            not_modified: false,
        };
        let first = ListRecords::new("Leads", ["Last_Name"]).page_token("start");
        let mut cursor = PageCursor::new(first);
        let mut sent = Vec::new();
        let tokens = ["A", "B", "A", "B"];
        while let Some(request) = cursor.take_request() {
            let Some(token) = tokens.get(sent.len()) else {
                break;
            };
            sent.push(request.clone());
            cursor.absorb(&request, &answer(token));
        }
        assert_eq!(sent.len(), 3, "start, A, B; then A again is refused");
        assert_eq!(
            cursor.stopped(),
            Some(&PageStop::Cycled {
                page: 3,
                earlier: 2
            })
        );
    }

    #[test]
    fn a_cursor_that_does_not_move_ends_the_iteration() {
        assert_eq!(
            next_cursor(
                None,
                Some("t1"),
                Some(&info(0, true, Some("t1"))),
                true,
                true
            ),
            None
        );
        // A stale page number in the answer never sends the iteration backwards.
        assert_eq!(
            next_cursor(Some(5), None, Some(&info(1, true, None)), true, true),
            Some(Cursor::Page(6))
        );
    }
}
