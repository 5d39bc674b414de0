//! The gallery's keyset paging over both tables: every (scope, kind, sort) walked page by page,
//! forwards and backwards, against the order worked out here by hand. Ties in every sort key
//! and both kinds interleaved are the cases that break a naive merge.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use std::collections::HashSet;

use mediadesk::db::repo::{
    AudioRepo, CollectionRepo, Cursor, GalleryRepo, ImageRepo, SEARCH_COUNT_CAP, SortValue, TagRepo, Total,
};
use mediadesk::db::rows::{MediaItemRow, NewAudio, NewCollection, NewImage, NewMembership, NewTagging};
use mediadesk::db::{DbConn, DbError};
use mediadesk::domain::{GalleryQuery, GallerySort, KindFilter, MediaKind, Only, OwnerFilter};

use crate::common::*;

struct Item {
    kind: MediaKind,
    id: i64,
    owner: Option<i64>,
    name: String,
    size: i64,
    at: NaiveDateTime,
    transcript: Option<String>,
    /// Of an image: whether it has alt text, and its frames.
    alt: bool,
    frames: i32,
    /// Of audio: quiet, clipped, mostly silence.
    sound: (bool, bool, bool),
}

/// 60 items: owners cycle over two users and the system, and names, sizes and times repeat so
/// that every sort has long runs of ties across both kinds.
async fn seed(env: &TestEnv) -> (Vec<Item>, i64, i64) {
    let (ann, bob) = (env.user("ann", "user").await, env.user("bob", "user").await);
    let base = Utc::now().naive_utc() - TimeDelta::days(1);
    let mut items = Vec::new();
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    for i in 0..60i64 {
        let owner = [Some(ann), Some(bob), None][(i % 3) as usize];
        let name = format!("{}-{}.x", ["Zed", "alpha", "beta", "Émile"][(i % 4) as usize], i % 5);
        let size = 1000 + (i % 6) * 10;
        let at = base + TimeDelta::seconds(i / 7);
        let key = format!("k/{i}.bin");
        if i % 2 == 0 {
            let row = ImageRepo::create(
                &mut c,
                &NewImage {
                    owner_id: owner,
                    uploader_id: owner,
                    original_filename: &name,
                    content_type: "image/png",
                    byte_size: size,
                    sha256: "0",
                    storage_key: &key,
                    thumbnail_key: None,
                    display_key: None,
                    thumbnail_bytes: 0,
                    has_location: false,
                    has_device_data: false,
                    private_key: None,
                    private_bytes: 0,
                    placeholder: None,
                    look: None,
                    shot: None,
                    source_link: None,
                    frame_count: if i % 4 == 0 { 3 } else { 1 },
                    width: 4,
                    height: 3,
                    created_at: at,
                },
            )
            .await
            .unwrap();
            // Every third image has alt text.
            let alt = i % 3 == 0;
            if alt {
                let d = mediadesk::db::rows::ImageDescription {
                    alt_text: Some("described"),
                    ..Default::default()
                };
                ImageRepo::describe(&mut c, row.id, &d).await.unwrap();
            }
            let frames = row.frame_count;
            items.push(Item {
                kind: MediaKind::Image,
                id: row.id,
                owner,
                name,
                size,
                at,
                transcript: None,
                alt,
                frames,
                sound: (false, false, false),
            });
        } else {
            let transcript = (i % 5 == 1).then(|| format!("spoken words number {i}"));
            let sound = (i % 3 == 1, i % 7 < 3, i % 5 == 2);
            let health = mediadesk::db::rows::AudioHealth {
                quiet: sound.0,
                clipped: sound.1,
                mostly_silent: sound.2,
                ..Default::default()
            };
            let new = NewAudio {
                owner_id: owner,
                uploader_id: owner,
                byte_size: size,
                transcript: transcript.as_deref(),
                health,
                ..audio_row(&name, &key, at)
            };
            let row = AudioRepo::create(&mut c, &new).await.unwrap();
            items.push(Item {
                kind: MediaKind::Audio,
                id: row.id,
                owner,
                name,
                size,
                at,
                transcript,
                alt: false,
                frames: 1,
                sound,
            });
        }
    }
    (items, ann, bob)
}

/// A collection holding about two thirds of the items, of every owner (the gallery decides what
/// a viewer sees of it), and what it holds.
/// A system MP3's row of one byte, without transcript, peaks, health or print, made at `at`.
fn audio_row<'a>(name: &'a str, key: &'a str, at: NaiveDateTime) -> NewAudio<'a> {
    NewAudio {
        owner_id: None,
        uploader_id: None,
        original_filename: name,
        content_type: "audio/mpeg",
        byte_size: 1,
        sha256: "0",
        storage_key: key,
        waveform_key: None,
        duration_ms: 1000,
        bitrate: 1,
        sample_rate: 44_100,
        channels: 2,
        codec: "mp3",
        transcript: None,
        created_at: at,
        updated_at: at,
        peaks: None,
        rendition_key: None,
        rendition_bytes: 0,
        health: Default::default(),
        print: None,
        source_link: None,
    }
}

