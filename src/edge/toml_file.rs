//! Reading TOML input files (products, cases) into typed structs, with
//! errors that say which file, which line and which key to fix.
//!
//! Two kinds of error reach a user. A *decoding* error (bad syntax, a
//! misspelled key, a wrong type or variant) comes from `toml`/serde with a
//! byte span; [`load`] turns it into an [`Error`] carrying the file, the line
//! and, where the line holds a `key = value`, the key path. serde's messages
//! already list what was expected: the allowed keys for an unknown key
//! (`deny_unknown_fields`), the variants for an unknown name. A *validation*
//! error comes later from the domain (`Product::validate`), which knows the
//! key path but not the text; [`Source::locate`] finds that key's line with
//! [`line_of`].
//!
//! ```no_run
//! # fn demo() -> terrace::Result<()> {
//! use terrace::domain::product::Product;
//! use terrace::edge::toml_file;
//! let (product, source) = toml_file::load::<Product>("products/balloon-48m.toml".as_ref())?;
//! product.validate().map_err(|e| source.locate(e))?;
//! # Ok(()) }
//! ```

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml_edit::{ImDocument, Item};

use super::files;
use crate::domain::product::Product;
use crate::{Error, ErrorKind, Result};

/// The text a value was read from, kept to locate later errors.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file the text came from.
    pub path: PathBuf,
    /// The file's text, without a byte-order mark.
    pub text: String,
}

impl Source {
    /// Adds this file and, when the error names a key found in the text,
    /// that key's line. An error whose field is not in the file (a missing
    /// key, a command-line override) keeps only the file.
    #[must_use]
    pub fn locate(&self, e: Error) -> Error {
        let line = e
            .location()
            .field
            .as_deref()
            .and_then(|f| line_of(&self.text, f));
        let e = e.with_file(&self.path);
        match line {
            Some(l) if e.location().line.is_none() => e.with_line(l),
            _ => e,
        }
    }
}

/// Reads `path` and decodes it as `T`. Returns the value and its [`Source`]
/// for locating validation errors. Errors name the file and, for decoding
/// errors, the line and (when it can be read off the line) the key path.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<(T, Source)> {
    let text = files::read_text(path)?;
    let value = parse::<T>(&text).map_err(|e| e.with_file(path))?;
    Ok((
        value,
        Source {
            path: path.to_path_buf(),
            text,
        },
    ))
}

/// Decodes TOML text as `T`; the error carries line and key path but no file.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    toml::from_str::<T>(text).map_err(|e| {
        // toml puts "what" and "expected" on separate lines; keep one line.
        let mut message = e.message().trim().lines().collect::<Vec<_>>().join("; ");
        // A bare TOML date (`start = 2026-11-01`) reaches serde as a map.
        if message.starts_with("invalid type: map, expected a string") {
            message = "expected a string, found a TOML date or table; write text in quotes (a month as start = \"2026-11\")".into();
        }
        // What toml says when a named choice (`frequency = 5`) is not text.
        if message == "wanted string or table" {
            message = "expected one of this key's names in quotes (e.g. frequency = \"monthly\"), found a number, list or other value".into();
        }
        let mut err = Error::new(ErrorKind::Parse, message);
        if let Some(span) = e.span() {
            let offset = span.start.min(text.len());
            err = err.with_line(line_at(text, offset));
            if let Some(key) = key_at(text, offset) {
                err = err.with_field(key);
            }
        }
        err
    })
}

/// Loads a loan product: decode, validate, and locate any error in the file.
pub fn load_product(path: &Path) -> Result<Product> {
    let (product, source) = load::<Product>(path)?;
    product.validate().map_err(|e| source.locate(e))?;
    Ok(product)
}

/// The 1-based line of a key path in TOML text: `tenor_months`,
/// `collateral.recovery_haircut` (standard or inline table), or an array
/// element `harvest_weights[1]` (the element's own line). `None` when the
/// text does not parse or the key is absent.
pub fn line_of(text: &str, key_path: &str) -> Option<u64> {
    let doc = ImDocument::parse(text).ok()?;
    let mut table = doc.as_table() as &dyn toml_edit::TableLike;
    let mut parts = key_path.split('.').peekable();
    while let Some(part) = parts.next() {
        let (name, index) = split_index(part);
        let (key, item) = table.get_key_value(name)?;
        if parts.peek().is_none() {
            let element_span = index
                .and_then(|i| match item {
                    Item::ArrayOfTables(a) => a.get(i)?.span(),
                    _ => item.as_array()?.get(i)?.span(),
                })
                .map(|s| s.start);
            let start = element_span.or_else(|| key.span().map(|s| s.start))?;
            return Some(line_at(text, start));
        }
        // Into a table: `[household]`, `{ … }`, the i-th `[[activity]]` or
        // the i-th inline table of an array.
        table = match (item, index) {
            (Item::Table(t), None) => t,
            (Item::Value(v), None) => v.as_inline_table()?,
            (Item::Value(v), Some(i)) => v.as_array()?.get(i)?.as_inline_table()?,
            (Item::ArrayOfTables(a), Some(i)) => a.get(i)?,
            _ => return None,
        };
    }
    None
}

