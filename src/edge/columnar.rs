//! The columnar edge of `terrace portfolio`: the per-loan results file
//! (`loans.csv`) becomes a per-segment aggregate (`segments.csv`) and a
//! Parquet copy, both with polars' streaming engine so memory stays flat as
//! the loan book grows. This is the only module that touches polars: it is a
//! heavy dependency and its API changes between versions, so it stays here.
//!
//! # Segments
//!
//! One pass over the file groups the loans by every segment dimension at once
//! (`value_chain × upgrading × region × owner_gender × product`) into additive
//! cells (count, sums). The cells are few (bounded by the categories, not by
//! the rows), so they are collected and rolled up once per dimension, plus an
//! `all` roll-up per product; ratios are taken only at the end. Amounts are
//! US$ (`loans.csv`'s `_usd` columns) summed in fixed point (cents), so the
//! sums are exact and do not depend on the order polars' threads add rows:
//!
//! - `exposure_usd`, `expected_loss_usd`: sums;
//! - `pd_annual` = Σ exposure·pd_annual / Σ exposure over the loans with a
//!   PD (exposure-weighted), empty when there are none;
//! - `mean_ce_gain_usd` = Σ ce_gain / n, `share_viable` = Σ viable / n over
//!   the rows where the value is present (empty with `--paths 0`).
//!
//! Every output is written to `.<name>.partial-<pid>` beside the destination
//! and renamed into place only when polars has finished, so an interrupted
//! run never leaves a half-written file that looks whole.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::edge::files::{output_target, partial_path};
use crate::{Error, ErrorKind, Result};

/// The columns of `loans.csv` this module reads, with the types they must
/// parse as. Other columns may follow; they are ignored by the aggregate and
/// copied (with inferred types) into the Parquet file.
const LOAN_COLUMNS: [(&str, DataType); 11] = [
    ("id", DataType::String),
    ("product", DataType::String),
    ("value_chain", DataType::String),
    ("upgrading", DataType::String),
    ("region", DataType::String),
    ("owner_gender", DataType::String),
    ("exposure_usd", DataType::Float64),
    ("pd_annual", DataType::Float64),
    ("expected_loss_usd", DataType::Float64),
    ("ce_gain_usd", DataType::Float64),
    ("viable", DataType::Boolean),
];

/// The segment dimensions of `segments.csv`, each a column of `loans.csv`.
pub const DIMENSIONS: [&str; 4] = ["value_chain", "upgrading", "region", "owner_gender"];

/// The columns of `segments.csv`, in order.
pub const SEGMENT_COLUMNS: [&str; 9] = [
    "dimension",
    "segment",
    "product",
    "count",
    "exposure_usd",
    "pd_annual",
    "expected_loss_usd",
    "mean_ce_gain_usd",
    "share_viable",
];

/// The `dimension` and `segment` of the rows over all loans of a product.
const ALL: &str = "all";

/// Segments: for each segment dimension (value_chain, upgrading, region,
/// owner_gender) and each product: count, exposure, PD, expected loss, mean
/// CE gain and share viable (see the module notes).
///
/// One long table with the columns [`SEGMENT_COLUMNS`],
/// plus `dimension = "all"`, `segment = "all"` rows per product. Sorted
/// (dimension, segment, product) so output is deterministic.
pub fn write_segments(loans_csv: &Path, out_csv: &Path) -> Result<()> {
    let segments = segments_plan(loans_csv)?;
    let format = FileWriteFormat::Csv(CsvWriterOptions {
        // The temporary name does not end in `.csv`.
        check_extension: false,
        // Six decimals: cents stay exact (`3000457.300000`, not the
        // binary expansion `3000457.3000000003`), and a PD or a share to a
        // millionth is more than the Monte Carlo error supports.
        serialize_options: Arc::new(SerializeOptions {
            float_precision: Some(6),
            float_scientific: Some(false),
            ..SerializeOptions::default()
        }),
        ..CsvWriterOptions::default()
    });
    sink(segments, format, loans_csv, out_csv)
}

/// The same rows as Parquet, written by polars' streaming sink: a columnar
/// copy of `loans.csv` (every column, the known ones with their declared
/// types) for `terrace portfolio --parquet`.
pub fn write_parquet(loans_csv: &Path, out_parquet: &Path) -> Result<()> {
    let loans = scan_loans(loans_csv)?;
    let format = FileWriteFormat::Parquet(Arc::new(ParquetWriteOptions::default()));
    sink(loans, format, loans_csv, out_parquet)
}

