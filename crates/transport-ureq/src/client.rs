//! The blocking [`Client`]: the façade of [`zohocrm_core::facade`] over a [`UreqTransport`],
//! with what only a blocking client has: iterators, and downloads into any `Write`.

use std::io::{Seek, SeekFrom, Write};
use std::iter::FusedIterator;

use zohocrm_core::stream::Downloaded;

use crate::transport::UreqTransport;

zohocrm_core::client_facade! {
    transport: UreqTransport,
    asynchronous: [],
    awaited: [],
    sync: [],
    send: [],
    send_fn: send_blocking,
    upload_fn: upload_blocking,
    pages: Pages,
    next: fetch,
    store_check: [zohocrm_core::config::require_blocking_store],
}

impl Client {
    /// Performs a download endpoint (a bulk read result, a bulk write report, an attachment...)
    /// with its body written to `sink` as it arrives, at most
    /// [`max_download_bytes`](TransportConfig::max_download_bytes); authentication, refresh
    /// and retries are those of [`send`](Client::send), except that a body broken half-way is
    /// not retried.
    pub fn download<E: Endpoint>(
        &self,
        endpoint: &E,
        sink: &mut dyn Write,
    ) -> Result<Downloaded, Error> {
        zohocrm_core::driver::download_blocking(&self.transport, &self.session, endpoint, sink)
    }

    /// A download into `file`, left at its start for reading.
    fn download_file<E: Endpoint>(
        &self,
        endpoint: &E,
        file: &mut zohocrm_core::files::File,
    ) -> Result<Downloaded, JobError> {
        let mut sink = std::io::BufWriter::with_capacity(256 * 1024, &mut *file);
        let downloaded = self.download(endpoint, &mut sink)?;
        sink.flush()?;
        drop(sink);
        file.seek(SeekFrom::Start(0))?;
        Ok(downloaded)
    }
}

impl<E: Paginated> Iterator for Pages<E> {
    type Item = Result<E::Output, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.fetch()
    }
}

impl<E: Paginated> FusedIterator for Pages<E> {}

impl<T, E: Paginated<Output = Page<T>>> Iterator for Records<E, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.fetch()
    }
}

impl<T, E: Paginated<Output = Page<T>>> FusedIterator for Records<E, T> {}
