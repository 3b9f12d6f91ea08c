//! The edges: files, the terminal and the command line. The only layer that
//! touches the file system, clap or standard output.

pub mod bundled;
pub mod cli;
pub mod cmd_appraise;
pub mod cmd_channels;
pub mod cmd_compare;
pub mod cmd_design;
pub mod cmd_flows;
pub mod cmd_generate;
pub mod cmd_portfolio;
pub mod cmd_report;
pub mod cmd_schedule;
pub mod cmd_sensitivity;
pub mod cmd_simulate;
pub mod columnar;
pub mod files;
pub mod render;
pub mod report;
pub mod shared;
pub mod toml_file;
