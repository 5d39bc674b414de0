use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::media_table::{media_repo, owner_filtered};
use super::{OwnerFilter, PageParams};
use crate::db::rows::{ImageRow, NewImage};
use crate::db::schema::images::dsl as t;
use crate::db::{DbConn, DbError, run};

media_repo!(ImageRepo, images, ImageRow, NewImage, thumbnail_key, set_thumbnail_key);
