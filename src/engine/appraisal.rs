//! appraisal
