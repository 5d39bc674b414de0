//! One integration-test binary (each file directly under tests/ would link the crate again).
//!
//! Suites marked with `backend_tests!` run twice: against SQLite + the local folder store, and
//! against PostgreSQL + a real S3 server. `scripts/test.sh` starts both services; without them
//! the PostgreSQL + S3 half fails loudly instead of skipping.

#[macro_use]
mod common;

mod access;
mod alike;
mod alike_groups;
mod api_cors;
mod audit;
mod back_channel;
mod browser_edits;
mod browser_organize;
mod browser_resumable;
mod browser_shares;
mod browser_sound;
mod browser_trash;
mod bulk_edit;
mod cli;
mod collection_api;
mod collections;
mod config;
mod corpus;
mod crop;
mod describe;
mod display;
mod duplicates;
mod e2e;
mod edit_api;
mod edits;
mod faults;
mod file_api;
mod focal;
mod gallery_paging;
mod harvest;
mod kept_apart;
mod kept_work;
mod link_import;
mod openapi;
mod page_lists;
mod placeholders;
mod privacy;
mod queue;
mod quotas;
mod read_api;
mod regions;
mod repo;
mod resumable;
mod s3_server;
mod search;
mod service;
mod share_api;
mod shares;
mod shots;
mod shutdown;
mod sign_on;
mod sign_on_claims;
mod signing;
mod sound;
mod sound_alike;
mod storage;
mod streaming;
mod tags;
mod tokens;
mod trash;
mod turn;
mod upload_answers;
mod versions;
mod viewer;
mod web;
mod webhooks;
mod zip;
