//! One error type for the whole library.
//!
//! Every error says *where* (file, line, field or row), *what was expected*
//! and *what was found*, so a user can fix the input without reading code.
//! The command line maps [`ErrorKind`] to exit codes (see [`Error::exit_code`]).

use std::fmt;
use std::path::PathBuf;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What sort of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read or written.
    Io,
    /// Input text is not well-formed (TOML, CSV, a number, a date).
    Parse,
    /// Input is well-formed but a value is not acceptable (out of range,
    /// inconsistent with another value, unknown name).
    Invalid,
    /// The command line asks for something that cannot be done.
    Usage,
}

/// Where in the input an error was found. Every part is optional: a domain
/// check knows the field, the edge that read the file adds file and line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// The file the input came from.
    pub file: Option<PathBuf>,
    /// 1-based line number in that file.
    pub line: Option<u64>,
    /// The field, key path (`fees.upfront_pct`) or CSV column.
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(file) = &self.file {
            parts.push(file.display().to_string());
        }
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(field) = &self.field {
            parts.push(format!("field `{field}`"));
        }
        f.write_str(&parts.join(", "))
    }
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    location: Location,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The library's error: a kind, a location and a message that says what was
/// expected and what was found.
#[derive(Debug)]
pub struct Error(Box<Inner>);

impl Error {
    /// A new error of `kind` with a message and no location yet.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            location: Location::default(),
            message: message.into(),
            source: None,
        }))
    }

    /// A value out of range or inconsistent: `field` expected `expected`,
    /// found `found`.
    pub fn invalid(
        field: impl Into<String>,
        expected: impl fmt::Display,
        found: impl fmt::Display,
    ) -> Self {
        Self::new(
            ErrorKind::Invalid,
            format!("expected {expected}, found {}", compact(found)),
        )
        .with_field(field)
    }

    /// Text that could not be parsed as what `field` needs.
    pub fn parse(
        field: impl Into<String>,
        expected: impl fmt::Display,
        found: impl fmt::Display,
    ) -> Self {
        Self::new(
            ErrorKind::Parse,
            format!("expected {expected}, found {}", compact(found)),
        )
        .with_field(field)
    }

    /// A command-line problem; the message should name the flag that fixes it.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }

    /// A file-system failure on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let message = source.to_string();
        let mut e = Self::new(ErrorKind::Io, message).with_file(path);
        e.0.source = Some(Box::new(source));
        e
    }

    /// Sets the file, keeping any line and field already known.
    #[must_use]
    pub fn with_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.0.location.file = Some(file.into());
        self
    }

    /// Sets the 1-based line.
    #[must_use]
    pub fn with_line(mut self, line: u64) -> Self {
        self.0.location.line = Some(line);
        self
    }

    /// Sets the field; an existing field becomes the tail of the new path
    /// (`products[2]` + `rate` → `products[2].rate`).
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.0.location.field = Some(match self.0.location.field.take() {
            Some(inner) if !field.is_empty() && !inner.is_empty() => format!("{field}.{inner}"),
            Some(inner) if field.is_empty() => inner,
            _ => field,
        });
        self
    }

    /// What sort of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Where it happened.
    pub fn location(&self) -> &Location {
        &self.0.location
    }

    /// The message without the location.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The process exit code for this error: every error that stops a
    /// command is a usage, configuration or input error, exit code 2.
    pub fn exit_code(&self) -> i32 {
        2
    }
}

/// `found` as a user should read it. Rust prints an `f64` in full, never in
/// exponent form, so 1e300 would be 301 digits and 1e-300 302 characters:
/// a number longer than any money or parameter a person writes (a `Decimal`
/// has at most 29 digits) is shown in exponent form instead.
pub(crate) fn compact(found: impl fmt::Display) -> String {
    let text = found.to_string();
    match text.parse::<f64>() {
        Ok(x) if text.len() > 40 => format!("{x:e}"),
        _ => text,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let loc = self.0.location.to_string();
        if loc.is_empty() {
            f.write_str(&self.0.message)
        } else {
            write!(f, "{loc}: {}", self.0.message)
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Fails with an [`ErrorKind::Invalid`] error on `field` unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $field:expr, $expected:expr, $found:expr $(,)?) => {
        // Bound to a `bool` first: `!(x >= 0.0)` on floats trips clippy's
        // `neg_cmp_op_on_partial_ord` in every caller.
        {
            let holds: bool = $cond;
            if !holds {
                return Err($crate::Error::invalid($field, $expected, $found));
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_tiny_numbers_are_found_in_exponent_form() {
        let e = Error::invalid("rate", "a rate in [0, 2]", 1e300);
        assert_eq!(e.message(), "expected a rate in [0, 2], found 1e300");
        let e = Error::parse("rate", "a number", -1.5e-300);
        assert_eq!(e.message(), "expected a number, found -1.5e-300");
        // What a person writes stays as written, long decimals included.
        let e = Error::invalid("amount", "at most 1e15", "1234567890123456789012345.6789");
        assert_eq!(
            e.message(),
            "expected at most 1e15, found 1234567890123456789012345.6789"
        );
        let e = Error::invalid("x", "x", 0.1);
        assert_eq!(e.message(), "expected x, found 0.1");
    }

    #[test]
    fn display_names_file_line_field_and_expectation() {
        let e = Error::invalid("rate", "a rate in [0, 2]", "-0.5")
            .with_field("product")
            .with_file("products/x.toml")
            .with_line(7);
        assert_eq!(
            e.to_string(),
            "products/x.toml, line 7, field `product.rate`: expected a rate in [0, 2], found -0.5"
        );
        assert_eq!(e.exit_code(), 2);
    }
}
