//! The shipped case studies in `data/cases/` parse, validate and satisfy a
//! few invariants read directly from the data (no engine involved), and the
//! schema rejects broken copies of them with a message naming the field.

use std::fs;
use std::path::{Path, PathBuf};

use terrace::domain::case::Case;

const EXPECTED: [&str; 8] = [
    "guatemala-truck",
    "honduras-drip",
    "india-leather-shoes",
    "indonesia-cocoa",
    "kenya-avocado",
    "mexico-coffee",
    "mozambique-oilseed",
    "pakistan-embroidery",
];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/cases")
}

/// Every `data/cases/*.toml`, as (file stem, text), sorted by name.
fn case_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in fs::read_dir(cases_dir()).expect("data/cases exists") {
        let path = entry.expect("readable directory entry").path();
        if path.extension().and_then(|e| e.to_str()) == Some("toml") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let text = fs::read_to_string(&path).expect("readable case file");
            out.push((stem, text));
        }
    }
    out.sort();
    out
}

fn parse(stem: &str, text: &str) -> Case {
    let case: Case = toml::from_str(text).unwrap_or_else(|e| panic!("{stem}.toml: {e}"));
    case.validate()
        .unwrap_or_else(|e| panic!("{stem}.toml does not validate: {e}"));
    case
}

fn all_cases() -> Vec<(String, Case)> {
    case_files()
        .into_iter()
        .map(|(stem, text)| {
            let case = parse(&stem, &text);
            (stem, case)
        })
        .collect()
}

#[test]
fn exactly_the_eight_cases_parse_and_validate() {
    let cases = all_cases();
    let stems: Vec<&str> = cases.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(stems, EXPECTED);
    for (stem, case) in &cases {
        assert_eq!(&case.id, stem, "{stem}.toml: id must match the file name");
    }
}

#[test]
fn every_case_has_an_upgrade_path_and_costed_items() {
    for (stem, case) in all_cases() {
        assert!(
            case.activities.iter().any(|a| a.with.is_some()),
            "{stem}: no activity has a [with] path"
        );
        assert!(
            !case.investments.is_empty(),
            "{stem}: no [[investment]] items"
        );
        for item in &case.investments {
            assert!(
                item.cost.base() > 0.0,
                "{stem}: `{}` costs nothing",
                item.name
            );
            assert!(item.life_years > 0.0, "{stem}: `{}` has no life", item.name);
        }
        assert!(
            case.investments.iter().any(|i| i.month == 0),
            "{stem}: nothing is bought in month 0, so there is no default loan amount"
        );
        assert!(
            case.household.subsistence_per_month > 0.0,
            "{stem}: household without subsistence"
        );
    }
}

#[test]
fn mixes_and_calendars_are_shares_that_sum_to_one() {
    // validate() checks this too; the test keeps the data honest even if the
    // check is ever loosened.
    for (stem, case) in all_cases() {
        for a in &case.activities {
            let cal: f64 = a.harvest_calendar.values().sum();
            assert!(
                (cal - 1.0).abs() < 1e-9,
                "{stem}/{}: calendar {cal}",
                a.name
            );
            for p in [&a.without, &a.with].into_iter().flatten() {
                let total: f64 = p.mix.values().sum();
                assert!((total - 1.0).abs() < 1e-9, "{stem}/{}: mix {total}", a.name);
                for name in p.mix.keys() {
                    assert!(a.channel(name).is_some(), "{stem}: unknown `{name}`");
                }
            }
        }
    }
}

#[test]
fn horizons_fit_the_asset() {
    for (stem, case) in all_cases() {
        let perennial = matches!(
            stem.as_str(),
            "kenya-avocado" | "indonesia-cocoa" | "mexico-coffee"
        );
        let range = if perennial { 15..=20 } else { 8..=10 };
        assert!(
            range.contains(&case.horizon_years),
            "{stem}: horizon {} years",
            case.horizon_years
        );
    }
}

#[test]
fn avocado_trees_bear_nothing_in_the_first_two_years() {
    let cases = all_cases();
    let (_, case) = cases
        .iter()
        .find(|(s, _)| s == "kenya-avocado")
        .expect("kenya-avocado");
    let avocado = case
        .activities
        .iter()
        .find(|a| a.name == "avocado")
        .expect("an `avocado` activity");
    let with = avocado.with.as_ref().expect("avocado [with] path");
    assert!(with.ramp.len() >= 3, "avocado ramp too short");
    assert_eq!(with.ramp_at(0), 0.0);
    assert_eq!(with.ramp_at(1), 0.0);
    assert!(with.ramp_at(3) > 0.0, "first fruit by year 4");
    // Only part of the fruit makes export grade; the rest goes elsewhere.
    let graded: Vec<_> = avocado
        .channels
        .iter()
        .filter(|c| c.grade_share.base() < 1.0)
        .collect();
    assert!(!graded.is_empty(), "no channel with a grade requirement");
    assert!(graded.iter().all(|c| c.rejects_to.is_some()));
}