async fn collect(env: &TestEnv, items: &[Item]) -> (i64, HashSet<(MediaKind, i64)>) {
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let t = Utc::now().naive_utc();
    let new = NewCollection {
        owner_id: None,
        parent_id: None,
        name: "Harbour",
        name_key: "harbour",
        created_at: t,
        updated_at: t,
    };
    let id = CollectionRepo::create(&mut c, &new).await.unwrap().id;
    let mut members = HashSet::new();
    for (n, i) in items.iter().enumerate() {
        if n % 3 == 1 {
            continue;
        }
        let m = NewMembership {
            collection_id: id,
            kind: i.kind.as_str(),
            item_id: i.id,
            owner_id: i.owner,
            created_at: i.at,
            original_filename: &i.name,
            byte_size: i.size,
            added_at: t,
        };
        assert!(CollectionRepo::add_item(&mut c, &m).await.unwrap());
        members.insert((i.kind, i.id));
    }
    (id, members)
}

type Members = HashSet<(MediaKind, i64)>;

/// Tag `tag` on item `i`, with the sort values its listing reads.
fn tagging(tag: i64, i: &Item) -> NewTagging<'_> {
    NewTagging {
        tag_id: tag,
        kind: i.kind.as_str(),
        item_id: i.id,
        owner_id: i.owner,
        created_at: i.at,
        original_filename: &i.name,
        byte_size: i.size,
    }
}

/// Two tags: `even` on every other item, `most` on four items in five; what each is on.
async fn tag(env: &TestEnv, items: &[Item]) -> [(i64, Members); 2] {
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let mut out = Vec::new();
    for (name, on) in
        [("even", (|n: usize| n.is_multiple_of(2)) as fn(usize) -> bool), ("most", |n| n % 5 != 0)]
    {
        let id = TagRepo::get_or_create(&mut c, name, name).await.unwrap().id;
        let mut members = HashSet::new();
        for (_, i) in items.iter().enumerate().filter(|(n, _)| on(*n)) {
            assert!(TagRepo::add(&mut c, &tagging(id, i)).await.unwrap());
            members.insert((i.kind, i.id));
        }
        out.push((id, members));
    }
    out.try_into().unwrap_or_else(|_| unreachable!())
}

fn value(sort: GallerySort, i: &Item) -> SortValue {
    match sort {
        GallerySort::Newest => SortValue::Time(i.at),
        GallerySort::Name => SortValue::Name(i.name.clone()),
        GallerySort::Size => SortValue::Size(i.size),
        // Scores are the database's; a test cursor at score 0 starts past every match.
        GallerySort::Relevance => SortValue::Rank(0),
    }
}

fn row_value(sort: GallerySort, r: &MediaItemRow) -> SortValue {
    match sort {
        GallerySort::Newest => SortValue::Time(r.created_at),
        GallerySort::Name => SortValue::Name(r.original_filename.clone()),
        GallerySort::Size => SortValue::Size(r.byte_size),
        GallerySort::Relevance => SortValue::Rank(r.rank),
    }
}

/// Whether `word` starts a word of `text`, as the full-text indexes split text.
fn starts_a_word(text: &str, word: &str) -> bool {
    text.to_lowercase().split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(word))
}

