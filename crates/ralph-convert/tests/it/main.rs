//! Integration tests of ralph-convert.

mod differential;
mod errors;
mod fixtures;
mod valid_xapi;
