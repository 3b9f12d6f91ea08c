//! What several commands share: loading a case and its products, the
//! worker pool, the progress bar.

use indicatif::{ProgressBar, ProgressStyle};

use super::cli::ProductArgs;
use super::files::{read_text, toml_files_in};
use super::toml_file::{load, load_product, Source};
use crate::domain::case::Case;
use crate::domain::product::Product;
use crate::engine::simulate::MAX_PATHS;
use crate::{Error, Result};

/// Loads and validates a case, with file and line on any error.
pub fn load_case(path: &std::path::Path) -> Result<Case> {
    let (case, source) = load::<Case>(path)?;
    case.validate().map_err(|e| source.locate(e))?;
    Ok(case)
}

/// The products named by `--product` and `--products`; at least one.
pub fn load_products(args: &ProductArgs) -> Result<Vec<Product>> {
    let mut paths = args.product.clone();
    if let Some(dir) = &args.products {
        paths.extend(toml_files_in(dir)?);
    }
    if paths.is_empty() {
        return Err(Error::usage(
            "no product given: add --product FILE or --products DIR",
        ));
    }
    let mut seen = std::collections::HashMap::new();
    paths
        .iter()
        .map(|path| {
            let product = load_product(path)?;
            // Results are keyed by product id: two products with one id
            // would print as one, and overwrite each other's charts.
            if let Some(first) = seen.insert(product.id.clone(), path) {
                let e = Error::invalid(
                    "id",
                    format!(
                        "an id given by no other product ({} has it)",
                        first.display()
                    ),
                    format!("`{}` again", product.id),
                );
                let source = Source {
                    path: path.clone(),
                    text: read_text(path)?,
                };
                return Err(source.locate(e));
            }
            Ok(product)
        })
        .collect()
}

/// Checks `--paths` and runs `f` on a pool of `--threads` workers.
pub fn with_pool<T: Send>(
    paths: usize,
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T> {
    if !(1..=MAX_PATHS).contains(&paths) {
        return Err(Error::usage(format!(
            "--paths: expected 1 to {MAX_PATHS} paths (10,000 gives a PD standard error under 0.5 points), found {paths}"
        )));
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        if t == 0 || t > 1024 {
            return Err(Error::usage(format!(
                "--threads: expected 1 to 1024, found {t}"
            )));
        }
        builder = builder.num_threads(t);
    }
    let pool = builder
        .build()
        .map_err(|e| Error::usage(format!("--threads: {e}")))?;
    Ok(pool.install(f))
}

/// A progress bar on stderr counting `unit`s (rate and ETA shown), hidden
/// when stderr is not a terminal.
pub fn progress_bar(len: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {{pos}}/{{len}} {unit} [{{elapsed_precise}}] {{per_sec}} ETA {{eta}}"
    )) {
        bar.set_style(style);
    }
    bar
}