/// What a gallery must show, in order (ranked by relevance: in (kind, id) order, as the scores
/// are the database's own).
fn expected(
    items: &[Item],
    (members, only): (&[&Members], Option<Only>),
    scope: OwnerFilter,
    kind: KindFilter,
    sort: GallerySort,
    search: Option<&str>,
) -> Vec<(MediaKind, i64)> {
    let mut picked: Vec<&Item> = items
        .iter()
        .filter(|i| match scope {
            OwnerFilter::Any => true,
            OwnerFilter::System => i.owner.is_none(),
            OwnerFilter::User(id) => i.owner == Some(id),
            OwnerFilter::Visible(id) => i.owner == Some(id) || i.owner.is_none(),
        })
        .filter(|i| kind.covers(i.kind))
        .filter(|i| members.iter().all(|m| m.contains(&(i.kind, i.id))))
        .filter(|i| match only {
            None => true,
            Some(Only::MissingAltText) => i.kind == MediaKind::Image && !i.alt,
            Some(Only::MissingTranscript) => i.kind == MediaKind::Audio && i.transcript.is_none(),
            Some(Only::Animated) => i.kind == MediaKind::Image && i.frames > 1,
            // Nothing the model uploads says where it was taken.
            Some(Only::Location) => false,
            Some(Only::Quiet) => i.kind == MediaKind::Audio && i.sound.0,
            Some(Only::Clipped) => i.kind == MediaKind::Audio && i.sound.1,
            Some(Only::MostlySilent) => i.kind == MediaKind::Audio && i.sound.2,
        })
        .filter(|i| {
            search.is_none_or(|s| {
                starts_a_word(&i.name, s) || i.transcript.as_deref().is_some_and(|t| starts_a_word(t, s))
            })
        })
        .collect();
    let sort = if sort == GallerySort::Relevance && search.is_none() { GallerySort::Newest } else { sort };
    if sort == GallerySort::Relevance {
        picked.sort_by_key(|i| (i.kind.as_str(), i.id));
        return picked.into_iter().map(|i| (i.kind, i.id)).collect();
    }
    picked.sort_by(|a, b| {
        let o = (value(sort, a), a.kind.as_str(), a.id).cmp(&(value(sort, b), b.kind.as_str(), b.id));
        if sort == GallerySort::Name { o } else { o.reverse() }
    });
    picked.into_iter().map(|i| (i.kind, i.id)).collect()
}

fn ids(rows: &[MediaItemRow]) -> Vec<(MediaKind, i64)> {
    rows.iter().map(|r| (r.kind, r.id)).collect()
}

fn cursor(sort: GallerySort, r: &MediaItemRow) -> Cursor {
    Cursor { value: row_value(sort, r), kind: r.kind, id: r.id }
}

backend_tests!(
    every_gallery_walks_in_order_both_ways_without_gaps,
    totals_follow_inserts_deletes_and_owner_changes,
    search_totals_stop_counting_at_the_cap_and_foreign_cursors_are_refused,
    collection_tag_and_search_pages_are_planned_once,
    a_view_reads_only_the_streams_its_counts_hold,
    gallery_rows_draw_the_waveform_their_peaks_draw
);

async fn every_gallery_walks_in_order_both_ways_without_gaps(env: TestEnv) {
    let (items, ann, _) = seed(&env).await;
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let scopes = [OwnerFilter::Any, OwnerFilter::System, OwnerFilter::User(ann), OwnerFilter::Visible(ann)];
    let kinds = [KindFilter::Any, KindFilter::Image, KindFilter::Audio];
    let sorts = GallerySort::ALL;
    let (harbour, members) = collect(&env, &items).await;
    let [(even, evens), (most, mosts)] = tag(&env, &items).await;
    let tag_sets: [(Vec<i64>, Vec<&Members>); 3] =
        [(vec![], vec![]), (vec![most], vec![&mosts]), (vec![even, most], vec![&evens, &mosts])];
    // The "only" filters on the whole library and within the collection; tags without them.
    let onlys: Vec<Option<Only>> = std::iter::once(None).chain(Only::ALL.map(Some)).collect();
    let views = [None, Some(harbour)]
        .into_iter()
        .flat_map(|c| tag_sets.iter().map(move |t| (c, t)))
        .flat_map(|(c, t)| {
            let filters: &[Option<Only>] = if t.0.is_empty() { &onlys } else { &[None] };
            filters.iter().map(move |o| (c, t, *o)).collect::<Vec<_>>()
        });
    for ((collection, (tags, tagged), only), scope) in views.flat_map(|v| scopes.map(|s| (v, s))) {
        for kind in kinds {
            for sort in sorts {
                for search in [None, Some("alpha"), Some("spoken")] {
                    let mut inside = tagged.clone();
                    if collection.is_some() {
                        inside.push(&members);
                    }
                    let want = expected(&items, (&inside, only), scope, kind, sort, search);
                    let what =
                        format!("{collection:?} {tags:?} {only:?} {scope:?} {kind:?} {sort:?} {search:?}");
                    let query = |backwards: bool| GalleryQuery {
                        owner: scope,
                        collection,
                        tags: tags.clone(),
                        only,
                        kind,
                        search: search.map(str::to_owned),
                        sort,
                        cursor: None,
                        backwards,
                        per_page: 7,
                    };
                    // Forwards from the first page.
                    let mut got = Vec::new();
                    let mut scores = Vec::new();
                    let mut next = None;
                    loop {
                        let (rows, more) =
                            GalleryRepo::page(&mut c, &query(false), next.as_ref()).await.unwrap();
                        got.extend(ids(&rows));
                        scores.extend(rows.iter().map(|r| (r.rank, r.kind.as_str(), r.id)));
                        if !more {
                            break;
                        }
                        next = Some(cursor(query(false).order(), rows.last().unwrap()));
                    }
                    let ranked = sort == GallerySort::Relevance && search.is_some();
                    if ranked {
                        // Best first, ties by (kind, id) descending: each item once.
                        assert!(scores.windows(2).all(|w| w[0] > w[1]), "ranked: {what}: {scores:?}");
                        let mut sorted = got.clone();
                        sorted.sort_by_key(|(k, id)| (k.as_str(), *id));
                        assert_eq!(sorted, want, "forwards: {what}");
                    } else {
                        assert_eq!(got, want, "forwards: {what}");
                    }
                    let want = if ranked { got } else { want };
                    // Backwards from the last page ("last" has no cursor).
                    let mut got = Vec::new();
                    let mut prev = None;
                    loop {
                        let (rows, more) =
                            GalleryRepo::page(&mut c, &query(true), prev.as_ref()).await.unwrap();
                        got.splice(0..0, ids(&rows));
                        if !more {
                            break;
                        }
                        prev = Some(cursor(query(true).order(), rows.first().unwrap()));
                    }
                    assert_eq!(got, want, "backwards: {what}");
                    let total = GalleryRepo::total(&mut c, &query(false)).await.unwrap();
                    assert_eq!(total, Total::Exact(want.len() as i64), "total: {what}");
                }
            }
        }
    }
}