/// `name[i]` (or `name[i][j]`, whose row `i` is on the line sought) into
/// the name and `i`.
fn split_index(part: &str) -> (&str, Option<usize>) {
    match part.split_once('[') {
        Some((name, rest)) => (name, rest.split(']').next().and_then(|i| i.parse().ok())),
        None => (part, None),
    }
}

fn line_at(text: &str, offset: usize) -> u64 {
    let offset = floor_char_boundary(text, offset);
    text[..offset].bytes().filter(|&b| b == b'\n').count() as u64 + 1
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The path of the table in force at the end of `text`, with array-of-tables
/// indices: after the second `[[activity]]` and a `[activity.with]`, it is
/// `activity[1].with`.
fn table_path_before(text: &str) -> Option<String> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut current: Option<String> = None;
    for l in text.lines() {
        let l = l.trim();
        if !l.starts_with('[') {
            continue;
        }
        let array = l.starts_with("[[");
        let name: String = l
            .trim_start_matches('[')
            .split(']')
            .next()
            .unwrap_or("")
            .trim()
            .to_string();
        if array {
            let nested = format!("{name}.");
            counts.retain(|k, _| !k.starts_with(&nested));
            *counts.entry(name.clone()).or_insert(0) += 1;
        }
        let mut path = String::new();
        let mut prefix = String::new();
        for part in name.split('.') {
            if !prefix.is_empty() {
                prefix.push('.');
                path.push('.');
            }
            prefix.push_str(part);
            path.push_str(part);
            if let Some(n) = counts.get(&prefix) {
                path.push_str(&format!("[{}]", n - 1));
            }
        }
        current = Some(path);
    }
    current
}

/// The key path of the `key = value` line holding `offset`, prefixed by the
/// enclosing `[table]` header. A heuristic on the raw text (good for the
/// flat files terrace reads); `None` when the line is not a key/value line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = floor_char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[line_start..line_end];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('#') || key.starts_with('[') {
        return None;
    }
    let header = table_path_before(&text[..line_start]);
    Some(match header {
        Some(h) if !h.is_empty() => format!("{h}.{key}"),
        _ => key.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "id = \"x\"\ntenor_months = 12\nharvest_weights = [\n  0.7,\n  0.3,\n]\n\n[collateral]\nkind = \"none\"\nrecovery_haircut = 0.4\n";

    #[test]
    fn table_paths_count_arrays_of_tables() {
        let text = "[[investment]]\ncost = 1\n[[investment]]\ncost = 2\n[[activity]]\n[[activity.channel]]\n[[activity]]\n[activity.with]\n[[activity.channel]]\n[[activity.channel]]\n";
        assert_eq!(
            table_path_before(&text[..text.find("cost = 2").unwrap()]).as_deref(),
            Some("investment[1]")
        );
        assert_eq!(
            table_path_before(&text[..text.find("[activity.with]").unwrap() + 16]).as_deref(),
            Some("activity[1].with")
        );
        assert_eq!(
            table_path_before(text).as_deref(),
            Some("activity[1].channel[1]")
        );
        assert_eq!(table_path_before("x = 1\n"), None);
    }

    #[test]
    fn finds_lines_of_top_level_nested_and_array_keys() {
        assert_eq!(line_of(TEXT, "id"), Some(1));
        assert_eq!(line_of(TEXT, "tenor_months"), Some(2));
        assert_eq!(line_of(TEXT, "harvest_weights"), Some(3));
        assert_eq!(line_of(TEXT, "harvest_weights[1]"), Some(5));
        assert_eq!(line_of(TEXT, "collateral.recovery_haircut"), Some(10));
        assert_eq!(line_of(TEXT, "collateral.missing"), None);
        assert_eq!(line_of(TEXT, "missing"), None);
        let inline = "a = 1\ncollateral = { kind = \"none\", recovery_haircut = 0.4 }\n";
        assert_eq!(line_of(inline, "collateral.recovery_haircut"), Some(2));
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        kind: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        id: String,
        inner: Inner,
    }

    #[test]
    fn unknown_keys_report_line_key_path_and_allowed_keys() {
        let e = parse::<Outer>("id = \"a\"\n\n[inner]\nkind = \"x\"\nknd = 1\n").unwrap_err();
        assert_eq!(e.location().line, Some(5));
        assert_eq!(e.location().field.as_deref(), Some("inner.knd"));
        assert!(e.message().contains("unknown field `knd`"), "{e}");
        assert!(e.message().contains("`kind`"), "{e}");
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    enum Colour {
        Red,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Choice {
        colour: Colour,
        name: String,
    }

    #[test]
    fn a_choice_or_text_of_another_type_says_what_to_write() {
        let e = parse::<Choice>("name = \"a\"\ncolour = 5\n").unwrap_err();
        assert_eq!(e.location().line, Some(2));
        assert!(e.message().contains("names in quotes"), "{e}");
        let e = parse::<Choice>("colour = \"Red\"\nname = 2026-11-01\n").unwrap_err();
        assert_eq!(e.location().line, Some(2));
        assert!(e.message().contains("found a TOML date"), "{e}");
    }

    #[test]
    fn syntax_errors_report_their_line() {
        let e = parse::<Outer>("id = \"a\"\ninner = {\n").unwrap_err();
        assert!(e.location().line.is_some(), "{e}");
        assert_eq!(e.kind(), ErrorKind::Parse);
    }
}
