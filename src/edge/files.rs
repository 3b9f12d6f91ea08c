//! Reading input files and writing results.
//!
//! Input: a UTF-8 byte-order mark is accepted and dropped; an empty file,
//! invalid UTF-8 or a file in UTF-16/UTF-32 is an error naming the file.
//! A streamed file's line ends (LF, CRLF or a lone CR) are read as LF, so
//! the line an error names is the line an editor shows.
//! Every command that streams a CSV opens it with [`open_csv`] and turns
//! the reader's errors into terrace's with [`csv_error`]. Output: a
//! [`Sink`] writes to standard output or to a temporary file beside the
//! destination that is renamed only when the command succeeds, so an
//! interrupted run never leaves a half-written result that looks whole.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::{Error, ErrorKind, Result};

/// Reads a whole text file, dropping a UTF-8 BOM. Empty files are refused.
pub fn read_text(path: &Path) -> Result<String> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| Error::io(path, e))?;
    if let Some(found) = wide_encoding(&bytes) {
        return Err(Error::new(
            ErrorKind::Parse,
            format!("expected UTF-8 text, found {found}; save the file as UTF-8"),
        )
        .with_file(path));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let column = at - before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) + 1;
        Error::new(
            ErrorKind::Parse,
            format!(
                "expected UTF-8 text, found byte 0x{:02X} at column {column} (save the file as UTF-8)",
                e.as_bytes()[at]
            ),
        )
        .with_file(path)
        .with_line(line)
    })?;
    let text = text
        .strip_prefix('\u{feff}')
        .map(str::to_owned)
        .unwrap_or(text);
    if text.trim().is_empty() {
        return Err(
            Error::new(ErrorKind::Parse, "expected content, found an empty file").with_file(path),
        );
    }
    Ok(text)
}

/// Opens a file for streaming reads, skipping a UTF-8 BOM if present and
/// reading every line end as LF ([`LfLineEnds`]). A file in UTF-16 or
/// UTF-32 (what some spreadsheets save as "Unicode text") is refused whole
/// with a message saying so, rather than as a CSV error on its first byte.
pub fn open_reader(path: &Path) -> Result<Box<dyn Read + Send>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = io::BufReader::with_capacity(1 << 16, file);
    let head = io::BufRead::fill_buf(&mut reader).map_err(|e| Error::io(path, e))?;
    if let Some(found) = wide_encoding(head) {
        return Err(Error::new(
            ErrorKind::Parse,
            format!("expected UTF-8 text, found {found}; save the file as UTF-8 (CSV UTF-8)"),
        )
        .with_file(path));
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        io::BufRead::consume(&mut reader, 3);
    }
    Ok(Box::new(LfLineEnds::new(reader)))
}

/// Bytes with each line end (CRLF, or a lone CR as classic Mac Excel
/// saves "CSV (Macintosh)") made one LF. The CSV reader counts lines by
/// LF alone, and with CRLF it gives each record the line before its own
/// (BurntSushi/rust-csv#395): spreadsheets on Windows save CRLF, and a
/// rejected row must name the line it is on.
///
/// The text also always ends with a line end (one is added if the file has
/// none), so every record is followed by one: [`record_line`] counts back
/// from there.
pub struct LfLineEnds<R> {
    inner: R,
    /// The last byte read was a CR, already passed on as LF: an LF next
    /// is the rest of that line end.
    after_cr: bool,
    /// The last byte passed on, if any.
    last: Option<u8>,
}

impl<R> LfLineEnds<R> {
    /// Reads `inner` with its line ends made LF.
    pub fn new(inner: R) -> Self {
        LfLineEnds {
            inner,
            after_cr: false,
            last: None,
        }
    }
}

impl<R: Read> Read for LfLineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_lf(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        } else if self.last.is_some_and(|b| b != b'\n') && !buf.is_empty() {
            buf[0] = b'\n';
            self.last = Some(b'\n');
            return Ok(1);
        }
        Ok(n)
    }
}

