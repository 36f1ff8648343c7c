//! Bulk files, read and written one row at a time: [`CsvZip`] reads a zip holding one CSV (a
//! bulk read result or a bulk write report) from any `Read + Seek` (a file, usually);
//! [`BulkWriteFile`] writes the zip of one CSV that a bulk write uploads.
//!
//! Memory stays bounded whatever the file size: rows are decoded from the decompressing reader
//! one at a time and written through the compressor one at a time. These types do no IO of
//! their own beyond the reader or writer they are given.
//!
//! A file from the network is read as hostile: [`FileLimits`] caps the zip's entries and
//! directory (checked before the zip crate reads the directory), the decompressed size
//! (absolutely, and relative to the rows the job reported: [`CsvZip::expect_rows`]) and the
//! size of one CSV record; rows beyond the reported count and a quoted field never closed are
//! errors, not data.
//!
//! ```
//! use std::io::Cursor;
//! use zohocrm_core::bulk::file::{BulkWriteFile, CsvZip};
//! use zohocrm_core::Record;
//!
//! let mut file = BulkWriteFile::new(Cursor::new(Vec::new()), ["Last_Name", "Email"]).unwrap();
//! file.push(&Record::new().with("Last_Name", "Boyle").with("Email", "b@example.test")).unwrap();
//! file.push(&Record::new().with("Last_Name", "O'Hara, \"Pat\"")).unwrap();
//! let zip = file.finish().unwrap().into_inner();
//!
//! let mut read = CsvZip::open(Cursor::new(zip)).unwrap();
//! let rows: Vec<Record> = read.records().unwrap().collect::<Result<_, _>>().unwrap();
//! assert_eq!(rows[1].str("Last_Name").unwrap().as_deref(), Some("O'Hara, \"Pat\""));
//! assert_eq!(rows[1].str("Email").unwrap(), None); // empty cells read as null
//! ```

use std::borrow::Cow;
use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{FieldMapping, MAX_UPLOAD_BYTES, MAX_WRITE_ROWS};
use crate::jobs::{FileLimit, JobError};
use crate::record::Record;

fn zip_error(e: zip::result::ZipError) -> JobError {
    match e {
        zip::result::ZipError::Io(io) => io_error(io),
        other => JobError::File(other.to_string()),
    }
}

/// An IO error, or what it stands for: the limit a [`Metered`] reader raised, or a damaged
/// file (the decompressor's and checksum's `InvalidData`): the server's fault, not the disk's.
fn io_error(e: io::Error) -> JobError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitHit>())
    {
        Some(LimitHit(limit)) => JobError::OverLimit(limit.clone()),
        None if e.kind() == io::ErrorKind::InvalidData => {
            JobError::File(format!("the zip is damaged: {e}"))
        }
        None => JobError::Io(e),
    }
}

fn csv_error(row: u64, e: csv::Error) -> JobError {
    if e.is_io_error() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return match io_error(io) {
                // The meter does not know the row; the reader does.
                JobError::OverLimit(FileLimit::Record { max, .. }) => {
                    JobError::OverLimit(FileLimit::Record { row, max })
                }
                other => other,
            };
        }
        return JobError::Csv {
            row,
            message: "i/o error".into(),
        };
    }
    JobError::Csv {
        row,
        message: e.to_string(),
    }
}

/// What a bulk file may hold before reading it stops with [`JobError::OverLimit`]: a file
/// from the network is hostile until read. The defaults fit any file Zoho sends (one CSV of at
/// most 200,000 rows) many times over.
///
/// ```
/// use zohocrm_core::bulk::file::FileLimits;
///
/// let limits = FileLimits::default().max_record_bytes(1024 * 1024);
/// assert_eq!(limits.max_entries, 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileLimits {
    /// Entries in the zip (Zoho's hold one file). Default 64.
    pub max_entries: u64,
    /// Bytes of one CSV record (row), quotes and separators included. Default 16 MiB: a row of
    /// every long text field Zoho allows still fits.
    pub max_record_bytes: u64,
    /// Bytes the data file may decompress to. Default 16 GiB. Once the row count is known
    /// ([`CsvZip::expect_rows`]) the file may also hold at most a header and that many rows of
    /// `max_record_bytes` each.
    pub max_bytes: u64,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits {
            max_entries: 64,
            max_record_bytes: 16 * 1024 * 1024,
            max_bytes: 16 * 1024 * 1024 * 1024,
        }
    }
}

impl FileLimits {
    /// At most `n` zip entries.
    #[must_use]
    pub fn max_entries(mut self, n: u64) -> Self {
        self.max_entries = n;
        self
    }

    /// At most `n` bytes per CSV record.
    #[must_use]
    pub fn max_record_bytes(mut self, n: u64) -> Self {
        self.max_record_bytes = n;
        self
    }

    /// At most `n` bytes of decompressed data.
    #[must_use]
    pub fn max_bytes(mut self, n: u64) -> Self {
        self.max_bytes = n;
        self
    }

    /// The bytes the zip's directory may take: generous for file names of any sane length.
    fn max_directory_bytes(&self) -> u64 {
        self.max_entries.saturating_mul(64 * 1024).max(64 * 1024)
    }
}

/// A limit passed, carried inside an `io::Error` from a reader to the CSV layer.
#[derive(Debug)]
struct LimitHit(FileLimit);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for LimitHit {}

fn limit_hit(limit: FileLimit) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, LimitHit(limit))
}

