//! The async [`Client`]: the façade of [`zohocrm_core::facade`] over a [`HyperTransport`],
//! with what only an async client has: `async fn next` pagers, and downloads into any
//! `AsyncWrite`.

use tokio::io::{AsyncSeekExt, AsyncWrite, AsyncWriteExt};
use zohocrm_core::stream::Downloaded;

use crate::transport::HyperTransport;

zohocrm_core::client_facade! {
    transport: HyperTransport,
    asynchronous: [async],
    awaited: [.await],
    sync: [+ Sync],
    send: [+ Send],
    send_fn: send,
    upload_fn: upload,
    pages: Pager,
    next: pub next,
    store_check: [],
}

impl Client {
    /// Performs a download endpoint (a bulk read result, a bulk write report, an attachment...)
    /// with its body written to `sink` as it arrives, at most
    /// [`max_download_bytes`](TransportConfig::max_download_bytes); authentication, refresh
    /// and retries are those of [`send`](Client::send), except that a body broken half-way is
    /// not retried.
    pub async fn download<E: Endpoint + Sync>(
        &self,
        endpoint: &E,
        sink: &mut (dyn AsyncWrite + Unpin + Send + 'static),
    ) -> Result<Downloaded, Error> {
        zohocrm_core::driver::download(&self.transport, &self.session, endpoint, sink).await
    }

    /// A download into `file`, left at its start for reading.
    async fn download_file<E: Endpoint + Sync>(
        &self,
        endpoint: &E,
        file: &mut zohocrm_core::files::File,
    ) -> Result<Downloaded, JobError> {
        // The writes go through tokio's blocking pool; the handle shares `file`'s offset.
        let writer = tokio::fs::File::from_std(file.try_clone()?);
        let mut sink = tokio::io::BufWriter::with_capacity(256 * 1024, writer);
        let downloaded = self.download(endpoint, &mut sink).await?;
        sink.flush().await?;
        let mut writer = sink.into_inner();
        writer.flush().await?;
        writer.rewind().await?;
        Ok(downloaded)
    }
}

impl<E: Paginated + Sync> Pager<E> {
    /// The next page, or `None` after the last page or after an error.
    ///
    /// ```no_run
    /// # async fn run(client: zohocrm_hyper::Client) -> Result<(), zohocrm_hyper::Error> {
    /// use zohocrm_hyper::zohocrm_core::generated::features::GetFeatureDetails;
    ///
    /// let mut pages = client.pages(GetFeatureDetails::new().per_page(50));
    /// while let Some(page) = pages.next().await {
    ///     for feature in page?.features.unwrap_or_default() {
    ///         println!("{:?}", feature.api_name);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Option<Result<E::Output, Error>> {
        self.fetch().await
    }

    /// Fetches every remaining page; stops at the first error.
    pub async fn try_collect(mut self) -> Result<Vec<E::Output>, Error> {
        let mut out = Vec::new();
        while let Some(page) = self.fetch().await {
            out.push(page?);
        }
        Ok(out)
    }
}

impl<T: Send, E: Paginated<Output = Page<T>> + Sync> Records<E, T> {
    /// Every remaining record; stops at the first error.
    pub async fn try_collect(mut self) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        while let Some(record) = self.next().await {
            out.push(record?);
        }
        Ok(out)
    }
}