#[test]
fn certification_cases_have_a_conversion_dip_and_premium() {
    let cases = all_cases();
    let (_, coffee) = cases
        .iter()
        .find(|(s, _)| s == "mexico-coffee")
        .expect("mexico-coffee");
    let cert = coffee
        .activities
        .iter()
        .find_map(|a| a.certification.as_ref())
        .expect("coffee certification");
    assert_eq!(cert.conversion_months, 36);
    assert!((cert.conversion_yield_dip - 0.20).abs() < 1e-9);
    assert!(cert.premium_per_unit.base() > 0.0);
    assert!(!cert.channels.is_empty());
}

// ---------------------------------------------------------------------------
// Risk data: distributions, drought chains and correlations.

/// Cases whose output depends on rain (directly or through suppliers).
const RAINFED: [&str; 6] = [
    "guatemala-truck",
    "honduras-drip",
    "indonesia-cocoa",
    "kenya-avocado",
    "mexico-coffee",
    "mozambique-oilseed",
];

#[test]
fn every_case_has_random_inputs() {
    for (stem, case) in all_cases() {
        let random: Vec<String> = case
            .params()
            .into_iter()
            .filter(|(_, p)| p.is_random())
            .map(|(path, _)| path)
            .collect();
        assert!(!random.is_empty(), "{stem}: no random input");
        // Yields and prices, not only costs: some output and some price or
        // price process must be random.
        assert!(
            random.iter().any(|p| p.ends_with(".output_per_year")),
            "{stem}: no random output ({random:?})"
        );
        let price_process = case
            .activities
            .iter()
            .flat_map(|a| &a.channels)
            .any(|c| c.price_process.is_some());
        assert!(
            price_process || random.iter().any(|p| p.ends_with(".price")),
            "{stem}: no random price ({random:?})"
        );
        assert!(
            case.investments.iter().any(|i| i.cost.is_random()),
            "{stem}: no investment cost risk"
        );
    }
}

#[test]
fn rainfed_cases_have_a_drought_chain_and_non_farm_cases_none() {
    for (stem, case) in all_cases() {
        let d = case.risk.drought.as_ref();
        if RAINFED.contains(&stem.as_str()) {
            let d = d.unwrap_or_else(|| panic!("{stem}: rain-fed case without [risk.drought]"));
            assert!(
                (0.05..=0.35).contains(&d.stationary_share),
                "{stem}: π_D {}",
                d.stationary_share
            );
            assert!(d.yield_loss.is_random(), "{stem}: fixed drought loss");
            let exposed = case
                .activities
                .iter()
                .flat_map(|a| [&a.without, &a.with])
                .flatten()
                .any(|p| p.drought_exposure > 0.0);
            assert!(exposed, "{stem}: drought reaches no path");
        } else {
            assert!(d.is_none(), "{stem}: a non-farm case with a drought chain");
        }
    }
}

#[test]
fn drip_lowers_the_drought_exposure_of_every_honduran_crop() {
    let cases = all_cases();
    let (_, case) = cases
        .iter()
        .find(|(s, _)| s == "honduras-drip")
        .expect("honduras-drip");
    assert!(
        case.risk.drought.is_some(),
        "honduras-drip: no drought chain"
    );
    let mut compared = 0;
    for a in &case.activities {
        if let (Some(without), Some(with)) = (&a.without, &a.with) {
            assert_eq!(
                without.drought_exposure, 1.0,
                "{}: rain-fed without path",
                a.name
            );
            assert!(
                with.drought_exposure < without.drought_exposure,
                "{}: drip exposure {} not below rain-fed {}",
                a.name,
                with.drought_exposure,
                without.drought_exposure
            );
            compared += 1;
        }
    }
    assert!(compared >= 2, "tomato and plantain have both paths");
}

#[test]
fn export_price_processes_keep_a_fixed_base_price() {
    for (stem, case) in all_cases() {
        for a in &case.activities {
            for c in a.channels.iter().filter(|c| c.price_process.is_some()) {
                assert!(
                    !c.price.is_random(),
                    "{stem}/{}/{}: a price process around a random price",
                    a.name,
                    c.name
                );
            }
        }
    }
    let cases = all_cases();
    for (stem, activity, channel) in [
        ("kenya-avocado", "avocado", "exporter"),
        ("mexico-coffee", "coffee", "coyote"),
        ("indonesia-cocoa", "cocoa", "collector"),
    ] {
        let (_, case) = cases.iter().find(|(s, _)| s == stem).expect(stem);
        let a = case
            .activities
            .iter()
            .find(|a| a.name == activity)
            .expect(activity);
        let c = a.channel(channel).expect(channel);
        assert!(
            c.price_process.is_some(),
            "{stem}/{channel}: no price process"
        );
    }
}