impl<R: Read> LfLineEnds<R> {
    fn read_lf(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            // Most files have no CR: their bytes pass as read.
            if n == 0 || !(self.after_cr || buf[..n].contains(&b'\r')) {
                return Ok(n);
            }
            // Rewritten in place: what is kept never runs ahead of what is read.
            let mut kept = 0;
            for i in 0..n {
                let b = buf[i];
                let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
                if b == b'\n' && after_cr {
                    continue;
                }
                buf[kept] = if b == b'\r' { b'\n' } else { b };
                kept += 1;
            }
            // A read that held only the LF of a CRLF gives nothing: read on,
            // as 0 would say the file ended.
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
}

/// The line `record`, just read by `reader` from an [`open_csv`] file,
/// starts on. The csv crate gives a record the line where it began looking
/// for it, before any blank lines it skipped; the reader's position after
/// the record is exact (every record ends with a line end, see
/// [`LfLineEnds`]), so the start is that line less one, less the line ends
/// inside quoted fields. A quote left open runs to the end of the file and
/// takes the last line end in, so the count comes one short; the crate's
/// line, never later than the true one, bounds it.
pub fn record_line<R: Read>(reader: &csv::Reader<R>, record: &csv::StringRecord) -> u64 {
    let inside: usize = record.iter().map(|f| f.matches('\n').count()).sum();
    let counted = reader.position().line().saturating_sub(1 + inside as u64);
    let looked = record.position().map_or(1, csv::Position::line);
    counted.max(looked).max(1)
}

/// Where and what a record's bytes that are not UTF-8 are, for a rejected
/// row: the 1-based column and the reason (the csv crate's own text names
/// its record count and byte offset, which mean nothing to a user).
pub fn utf8_fault(e: &csv::Error) -> (String, String) {
    let column = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("column {}", err.field() + 1),
        _ => "record".to_string(),
    };
    let reason = "expected UTF-8 text, found bytes that are not (save the file as UTF-8, \"CSV UTF-8\" in a spreadsheet)".to_string();
    (column, reason)
}

/// The last line of a record `reader` could not read (bytes that are not
/// UTF-8): its fields, which would say how many lines it spans, are not
/// at hand.
pub fn failed_record_line<R: Read>(reader: &csv::Reader<R>) -> u64 {
    reader.position().line().saturating_sub(1).max(1)
}

/// A CSV file opened for streaming reads (records may differ in field
/// count; the caller checks them against the header) and its header
/// record. An empty file is an error naming `expected`, the columns the
/// command reads.
pub fn open_csv(
    path: &Path,
    expected: &str,
) -> Result<(csv::Reader<Box<dyn Read + Send>>, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(open_reader(path)?);
    let mut header = csv::StringRecord::new();
    if !reader
        .read_record(&mut header)
        .map_err(|e| csv_error(path, e))?
    {
        return Err(Error::new(
            ErrorKind::Parse,
            format!("expected a header row ({expected}), found an empty file"),
        )
        .with_file(path));
    }
    Ok((reader, header))
}

/// A CSV reader's error that stops a file: an I/O error names the file,
/// any other the file and the line.
pub fn csv_error(path: &Path, e: csv::Error) -> Error {
    let (line, message) = (e.position().map(csv::Position::line), e.to_string());
    if let csv::ErrorKind::Io(io) = e.into_kind() {
        return Error::io(path, io);
    }
    let err = Error::new(ErrorKind::Parse, message).with_file(path);
    match line {
        Some(l) => err.with_line(l),
        None => err,
    }
}

/// The UTF-16 or UTF-32 encoding `head` (a file's first bytes) is in, by
/// its byte-order mark or, without one, by the NUL bytes that ASCII text
/// has beside every character in those encodings. Only the first line
/// (the header) is looked at: a NUL in a data row is that row's problem.
fn wide_encoding(head: &[u8]) -> Option<&'static str> {
    const MARKS: [(&[u8], &str); 4] = [
        (
            &[0xFF, 0xFE, 0, 0],
            "UTF-32 (little-endian byte-order mark)",
        ),
        (&[0, 0, 0xFE, 0xFF], "UTF-32 (big-endian byte-order mark)"),
        (&[0xFF, 0xFE], "UTF-16 (little-endian byte-order mark)"),
        (&[0xFE, 0xFF], "UTF-16 (big-endian byte-order mark)"),
    ];
    if let Some((_, name)) = MARKS.iter().find(|(m, _)| head.starts_with(m)) {
        return Some(name);
    }
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    first_line
        .contains(&0)
        .then_some("NUL bytes (UTF-16 or UTF-32 without a byte-order mark?)")
}

/// Lists the `*.toml` files of a directory, sorted by name so runs are
/// reproducible.
pub fn toml_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::new(
            ErrorKind::Usage,
            "expected at least one *.toml file, found none",
        )
        .with_file(dir));
    }
    Ok(files)
}

