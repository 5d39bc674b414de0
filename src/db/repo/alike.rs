//! Look-alikes: images whose looks (media/file/look.rs) share one of four 16-bit quarters with
//! a look, each quarter found through its own index (migration 000033). Two looks that differ
//! in three bits or fewer share one (though a flat one is not asked for, see below), and most
//! copies that differ in more still do (the bits a small edit changes sit together); the
//! caller counts the bits.

use super::sql::{Param, Sql};
use crate::db::rows::LookRow;
use crate::db::{DbConn, DbError};
use crate::domain::telling_quarters;

/// Images read at most for one look. Unrelated looks share a given quarter once in 65 536, so
/// a library of a million pictures yields some 60 by chance.
const CANDIDATES: i64 = 200;

pub struct AlikeRepo;

impl AlikeRepo {
    /// Images other than `except` that share a quarter with `look`, among what `visible_to`
    /// sees (their own and the system's; `None`: everyone's), by id.
    pub async fn sharing_a_quarter(
        conn: &mut DbConn<'_>,
        look: i64,
        except: i64,
        visible_to: Option<i64>,
    ) -> Result<Vec<LookRow>, DbError> {
        Self::query(look, except, visible_to).rows(conn).await
    }

    /// The query: one index walk per quarter, the four joined, then each image by its id.
    pub(super) fn query(look: i64, except: i64, visible_to: Option<i64>) -> Sql {
        let mut sql = Sql::new(
            "SELECT id, owner_id, original_filename, title, thumbnail_key, sha256, look FROM images \
             WHERE id IN (",
        );
        // A flat quarter is shared by pictures that have nothing else in common: it is asked
        // for only when the whole look is made of such quarters.
        for (n, shift) in telling_quarters(look).into_iter().enumerate() {
            // Written as each index is (migration 000033), which is how the planners match them.
            let quarter =
                if shift == 0 { "(look & 65535)".to_owned() } else { format!("((look >> {shift}) & 65535)") };
            sql.push(if n == 0 { "" } else { " UNION " });
            sql.push(&format!("SELECT id FROM images WHERE {quarter} = "));
            sql.bind(Param::Int(crate::domain::quarter(look, shift)));
        }
        sql.push(") AND id <> ").bind(Param::Int(except));
        if let Some(user) = visible_to {
            sql.push(" AND (owner_id = ").bind(Param::Int(user)).push(" OR owner_id IS NULL)");
        }
        sql.push(&format!(" ORDER BY id LIMIT {CANDIDATES}"));
        sql
    }
}