#[test]
fn correlations_name_random_inputs_and_are_symmetric() {
    for (stem, case) in all_cases() {
        // validate() (inside all_cases) refuses unknown or fixed names; the
        // test restates it from the data and adds symmetry and unit diagonal.
        let c = case
            .risk
            .correlation
            .as_ref()
            .unwrap_or_else(|| panic!("{stem}: no [risk.correlation]"));
        assert!(
            c.names.len() >= 2,
            "{stem}: fewer than two correlated inputs"
        );
        let params = case.params();
        let path_of = |n: &str| -> String {
            let (path, p) = params
                .iter()
                .find(|(_, p)| p.name.as_deref() == Some(n))
                .unwrap_or_else(|| panic!("{stem}: correlation names unknown `{n}`"));
            assert!(p.is_random(), "{stem}: `{n}` is fixed");
            path.clone()
        };
        let paths: Vec<String> = c.names.iter().map(|n| path_of(n)).collect();
        for (i, row) in c.matrix.iter().enumerate() {
            assert_eq!(row[i], 1.0, "{stem}: diagonal [{i}][{i}]");
            for (j, r) in row.iter().enumerate() {
                assert_eq!(*r, c.matrix[j][i], "{stem}: [{i}][{j}] not symmetric");
            }
        }
        // Rain-fed cases with a local price: a local yield and a local price
        // (or input price) move against each other (F51).
        if [
            "guatemala-truck",
            "honduras-drip",
            "kenya-avocado",
            "mozambique-oilseed",
        ]
        .contains(&stem.as_str())
        {
            let yield_vs_price = (0..paths.len()).any(|i| {
                (0..paths.len()).any(|j| {
                    paths[i].ends_with(".output_per_year")
                        && (paths[j].ends_with(".price") || paths[j].ends_with(".unit_cost"))
                        && c.matrix[i][j] < 0.0
                })
            });
            assert!(
                yield_vs_price,
                "{stem}: no negative local yield–price pair ({paths:?})"
            );
        }
    }
}

#[test]
fn an_unknown_correlation_name_is_rejected_by_name() {
    let text =
        honduras_text().replacen("\"tomato_price_packer\"]", "\"tomato_price_wholesale\"]", 1);
    assert_ne!(text, honduras_text(), "mutation did not apply");
    let msg = rejection(&text);
    assert!(msg.contains("tomato_price_wholesale"), "{msg}");
}

