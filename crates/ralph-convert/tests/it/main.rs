//! Integration tests of ralph-convert.

mod differential;
mod erb;
mod errors;
mod fixtures;
mod valid_xapi;