/// A large collection's or tag's page views and a search's best matches, again and again on
/// one connection, show the same rows; on PostgreSQL their streams settle on one generic plan
/// instead of being planned for the id or the words on every view (which cost more than
/// running them). Planned for the id, a collection far larger than the average one always
/// looks cheaper to walk than the generic plan's guess, so PostgreSQL would never stop
/// planning it; planned for the words, so would a search.
async fn collection_tag_and_search_pages_are_planned_once(env: TestEnv) {
    mediadesk::ops::seed::seed_load(&env.media, &env.db, 1500, |_| {}).await.unwrap();
    // Collection 141 and tag 141 hold a third of the library; forty more a dozen items each.
    let mut made = String::from(
        "INSERT INTO collections (id, owner_id, parent_id, name, name_key, created_at, updated_at) \
             SELECT 100 + id, NULL, NULL, 'c' || id, 'c' || id, created_at, created_at \
             FROM images WHERE id <= 41; \
         INSERT INTO tags (id, name, key) SELECT 100 + id, 't' || id, 't' || id FROM images WHERE id <= 41;",
    );
    for (kind, table) in [("image", "images"), ("audio", "audios")] {
        for (holder, which) in [("141", "id % 3 = 0"), ("101 + id % 40", "id % 3 = 1")] {
            made.push_str(&format!(
                "INSERT INTO collection_items SELECT {holder}, '{kind}', id, owner_id, created_at, \
                     original_filename, byte_size, created_at FROM {table} WHERE {which}; \
                 INSERT INTO item_tags SELECT {holder}, '{kind}', id, owner_id, created_at, \
                     original_filename, byte_size FROM {table} WHERE {which};"
            ));
        }
    }
    env.db.batch_execute(&(made + "ANALYZE")).await.unwrap();
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let everything = GalleryQuery { per_page: 20, ..GalleryQuery::new(OwnerFilter::Any) };
    let views = [
        GalleryQuery { collection: Some(141), ..everything.clone() },
        GalleryQuery { tags: vec![141], ..everything.clone() },
        GalleryQuery { search: Some("load".into()), sort: GallerySort::Relevance, ..everything.clone() },
    ];
    let ids = |rows: &[MediaItemRow]| rows.iter().map(|r| (r.kind, r.id)).collect::<Vec<_>>();
    for query in &views {
        let (first, _) = GalleryRepo::page(&mut c, query, None).await.unwrap();
        assert_eq!(first.len(), 20, "{query:?}");
        for _ in 0..8 {
            let (again, _) = GalleryRepo::page(&mut c, query, None).await.unwrap();
            assert_eq!(ids(&again), ids(&first), "{query:?}");
        }
    }
    // What a collection's page shows above its gallery: kept prepared too.
    let above = CollectionRepo::with_children(&mut c, 141).await.unwrap();
    assert_eq!(above.iter().map(|(c, n)| (c.id, *n)).collect::<Vec<_>>(), [(141, 500)]);
    for _ in 0..8 {
        assert_eq!(CollectionRepo::with_children(&mut c, 141).await.unwrap().len(), 1);
    }
    if let DbConn::Pg(pg) = &mut c {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Plans {
            #[diesel(sql_type = diesel::sql_types::Text)]
            statement: String,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            generic_plans: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            custom_plans: i64,
        }
        let plans = diesel::sql_query(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE (statement LIKE 'SELECT * FROM ((SELECT ''image'' AS kind, %' \
                    AND (statement LIKE '%FROM collection_items ci JOIN%' \
                         OR statement LIKE '%FROM item_tags it JOIN%')) \
                OR statement LIKE 'SELECT * FROM (SELECT u.*, COUNT(*) OVER () AS matches%' \
                OR (statement LIKE '%FROM collections c WHERE%' \
                    AND statement NOT LIKE '%pg_prepared_statements%')",
        )
        .load::<Plans>(&mut **pg)
        .await
        .unwrap();
        let statements: Vec<&String> = plans.iter().map(|p| &p.statement).collect();
        assert_eq!(
            plans.len(),
            4,
            "the merged streams of the collection, the tag and the ranked search, and the \
             collection: {statements:#?}"
        );
        for p in plans {
            let (generic, custom) = (p.generic_plans, p.custom_plans);
            assert!(generic >= 3 && custom <= 6, "{generic} generic, {custom} custom plans: {}", p.statement);
        }
    }
}