/// How far back from its end record the zip crate may read while it opens the archive: its
/// search for the end record reads blocks of 2 KiB.
const END_SLACK: u64 = 8 * 1024;

/// The part of a zip that opening it reads: from `floor` (the directory, or the few KiB before
/// the end record) to the end. Checked before the zip crate sees the file, so that a hostile
/// end record (a million entries, a directory of gigabytes) is refused before anything is
/// allocated for it, and so that no second end record lies in the readable part (the crate
/// would try it if it rejected the first).
fn check_directory<R: Read + Seek>(reader: &mut R, limits: &FileLimits) -> Result<u64, JobError> {
    const EOCD: [u8; 4] = *b"PK\x05\x06";
    const LOCATOR: [u8; 4] = *b"PK\x06\x07";
    const EOCD64: [u8; 4] = *b"PK\x06\x06";
    let not_zip = |why: &str| JobError::File(format!("not a zip file: {why}"));
    let len = reader.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + u64::from(u16::MAX));
    let tail_start = len - tail_len;
    let mut tail = vec![0; tail_len as usize];
    reader.seek(SeekFrom::Start(tail_start))?;
    reader.read_exact(&mut tail)?;
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == EOCD)
        .ok_or_else(|| not_zip("no end of central directory"))?;
    let eocd = &tail[at..at + 22];
    let u16_at = |b: &[u8], i: usize| u64::from(u16::from_le_bytes([b[i], b[i + 1]]));
    let u32_at =
        |b: &[u8], i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().unwrap()));
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    let eocd_pos = tail_start + at as u64;
    if eocd_pos + 22 + u16_at(eocd, 20) > len {
        return Err(not_zip("the end record's comment runs past the end"));
    }
    let (mut entries, mut cd_size, mut cd_offset) =
        (u16_at(eocd, 10), u32_at(eocd, 12), u32_at(eocd, 16));
    let mut directory_end = eocd_pos;
    if (entries == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF) && eocd_pos >= 20 {
        let mut locator = [0u8; 20];
        reader.seek(SeekFrom::Start(eocd_pos - 20))?;
        reader.read_exact(&mut locator)?;
        if locator[..4] == LOCATOR {
            let record_pos = u64_at(&locator, 8);
            let mut record = [0u8; 56];
            if record_pos
                .checked_add(56)
                .is_some_and(|end| end <= eocd_pos - 20)
            {
                reader.seek(SeekFrom::Start(record_pos))?;
                reader.read_exact(&mut record)?;
            }
            if record[..4] != EOCD64 {
                return Err(not_zip("the zip64 end record is missing"));
            }
            (entries, cd_size, cd_offset) = (
                u64_at(&record, 32),
                u64_at(&record, 40),
                u64_at(&record, 48),
            );
            directory_end = record_pos;
        }
    }
    if entries > limits.max_entries {
        return Err(JobError::OverLimit(FileLimit::Entries {
            max: limits.max_entries,
        }));
    }
    let max_dir = limits.max_directory_bytes();
    if cd_size > max_dir {
        return Err(JobError::OverLimit(FileLimit::Directory { max: max_dir }));
    }
    if cd_offset
        .checked_add(cd_size)
        .is_none_or(|end| end > directory_end)
    {
        return Err(not_zip("the central directory overlaps its end record"));
    }
    let floor = cd_offset.min(eocd_pos.saturating_sub(END_SLACK));
    let mut readable = vec![0u8; (eocd_pos - floor) as usize];
    reader.seek(SeekFrom::Start(floor))?;
    reader.read_exact(&mut readable)?;
    if readable.windows(4).any(|w| w == EOCD) {
        return Err(not_zip("it holds a second end of central directory"));
    }
    reader.seek(SeekFrom::Start(0))?;
    Ok(floor)
}

/// The reader the zip crate opens: while `floor` is above 0, it refuses reads before it, so
/// the crate reads nothing but the directory [`check_directory`] checked. (Shared, since the
/// crate keeps the reader to itself.)
struct Guarded<R> {
    inner: R,
    pos: u64,
    floor: Arc<AtomicU64>,
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.floor.load(Ordering::Relaxed) {
            return Err(io::Error::other(
                "the zip's directory points outside the part checked",
            ));
        }
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Guarded<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(pos)?;
        Ok(self.pos)
    }
}

/// Counts what is read from the data file and stops at its limits: the whole file's bytes,
/// and, for CSV, the bytes of the record being read (`window`: how far the reader may get
/// before the parser finishes a record). Also counts `"` bytes: a well-formed CSV has an even
/// number of them, so an odd count at the end means a quoted field that was never closed.
struct Metered<R> {
    inner: R,
    read: u64,
    max_bytes: u64,
    state: Rc<MeterState>,
}

#[derive(Debug, Default)]
struct MeterState {
    /// The reader may not get past this many bytes (`u64::MAX`: no record limit).
    window: Cell<u64>,
    /// The record limit, for the error.
    max_record: Cell<u64>,
    quotes: Cell<u64>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let window = self.state.window.get();
        let end = self.max_bytes.min(window);
        let room = end.saturating_sub(self.read);
        if room == 0 && !buf.is_empty() {
            // At a limit: only the end of the file may follow.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            return Err(limit_hit(if window < self.max_bytes {
                FileLimit::Record {
                    row: 0,
                    max: self.state.max_record.get(),
                }
            } else {
                FileLimit::Bytes {
                    max: self.max_bytes,
                }
            }));
        }
        let take = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..take])?;
        self.read += n as u64;
        let quotes = buf[..n].iter().filter(|&&b| b == b'"').count() as u64;
        self.state.quotes.set(self.state.quotes.get() + quotes);
        Ok(n)
    }
}

