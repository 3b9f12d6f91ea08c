//! Charts and the HTML report, rendered to text.
//!
//! Rendering is an edge concern, but nothing here touches a file: every
//! renderer takes numbers the engines computed and returns SVG or HTML as a
//! `String`, so snapshot tests cover them; `cmd_report` reads the inputs
//! and writes the files.

pub mod assumptions;
pub mod book;
pub mod case;
pub mod charts;
pub mod html;
pub mod portfolio;