/// A page with its total reads the kept counts first and skips the streams they hold nothing
/// of (a tag on photos only, an owner without audio): the same rows as a page that reads every
/// stream, the same total, and on PostgreSQL no query at all for the empty kind.
async fn a_view_reads_only_the_streams_its_counts_hold(env: TestEnv) {
    let (items, ann, bob) = seed(&env).await;
    let carl = env.user("carl", "user").await;
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let photos = TagRepo::get_or_create(&mut c, "photos", "photos").await.unwrap().id;
    let mut on_photos = 0;
    for i in items.iter().filter(|i| i.kind == MediaKind::Image && i.owner != Some(bob)) {
        assert!(TagRepo::add(&mut c, &tagging(photos, i)).await.unwrap());
        on_photos += 1;
    }
    let tagged = GalleryQuery { tags: vec![photos], per_page: 7, ..GalleryQuery::new(OwnerFilter::Any) };
    let (rows, _, total) = GalleryRepo::page_and_total(&mut c, &tagged, None).await.unwrap();
    assert_eq!((rows.len(), total), (7, Total::Exact(on_photos)));
    if let DbConn::Pg(pg) = &mut c {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Statement {
            #[diesel(sql_type = diesel::sql_types::Text)]
            statement: String,
        }
        let prepared: Vec<String> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
            .load::<Statement>(&mut **pg)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.statement)
            .collect();
        assert!(prepared.iter().any(|s| s.contains("FROM item_tags it JOIN images")), "{prepared:#?}");
        assert!(!prepared.iter().any(|s| s.contains("FROM item_tags it JOIN audios")), "{prepared:#?}");
    }
    let (harbour, _) = collect(&env, &items).await;
    let views = [
        GalleryQuery::new(OwnerFilter::Any),
        GalleryQuery { tags: vec![photos], ..GalleryQuery::new(OwnerFilter::Any) },
        GalleryQuery { collection: Some(harbour), ..GalleryQuery::new(OwnerFilter::Any) },
    ];
    let owners = [
        OwnerFilter::Any,
        OwnerFilter::System,
        OwnerFilter::User(bob),
        OwnerFilter::Visible(ann),
        OwnerFilter::User(carl),
        OwnerFilter::Visible(carl),
    ];
    for view in views {
        for owner in owners {
            for kind in [KindFilter::Any, KindFilter::Audio] {
                let query = GalleryQuery { owner, kind, per_page: 9, ..view.clone() };
                let mut cursor = None;
                loop {
                    let (rows, more, total) =
                        GalleryRepo::page_and_total(&mut c, &query, cursor.as_ref()).await.unwrap();
                    let (all_streams, more_too) =
                        GalleryRepo::page(&mut c, &query, cursor.as_ref()).await.unwrap();
                    let ids = |r: &[MediaItemRow]| r.iter().map(|r| (r.kind, r.id)).collect::<Vec<_>>();
                    assert_eq!((ids(&rows), more), (ids(&all_streams), more_too), "{query:?}");
                    assert_eq!(total, GalleryRepo::total(&mut c, &query).await.unwrap(), "{query:?}");
                    if !more {
                        break;
                    }
                    cursor = Some(mediadesk::db::repo::cursor_after(query.order(), rows.last().unwrap()));
                }
            }
        }
    }
}

