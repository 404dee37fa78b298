//! Settings of the `s3` backend (`backends.data.s3`).

use ralph_core::settings::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Settings of the `s3` backend, as in Ralph 5.1, plus path-style addressing for S3-compatible
/// stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// Access key id; with the secret access key it signs every request. Unset, the AWS default
    /// credential chain is used (`AWS_ACCESS_KEY_ID`, `~/.aws/credentials`, instance metadata).
    pub access_key_id: Option<String>,
    /// Secret access key matching the access key id; never printed.
    pub secret_access_key: Option<Secret>,
    /// Session token of temporary credentials (STS); never printed.
    pub session_token: Option<Secret>,
    /// URL of an S3-compatible store (`http://127.0.0.1:9000`, MinIO, Ceph, OVH, ...); unset,
    /// the AWS endpoint of the region is used.
    pub endpoint_url: Option<String>,
    /// Region signed into requests (`eu-west-1`); unset, the AWS configuration decides, else
    /// `us-east-1`.
    pub default_region: Option<String>,
    /// Bucket listed, read and written when no target names one.
    pub default_bucket_name: Option<String>,
    /// Address buckets as `endpoint/bucket/key` instead of `bucket.endpoint/key`: needed by most
    /// S3-compatible stores reached by host name (endpoints given by IP address already get it).
    pub force_path_style: bool,
    /// Text encoding of the objects read as records (only `utf8` is supported).
    pub locale_encoding: String,
    /// Bytes per chunk when reading objects raw.
    pub read_chunk_size: usize,
    /// Bytes per part of the multipart upload on write; S3 needs at least 5 MiB per part, so
    /// smaller values are raised to it (parts grow for objects of more than ~10 GB).
    pub write_chunk_size: usize,
}

impl Default for S3Settings {
    fn default() -> Self {
        Self {
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            endpoint_url: None,
            default_region: None,
            default_bucket_name: None,
            force_path_style: false,
            locale_encoding: "utf8".to_owned(),
            read_chunk_size: 4096,
            write_chunk_size: 4096,
        }
    }
}
