//! Operator tasks behind the CLI: bulk import and demo content. They go through the same media
//! service as the web, so every check applies.

pub mod import;
pub mod seed;
