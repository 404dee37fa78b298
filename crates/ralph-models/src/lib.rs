//! Typed and validated learning-analytics events.
//!
//! - [`edx`]: the edX tracking-log events of Ralph 5.1 (105 event types), their selector and
//!   validation rules.
//!
//! This crate does no I/O: it works on decoded JSON values and strings.

pub mod edx;