/// A lazy scan of `loans.csv` with the known columns' types fixed (an `id`
/// like `007` stays text).
fn scan_loans(loans_csv: &Path) -> Result<LazyFrame> {
    // Polars opens the file only when the plan runs and its message may not
    // say which file; opening it here gives the usual error naming it.
    std::fs::File::open(loans_csv).map_err(|e| Error::io(loans_csv, e))?;
    let path = PlRefPath::try_from_path(loans_csv).map_err(|e| from_polars(e, loans_csv))?;
    let types = Schema::from_iter(
        LOAN_COLUMNS
            .iter()
            .map(|(name, dtype)| Field::new((*name).into(), dtype.clone())),
    );
    LazyCsvReader::new(path)
        .with_has_header(true)
        .with_glob(false)
        .with_dtype_overwrite(Some(Arc::new(types)))
        .finish()
        .map_err(|e| from_polars(e, loans_csv))
}

/// The segment table as a lazy plan over the collected cells.
fn segments_plan(loans_csv: &Path) -> Result<LazyFrame> {
    let keys: Vec<Expr> = DIMENSIONS
        .iter()
        .chain(&["product"])
        .map(|c| col(*c))
        .collect();
    // Every aggregate is a sum or a count of integers (amounts in fixed
    // point), so cells roll up exactly into any coarser segment and the
    // result does not depend on the order polars' threads add the rows in:
    // integer addition is associative, floating-point addition is not.
    let exposure = col("exposure_usd");
    let has_pd = col("pd_annual").is_not_null();
    let cells = scan_loans(loans_csv)?
        .group_by(keys.clone())
        .agg([
            len().cast(DataType::UInt64).alias("count"),
            fixed(exposure.clone(), CENTS).sum().alias("exposure_cents"),
            fixed(
                when(has_pd.clone())
                    .then(exposure.clone())
                    .otherwise(lit(0.0)),
                CENTS,
            )
            .sum()
            .alias("exposure_pd_cents"),
            fixed(exposure * col("pd_annual"), MICROS)
                .sum()
                .alias("exposure_x_pd_micros"),
            fixed(col("expected_loss_usd"), CENTS)
                .sum()
                .alias("expected_loss_cents"),
            fixed(col("ce_gain_usd"), CENTS)
                .sum()
                .alias("ce_gain_cents"),
            col("ce_gain_usd")
                .count()
                .cast(DataType::UInt64)
                .alias("ce_gain_n"),
            col("viable")
                .cast(DataType::UInt64)
                .sum()
                .alias("viable_sum"),
            col("viable")
                .count()
                .cast(DataType::UInt64)
                .alias("viable_n"),
        ])
        // Sorted so the roll-up adds the cells in the same order every run.
        .sort_by_exprs(keys, SortMultipleOptions::default())
        .collect_with_engine(Engine::Streaming)
        .map(|r| r.unwrap_single())
        .map_err(|e| from_polars(e, loans_csv))?
        .lazy();

    let mut frames: Vec<LazyFrame> = DIMENSIONS
        .iter()
        .map(|d| roll_up(cells.clone(), lit(*d), Some(col(*d))))
        .collect();
    frames.push(roll_up(cells, lit(ALL), None));
    let table = concat(frames, UnionArgs::default()).map_err(|e| from_polars(e, loans_csv))?;
    Ok(table.sort(
        ["dimension", "segment", "product"],
        SortMultipleOptions::default().with_maintain_order(true),
    ))
}

