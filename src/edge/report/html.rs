//! The report as one self-contained HTML file.
//!
//! A credit committee opens the file from disk, often offline, and prints
//! it: so the CSS and the charts' SVG are inline, nothing is fetched (no
//! fonts, scripts or images by URL), and `@media print` rules keep
//! figures and table rows from splitting across pages. The markup is
//! XHTML-compatible (every element closed, attributes quoted, only the
//! five XML entities), so tests can parse it as XML.

use std::fmt::Write as _;

/// Escapes text for element content and attribute values.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table: a caption, column headers and rows of already formatted text.
#[derive(Debug, Clone, Default)]
pub struct HtmlTable {
    /// Element id, so tests and readers can find it (`table-verdicts`).
    pub id: String,
    /// Caption shown above the table.
    pub caption: String,
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows of cells; a cell that parses as a number is right-aligned.
    pub rows: Vec<Vec<String>>,
}

impl HtmlTable {
    /// An empty table with headers.
    pub fn new(id: &str, caption: &str, columns: &[&str]) -> HtmlTable {
        HtmlTable {
            id: id.into(),
            caption: caption.into(),
            columns: columns.iter().map(|c| (*c).to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }
}

/// A chart with its caption.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Element id (`chart-dscr-fan-upgrading-60m-grace`).
    pub id: String,
    /// What the chart shows and how to read it.
    pub caption: String,
    /// The SVG text (from [`super::charts`]).
    pub svg: String,
}

/// One part of the report.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Element id.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Paragraphs of text before the content.
    pub paragraphs: Vec<String>,
    /// Charts, in order.
    pub figures: Vec<Figure>,
    /// Tables, after the charts.
    pub tables: Vec<HtmlTable>,
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// Title (the case's or portfolio's name).
    pub title: String,
    /// Facts for the header: (label, value), e.g. seed, paths, version.
    pub facts: Vec<(String, String)>,
    /// The command that reproduces the report.
    pub command: String,
    /// The sections.
    pub sections: Vec<Section>,
}

const CSS: &str = "
body{font-family:'DejaVu Sans','Liberation Sans',Arial,sans-serif;color:#111;margin:2rem auto;max-width:1000px;padding:0 1rem;line-height:1.45;font-size:15px}
h1{font-size:1.7rem;margin-bottom:.3rem}
h2{font-size:1.3rem;border-bottom:2px solid #0072B2;padding-bottom:.2rem;margin-top:2.2rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.8rem 0}
dl.facts dt{font-weight:bold}
dl.facts dd{margin:0}
pre.command{background:#f4f4f4;border:1px solid #ddd;padding:.5rem;white-space:pre-wrap;word-break:break-all;font-size:.85rem}
figure{margin:1.2rem 0}
figure svg{width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.9rem;color:#333;margin-top:.3rem}
table{border-collapse:collapse;margin:1rem 0;font-size:.85rem;width:100%}
caption{text-align:left;font-weight:bold;padding-bottom:.3rem}
th,td{border:1px solid #ccc;padding:.2rem .45rem;vertical-align:top}
th{background:#eaf2f8;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.verdict-passes{background:#d9f0e6}
td.verdict-weak{background:#fbf3c4}
td.verdict-fails,td.verdict-not-worth-it{background:#f7d9c4}
nav ol{columns:2}
@media print{
body{margin:0;max-width:none;font-size:11pt}
nav{display:none}
h2{break-after:avoid;page-break-after:avoid}
figure,tr{break-inside:avoid;page-break-inside:avoid}
figure svg{border:none}
thead{display:table-header-group}
a{color:inherit;text-decoration:none}
}
";

fn is_number(s: &str) -> bool {
    let t = s.trim_end_matches('%').replace([',', '−'], "");
    !t.is_empty() && t.parse::<f64>().is_ok()
}

fn write_table(out: &mut String, t: &HtmlTable) {
    let _ = write!(out, "<table id=\"{}\">", escape(&t.id));
    let _ = write!(out, "<caption>{}</caption><thead><tr>", escape(&t.caption));
    for c in &t.columns {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(c));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let class = if t.columns.get(i).is_some_and(|c| c == "verdict") {
                format!(" class=\"verdict-{}\"", escape(cell))
            } else if is_number(cell) {
                " class=\"num\"".to_string()
            } else {
                String::new()
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// Strips an XML declaration, if any, so the SVG can sit inside HTML.
fn inline_svg(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

/// Renders the document as XHTML-compatible HTML5.
#[must_use]
pub fn render(doc: &Document) -> String {
    let mut out = String::with_capacity(1 << 16);
    out.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&doc.title));
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>");
    let _ = writeln!(out, "<header id=\"header\"><h1>{}</h1>", escape(&doc.title));
    out.push_str("<dl class=\"facts\">");
    for (k, v) in &doc.facts {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    out.push_str("</dl>\n<p>To reproduce every number in this report:</p>\n");
    let _ = writeln!(
        out,
        "<pre class=\"command\" id=\"command\">{}</pre>\n</header>",
        escape(&doc.command)
    );
    out.push_str("<nav><h2>Contents</h2><ol>");
    for s in &doc.sections {
        let _ = write!(
            out,
            "<li><a href=\"#{}\">{}</a></li>",
            escape(&s.id),
            escape(&s.title)
        );
    }
    out.push_str("</ol></nav>\n");
    for s in &doc.sections {
        let _ = writeln!(
            out,
            "<section id=\"{}\"><h2>{}</h2>",
            escape(&s.id),
            escape(&s.title)
        );
        for p in &s.paragraphs {
            let _ = writeln!(out, "<p>{}</p>", escape(p));
        }
        for f in &s.figures {
            let _ = writeln!(
                out,
                "<figure id=\"{}\">{}<figcaption>{}</figcaption></figure>",
                escape(&f.id),
                inline_svg(&f.svg),
                escape(&f.caption)
            );
        }
        for t in &s.tables {
            write_table(&mut out, t);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_xml_characters() {
        assert_eq!(
            escape("a<b & \"c\" > 'd'"),
            "a&lt;b &amp; &quot;c&quot; &gt; &#39;d&#39;"
        );
    }

    #[test]
    fn numbers_are_recognised_for_alignment() {
        assert!(is_number("1,234"));
        assert!(is_number("−12.5%"));
        assert!(!is_number("passes"));
        assert!(!is_number(""));
    }

    #[test]
    fn a_document_renders_with_its_parts() {
        let mut t = HtmlTable::new("table-x", "X & Y", &["a", "verdict"]);
        t.push(vec!["1,000".into(), "passes".into()]);
        let doc = Document {
            title: "T <1>".into(),
            facts: vec![("seed".into(), "7".into())],
            command: "terrace report x.toml".into(),
            sections: vec![Section {
                id: "s".into(),
                title: "S".into(),
                paragraphs: vec!["p".into()],
                figures: vec![Figure {
                    id: "chart-x".into(),
                    caption: "c".into(),
                    svg: "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"
                        .into(),
                }],
                tables: vec![t],
            }],
        };
        let html = render(&doc);
        assert!(html.contains("<title>T &lt;1&gt;</title>"));
        assert!(html.contains("<figure id=\"chart-x\"><svg"));
        assert!(
            html.contains("<td class=\"num\">1,000</td><td class=\"verdict-passes\">passes</td>")
        );
        assert!(!html.contains("<?xml"));
    }
}