async fn totals_follow_inserts_deletes_and_owner_changes(env: TestEnv) {
    let (items, ann, bob) = seed(&env).await;
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let total = GalleryQuery::new;
    assert_eq!(GalleryRepo::total(&mut c, &total(OwnerFilter::Any)).await.unwrap(), Total::Exact(60));
    let first_image = items.iter().find(|i| i.kind == MediaKind::Image && i.owner == Some(ann)).unwrap();
    assert!(ImageRepo::delete(&mut c, first_image.id).await.unwrap());
    assert_eq!(GalleryRepo::total(&mut c, &total(OwnerFilter::User(ann))).await.unwrap(), Total::Exact(19));
    assert_eq!(
        GalleryRepo::total(&mut c, &total(OwnerFilter::Visible(bob))).await.unwrap(),
        Total::Exact(40)
    );
    env.db.batch_execute(&format!("UPDATE audios SET owner_id = NULL WHERE owner_id = {bob}")).await.unwrap();
    assert_eq!(GalleryRepo::total(&mut c, &total(OwnerFilter::User(bob))).await.unwrap(), Total::Exact(10));
    assert_eq!(GalleryRepo::total(&mut c, &total(OwnerFilter::System)).await.unwrap(), Total::Exact(30));
    assert_eq!(GalleryRepo::total(&mut c, &total(OwnerFilter::Any)).await.unwrap(), Total::Exact(59));
}

async fn search_totals_stop_counting_at_the_cap_and_foreign_cursors_are_refused(env: TestEnv) {
    // One in a hundred is a real upload with a real name; the rest are named load-NNNNNN.
    let n = SEARCH_COUNT_CAP as usize + 50;
    mediadesk::ops::seed::seed_load(&env.media, &env.db, n, |_| {}).await.unwrap();
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let search = |s: &str, kind| GalleryQuery {
        search: Some(s.to_owned()),
        kind,
        ..GalleryQuery::new(OwnerFilter::Any)
    };
    let total = GalleryRepo::total(&mut c, &search("LOAD-", KindFilter::Any)).await.unwrap();
    assert_eq!(total, Total::AtLeast(SEARCH_COUNT_CAP), "{n} matches");
    // load-000010 .. load-000019, where every fourth number (11, 15, 19) is an audio item.
    let total = GalleryRepo::total(&mut c, &search("load-00001", KindFilter::Any)).await.unwrap();
    assert_eq!(total, Total::Exact(10));
    let total = GalleryRepo::total(&mut c, &search("load-00001", KindFilter::Audio)).await.unwrap();
    assert_eq!(total, Total::Exact(3));
    // A page's total, counted by its ranked streams where the database does (PostgreSQL), is
    // the total counted on its own: past the cap, under it, and on a later page.
    for (words, kind) in
        [("LOAD-", KindFilter::Any), ("load-00001", KindFilter::Any), ("load-00001", KindFilter::Audio)]
    {
        // Four a page: the next page still has rows of both kinds, counted from its cursor on.
        let q = GalleryQuery { sort: GallerySort::Relevance, per_page: 4, ..search(words, kind) };
        let alone = GalleryRepo::total(&mut c, &q).await.unwrap();
        let (rows, _, with_page) = GalleryRepo::page_and_total(&mut c, &q, None).await.unwrap();
        assert_eq!(with_page, alone, "{words} {kind:?}");
        let after = mediadesk::db::repo::cursor_after(q.order(), rows.last().unwrap());
        let (_, _, later) = GalleryRepo::page_and_total(&mut c, &q, Some(&after)).await.unwrap();
        assert_eq!(later, alone, "{words} {kind:?}, next page");
    }
    // A cursor made for another sort (a hand-edited URL) is an error, not a wrong page.
    let name = Cursor { value: SortValue::Name("load-000500.jpg".into()), kind: MediaKind::Image, id: 1 };
    let newest = GalleryQuery::new(OwnerFilter::Any);
    let refused = GalleryRepo::page(&mut c, &newest, Some(&name)).await;
    assert!(matches!(refused, Err(DbError::InvalidCursor)), "{:?}", refused.map(|(r, _)| r.len()));
    // So is a name's cursor on a ranked search (one merged query on PostgreSQL).
    let ranked = GalleryQuery { search: Some("load".into()), sort: GallerySort::Relevance, ..newest.clone() };
    let refused = GalleryRepo::page(&mut c, &ranked, Some(&name)).await;
    assert!(matches!(refused, Err(DbError::InvalidCursor)), "{:?}", refused.map(|(r, _)| r.len()));
    let by_name = GalleryQuery { sort: GallerySort::Name, ..newest };
    let (rows, more) = GalleryRepo::page(&mut c, &by_name, Some(&name)).await.unwrap();
    assert!(more && rows[0].original_filename.as_str() > "load-000500.jpg");
    // On PostgreSQL a page's queries are prepared once per connection, not parsed and planned
    // on every page view: the same named statements, prepared at the same moment, serve the
    // next page too.
    if let DbConn::Pg(_) = &c {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName, PartialEq, Debug)]
        struct Prepared {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            at: String,
        }
        let list = "SELECT name, prepare_time::text AS at FROM pg_prepared_statements \
                    WHERE statement LIKE 'SELECT * FROM ((SELECT %FROM images t ORDER BY%' ORDER BY name";
        let prepared = async |c: &mut DbConn<'_>| {
            GalleryRepo::page(c, &GalleryQuery::new(OwnerFilter::Any), None).await.unwrap();
            let DbConn::Pg(pg) = c else { unreachable!() };
            diesel::sql_query(list).load::<Prepared>(&mut **pg).await.unwrap()
        };
        let first = prepared(&mut c).await;
        assert_eq!(first.len(), 1, "the first page's merged streams are one prepared statement");
        assert_eq!(prepared(&mut c).await, first, "reused for the next view, not prepared again");
    }
}

