//! Behaviours of `clickhouse`.
