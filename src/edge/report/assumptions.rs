//! The assumptions of a case with their sources, read from the case file's
//! comments.
//!
//! Every figure in a shipped case carries its source in the comment above
//! it (a `shared/case-data.md` code such as `C12`, `(derived)` or
//! `(est.)`; see `data/cases/README.md`). The report lists each key with
//! its value and that comment, so a reader can check a number against its
//! source without opening the TOML. This is a line scanner, not a TOML
//! parser: the case was already parsed and validated; here only the text
//! around each key matters.

/// One input line of a case file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumption {
    /// Table path and key, e.g. `investment[0].cost`.
    pub key: String,
    /// The value as written.
    pub value: String,
    /// The comment lines just above the key (and any trailing comment).
    pub source: String,
}

/// The file's opening comment block (the case's description).
#[must_use]
pub fn preamble(toml: &str) -> String {
    let mut lines = Vec::new();
    for line in toml.lines() {
        let t = line.trim();
        match t.strip_prefix('#') {
            Some(c) => lines.push(c.trim().to_string()),
            None if t.is_empty() && lines.is_empty() => continue,
            None => break,
        }
    }
    join_paragraph(&lines)
}

fn join_paragraph(lines: &[String]) -> String {
    lines
        .iter()
        .filter(|l| !l.is_empty() && !l.chars().all(|c| c == '-'))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Each `key = value` of the file with the comment above it. Array tables
/// are numbered (`activity[1].channel[0]`) in the order they appear.
#[must_use]
pub fn extract(toml: &str) -> Vec<Assumption> {
    let mut out = Vec::new();
    let mut table = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut comment: Vec<String> = Vec::new();
    let mut seen_key = false;
    let mut open: Option<Assumption> = None;
    for line in toml.lines() {
        let t = line.trim();
        if let Some(mut a) = open.take() {
            let part = t.split(" #").next().unwrap_or("").trim();
            if !part.is_empty() && !part.starts_with('#') {
                a.value.push(' ');
                a.value.push_str(part);
            }
            if balanced(&a.value) {
                out.push(a);
            } else {
                open = Some(a);
            }
            continue;
        }
        if let Some(c) = t.strip_prefix('#') {
            comment.push(c.trim().to_string());
            continue;
        }
        if t.is_empty() {
            // The file's preamble is not a source for the first key.
            if !seen_key && table.is_empty() {
                comment.clear();
            }
            continue;
        }
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            // `[[activity.channel]]` is numbered within its activity.
            let parent = name.rsplit_once('.').map(|(p, _)| p.to_string());
            let key = match &parent {
                Some(p) => format!("{}{}", numbered_prefix(&counts, p), &name[p.len()..]),
                None => name.clone(),
            };
            let k = match counts.iter_mut().find(|(n, _)| *n == key) {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    counts.push((key.clone(), 0));
                    0
                }
            };
            // A new parent element restarts its children's numbering.
            let prefix = format!("{key}[{k}]");
            counts.retain(|(n, _)| !n.starts_with(&format!("{key}[")) || n == &key);
            table = prefix;
            comment_into_table(&mut out, &table, &mut comment);
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            let name = name.trim();
            let parent = name.rsplit_once('.').map(|(p, _)| p.to_string());
            table = match &parent {
                Some(p) => format!("{}{}", numbered_prefix(&counts, p), &name[p.len()..]),
                None => name.to_string(),
            };
            comment_into_table(&mut out, &table, &mut comment);
            continue;
        }
        if let Some((k, v)) = t.split_once('=') {
            seen_key = true;
            let (value, trailing) = match v.split_once(" #") {
                Some((v, c)) if !v.contains('"') || v.matches('"').count() % 2 == 0 => {
                    (v.trim(), Some(c.trim()))
                }
                _ => (v.trim(), None),
            };
            if let Some(c) = trailing {
                comment.push(c.to_string());
            }
            let key = k.trim();
            let a = Assumption {
                key: if table.is_empty() {
                    key.to_string()
                } else {
                    format!("{table}.{key}")
                },
                value: value.to_string(),
                source: join_paragraph(&comment),
            };
            comment.clear();
            if balanced(&a.value) {
                out.push(a);
            } else {
                open = Some(a);
            }
        }
    }
    out
}

/// A table header's own comment describes the table: it becomes a row with
/// an empty value, so the note is not lost or pinned to the wrong key.
fn comment_into_table(out: &mut Vec<Assumption>, table: &str, comment: &mut Vec<String>) {
    let text = join_paragraph(comment);
    if !text.is_empty() {
        out.push(Assumption {
            key: format!("[{table}]"),
            value: String::new(),
            source: text,
        });
    }
    comment.clear();
}

/// Numbers the array tables in a dotted table path: `activity.with` →
/// `activity[2].with` when the third `[[activity]]` is the current one.
fn numbered_prefix(counts: &[(String, usize)], parent: &str) -> String {
    let mut out = String::new();
    for seg in parent.split('.') {
        let candidate = if out.is_empty() {
            seg.to_string()
        } else {
            format!("{out}.{seg}")
        };
        out = match counts.iter().find(|(n, _)| *n == candidate) {
            Some((n, c)) => format!("{n}[{c}]"),
            None => candidate,
        };
    }
    out
}

/// Whether the brackets of a value are balanced (a multi-line array is not,
/// until its last line).
fn balanced(value: &str) -> bool {
    let opens = value.matches(['[', '{']).count();
    let closes = value.matches([']', '}']).count();
    opens <= closes
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# A case.\n# Second line.\n\nid = \"x\"\n# Real rate (est.).\ndiscount_rate = 0.12\n\n[household]\n# Labour (est.).\nother_income_per_month = 9000.0 # per month\n\n# ----\n# Maize on the acre.\n[[activity]]\nname = \"maize\"\n[[activity.channel]]\n# C12\nprice = 3\n[[activity]]\n# second\nname = \"avocado\"\n[activity.with.mix]\nexporter = 1.0\n[[activity.channel]]\nprice = 4\n[[activity.channel]]\nprice = 5\n\n[risk]\nmatrix = [\n  [1.0, 0.5], # a\n  [0.5, 1.0],\n]\nafter = 1\n";

    #[test]
    fn the_preamble_is_the_opening_comment() {
        assert_eq!(preamble(TEXT), "A case. Second line.");
    }

    #[test]
    fn keys_carry_the_comment_above_them_and_array_tables_are_numbered() {
        let a = extract(TEXT);
        let find = |k: &str| {
            a.iter()
                .find(|x| x.key == k)
                .unwrap_or_else(|| panic!("{k}: {a:?}"))
        };
        assert_eq!(find("id").source, "");
        assert_eq!(find("discount_rate").source, "Real rate (est.).");
        assert_eq!(find("discount_rate").value, "0.12");
        assert_eq!(
            find("household.other_income_per_month").source,
            "Labour (est.). per month"
        );
        assert_eq!(find("household.other_income_per_month").value, "9000.0");
        assert_eq!(find("activity[0].name").value, "\"maize\"");
        assert_eq!(find("activity[0].channel[0].price").source, "C12");
        assert_eq!(find("[activity[0]]").source, "Maize on the acre.");
        assert_eq!(find("activity[1].name").source, "second");
        assert_eq!(find("activity[1].channel[0].price").value, "4");
        assert_eq!(find("activity[1].channel[1].price").value, "5");
        assert_eq!(find("activity[1].with.mix.exporter").value, "1.0");
        assert_eq!(find("risk.matrix").value, "[ [1.0, 0.5], [0.5, 1.0], ]");
        assert_eq!(find("risk.after").value, "1");
    }
}