/// Every list query the gallery can send walks an index in sort order: no full scan, no sort
/// step, on either database. (PostgreSQL is told to avoid sequential scans and sorts, so a plan
/// that still has one has no index to use.)
mod plans {
    use super::*;
    use mediadesk::db::DbConn;

    /// In index order, without a sort; and after a cursor, starting at the cursor (a range),
    /// not walking up to it from the first row.
    fn walks_an_index(backend: &str, plan: &str, after_cursor: bool) -> bool {
        if backend == "sqlite_local" {
            let scans = plan.lines().any(|l| l.starts_with("SCAN images") || l.starts_with("SCAN audios"));
            let unindexed = plan.lines().any(|l| l.starts_with("SCAN") && !l.contains("USING"));
            let walks_to_the_cursor = after_cursor && scans;
            plan.contains("INDEX") && !plan.contains("TEMP B-TREE") && !unindexed && !walks_to_the_cursor
        } else {
            let ranged = plan.lines().any(|l| {
                l.contains("Index Cond")
                    && ["created_at", "original_filename", "byte_size"].iter().any(|c| l.contains(c))
            });
            plan.contains("Index")
                && !plan.contains("Seq Scan")
                && !pg_plan_sorts(plan)
                && (!after_cursor || ranged)
        }
    }

    /// A search finds its matches through the full-text index (or, ordered by anything but
    /// relevance, may walk the order's index and test each row); no table is read whole.
    fn searches_an_index(backend: &str, plan: &str) -> bool {
        if backend == "sqlite_local" {
            let unindexed = plan
                .lines()
                .any(|l| l.starts_with("SCAN") && !l.contains("USING") && !l.contains("VIRTUAL TABLE"));
            plan.contains("VIRTUAL TABLE INDEX") && !unindexed
        } else {
            // On a small table the planner may rather walk another index and test each row;
            // the command's test checks a larger library's plans.
            let full_text = plan.contains("images_search") || plan.contains("audios_search");
            !plan.contains("Seq Scan") && (full_text || plan.contains("Index Scan"))
        }
    }

    backend_tests!(every_gallery_query_walks_an_index);

