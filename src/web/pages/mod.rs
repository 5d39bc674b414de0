//! One module per page family.

pub mod accounts;
pub mod audit;
pub mod bulk_edit;
pub mod collections;
pub mod confirm;
pub mod detail;
pub mod duplicates;
pub mod files;
pub mod gallery;
mod item_path;
pub mod queue;
pub mod regions;
pub mod replace;
mod selection;
pub mod shared;
pub mod shares;
pub mod signin;
pub mod tags;
pub mod trash;
pub mod tus;
pub mod upload;
pub mod viewer;
pub mod zip;