#[test]
fn a_name_used_twice_is_rejected_naming_both_inputs() {
    // The packer's price takes the trader's price's name.
    let text = honduras_text().replacen(
        "sigma = 0.15, name = \"tomato_price_packer\"",
        "sigma = 0.15, name = \"tomato_price_trader\"",
        1,
    );
    assert_ne!(text, honduras_text(), "mutation did not apply");
    let msg = rejection(&text);
    assert!(msg.contains("tomato.packer.price.name"), "{msg}");
    assert!(
        msg.contains("a name not already used by `tomato.trader.price`"),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------
// Broken copies must fail, naming the field.

fn honduras_text() -> String {
    fs::read_to_string(cases_dir().join("honduras-drip.toml")).unwrap()
}

/// Parses and validates `text`, returning the error message (parse or
/// validation) or panicking if it is accepted.
fn rejection(text: &str) -> String {
    match toml::from_str::<Case>(text) {
        Err(e) => e.to_string(),
        Ok(case) => match case.validate() {
            Err(e) => e.to_string(),
            Ok(()) => panic!("a broken case was accepted"),
        },
    }
}

#[test]
fn an_unknown_key_is_rejected_by_name() {
    let text =
        honduras_text().replacen("\n[household]\n", "\n[household]\nsavings_rate = 0.1\n", 1);
    assert!(text.contains("savings_rate"), "mutation did not apply");
    let msg = rejection(&text);
    assert!(msg.contains("savings_rate"), "{msg}");
}

#[test]
fn a_mix_that_sums_to_less_than_one_is_rejected() {
    let mut case: Case = toml::from_str(&honduras_text()).unwrap();
    let with = case.activities[0].with.as_mut().unwrap();
    let first = with.mix.keys().next().unwrap().clone();
    let total: f64 = with.mix.values().sum();
    *with.mix.get_mut(&first).unwrap() -= 0.1 * total;
    let err = case.validate().expect_err("mix summing to 0.9 accepted");
    let field = err.location().field.clone().unwrap_or_default();
    assert_eq!(field, "activity[0].with.mix", "{err}");
    assert!(err.to_string().contains("0.9"), "{err}");
}

#[test]
fn a_calendar_share_outside_zero_one_is_rejected_naming_its_month() {
    let mut case: Case = toml::from_str(&honduras_text()).unwrap();
    let calendar = &mut case.activities[0].harvest_calendar;
    let month = calendar.keys().next().unwrap().clone();
    *calendar.get_mut(&month).unwrap() = 1.5;
    let err = case.validate().expect_err("a share of 1.5 accepted");
    let field = err.location().field.clone().unwrap_or_default();
    assert_eq!(
        field,
        format!("activity[0].harvest_calendar.{month}"),
        "{err}"
    );
    assert!(err.to_string().contains("1.5"), "{err}");
}

#[test]
fn a_negative_ramp_or_a_mix_share_above_one_is_rejected_naming_it() {
    let mut case: Case = toml::from_str(&honduras_text()).unwrap();
    let with = case.activities[0].with.as_mut().unwrap();
    with.ramp = vec![0.5, -0.25, 1.0];
    let err = case.validate().expect_err("a negative ramp accepted");
    let field = err.location().field.clone().unwrap_or_default();
    assert_eq!(field, "activity[0].with.ramp[1]", "{err}");

    let mut case: Case = toml::from_str(&honduras_text()).unwrap();
    let with = case.activities[0].with.as_mut().unwrap();
    let first = with.mix.keys().next().unwrap().clone();
    *with.mix.get_mut(&first).unwrap() = 1.5;
    let err = case.validate().expect_err("a share of 1.5 accepted");
    let field = err.location().field.clone().unwrap_or_default();
    assert_eq!(field, format!("activity[0].with.mix.{first}"), "{err}");
}

#[test]
fn a_partial_grade_without_a_rejects_channel_is_rejected() {
    let mut case: Case = toml::from_str(&honduras_text()).unwrap();
    let ch = &mut case.activities[0].channels[0];
    ch.grade_share = 0.5.into();
    ch.rejects_to = None;
    let err = case
        .validate()
        .expect_err("grade_share 0.5 without rejects_to");
    let field = err.location().field.clone().unwrap_or_default();
    assert_eq!(field, "activity[0].channel[0].rejects_to", "{err}");
}

#[test]
fn the_mutations_also_fail_from_text() {
    // The same mutations applied to the TOML text, as a user would make them.
    let text = honduras_text();
    let case: Case = toml::from_str(&text).unwrap();
    let ch = &case.activities[0].channels[0].name;
    let needle = format!("name = \"{ch}\"\n");
    let bad = text.replacen(&needle, &format!("{needle}grade_share = 0.5\n"), 1);
    assert_ne!(bad, text, "mutation did not apply");
    let msg = rejection(&bad);
    assert!(msg.contains("rejects_to"), "{msg}");
}

#[test]
fn the_multi_channel_cases_offer_at_least_three_channels_on_the_upgrade() {
    // Guideline 7: no herding into one channel, domestic ties kept open.
    for (stem, activity) in [
        ("kenya-avocado", "avocado"),
        ("mexico-coffee", "coffee"),
        ("pakistan-embroidery", "machine-embroidered suits"),
    ] {
        let case = all_cases()
            .into_iter()
            .find(|(s, _)| s == stem)
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("{stem} missing"));
        let a = case
            .activities
            .iter()
            .find(|a| a.name == activity)
            .unwrap_or_else(|| panic!("{stem}: no activity `{activity}`"));
        assert!(a.with.is_some(), "{stem}: `{activity}` is not upgraded");
        assert!(
            a.channels.len() >= 3,
            "{stem}: `{activity}` has {} channels",
            a.channels.len()
        );
    }
}

#[test]
fn a_rejects_cycle_is_rejected_naming_the_channel() {
    let mut case: Case = toml::from_str(&honduras_text()).unwrap();
    let a = &mut case.activities[0];
    let mut other = a.channels[0].clone();
    other.name = "loop".into();
    other.grade_share = 0.5.into();
    other.rejects_to = Some(a.channels[0].name.clone());
    a.channels[0].grade_share = 0.5.into();
    a.channels[0].rejects_to = Some("loop".into());
    a.channels.push(other);
    let err = case.validate().expect_err("a rejects cycle");
    let field = err.location().field.clone().unwrap_or_default();
    assert_eq!(field, "activity[0].channel[0].rejects_to", "{err}");
    assert!(err.to_string().contains("cycle"), "{err}");
}