    async fn every_gallery_query_walks_an_index(env: TestEnv) {
        let (items, ann, _) = seed(&env).await;
        let mut pooled = env.db.get().await.unwrap();
        let mut c = pooled.conn();
        if let DbConn::Pg(pg) = &mut c {
            diesel_async::SimpleAsyncConnection::batch_execute(
                &mut **pg,
                "SET enable_seqscan = off; SET enable_sort = off",
            )
            .await
            .unwrap();
        }
        let some = &items[17];
        let (harbour, _) = collect(&env, &items).await;
        let [(even, _), (most, _)] = tag(&env, &items).await;
        let mut checked = 0;
        let scopes =
            [OwnerFilter::Any, OwnerFilter::System, OwnerFilter::User(ann), OwnerFilter::Visible(ann)];
        // Every "only" filter there is, so that a new one cannot go unchecked.
        let onlys: Vec<Option<Only>> = std::iter::once(None).chain(Only::ALL.map(Some)).collect();
        let views = [None, Some(harbour)].into_iter().flat_map(|c| {
            let mut v: Vec<(Option<i64>, Vec<i64>, Option<Only>)> =
                onlys.iter().map(|o| (c, vec![], *o)).collect();
            v.push((c, vec![even, most], None));
            v
        });
        for ((collection, tags, only), scope) in views.flat_map(|v| scopes.map(|s| (v.clone(), s))) {
            for kind in [KindFilter::Any, KindFilter::Image, KindFilter::Audio] {
                for sort in GallerySort::ALL {
                    let cursor = Cursor { value: value(sort, some), kind: some.kind, id: some.id };
                    for (cursor, backwards) in
                        [(None, false), (Some(cursor.clone()), false), (Some(cursor), true), (None, true)]
                    {
                        for search in [None, Some("alpha".to_owned())] {
                            // Relevance without a search is newest first, and so are its cursors.
                            let order = if search.is_none() && sort == GallerySort::Relevance {
                                GallerySort::Newest
                            } else {
                                sort
                            };
                            let cursor = cursor.clone().map(|c| Cursor { value: value(order, some), ..c });
                            let q = GalleryQuery {
                                kind,
                                collection,
                                tags: tags.clone(),
                                only,
                                search,
                                sort,
                                backwards,
                                per_page: 50,
                                ..GalleryQuery::new(scope)
                            };
                            for plan in GalleryRepo::plans(&mut c, &q, cursor.as_ref()).await.unwrap() {
                                let shape = format!(
                                    "{collection:?} {tags:?} {only:?} {scope:?} {kind:?} {sort:?} cursor \
                                     {cursor:?} backwards {backwards}"
                                );
                                let fine = if q.search.is_some() {
                                    searches_an_index(env.backend, &plan)
                                } else {
                                    walks_an_index(env.backend, &plan, cursor.is_some())
                                };
                                assert!(fine, "{shape} search {:?}:\n{plan}", q.search);
                                // Both kinds' walks merged as they come, not read whole and sorted.
                                let mixed = kind == KindFilter::Any && only.is_none() && q.search.is_none();
                                if env.backend == "postgres_s3" && mixed {
                                    assert!(plan.contains("Merge Append"), "{shape}:\n{plan}");
                                }
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        // PostgreSQL merges a page's streams into one query: fewer plans.
        let plans = if env.backend == "sqlite_local" { 6208 } else { 5120 };
        assert_eq!(checked, plans, "plans");
    }
}

/// A gallery row's mini waveform is the same drawing of its peaks on both backends, for peaks
/// of any length and any values, and after the peaks change (a replaced file). PostgreSQL reads
/// the 120 pairs it keeps for that drawing instead of all of them.
async fn gallery_rows_draw_the_waveform_their_peaks_draw(env: TestEnv) {
    use mediadesk::media::file::waveform::{GALLERY_BINS, svg_path};
    let mut pooled = env.db.get().await.unwrap();
    let mut c = pooled.conn();
    let mut seed = 0x2545_f491_u32;
    let mut byte = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed >> 24) as u8
    };
    let at = Utc::now().naive_utc();
    let mut made = Vec::new();
    for pairs in [0, 1, 7, 119, 120, 121, 999, 1000, 1001] {
        let mut peaks: Vec<u8> = (0..2 * pairs).map(|_| byte()).collect();
        if pairs == 1000 {
            peaks[..4].copy_from_slice(&[0x80, 0x7f, 0x80, 0x7f]); // -128 and 127
        }
        let name = format!("wave-{pairs}.mp3");
        let key = format!("system/wave-{pairs}.mp3");
        let new = NewAudio { peaks: (pairs != 0).then_some(&peaks[..]), ..audio_row(&name, &key, at) };
        let row = AudioRepo::create(&mut c, &new).await.unwrap();
        made.push((row.id, (pairs != 0).then_some(peaks)));
    }
    let query = GalleryQuery { kind: KindFilter::Audio, per_page: 50, ..GalleryQuery::new(OwnerFilter::Any) };
    let postgres = matches!(c, DbConn::Pg(_));
    let drawn = |rows: Vec<MediaItemRow>| -> Vec<(i64, Option<String>)> {
        let mut d: Vec<_> = rows
            .into_iter()
            .map(|r| {
                if postgres && let Some(p) = &r.peaks {
                    assert_eq!(p.len(), 2 * GALLERY_BINS, "PostgreSQL reads the kept pairs");
                }
                (r.id, r.peaks.map(|p| svg_path(&p, GALLERY_BINS)))
            })
            .collect();
        d.sort();
        d
    };
    let expected = |made: &[(i64, Option<Vec<u8>>)]| -> Vec<(i64, Option<String>)> {
        made.iter().map(|(id, p)| (*id, p.as_ref().map(|p| svg_path(p, GALLERY_BINS)))).collect()
    };
    let (rows, _) = GalleryRepo::page(&mut c, &query, None).await.unwrap();
    assert_eq!(drawn(rows), expected(&made));
    assert!(expected(&made)[8].1.as_ref().unwrap().matches('M').count() == GALLERY_BINS);

    // New peaks (a replaced file) draw anew.
    let (id, _) = made[7];
    let replaced: Vec<u8> = (0..2000).map(|i| if i % 2 == 0 { 0xc0 } else { 0x20 }).collect();
    env.db
        .batch_execute(&format!(
            "UPDATE audios SET peaks = {} WHERE id = {id}",
            if postgres {
                format!("'\\x{}'", "c020".repeat(1000))
            } else {
                format!("x'{}'", "c020".repeat(1000))
            }
        ))
        .await
        .unwrap();
    made[7].1 = Some(replaced);
    let (rows, _) = GalleryRepo::page(&mut c, &query, None).await.unwrap();
    assert_eq!(drawn(rows), expected(&made));
}