/// The CSV reader's own buffer: the meter lets the reader this far past a record's limit.
const CSV_BUFFER: usize = 64 * 1024;

/// A CSV read from a zip entry with the limits applied; shared by every row iterator.
struct CsvSource<'a> {
    reader: csv::Reader<Metered<Box<dyn Read + 'a>>>,
    meter: Rc<MeterState>,
    max_record: u64,
    /// Data rows read.
    rows: u64,
    /// The rows the job reported, when known.
    expected: Option<u64>,
    /// The end of the file or an error was reached: nothing more is read.
    done: bool,
}

impl CsvSource<'_> {
    /// Lets the reader get at most one record's limit past what the parser consumed.
    fn open_window(&self) {
        let consumed = self.reader.position().byte();
        let window = consumed
            .saturating_add(self.max_record)
            .saturating_add(CSV_BUFFER as u64);
        self.meter.window.set(window);
    }

    fn headers(&mut self) -> Result<Vec<String>, JobError> {
        let headers = self
            .reader
            .headers()
            .map_err(|e| csv_error(0, e))?
            .iter()
            // A UTF-8 byte order mark before the first header is not part of its name.
            .map(|h| h.trim_start_matches('\u{feff}').to_owned())
            .collect();
        self.open_window();
        Ok(headers)
    }

    /// Checks what the reader answered: the row count against the job's, and at the end of
    /// the file, that every quoted field was closed.
    fn after_read(&mut self, got: Result<bool, csv::Error>) -> Result<bool, JobError> {
        let row = self.rows + 1;
        match got {
            Err(e) => Err(csv_error(row, e)),
            Ok(true) => {
                if self.expected.is_some_and(|n| row > n) {
                    return Err(JobError::OverLimit(FileLimit::Rows {
                        reported: self.expected.unwrap_or(0),
                    }));
                }
                self.rows = row;
                self.open_window();
                Ok(true)
            }
            Ok(false) => {
                if self.meter.quotes.get() % 2 == 1 {
                    return Err(JobError::Csv {
                        row: self.rows.max(1),
                        message: "a quoted field is not closed before the end of the file".into(),
                    });
                }
                if let Some(n) = self.expected.filter(|n| self.rows < *n) {
                    return Err(JobError::File(format!(
                        "the file holds {} rows; the job reported {n}",
                        self.rows
                    )));
                }
                Ok(false)
            }
        }
    }

    fn read_record(&mut self, record: &mut csv::StringRecord) -> Result<bool, JobError> {
        let got = self.reader.read_record(record);
        self.after_read(got)
    }

    fn read_byte_record(&mut self, record: &mut csv::ByteRecord) -> Result<bool, JobError> {
        let got = self.reader.read_byte_record(record);
        self.after_read(got)
    }

    /// The next row into `row`, for the iterators: `None` after the end or the first error.
    fn next_row(&mut self, row: &mut csv::StringRecord) -> Option<Result<(), JobError>> {
        if self.done {
            return None;
        }
        match self.read_record(row) {
            Ok(true) => Some(Ok(())),
            Ok(false) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// A zip holding one CSV (or ICS) file: a bulk read result or a bulk write report.
///
/// Reading stops with [`JobError::OverLimit`] at the [`FileLimits`] (a zip bomb, a million
/// entries, an endless line, more rows than the job reported), and with [`JobError::Csv`] at a
/// quoted field never closed.
pub struct CsvZip<R: Read + Seek> {
    archive: ZipArchive<Guarded<R>>,
    entry: usize,
    name: String,
    limits: FileLimits,
    expected_rows: Option<u64>,
}

impl<R: Read + Seek> std::fmt::Debug for CsvZip<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvZip")
            .field("entry", &self.name)
            .field("limits", &self.limits)
            .field("expected_rows", &self.expected_rows)
            .finish()
    }
}

impl<R: Read + Seek> CsvZip<R> {
    /// Opens the zip with the default [`FileLimits`] and finds its data file: the first `.csv`
    /// entry, else the first `.ics` entry, else the first file.
    pub fn open(reader: R) -> Result<Self, JobError> {
        Self::open_with(reader, FileLimits::default())
    }

    /// [`open`](Self::open) with these limits.
    pub fn open_with(mut reader: R, limits: FileLimits) -> Result<Self, JobError> {
        let floor = Arc::new(AtomicU64::new(check_directory(&mut reader, &limits)?));
        let archive = ZipArchive::new(Guarded {
            inner: reader,
            pos: 0,
            floor: floor.clone(),
        })
        .map_err(zip_error)?;
        if archive.len() as u64 > limits.max_entries {
            return Err(JobError::OverLimit(FileLimit::Entries {
                max: limits.max_entries,
            }));
        }
        let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        let ends = |n: &str, ext: &str| n.to_ascii_lowercase().ends_with(ext);
        let pick = names
            .iter()
            .position(|n| ends(n, ".csv"))
            .or_else(|| names.iter().position(|n| ends(n, ".ics")))
            .or_else(|| names.iter().position(|n| !n.ends_with('/')));
        let Some(name) = pick.map(|i| names[i].clone()) else {
            return Err(JobError::File("the zip holds no file".into()));
        };
        let entry = archive
            .index_for_name(&name)
            .ok_or_else(|| JobError::File(format!("the zip lost its entry `{name}`")))?;
        // The directory is read: from here on the entry's data may be anywhere in the file.
        floor.store(0, Ordering::Relaxed);
        Ok(CsvZip {
            archive,
            entry,
            name,
            limits,
            expected_rows: None,
        })
    }

