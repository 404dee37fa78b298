//! Integration tests of `ralph-models`.

// A failing unwrap is a failing test, with its location.
#![allow(clippy::unwrap_used)]

mod edx;
mod profiles;
mod roundtrip;
mod rules;
