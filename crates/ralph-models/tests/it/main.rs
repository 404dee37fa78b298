//! Integration tests of ralph-models.

mod edx;