    /// Changes the limits applied from now on (the entry limit applies when opening).
    pub fn set_limits(&mut self, limits: FileLimits) {
        self.limits = limits;
    }

    /// The limits.
    pub fn limits(&self) -> FileLimits {
        self.limits
    }

    /// The number of data rows the job reported (a bulk read page's `count`, the rows of an
    /// uploaded file): reading fails as soon as the file holds more, or at its end when it
    /// holds fewer, and the data file may then decompress to at most a header and that many
    /// records of [`FileLimits::max_record_bytes`].
    pub fn expect_rows(&mut self, rows: u64) {
        self.expected_rows = Some(rows);
    }

    /// The data file's name inside the zip (e.g. `{job_id}.csv`).
    pub fn entry_name(&self) -> &str {
        &self.name
    }

    fn metered(&mut self) -> Result<Metered<Box<dyn Read + '_>>, JobError> {
        let limits = self.limits;
        let max_bytes = match self.expected_rows {
            Some(rows) => limits.max_bytes.min(
                rows.saturating_add(1)
                    .saturating_mul(limits.max_record_bytes),
            ),
            None => limits.max_bytes,
        };
        let entry: Box<dyn Read + '_> =
            Box::new(self.archive.by_index(self.entry).map_err(zip_error)?);
        let state = MeterState {
            window: Cell::new(u64::MAX),
            max_record: Cell::new(limits.max_record_bytes),
            quotes: Cell::new(0),
        };
        Ok(Metered {
            inner: entry,
            read: 0,
            max_bytes,
            state: Rc::new(state),
        })
    }

    /// The data file's bytes, decompressed as they are read (for ICS results, or own
    /// parsing), up to the byte limits.
    pub fn raw(&mut self) -> Result<impl Read + '_, JobError> {
        self.metered()
    }

    fn csv(&mut self) -> Result<(CsvSource<'_>, Vec<String>), JobError> {
        let expected = self.expected_rows;
        let max_record = self.limits.max_record_bytes;
        let metered = self.metered()?;
        let meter = metered.state.clone();
        meter
            .window
            .set(max_record.saturating_add(CSV_BUFFER as u64));
        let reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(CSV_BUFFER)
            .from_reader(metered);
        let mut source = CsvSource {
            reader,
            meter,
            max_record,
            rows: 0,
            expected,
            done: false,
        };
        let headers = source.headers()?;
        Ok((source, headers))
    }

    /// The rows as raw CSV records (bytes, no decoding), with the limits applied: for copying
    /// a file row by row. The iterator's `headers` are the first row's cells.
    pub fn byte_rows(&mut self) -> Result<ByteRows<'_>, JobError> {
        let (source, headers) = self.csv()?;
        Ok(ByteRows { source, headers })
    }

    /// The rows as [`Record`]s keyed by the CSV header (Zoho's field API names); every value is
    /// a string, empty cells are `null`.
    pub fn records(&mut self) -> Result<Rows<'_, Record>, JobError> {
        let (source, headers) = self.csv()?;
        Ok(Rows {
            source,
            headers,
            row: csv::StringRecord::new(),
            decode: |headers, row, line| {
                Record::from_serialize(&RowAsMap { headers, row }).map_err(|e| JobError::Csv {
                    row: line,
                    message: e.to_string(),
                })
            },
            target: PhantomData,
        })
    }

    /// The rows deserialised into `T` by header name (the `csv` crate's rules: an empty cell
    /// is `None` for an `Option`, numbers are parsed from text).
    pub fn rows<T: DeserializeOwned>(&mut self) -> Result<Rows<'_, T>, JobError> {
        let (source, headers) = self.csv()?;
        Ok(Rows {
            source,
            headers,
            row: csv::StringRecord::new(),
            decode: |headers, row, line| {
                let header = csv::StringRecord::from(headers.to_vec());
                row.deserialize(Some(&header))
                    .map_err(|e| csv_error(line, e))
            },
            target: PhantomData,
        })
    }

    /// The rows of a bulk write report, as per-row outcomes (`STATUS`, `RECORD_ID`, `ERRORS`),
    /// numbered from `first_row` (0 for the first data row of the uploaded file).
    pub fn outcomes(&mut self, first_row: u64) -> Result<Outcomes<'_>, JobError> {
        let (source, headers) = self.csv()?;
        let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let columns = [col("STATUS"), col("RECORD_ID"), col("ERRORS")];
        if columns[0].is_none() {
            return Err(JobError::File("the report has no STATUS column".into()));
        }
        Ok(Outcomes {
            source,
            columns,
            row: csv::StringRecord::new(),
            next: first_row,
        })
    }
}

/// Raw CSV records of a [`CsvZip`]; see [`CsvZip::byte_rows`].
pub struct ByteRows<'a> {
    source: CsvSource<'a>,
    headers: Vec<String>,
}

impl std::fmt::Debug for ByteRows<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteRows")
            .field("headers", &self.headers)
            .field("rows", &self.source.rows)
            .finish()
    }
}

