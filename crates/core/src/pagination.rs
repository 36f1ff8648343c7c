//! The one pagination rule of the SDK, as a pure function: where the next page starts.
//!
//! Zoho pages with `page` up to record 2,000 and with `page_token` (from `next_page_token`)
//! beyond; the iteration ends when `info.more_records` is false, when a page is empty, or when
//! the cursor would not move (a server bug must never make a caller loop forever).
//! `Paginated::next_page` implementations turn the [`Cursor`] into their next request.

use crate::response::PageInfo;

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
