//! Integration tests of ralph-convert.

mod errors;
mod fixtures;
