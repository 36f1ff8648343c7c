//! Bulk files, read and written one row at a time: [`CsvZip`] reads a zip holding one CSV (a
//! bulk read result or a bulk write report) from any `Read + Seek` (a file, usually);
//! [`BulkWriteFile`] writes the zip of one CSV that a bulk write uploads.
//!
//! Memory stays bounded whatever the file size: rows are decoded from the decompressing reader
//! one at a time and written through the compressor one at a time. These types do no IO of
//! their own beyond the reader or writer they are given.
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
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::{FieldMapping, MAX_UPLOAD_BYTES, MAX_WRITE_ROWS};
use crate::jobs::JobError;
use crate::record::Record;

fn zip_error(e: zip::result::ZipError) -> JobError {
    match e {
        zip::result::ZipError::Io(io) => JobError::Io(io),
        other => JobError::File(other.to_string()),
    }
}

fn csv_error(row: u64, e: csv::Error) -> JobError {
    if e.is_io_error() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return JobError::Io(io);
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

/// A zip holding one CSV (or ICS) file: a bulk read result or a bulk write report.
pub struct CsvZip<R: Read + Seek> {
    archive: ZipArchive<R>,
    entry: usize,
    name: String,
}

impl<R: Read + Seek> std::fmt::Debug for CsvZip<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvZip").field("entry", &self.name).finish()
    }
}

impl<R: Read + Seek> CsvZip<R> {
    /// Opens the zip and finds its data file: the first `.csv` entry, else the first `.ics`
    /// entry, else the first file.
    pub fn open(reader: R) -> Result<Self, JobError> {
        let archive = ZipArchive::new(reader).map_err(zip_error)?;
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
        Ok(CsvZip {
            archive,
            entry,
            name,
        })
    }

    /// The data file's name inside the zip (e.g. `{job_id}.csv`).
    pub fn entry_name(&self) -> &str {
        &self.name
    }

    /// The data file's bytes, decompressed as they are read (for ICS results, or own parsing).
    pub fn raw(&mut self) -> Result<impl Read + '_, JobError> {
        self.archive.by_index(self.entry).map_err(zip_error)
    }

    fn csv(&mut self) -> Result<(CsvReader<'_>, Vec<String>), JobError> {
        let entry: Box<dyn Read + '_> =
            Box::new(self.archive.by_index(self.entry).map_err(zip_error)?);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(entry);
        let headers = reader
            .headers()
            .map_err(|e| csv_error(0, e))?
            .iter()
            // A UTF-8 byte order mark before the first header is not part of its name.
            .map(|h| h.trim_start_matches('\u{feff}').to_owned())
            .collect();
        Ok((reader, headers))
    }

    /// The rows as [`Record`]s keyed by the CSV header (Zoho's field API names); every value is
    /// a string, empty cells are `null`.
    pub fn records(&mut self) -> Result<Rows<'_, Record>, JobError> {
        let (reader, headers) = self.csv()?;
        Ok(Rows {
            reader,
            headers,
            row: csv::StringRecord::new(),
            line: 0,
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
        let (reader, headers) = self.csv()?;
        Ok(Rows {
            reader,
            headers,
            row: csv::StringRecord::new(),
            line: 0,
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
        let (reader, headers) = self.csv()?;
        let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let columns = [col("STATUS"), col("RECORD_ID"), col("ERRORS")];
        if columns[0].is_none() {
            return Err(JobError::File("the report has no STATUS column".into()));
        }
        Ok(Outcomes {
            reader,
            columns,
            row: csv::StringRecord::new(),
            next: first_row,
            line: 0,
        })
    }
}

type CsvReader<'a> = csv::Reader<Box<dyn Read + 'a>>;

type DecodeRow<T> = fn(&[String], &csv::StringRecord, u64) -> Result<T, JobError>;

/// Rows of a [`CsvZip`], decoded one at a time.
pub struct Rows<'a, T> {
    reader: csv::Reader<Box<dyn Read + 'a>>,
    headers: Vec<String>,
    row: csv::StringRecord,
    line: u64,
    decode: DecodeRow<T>,
    target: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Rows<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("headers", &self.headers)
            .field("line", &self.line)
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
        self.line
    }
}

impl<T> Iterator for Rows<'_, T> {
    type Item = Result<T, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.reader.read_record(&mut self.row) {
            Ok(false) => None,
            Ok(true) => {
                self.line += 1;
                Some((self.decode)(&self.headers, &self.row, self.line))
            }
            Err(e) => {
                self.line += 1;
                Some(Err(csv_error(self.line, e)))
            }
        }
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

/// Rows of a bulk write report, as [`RowOutcome`]s.
pub struct Outcomes<'a> {
    reader: csv::Reader<Box<dyn Read + 'a>>,
    columns: [Option<usize>; 3],
    row: csv::StringRecord,
    next: u64,
    line: u64,
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
        self.line += 1;
        match self.reader.read_record(&mut self.row) {
            Ok(false) => None,
            Ok(true) => {
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
            Err(e) => Some(Err(csv_error(self.line, e))),
        }
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

    #[test]
    fn not_a_zip_is_a_file_error() {
        let e = CsvZip::open(Cursor::new(b"{\"code\":\"X\"}".to_vec())).unwrap_err();
        assert!(matches!(e, JobError::File(_)), "{e:?}");
    }
}