/// Where writing to `path` lands: `path` itself or, for a symbolic link,
/// the file it points to, so that an output replaces the file and leaves
/// the link in place. A link to a file yet to be made is followed by hand
/// (through up to 40 links, as the system does).
pub fn output_target(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&target) {
            // A relative link is relative to the link's folder.
            Ok(next) => target = target.parent().unwrap_or(Path::new("")).join(next),
            Err(_) => break,
        }
    }
    target
}

/// The temporary name an output is written under before it is renamed to
/// `target` (see [`output_target`]): `.<name>.partial-<pid>` in the same
/// directory, so the rename does not cross file systems and a leftover is
/// hidden and names its process.
pub fn partial_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Where a command's output goes: standard output, or a file committed by
/// renaming a temporary file when [`Sink::finish`] is called. A device or
/// a pipe (`/dev/null`, a FIFO, `/dev/stdout`) is written directly: it
/// cannot be replaced, and holds no result that could look whole.
pub struct Sink {
    // `Send`, so a command can write on one thread while it computes on
    // others.
    writer: BufWriter<Box<dyn Write + Send>>,
    /// The destination as the user named it, for errors.
    name: PathBuf,
    /// The temporary file and the file it becomes.
    commit: Option<(PathBuf, PathBuf)>,
}

impl Sink {
    /// Standard output when `path` is `None`, else a temporary file beside
    /// `path` (or `path` itself when it is a device or a pipe).
    pub fn open(path: Option<&Path>) -> Result<Sink> {
        let Some(path) = path else {
            return Ok(Sink {
                writer: BufWriter::new(Box::new(io::stdout())),
                name: PathBuf::from("<stdout>"),
                commit: None,
            });
        };
        // The system follows any links (`/dev/stdout` is one to a
        // descriptor) to say what the output is.
        let existing = std::fs::metadata(path).ok();
        if existing.as_ref().is_some_and(std::fs::Metadata::is_dir) {
            return Err(Error::new(
                ErrorKind::Io,
                "is a folder: expected the name of a file to write",
            )
            .with_file(path));
        }
        if existing.is_some_and(|m| !m.is_file()) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            return Ok(Sink {
                writer: BufWriter::new(Box::new(file)),
                name: path.to_path_buf(),
                commit: None,
            });
        }
        let target = output_target(path);
        let tmp = partial_path(&target);
        let file = File::create(&tmp).map_err(|e| Error::io(path, e))?;
        Ok(Sink {
            writer: BufWriter::new(Box::new(file)),
            name: path.to_path_buf(),
            commit: Some((tmp, target)),
        })
    }

    /// The writer to render into.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// Flushes and, for a file, renames the temporary file into place.
    pub fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.name, e))?;
        if let Some((tmp, target)) = &self.commit {
            std::fs::rename(tmp, target).map_err(|e| Error::io(&self.name, e))?;
            // Renamed: nothing left for `drop` to remove.
            self.commit = None;
        }
        Ok(())
    }

    /// Maps a write error to an [`Error`] naming the destination.
    pub fn io_error(&self, e: io::Error) -> Error {
        Error::io(&self.name, e)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // A sink dropped without `finish` belongs to a failed run: remove the
        // partial file rather than leave it beside the real output.
        if let Some((tmp, _)) = &self.commit {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_in_another_encoding_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let wide = dir.path().join("wide.toml");
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("id = \"x\"\n".encode_utf16().flat_map(u16::to_le_bytes));
        std::fs::write(&wide, bytes).unwrap();
        let e = read_text(&wide).unwrap_err().to_string();
        assert!(
            e.contains("found UTF-16 (little-endian byte-order mark)"),
            "{e}"
        );
        // Latin-1's á on line 2, column 7.
        let latin = dir.path().join("latin.toml");
        std::fs::write(&latin, b"id = 1\nname=\"\xE1\"\n").unwrap();
        let e = read_text(&latin).unwrap_err();
        assert_eq!(e.location().line, Some(2));
        assert!(e.to_string().contains("found byte 0xE1 at column 7"), "{e}");
    }

    fn write_through(path: &Path, text: &str) -> Result<()> {
        let mut sink = Sink::open(Some(path))?;
        sink.writer().write_all(text.as_bytes()).unwrap();
        sink.finish()
    }

    #[test]
    fn outputs_replace_a_links_target_and_keep_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old").unwrap();
        // A relative link, as `ln -s real.csv link.csv` makes, and a link
        // to that link.
        let link = dir.path().join("link.csv");
        let link2 = dir.path().join("link2.csv");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("real.csv", &link).unwrap();
            std::os::unix::fs::symlink(&link, &link2).unwrap();
            write_through(&link2, "new").unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
            assert!(std::fs::symlink_metadata(&link2).unwrap().is_symlink());
            assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
            // A dangling link gets its file.
            std::fs::remove_file(&real).unwrap();
            write_through(&link, "again").unwrap();
            assert_eq!(std::fs::read_to_string(&real).unwrap(), "again");
        }
        // Nothing is left beside the outputs.
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains("partial"))
            .collect();
        names.sort();
        assert!(names.is_empty(), "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn outputs_to_pipes_write_into_them_and_leave_them_pipes() {
        // A named pipe stands for every file that is not a regular file
        // (`/dev/null`, `/dev/stdout`), without risking a real device.
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here: nothing to check against
        }
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write_through(&fifo, "through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        let kind = std::fs::metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo());
    }

    #[test]
    fn unwritable_outputs_name_the_path_given() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-folder").join("out.csv");
        let e = Sink::open(Some(&missing)).err().unwrap();
        assert_eq!(e.location().file.as_deref(), Some(missing.as_path()));
        assert!(!e.to_string().contains("partial"), "{e}");
        let e = Sink::open(Some(dir.path())).err().unwrap();
        assert!(e.to_string().contains("is a folder"), "{e}");
    }

    /// A reader that hands out `step` bytes at a time, so that line ends
    /// split across reads.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn read_as_lf(text: &str, step: usize) -> String {
        let mut out = String::new();
        LfLineEnds::new(Trickle {
            bytes: text.as_bytes(),
            step,
        })
        .read_to_string(&mut out)
        .unwrap();
        out
    }

    #[test]
    fn line_ends_are_read_as_lf_however_the_reads_split_them() {
        for step in [1, 2, 3, 7, 64] {
            assert_eq!(read_as_lf("a,b\r\nc,d\r\n", step), "a,b\nc,d\n");
            assert_eq!(read_as_lf("a,b\rc,d\r", step), "a,b\nc,d\n");
            // LF, CRLF, CR, CR: four line ends.
            assert_eq!(read_as_lf("a\n\r\n\r\rb\n", step), "a\n\n\n\nb\n");
            assert_eq!(read_as_lf("\r\n", step), "\n");
            // A last line end is added where the file has none.
            assert_eq!(read_as_lf("no line end", step), "no line end\n");
            assert_eq!(read_as_lf("cr end\r", step), "cr end\n");
            assert_eq!(read_as_lf("", step), "");
        }
    }

    #[test]
    fn csv_records_name_the_line_they_start_on_whatever_the_line_ends() {
        // Lines: 1 header, 2 a, 3 blank, 4-5 a quoted field over two lines,
        // 6-7 blank, 8 c; with and without a last line end.
        for end in ["\n", "\r\n", "\r"] {
            for last in ["", end] {
                let text =
                    ["h1,h2", "a,1", "", "\"multi", "line\",2", "", "", "c,3"].join(end) + last;
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(LfLineEnds::new(text.as_bytes()));
                let (mut lines, mut fields) = (Vec::new(), Vec::new());
                let mut record = csv::StringRecord::new();
                while reader.read_record(&mut record).unwrap() {
                    lines.push(record_line(&reader, &record));
                    fields.push(record[0].to_string());
                }
                // The csv crate alone gives [1, 2, 3, 6] for LF (blank
                // lines uncounted) and [1, 1, 2, 4] for CRLF.
                assert_eq!(lines, [1, 2, 4, 8], "{end:?} {last:?}");
                assert_eq!(fields[2], "multi\nline", "{end:?}");
            }
        }
    }

    #[test]
    fn a_record_that_is_not_utf8_names_its_line() {
        let text = b"h1,h2\n\na,1\n\nb\xFF,2\nc,3\n";
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(LfLineEnds::new(&text[..]));
        let mut record = csv::StringRecord::new();
        let mut seen = Vec::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => seen.push(record_line(&reader, &record)),
                Ok(false) => break,
                Err(_) => seen.push(failed_record_line(&reader)),
            }
        }
        assert_eq!(seen, [1, 3, 5, 6]);
    }

    #[test]
    fn a_quote_left_open_names_the_line_it_opens_on() {
        for last in ["", "\n"] {
            let text = format!("h1,h2\na,1\n\"b,2\nc,3\nd,4{last}");
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(LfLineEnds::new(text.as_bytes()));
            let mut record = csv::StringRecord::new();
            let mut lines = Vec::new();
            while reader.read_record(&mut record).unwrap() {
                lines.push(record_line(&reader, &record));
            }
            assert_eq!(lines, [1, 2, 3], "{last:?}");
        }
    }
}
