//! `images` and `audios` share their shape, so their repos share their queries: one macro
//! writes both, and each file adds only what its table has of its own.

/// A boxed query of `$table` narrowed to whose media `$filter` covers.
macro_rules! owner_filtered {
    ($dsl:ident, $table:ident, $filter:expr) => {{
        let mut q = $dsl::$table.into_boxed();
        match $filter {
            OwnerFilter::Any => {}
            OwnerFilter::System => q = q.filter($dsl::owner_id.is_null()),
            OwnerFilter::User(id) => q = q.filter($dsl::owner_id.eq(id)),
            OwnerFilter::Visible(id) => q = q.filter($dsl::owner_id.eq(id).or($dsl::owner_id.is_null())),
        }
        q
    }};
}
pub(super) use owner_filtered;

/// Defines `$repo` over `$table` (rows `$row`, inserts `$new`) whose derivative object (thumbnail
/// or waveform) lives in column `$derived`, set by `$setter`.
macro_rules! media_repo {
    ($repo:ident, $table:ident, $row:ident, $new:ident, $derived:ident, $setter:ident) => {
        pub struct $repo;

        impl $repo {
            pub async fn create(conn: &mut DbConn<'_>, new: &$new<'_>) -> Result<$row, DbError> {
                Ok(run!(conn, |c| diesel::insert_into(t::$table)
                    .values(new)
                    .returning($row::as_returning())
                    .get_result(c)
                    .await)?)
            }

            /// Inserts many rows (one statement on PostgreSQL; SQLite has no multi-row insert
            /// with defaults); returns how many.
            pub async fn create_many(conn: &mut DbConn<'_>, rows: &[$new<'_>]) -> Result<usize, DbError> {
                match conn {
                    DbConn::Pg(c) => {
                        Ok(diesel::insert_into(t::$table).values(rows).execute(&mut **c).await?)
                    }
                    DbConn::Sqlite(c) => {
                        let mut n = 0;
                        for row in rows {
                            n += diesel::insert_into(t::$table).values(row).execute(&mut **c).await?;
                        }
                        Ok(n)
                    }
                }
            }

            pub async fn by_id(conn: &mut DbConn<'_>, id: i64) -> Result<Option<$row>, DbError> {
                Ok(run!(conn, |c| t::$table.find(id).select($row::as_select()).first(c).await.optional())?)
            }

            pub async fn by_storage_key(conn: &mut DbConn<'_>, key: &str) -> Result<Option<$row>, DbError> {
                Ok(run!(conn, |c| t::$table
                    .filter(t::storage_key.eq(key))
                    .select($row::as_select())
                    .first(c)
                    .await
                    .optional())?)
            }

            /// Newest first, with the total count of the filter.
            pub async fn list(
                conn: &mut DbConn<'_>,
                filter: OwnerFilter,
                page: PageParams,
            ) -> Result<(Vec<$row>, i64), DbError> {
                let rows = run!(conn, |c| owner_filtered!(t, $table, filter)
                    .order((t::created_at.desc(), t::id.desc()))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select($row::as_select())
                    .load(c)
                    .await)?;
                let total =
                    run!(conn, |c| owner_filtered!(t, $table, filter).count().get_result::<i64>(c).await)?;
                Ok((rows, total))
            }

            pub async fn list_by_owner(
                conn: &mut DbConn<'_>,
                owner_id: i64,
                page: PageParams,
            ) -> Result<(Vec<$row>, i64), DbError> {
                Self::list(conn, OwnerFilter::User(owner_id), page).await
            }

            pub async fn list_system(
                conn: &mut DbConn<'_>,
                page: PageParams,
            ) -> Result<(Vec<$row>, i64), DbError> {
                Self::list(conn, OwnerFilter::System, page).await
            }

            /// Returns whether a row was deleted.
            pub async fn delete(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
                Ok(run!(conn, |c| diesel::delete(t::$table.find(id)).execute(c).await)? == 1)
            }

            pub async fn exists(conn: &mut DbConn<'_>, id: i64) -> Result<bool, DbError> {
                Ok(run!(conn, |c| diesel::select(diesel::dsl::exists(t::$table.find(id)))
                    .get_result::<bool>(c)
                    .await)?)
            }

            pub async fn $setter(conn: &mut DbConn<'_>, id: i64, key: Option<&str>) -> Result<(), DbError> {
                run!(conn, |c| diesel::update(t::$table.find(id)).set(t::$derived.eq(key)).execute(c).await)?;
                Ok(())
            }

            /// Every storage key the table refers to (originals and derivatives), for reconciliation.
            pub async fn all_keys(
                conn: &mut DbConn<'_>,
            ) -> Result<Vec<(i64, String, Option<String>)>, DbError> {
                Ok(run!(conn, |c| t::$table.select((t::id, t::storage_key, t::$derived)).load(c).await)?)
            }
        }
    };
}
pub(super) use media_repo;
