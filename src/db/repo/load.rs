//! Collections and tags for a load-test library (`mediadesk seed --load N --organize`), made in
//! a few set-wise statements over the rows the load seed made; not for real libraries.

use crate::db::{Backend, Db, DbError};

/// Collections made.
pub const LOAD_COLLECTIONS: usize = 5000;

pub struct LoadRepo;

impl LoadRepo {
    /// 5 000 system collections of about fifteen images each, and one of a tenth of the
    /// library (`load-big`); tags on about 20 000 images: `load-common` on one in eight, and a
    /// hundred others (`load-tag-NN`) spread over as many again.
    pub async fn organize(db: &Db) -> Result<(), DbError> {
        db.batch_execute(&format!(
            "INSERT INTO collections (owner_id, parent_id, name, name_key, created_at, updated_at)
                 SELECT NULL, NULL, 'load-collection-' || id, 'load-collection-' || id,
                        created_at, created_at
                 FROM images WHERE id <= {LOAD_COLLECTIONS};
             INSERT INTO collections (owner_id, parent_id, name, name_key, created_at, updated_at)
                 SELECT NULL, NULL, 'load-big', 'load-big', MIN(created_at), MIN(created_at)
                 FROM images;
             INSERT INTO collection_items
                 SELECT c.id, 'image', i.id, i.owner_id, i.created_at, i.original_filename,
                        i.byte_size, i.created_at
                 FROM images i
                 JOIN collections c ON c.name = 'load-collection-' || (1 + i.id % {LOAD_COLLECTIONS});
             INSERT INTO collection_items
                 SELECT c.id, i.kind, i.id, i.owner_id, i.created_at, i.original_filename,
                        i.byte_size, i.created_at
                 FROM (SELECT 'image' AS kind, id, owner_id, created_at, original_filename, byte_size
                       FROM images
                       UNION ALL
                       SELECT 'audio', id, owner_id, created_at, original_filename, byte_size FROM audios) i
                 JOIN collections c ON c.name = 'load-big'
                 WHERE i.id % 10 = 0;
             INSERT INTO tags (name, key) VALUES ('load-common', 'load-common');
             INSERT INTO tags (name, key)
                 SELECT 'load-tag-' || (id % 100), 'load-tag-' || (id % 100) FROM images WHERE id <= 100;
             INSERT INTO item_tags
                 SELECT t.id, 'image', i.id, i.owner_id, i.created_at, i.original_filename, i.byte_size
                 FROM images i JOIN tags t ON t.key = 'load-common' WHERE i.id % 8 = 0;
             INSERT INTO item_tags
                 SELECT t.id, 'image', i.id, i.owner_id, i.created_at, i.original_filename, i.byte_size
                 FROM images i JOIN tags t ON t.key = 'load-tag-' || (i.id % 100) WHERE i.id % 8 = 4;"
        ))
        .await?;
        // PostgreSQL's autovacuum would soon gather statistics on these rows, merge the search
        // indexes' pending lists (which a search reads entry by entry until then) and mark the
        // pages all-visible: done now, so that it does not land minutes into a benchmark and
        // move whichever page is measured then. SQLite never gathers statistics unless told,
        // and a library it serves has none. With them (STAT4 samples) SQLite compiles again,
        // on each page, every statement whose plan could depend on a bound value: a cost the
        // benchmark would pay and no real library does.
        if db.backend() == Backend::Postgres {
            db.batch_execute("VACUUM ANALYZE").await?;
        }
        Ok(())
    }
}