/// Rolls the cells up to one row per (`segment`, product); `segment = None`
/// means all loans of the product.
fn roll_up(cells: LazyFrame, dimension: Expr, segment: Option<Expr>) -> LazyFrame {
    let keys = match &segment {
        Some(s) => vec![s.clone().alias("segment"), col("product")],
        None => vec![col("product")],
    };
    let segment = match segment {
        Some(_) => col("segment"),
        None => lit(ALL),
    };
    cells
        .group_by_stable(keys)
        .agg([
            col("count").sum(),
            col("exposure_cents").sum(),
            col("exposure_pd_cents").sum(),
            col("exposure_x_pd_micros").sum(),
            col("expected_loss_cents").sum(),
            col("ce_gain_cents").sum(),
            col("ce_gain_n").sum(),
            col("viable_sum").sum(),
            col("viable_n").sum(),
        ])
        .select([
            dimension.alias("dimension"),
            segment.alias("segment"),
            col("product"),
            col("count"),
            (col("exposure_cents").cast(DataType::Float64) / lit(CENTS)).alias("exposure_usd"),
            ratio(
                col("exposure_x_pd_micros"),
                col("exposure_pd_cents") * lit(MICROS / CENTS),
            )
            .alias("pd_annual"),
            // Null when no loan has Monte Carlo metrics (`--paths 0`).
            when(col("ce_gain_n").gt(lit(0)))
                .then(col("expected_loss_cents").cast(DataType::Float64) / lit(CENTS))
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("expected_loss_usd"),
            ratio(col("ce_gain_cents"), col("ce_gain_n") * lit(CENTS)).alias("mean_ce_gain_usd"),
            ratio(col("viable_sum"), col("viable_n")).alias("share_viable"),
        ])
}

/// Fixed-point scales: US$ amounts are summed in cents, exposure × PD in
/// millionths of a dollar.
const CENTS: f64 = 100.0;
const MICROS: f64 = 1_000_000.0;

/// `x · scale` rounded half away from zero to an integer (null stays null).
fn fixed(x: Expr, scale: f64) -> Expr {
    let scaled = x * lit(scale);
    when(scaled.clone().gt_eq(lit(0.0)))
        .then(scaled.clone() + lit(0.5))
        .otherwise(scaled - lit(0.5))
        .cast(DataType::Int64)
}