impl ByteRows<'_> {
    /// The CSV header (field API names).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Reads the next row into `record`; `false` at the end of the file.
    pub fn read(&mut self, record: &mut csv::ByteRecord) -> Result<bool, JobError> {
        self.source.read_byte_record(record)
    }

    /// Data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.source.rows
    }
}

type DecodeRow<T> = fn(&[String], &csv::StringRecord, u64) -> Result<T, JobError>;

/// Rows of a [`CsvZip`], decoded one at a time. The iteration ends after the first error.
pub struct Rows<'a, T> {
    source: CsvSource<'a>,
    headers: Vec<String>,
    row: csv::StringRecord,
    decode: DecodeRow<T>,
    target: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Rows<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("headers", &self.headers)
            .field("line", &self.source.rows)
            .finish()
    }
}

impl<T> Rows<'_, T> {
    /// The CSV header (field API names).
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Data rows read so far.
    pub fn rows_read(&self) -> u64 {
        self.source.rows
    }
}

impl<T> Iterator for Rows<'_, T> {
    type Item = Result<T, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.source.next_row(&mut self.row)? {
            Ok(()) => (self.decode)(&self.headers, &self.row, self.source.rows),
            Err(e) => Err(e),
        })
    }
}

/// One CSV row as a JSON object: header → string, empty → null.
struct RowAsMap<'a> {
    headers: &'a [String],
    row: &'a csv::StringRecord,
}

impl Serialize for RowAsMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.headers.len()))?;
        for (i, h) in self.headers.iter().enumerate() {
            match self.row.get(i) {
                Some(v) if !v.is_empty() => map.serialize_entry(h, v)?,
                _ => map.serialize_entry(h, &())?,
            }
        }
        map.end()
    }
}

/// One `CODE-column` entry of a bulk write report's `ERRORS` cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// Zoho's code, e.g. `MANDATORY_NOT_FOUND` or `INVALID_DATA`.
    pub code: String,
    /// The column (field API name) it is about, when given.
    pub column: Option<String>,
}

/// The fate of one row of a bulk write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowOutcome {
    /// The row's index among the data rows of the whole write, from 0 (the header not counted).
    pub row: u64,
    /// Zoho's `STATUS` (`ADDED`, `UPDATED`, `SKIPPED`, ...).
    pub status: String,
    /// The created or updated record's id.
    pub record_id: Option<String>,
    /// Why the row failed (empty on success).
    pub errors: Vec<RowError>,
}

impl RowOutcome {
    /// Whether the row was written: no error and a status that is not a failure.
    pub fn is_success(&self) -> bool {
        self.errors.is_empty()
            && !matches!(
                self.status.to_ascii_uppercase().as_str(),
                "SKIPPED" | "FAILED" | "FAILURE" | "ERROR" | "UNPROCESSED" | "NOT_ADDED"
            )
    }
}

/// Parses an `ERRORS` cell: `CODE-column[:CODE-column]`.
pub fn parse_errors(cell: &str) -> Vec<RowError> {
    cell.split([':', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| match entry.split_once('-') {
            Some((code, column)) if !column.trim().is_empty() => RowError {
                code: code.trim().to_owned(),
                column: Some(column.trim().to_owned()),
            },
            _ => RowError {
                code: entry.trim_end_matches('-').to_owned(),
                column: None,
            },
        })
        .collect()
}

/// Rows of a bulk write report, as [`RowOutcome`]s. The iteration ends after the first error.
pub struct Outcomes<'a> {
    source: CsvSource<'a>,
    columns: [Option<usize>; 3],
    row: csv::StringRecord,
    next: u64,
}

impl std::fmt::Debug for Outcomes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outcomes")
            .field("next", &self.next)
            .finish()
    }
}

impl Iterator for Outcomes<'_> {
    type Item = Result<RowOutcome, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.source.next_row(&mut self.row)? {
            return Some(Err(e));
        }
        let cell = |i: Option<usize>| i.and_then(|i| self.row.get(i)).unwrap_or("");
        let [status, id, errors] = self.columns;
        let outcome = RowOutcome {
            row: self.next,
            status: cell(status).trim().to_owned(),
            record_id: Some(cell(id).trim())
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            errors: parse_errors(cell(errors)),
        };
        self.next += 1;
        Some(Ok(outcome))
    }
}

/// Counts the bytes that reach the file (the compressed size), for the 25 MB upload limit.
struct Counting<W> {
    inner: W,
    pos: u64,
    len: Arc<AtomicU64>,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        self.len.fetch_max(self.pos, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Seek> Seek for Counting<W> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(pos)?;
        Ok(self.pos)
    }
}

/// The zip of one CSV that a bulk write uploads, written row by row into `W` (a file, usually).
///
/// The first CSV row holds the column names (field API names); [`field_mappings`](Self::field_mappings)
/// maps them by position. A [`Record`]'s values become cells as follows: strings as they are,
/// numbers and booleans as text, `null` or a missing field as an empty cell, a lookup object by
/// its `id`, an array (multi-select) joined by `;`. Fields that are not columns are ignored.
/// Dates and date-times are written as given: tell Zoho their format with
/// [`FieldMapping::format`] unless they follow its defaults (`MM/dd/yyyy`,
/// `MM/dd/yyyy HH:mm:ss`).
pub struct BulkWriteFile<W: Write + Seek> {
    csv: csv::Writer<ZipWriter<Counting<W>>>,
    columns: Vec<String>,
    rows: usize,
    written: Arc<AtomicU64>,
    cells: Vec<String>,
}

