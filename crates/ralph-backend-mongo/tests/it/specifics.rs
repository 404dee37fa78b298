//! Behaviours of `mongo` (written next).