/// `numerator / denominator` as f64, null (an empty CSV field) when the
/// denominator is not positive rather than NaN or infinity.
fn ratio(numerator: Expr, denominator: Expr) -> Expr {
    let denominator = denominator.cast(DataType::Float64);
    when(denominator.clone().gt(lit(0.0)))
        .then(numerator.cast(DataType::Float64) / denominator)
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// Runs `plan` on the streaming engine into a temporary file beside
/// `destination`, then renames it into place; the temporary file is removed
/// if the run fails.
fn sink(plan: LazyFrame, format: FileWriteFormat, input: &Path, destination: &Path) -> Result<()> {
    let target = output_target(destination);
    let partial = partial_path(&target);
    // Creating the file here makes an unwritable destination an error that
    // names it, before any input is read.
    std::fs::File::create(&partial).map_err(|e| Error::io(destination, e))?;
    let run = || -> Result<()> {
        let path = PlRefPath::try_from_path(&partial).map_err(|e| from_polars(e, destination))?;
        plan.sink(
            SinkDestination::File {
                target: SinkTarget::Path(path),
            },
            format,
            UnifiedSinkArgs::default(),
        )
        .and_then(|p| p.collect_with_engine(Engine::Streaming))
        .map_err(|e| from_polars(e, input))?;
        std::fs::rename(&partial, &target).map_err(|e| Error::io(destination, e))
    };
    let result = run();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Maps a polars error to ours, naming `file`: file-system failures are
/// [`ErrorKind::Io`], everything else (a missing column, a value that does not
/// parse as its column's type) is [`ErrorKind::Parse`].
fn from_polars(e: PolarsError, file: &Path) -> Error {
    let message = e.to_string();
    match root_cause(&e) {
        PolarsError::IO { error, .. } => {
            Error::io(file, std::io::Error::new(error.kind(), message))
        }
        PolarsError::ColumnNotFound(_) | PolarsError::SchemaFieldNotFound(_) => Error::new(
            ErrorKind::Parse,
            format!(
                "expected the columns {}, found {message}",
                LOAN_COLUMNS.map(|(name, _)| name).join(", ")
            ),
        )
        .with_file(file),
        _ => Error::new(ErrorKind::Parse, message).with_file(file),
    }
}

/// The error under polars' context wrappers.
fn root_cause(e: &PolarsError) -> &PolarsError {
    match e {
        PolarsError::Context { error, .. } | PolarsError::ExprContext { error, .. } => {
            root_cause(error)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// Two products, two regions, one non-viable loan (id 3); a trailing
    /// column the aggregate ignores.
    const SIX_LOANS: &str = "\
id,product,value_chain,upgrading,region,owner_gender,exposure_usd,pd_annual,expected_loss_usd,ce_gain_usd,viable,note
1,A,maize,storage,north,female,1000,0.02,10,100,true,x
2,A,maize,processing,north,male,3000,0.06,90,300,true,y
3,A,dairy,storage,south,female,2000,0.05,40,-50,false,z
4,B,maize,storage,north,female,500,0.10,25,20,true,
5,B,dairy,processing,south,male,1500,0.04,30,60,true,
6,B,dairy,storage,south,female,1000,0.02,10,40,true,
";

    fn write_input(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("loans.csv");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `segments.csv` as (dimension, segment, product) → the other fields.
    fn read_segments(path: &Path) -> Vec<(String, String, String, Vec<String>)> {
        let mut reader = csv::Reader::from_path(path).unwrap();
        assert_eq!(reader.headers().unwrap(), SEGMENT_COLUMNS.as_slice());
        reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (
                    r[0].to_owned(),
                    r[1].to_owned(),
                    r[2].to_owned(),
                    r.iter().skip(3).map(str::to_owned).collect(),
                )
            })
            .collect()
    }

    /// Asserts one row: count, exposure, pd, expected_loss, mean_ce_gain,
    /// share_viable (hand-computed from `SIX_LOANS`).
    fn assert_row(
        rows: &[(String, String, String, Vec<String>)],
        key: (&str, &str, &str),
        expected: [f64; 6],
    ) {
        let row = rows
            .iter()
            .find(|(d, s, p, _)| (d.as_str(), s.as_str(), p.as_str()) == key)
            .unwrap_or_else(|| panic!("no row {key:?}"));
        for (i, (found, want)) in row.3.iter().zip(expected).enumerate() {
            let found: f64 = found.parse().unwrap();
            assert!(
                // segments.csv carries six decimals.
                (found - want).abs() <= 5e-7 + 1e-12 * want.abs(),
                "{key:?} {}: expected {want}, found {found}",
                SEGMENT_COLUMNS[3 + i]
            );
        }
    }

    #[test]
    fn segments_by_region_match_hand_computed_values() {
        let dir = tempfile::tempdir().unwrap();
        let input = write_input(dir.path(), SIX_LOANS);
        let out = dir.path().join("segments.csv");
        write_segments(&input, &out).unwrap();
        let rows = read_segments(&out);
        // 4 dimensions × 2 segments × 2 products, plus `all` for 2 products.
        assert_eq!(rows.len(), 18);
        // north/A: loans 1, 2. pd = (1000·0.02 + 3000·0.06) / 4000.
        assert_row(
            &rows,
            ("region", "north", "A"),
            [2.0, 4000.0, 0.05, 100.0, 200.0, 1.0],
        );
        // south/A: loan 3, the non-viable one.
        assert_row(
            &rows,
            ("region", "south", "A"),
            [1.0, 2000.0, 0.05, 40.0, -50.0, 0.0],
        );
        assert_row(
            &rows,
            ("region", "north", "B"),
            [1.0, 500.0, 0.10, 25.0, 20.0, 1.0],
        );
        // south/B: loans 5, 6. pd = (1500·0.04 + 1000·0.02) / 2500.
        assert_row(
            &rows,
            ("region", "south", "B"),
            [2.0, 2500.0, 0.032, 40.0, 50.0, 1.0],
        );
        // owner_gender/female/A: loans 1, 3. pd = (20 + 100) / 3000.
        assert_row(
            &rows,
            ("owner_gender", "female", "A"),
            [2.0, 3000.0, 0.04, 50.0, 25.0, 0.5],
        );
    }

    #[test]
    fn all_rows_cover_every_loan_of_a_product() {
        let dir = tempfile::tempdir().unwrap();
        let input = write_input(dir.path(), SIX_LOANS);
        let out = dir.path().join("segments.csv");
        write_segments(&input, &out).unwrap();
        let rows = read_segments(&out);
        // A: pd = (20 + 180 + 100) / 6000, ce = (100 + 300 − 50) / 3.
        assert_row(
            &rows,
            ("all", "all", "A"),
            [3.0, 6000.0, 0.05, 140.0, 350.0 / 3.0, 2.0 / 3.0],
        );
        // B: pd = (50 + 60 + 20) / 3000.
        assert_row(
            &rows,
            ("all", "all", "B"),
            [3.0, 3000.0, 130.0 / 3000.0, 65.0, 40.0, 1.0],
        );
        // Sorted by (dimension, segment, product): `all` first.
        let keys: Vec<_> = rows.iter().map(|(d, s, p, _)| (d, s, p)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(rows[0].0, "all");
    }

    #[test]
    fn zero_exposure_segment_has_empty_pd() {
        let dir = tempfile::tempdir().unwrap();
        let input = write_input(
            dir.path(),
            "id,product,value_chain,upgrading,region,owner_gender,exposure_usd,pd_annual,expected_loss_usd,ce_gain_usd,viable\n\
             1,A,maize,storage,north,female,0,0.02,0,10,true\n",
        );
        let out = dir.path().join("segments.csv");
        write_segments(&input, &out).unwrap();
        let rows = read_segments(&out);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.3[2].is_empty()), "{rows:?}");
    }

    #[test]
    fn two_runs_give_identical_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let input = write_input(dir.path(), SIX_LOANS);
        let first = dir.path().join("first.csv");
        let second = dir.path().join("second.csv");
        write_segments(&input, &first).unwrap();
        write_segments(&input, &second).unwrap();
        assert_eq!(
            std::fs::read(&first).unwrap(),
            std::fs::read(&second).unwrap()
        );
    }

    /// With many rows the streaming engine splits the file across threads;
    /// the sums must still come out the same every run. Slow in debug builds:
    /// `cargo test --lib edge::columnar -- --ignored`.
    #[test]
    #[ignore = "slow: 200,000 rows"]
    fn two_runs_over_many_rows_give_identical_bytes() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("loans.csv");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        writeln!(w, "{}", SIX_LOANS.lines().next().unwrap()).unwrap();
        // A small linear congruential generator: values with full mantissas,
        // so the order of additions shows in the last digits.
        let mut state: u64 = 20261129;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..200_000 {
            let (u, v) = (next(), next());
            let exposure = 100.0 + 9_900.0 * u;
            writeln!(
                w,
                "{i},{},vc{},up{},r{},g{},{exposure},{},{},{},{},n",
                ["A", "B", "C"][i % 3],
                i % 7,
                i % 3,
                i % 11,
                i % 2,
                0.2 * v,
                0.2 * v * 0.45 * exposure,
                1_000.0 * (u - v),
                u > 0.2,
            )
            .unwrap();
        }
        w.into_inner().unwrap().sync_all().unwrap();
        let first = dir.path().join("first.csv");
        let second = dir.path().join("second.csv");
        write_segments(&input, &first).unwrap();
        write_segments(&input, &second).unwrap();
        assert_eq!(
            std::fs::read_to_string(&first).unwrap(),
            std::fs::read_to_string(&second).unwrap()
        );
    }

    #[test]
    fn parquet_copy_reads_back_with_the_same_rows_and_columns() {
        let dir = tempfile::tempdir().unwrap();
        let input = write_input(dir.path(), SIX_LOANS);
        let out = dir.path().join("loans.parquet");
        write_parquet(&input, &out).unwrap();
        let back = LazyFrame::scan_parquet(
            PlRefPath::try_from_path(&out).unwrap(),
            ScanArgsParquet::default(),
        )
        .unwrap()
        .collect()
        .unwrap();
        assert_eq!(back.height(), 6);
        let header = SIX_LOANS.lines().next().unwrap();
        let names: Vec<&str> = back.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, header.split(',').collect::<Vec<_>>());
        assert_eq!(back.column("id").unwrap().dtype(), &DataType::String);
        assert_eq!(back.column("viable").unwrap().dtype(), &DataType::Boolean);
        // No temporary file is left beside the output.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn missing_input_is_an_io_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("no-such-loans.csv");
        for result in [
            write_segments(&input, &dir.path().join("segments.csv")),
            write_parquet(&input, &dir.path().join("loans.parquet")),
        ] {
            let e = result.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Io);
            assert!(e.to_string().contains("no-such-loans.csv"), "{e}");
        }
        // Nothing written, not even a partial file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn missing_column_is_a_parse_error_naming_the_file_and_the_columns() {
        let dir = tempfile::tempdir().unwrap();
        let input = write_input(dir.path(), "id,product\n1,A\n");
        let out = dir.path().join("segments.csv");
        let e = write_segments(&input, &out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse);
        let text = e.to_string();
        assert!(text.contains("loans.csv"), "{text}");
        assert!(text.contains("expected the columns id, product"), "{text}");
        assert!(!out.exists());
    }
}