impl<W: Write + Seek> std::fmt::Debug for BulkWriteFile<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkWriteFile")
            .field("columns", &self.columns)
            .field("rows", &self.rows)
            .finish()
    }
}

/// Bytes at which a file counts as full: under Zoho's 25 MB, with room for the compressor's
/// buffer and the zip's directory.
const FULL_BYTES: u64 = MAX_UPLOAD_BYTES - 1024 * 1024;

impl<W: Write + Seek> BulkWriteFile<W> {
    /// Starts the zip (entry `data.csv`) and writes the header row.
    pub fn new<S: Into<String>>(
        writer: W,
        columns: impl IntoIterator<Item = S>,
    ) -> Result<Self, JobError> {
        Self::with_entry_name(writer, columns, "data.csv")
    }

    /// As [`new`](Self::new), with the CSV entry named `entry`.
    pub fn with_entry_name<S: Into<String>>(
        writer: W,
        columns: impl IntoIterator<Item = S>,
        entry: &str,
    ) -> Result<Self, JobError> {
        let columns: Vec<String> = columns.into_iter().map(Into::into).collect();
        if columns.is_empty() {
            return Err(JobError::File("a bulk write file needs columns".into()));
        }
        if let Some(c) = columns.iter().find(|c| c.trim().is_empty()) {
            return Err(JobError::File(format!("blank column name `{c}`")));
        }
        let written = Arc::new(AtomicU64::new(0));
        let mut zip = ZipWriter::new(Counting {
            inner: writer,
            pos: 0,
            len: written.clone(),
        });
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        zip.start_file(entry, options).map_err(zip_error)?;
        let mut csv = csv::WriterBuilder::new().from_writer(zip);
        csv.write_record(&columns).map_err(|e| csv_error(0, e))?;
        Ok(BulkWriteFile {
            csv,
            cells: vec![String::new(); columns.len()],
            columns,
            rows: 0,
            written,
        })
    }

    /// The column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Data rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Whether the file reached one of Zoho's limits per file (25,000 rows, about 25 MB
    /// compressed): the next row belongs in a new file.
    pub fn is_full(&self) -> bool {
        self.rows >= MAX_WRITE_ROWS || self.written.load(Ordering::Relaxed) >= FULL_BYTES
    }

    /// One field mapping per column, by position.
    pub fn field_mappings(&self) -> Vec<FieldMapping> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| FieldMapping::column(c.clone(), i as u32))
            .collect()
    }

    /// Appends a record as one row. Fails when the file [is full](Self::is_full).
    pub fn push(&mut self, record: &Record) -> Result<(), JobError> {
        if self.is_full() {
            return Err(JobError::File(format!(
                "the file is full ({} rows); start a new one",
                self.rows
            )));
        }
        for (cell, column) in self.cells.iter_mut().zip(&self.columns) {
            cell.clear();
            if let Some(raw) = record.raw(column) {
                cell.push_str(&cell_text(raw));
            }
        }
        self.rows += 1;
        let row = self.rows as u64;
        self.csv
            .write_record(&self.cells)
            .map_err(|e| csv_error(row, e))
    }

    /// Appends any serialisable value (a user struct) as one row, by field name.
    pub fn push_serialize<T: Serialize + ?Sized>(&mut self, row: &T) -> Result<(), JobError> {
        let record = Record::from_serialize(row).map_err(|e| JobError::Csv {
            row: self.rows as u64 + 1,
            message: e.to_string(),
        })?;
        self.push(&record)
    }

    /// Ends the CSV and the zip; returns the writer.
    pub fn finish(self) -> Result<W, JobError> {
        let zip = self
            .csv
            .into_inner()
            .map_err(|e| JobError::Io(io::Error::other(e.to_string())))?;
        Ok(zip.finish().map_err(zip_error)?.inner)
    }
}

