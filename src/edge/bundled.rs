//! The case templates and loan products that ship with terrace, compiled
//! into the binary so that commands which need them (`generate-portfolio`,
//! portfolio rows naming a value chain) work from any directory and give
//! the same results wherever they run.

use rayon::prelude::*;

use super::toml_file::parse;
use crate::domain::case::Case;
use crate::domain::product::Product;
use crate::Result;

/// `data/cases/*.toml`, by file name, sorted.
pub const CASE_FILES: [(&str, &str); 8] = [
    (
        "guatemala-truck.toml",
        include_str!("../../data/cases/guatemala-truck.toml"),
    ),
    (
        "honduras-drip.toml",
        include_str!("../../data/cases/honduras-drip.toml"),
    ),
    (
        "india-leather-shoes.toml",
        include_str!("../../data/cases/india-leather-shoes.toml"),
    ),
    (
        "indonesia-cocoa.toml",
        include_str!("../../data/cases/indonesia-cocoa.toml"),
    ),
    (
        "kenya-avocado.toml",
        include_str!("../../data/cases/kenya-avocado.toml"),
    ),
    (
        "mexico-coffee.toml",
        include_str!("../../data/cases/mexico-coffee.toml"),
    ),
    (
        "mozambique-oilseed.toml",
        include_str!("../../data/cases/mozambique-oilseed.toml"),
    ),
    (
        "pakistan-embroidery.toml",
        include_str!("../../data/cases/pakistan-embroidery.toml"),
    ),
];

/// `products/*.toml`, by file name, sorted.
pub const PRODUCT_FILES: [(&str, &str); 7] = [
    (
        "balloon-48m.toml",
        include_str!("../../products/balloon-48m.toml"),
    ),
    (
        "equal-principal-quarterly-36m.toml",
        include_str!("../../products/equal-principal-quarterly-36m.toml"),
    ),
    (
        "harvest-seasonal-24m.toml",
        include_str!("../../products/harvest-seasonal-24m.toml"),
    ),
    (
        "lease-to-own-truck-48m.toml",
        include_str!("../../products/lease-to-own-truck-48m.toml"),
    ),
    (
        "microloan-12m-flat.toml",
        include_str!("../../products/microloan-12m-flat.toml"),
    ),
    (
        "orchard-84m-gestation.toml",
        include_str!("../../products/orchard-84m-gestation.toml"),
    ),
    (
        "upgrading-60m-grace.toml",
        include_str!("../../products/upgrading-60m-grace.toml"),
    ),
];

/// The bundled case templates, validated, in file-name order.
///
/// Parsed in parallel, in order: each template's PERT quantile tables take
/// thousands of incomplete-beta evaluations, the bulk of a small run.
pub fn cases() -> Result<Vec<Case>> {
    CASE_FILES
        .par_iter()
        .map(|(name, text)| {
            let file = format!("data/cases/{name}");
            let case: Case = parse(text).map_err(|e| e.with_file(&file))?;
            case.validate().map_err(|e| e.with_file(&file))?;
            Ok(case)
        })
        .collect()
}

/// The bundled loan products, validated, in file-name order.
pub fn products() -> Result<Vec<Product>> {
    PRODUCT_FILES
        .iter()
        .map(|(name, text)| {
            let file = format!("products/{name}");
            let product: Product = parse(text).map_err(|e| e.with_file(&file))?;
            product.validate().map_err(|e| e.with_file(&file))?;
            Ok(product)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".toml"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_bundle_is_every_file_of_the_directories_and_each_is_valid() {
        let cases: Vec<String> = CASE_FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(
            cases,
            listed("data/cases"),
            "add new case files to CASE_FILES"
        );
        let products: Vec<String> = PRODUCT_FILES.iter().map(|(n, _)| n.to_string()).collect();
        assert_eq!(
            products,
            listed("products"),
            "add new products to PRODUCT_FILES"
        );
        assert_eq!(super::cases().unwrap().len(), 8);
        assert_eq!(super::products().unwrap().len(), 7);
    }
}