/// The CSV text of a record value (its JSON text).
fn cell_text(raw: &str) -> Cow<'_, str> {
    let raw = raw.trim();
    match raw.as_bytes().first() {
        None | Some(b'n') if raw == "null" || raw.is_empty() => Cow::Borrowed(""),
        Some(b'"') => match serde_json::from_str::<String>(raw) {
            Ok(s) => Cow::Owned(s),
            Err(_) => Cow::Borrowed(raw),
        },
        Some(b'{') => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(o)) => match o.get("id") {
                Some(Value::String(s)) => Cow::Owned(s.clone()),
                Some(Value::Number(n)) => Cow::Owned(n.to_string()),
                _ => Cow::Borrowed(raw),
            },
            _ => Cow::Borrowed(raw),
        },
        Some(b'[') => match serde_json::from_str::<Vec<Value>>(raw) {
            Ok(items) => Cow::Owned(
                items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        Value::Object(o) => o
                            .get("id")
                            .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_owned))
                            .unwrap_or_else(|| v.to_string()),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            Err(_) => Cow::Borrowed(raw),
        },
        _ => Cow::Borrowed(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn cells_from_record_values() {
        assert_eq!(cell_text("\"a,b\""), "a,b");
        assert_eq!(cell_text("null"), "");
        assert_eq!(cell_text("12.5"), "12.5");
        assert_eq!(cell_text("true"), "true");
        assert_eq!(cell_text(r#"{"name":"X","id":"42"}"#), "42");
        assert_eq!(cell_text(r#"["A","B"]"#), "A;B");
    }

    #[test]
    fn errors_cell() {
        assert_eq!(
            parse_errors("MANDATORY_NOT_FOUND-Last_Name:INVALID_DATA-Email"),
            vec![
                RowError {
                    code: "MANDATORY_NOT_FOUND".into(),
                    column: Some("Last_Name".into())
                },
                RowError {
                    code: "INVALID_DATA".into(),
                    column: Some("Email".into())
                },
            ]
        );
        assert!(parse_errors("").is_empty());
        assert_eq!(parse_errors("LIMIT_EXCEEDED")[0].column, None);
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Lead {
        #[serde(rename = "Last_Name")]
        last_name: String,
        #[serde(rename = "Annual_Revenue")]
        revenue: Option<f64>,
    }

    #[test]
    fn round_trip_typed_and_report() {
        let mut f = BulkWriteFile::new(
            Cursor::new(Vec::new()),
            [
                "Last_Name",
                "Annual_Revenue",
                "STATUS",
                "RECORD_ID",
                "ERRORS",
            ],
        )
        .unwrap();
        f.push(
            &Record::new()
                .with("Last_Name", "A")
                .with("Annual_Revenue", 10.5)
                .with("STATUS", "ADDED")
                .with("RECORD_ID", "7"),
        )
        .unwrap();
        f.push(
            &Record::new()
                .with("Last_Name", "B")
                .with("STATUS", "SKIPPED")
                .with("ERRORS", "INVALID_DATA-Email"),
        )
        .unwrap();
        assert_eq!(f.field_mappings()[1].index, Some(1));
        let bytes = f.finish().unwrap().into_inner();
        let mut zip = CsvZip::open(Cursor::new(bytes)).unwrap();
        assert_eq!(zip.entry_name(), "data.csv");
        let leads: Vec<Lead> = zip.rows().unwrap().map(Result::unwrap).collect();
        assert_eq!(leads[0].revenue, Some(10.5));
        assert_eq!(leads[1].revenue, None);
        let outcomes: Vec<RowOutcome> = zip.outcomes(100).unwrap().map(Result::unwrap).collect();
        assert_eq!(outcomes[0].row, 100);
        assert!(outcomes[0].is_success());
        assert_eq!(outcomes[0].record_id.as_deref(), Some("7"));
        assert!(!outcomes[1].is_success());
        assert_eq!(outcomes[1].errors[0].code, "INVALID_DATA");
    }

    /// A zip of `entries` files; the first holds `csv`.
    fn zip_of(csv: &[u8], entries: usize) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for i in 0..entries {
            zip.start_file(format!("{i}.csv"), options).unwrap();
            if i == 0 {
                zip.write_all(csv).unwrap();
            }
        }
        zip.finish().unwrap().into_inner()
    }

    fn read_all(zip: &mut CsvZip<Cursor<Vec<u8>>>) -> Result<u64, JobError> {
        let mut rows = zip.byte_rows()?;
        let mut record = csv::ByteRecord::new();
        while rows.read(&mut record)? {}
        Ok(rows.rows_read())
    }

    #[test]
    fn rows_beyond_what_the_job_reported_stop_the_read() {
        let mut csv = b"id\n".to_vec();
        for _ in 0..200_000 {
            csv.extend_from_slice(b"1\n");
        }
        let mut zip = CsvZip::open(Cursor::new(zip_of(&csv, 1))).unwrap();
        assert_eq!(read_all(&mut zip).unwrap(), 200_000);
        zip.expect_rows(1);
        let e = read_all(&mut zip).unwrap_err();
        assert!(
            matches!(e, JobError::OverLimit(FileLimit::Rows { reported: 1 })),
            "{e:?}"
        );
        let e = zip.records().unwrap().find_map(Result::err).unwrap();
        assert!(
            matches!(e, JobError::OverLimit(FileLimit::Rows { .. })),
            "{e:?}"
        );
        zip.expect_rows(300_000);
        let e = read_all(&mut zip).unwrap_err();
        assert!(
            e.to_string()
                .contains("holds 200000 rows; the job reported 300000"),
            "{e}"
        );
    }

    #[test]
    fn decompressed_bytes_are_capped_absolutely_and_by_the_rows_reported() {
        let csv = format!("id\n{}", "1234567\n".repeat(1 << 17)); // 1 MiB of rows
        let bytes = zip_of(csv.as_bytes(), 1);
        assert!(bytes.len() < 64 * 1024, "compresses well: {}", bytes.len());
        let limits = FileLimits::default().max_bytes(256 * 1024);
        let mut zip = CsvZip::open_with(Cursor::new(bytes.clone()), limits).unwrap();
        let e = read_all(&mut zip).unwrap_err();
        assert!(
            matches!(e, JobError::OverLimit(FileLimit::Bytes { max: 262_144 })),
            "{e:?}"
        );
        let mut raw = Vec::new();
        let e = zip.raw().unwrap().read_to_end(&mut raw).unwrap_err();
        assert!(e.to_string().contains("larger than 262144 bytes"), "{e}");
        // Two rows reported, records of at most 100 bytes: at most 300 bytes in all.
        let mut zip = CsvZip::open(Cursor::new(bytes)).unwrap();
        zip.set_limits(FileLimits::default().max_record_bytes(100));
        zip.expect_rows(2);
        let mut raw = Vec::new();
        assert!(zip.raw().unwrap().read_to_end(&mut raw).is_err());
        assert!(raw.len() <= 300, "{}", raw.len());
    }

    #[test]
    fn an_endless_line_stops_at_the_record_limit() {
        let mut csv = b"id,Note\n1,short\n2,".to_vec();
        csv.extend(std::iter::repeat_n(b'x', 4 << 20));
        csv.extend_from_slice(b"\n3,after\n");
        let limits = FileLimits::default().max_record_bytes(1 << 20);
        let mut zip = CsvZip::open_with(Cursor::new(zip_of(&csv, 1)), limits).unwrap();
        let e = read_all(&mut zip).unwrap_err();
        assert!(
            matches!(
                e,
                JobError::OverLimit(FileLimit::Record {
                    row: 2,
                    max: 1_048_576
                })
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "bulk file: row 2 is longer than 1048576 bytes"
        );
        // The same file reads with the default limit (16 MiB).
        let mut zip = CsvZip::open(Cursor::new(zip_of(&csv, 1))).unwrap();
        assert_eq!(read_all(&mut zip).unwrap(), 3);
    }

    #[test]
    fn an_unterminated_quote_is_an_error() {
        let csv = b"id,Note\n1,\"open\n2,never closed\n";
        let mut zip = CsvZip::open(Cursor::new(zip_of(csv, 1))).unwrap();
        let e = read_all(&mut zip).unwrap_err();
        assert!(matches!(e, JobError::Csv { row: 1, .. }), "{e:?}");
        assert!(e.to_string().contains("not closed"), "{e}");
        let e = zip.records().unwrap().find_map(Result::err).unwrap();
        assert!(e.to_string().contains("not closed"), "{e}");
        // Quotes that close, doubled quotes inside: fine.
        let ok = b"id,Note\n1,\"say \"\"hi\"\", then\nmore\"\n";
        let mut zip = CsvZip::open(Cursor::new(zip_of(ok, 1))).unwrap();
        assert_eq!(read_all(&mut zip).unwrap(), 1);
    }

    #[test]
    fn too_many_entries_are_refused_before_the_directory_is_read() {
        let many = zip_of(b"id\n1\n", 65);
        let e = CsvZip::open(Cursor::new(many.clone())).unwrap_err();
        assert!(
            matches!(e, JobError::OverLimit(FileLimit::Entries { max: 64 })),
            "{e:?}"
        );
        assert!(
            CsvZip::open_with(Cursor::new(many), FileLimits::default().max_entries(65)).is_ok()
        );
        // An end record claiming a million entries (zip64), whatever follows.
        let mut bytes = zip_of(b"id\n1\n", 1);
        let eocd = bytes.len() - 22;
        let (cd_size, cd_offset) = (
            u32::from_le_bytes(bytes[eocd + 12..eocd + 16].try_into().unwrap()),
            u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap()),
        );
        let record_pos = eocd as u64;
        let mut record = b"PK\x06\x06".to_vec();
        record.extend_from_slice(&44u64.to_le_bytes());
        record.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        record.extend_from_slice(&1_000_000u64.to_le_bytes());
        record.extend_from_slice(&1_000_000u64.to_le_bytes());
        record.extend_from_slice(&u64::from(cd_size).to_le_bytes());
        record.extend_from_slice(&u64::from(cd_offset).to_le_bytes());
        let mut locator = b"PK\x06\x07".to_vec();
        locator.extend_from_slice(&0u32.to_le_bytes());
        locator.extend_from_slice(&record_pos.to_le_bytes());
        locator.extend_from_slice(&1u32.to_le_bytes());
        let mut end = bytes.split_off(eocd);
        end[8..10].copy_from_slice(&0xFFFFu16.to_le_bytes());
        end[10..12].copy_from_slice(&0xFFFFu16.to_le_bytes());
        bytes.extend(record);
        bytes.extend(locator);
        bytes.extend(end);
        let e = CsvZip::open(Cursor::new(bytes)).unwrap_err();
        assert!(
            matches!(e, JobError::OverLimit(FileLimit::Entries { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn a_second_end_record_in_the_directory_is_refused() {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        zip.start_file("data.csv", options).unwrap();
        zip.write_all(b"id\n1\n").unwrap();
        zip.start_file("PK\x05\x06 hidden.txt", options).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        let e = CsvZip::open(Cursor::new(bytes)).unwrap_err();
        assert!(
            e.to_string().contains("second end of central directory"),
            "{e}"
        );
    }

    #[test]
    fn a_damaged_zip_is_the_file_s_fault_not_the_disk_s() {
        let mut bytes = zip_of(b"id\n1\n2\n", 1);
        // The CRC of the entry, in its local header and in the directory.
        bytes[14] ^= 0xFF;
        let cd = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 16] ^= 0xFF;
        let mut zip = CsvZip::open(Cursor::new(bytes)).unwrap();
        let e = read_all(&mut zip).unwrap_err();
        assert!(matches!(e, JobError::File(_)), "{e:?}");
        assert!(e.to_string().contains("damaged"), "{e}");
    }

    #[test]
    fn not_a_zip_is_a_file_error() {
        let e = CsvZip::open(Cursor::new(b"{\"code\":\"X\"}".to_vec())).unwrap_err();
        assert!(matches!(e, JobError::File(_)), "{e:?}");
    }
}
