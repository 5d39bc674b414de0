//! Search on both backends: every field people write or say about an item is found (file name,
//! title, tags, alt text, caption, transcript), as the start of a word, in every case; what
//! changes is found at once and what is removed is not; a name or title hit outranks a
//! transcript mention; ranked pages walk forwards and back; the gallery page offers the orders.

use mediadesk::auth::Role;
use mediadesk::domain::{GalleryQuery, GallerySort, OwnerFilter};
use mediadesk::media::{Actor, Description};

use crate::common::*;

backend_tests!(
    search_finds_every_field_and_ranks_by_relevance,
    a_word_start_of_any_length_is_found_and_ranked,
    the_longest_transcript_of_distinct_words_saves_and_is_found,
    search_through_the_gallery_page
);

/// File names a search finds, best match first (or in `sort`), for `who`.
async fn found(env: &TestEnv, who: &Actor, search: &str, sort: GallerySort) -> Vec<String> {
    let q = GalleryQuery {
        search: Some(search.to_owned()),
        sort,
        ..GalleryQuery::new(OwnerFilter::Visible(who.user_id.unwrap()))
    };
    let page = env.media.gallery(who, &q).await.unwrap();
    page.items.into_iter().map(|i| i.filename).collect()
}

async fn search_finds_every_field_and_ranks_by_relevance(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let bob = Actor::user(env.user("bob", "user").await);
    let photo = env.upload_own(&ann, "IMG_2024-quay.png", "image.png").await;
    let song = env.upload_own(&ann, "track01.mp3", "tone-cbr.mp3").await;
    let other = env.upload_own(&ann, "sunset.png", "image.png").await;
    let private = env.upload_own(&bob, "bobs-lighthouse.png", "image.png").await;
    let describe = |title: &str, alt: &str, caption: &str| Description {
        title: Some(title.into()),
        alt_text: Some(alt.into()),
        caption: Some(caption.into()),
        credit: Some("Agency Zebra".into()),
    };
    media
        .describe(&ann, photo, &describe("Lighthouse at dusk", "A red boat", "Ferry pier"), None)
        .await
        .unwrap();
    media.describe(&ann, other, &describe("Evening", "", ""), None).await.unwrap();
    media.update_transcript(&ann, song.1, "the keeper climbs the lighthouse stairs", None).await.unwrap();
    media.tag_item(&ann, other, "Harbour Night").await.unwrap();
    media.describe(&bob, private, &describe("Lighthouse", "", ""), None).await.unwrap();
    let newest = GallerySort::Newest;

    // Each field, as the start of any of its words, in any case.
    assert_eq!(found(&env, &ann, "img 2024", newest).await, ["IMG_2024-quay.png"], "file name parts");
    assert_eq!(found(&env, &ann, "QUAY", newest).await, ["IMG_2024-quay.png"]);
    assert_eq!(found(&env, &ann, "dusk", newest).await, ["IMG_2024-quay.png"], "title");
    assert_eq!(found(&env, &ann, "boa", newest).await, ["IMG_2024-quay.png"], "alt text, a word's start");
    assert_eq!(found(&env, &ann, "pier", newest).await, ["IMG_2024-quay.png"], "caption");
    assert_eq!(found(&env, &ann, "harb nig", newest).await, ["sunset.png"], "tags, every word");
    assert_eq!(found(&env, &ann, "keeper", newest).await, ["track01.mp3"], "transcript");
    assert!(found(&env, &ann, "zebra", newest).await.is_empty(), "credit is not searched");
    assert!(found(&env, &ann, "oat", newest).await.is_empty(), "inside a word is no match");
    assert!(found(&env, &ann, "%_", newest).await.is_empty(), "punctuation alone matches nothing");
    assert!(found(&env, &ann, "dusk sunset", newest).await.is_empty(), "all the words, in one item");

    // Best match first: the title hit before the transcript mention; another account's item
    // with the word in its title stays out.
    let ranked = found(&env, &ann, "lighthouse", GallerySort::Relevance).await;
    assert_eq!(ranked, ["IMG_2024-quay.png", "track01.mp3"]);
    let staff = Actor::staff(env.user("sam", "staff").await);
    let q = GalleryQuery {
        search: Some("lighthouse".into()),
        sort: GallerySort::Relevance,
        ..GalleryQuery::new(OwnerFilter::Any)
    };
    assert_eq!(media.gallery(&staff, &q).await.unwrap().total, 3, "staff see all three");

    // Changes are found at once; what is gone is not.
    media.untag_item(&ann, other, "harbour night").await.unwrap();
    assert!(found(&env, &ann, "harbour", newest).await.is_empty(), "an untagged item");
    media.tag_item(&ann, song, "harbour").await.unwrap();
    assert_eq!(found(&env, &ann, "harbour", newest).await, ["track01.mp3"]);
    media.describe(&ann, photo, &describe("Quay", "", ""), None).await.unwrap();
    assert!(found(&env, &ann, "dusk", newest).await.is_empty(), "the old title");
    media.update_transcript(&ann, song.1, "", None).await.unwrap();
    assert!(found(&env, &ann, "keeper", newest).await.is_empty(), "a cleared transcript");
    media.delete(&ann, photo.0, photo.1).await.unwrap();
    assert!(found(&env, &ann, "quay", newest).await.is_empty(), "a deleted item");
    let sunset = env.upload_own(&ann, "sunset-2.png", "image.png").await;
    assert_eq!(found(&env, &ann, "sunset", GallerySort::Name).await, ["sunset-2.png", "sunset.png"]);
    let _ = sunset;
}

/// PostgreSQL asks for word beginnings of 2 to 12 characters as words its documents hold, and
/// for shorter and longer ones as prefixes: every length finds the same items, in any script,
/// ranked as before, on both backends.
async fn a_word_start_of_any_length_is_found_and_ranked(env: TestEnv) {
    let media = env.media.clone();
    let ann = Actor::user(env.user("ann", "user").await);
    let map = env.upload_own(&ann, "karte.png", "image.png").await;
    let song = env.upload_own(&ann, "lied.mp3", "tone-cbr.mp3").await;
    let text = |title: &str| Description { title: Some(title.into()), ..Description::default() };
    media.describe(&ann, map, &text("Ärmelkanalüberquerung O'Brien back\\slash"), None).await.unwrap();
    media.update_transcript(&ann, song.1, "die ärmelkanalüberquerung war lang", None).await.unwrap();
    let relevance = GallerySort::Relevance;
    let both = ["karte.png", "lied.mp3"];
    for length in 1..="ärmelkanalüberquerung".chars().count() {
        let start: String = "ÄRMELKANALÜBERQUERUNG".chars().take(length).collect();
        assert_eq!(found(&env, &ann, &start, relevance).await, both, "{start}: the title first");
    }
    let longer = found(&env, &ann, "ärmelkanalüberquerungen", relevance).await;
    assert!(longer.is_empty(), "longer than the word");
    assert!(found(&env, &ann, "rmel", relevance).await.is_empty(), "inside a word");
    assert_eq!(found(&env, &ann, "o brien", relevance).await, ["karte.png"], "an apostrophe splits");
    assert_eq!(found(&env, &ann, "bac sl", relevance).await, ["karte.png"], "so does a backslash");
    assert_eq!(found(&env, &ann, "w lan", relevance).await, ["lied.mp3"], "one letter and a start");
    assert!(found(&env, &ann, "kanal", relevance).await.is_empty());
}

/// A transcript at the length limit made of long distinct words (13-letter Chinese words: 2.5 MB
/// of words and beginnings, over PostgreSQL's 1 MiB for a document) still saves, and is found by
/// its first word's start and by any whole word.
async fn the_longest_transcript_of_distinct_words_saves_and_is_found(env: TestEnv) {
    let ann = Actor::user(env.user("ann", "user").await);
    let song = env.upload_own(&ann, "lied.mp3", "tone-cbr.mp3").await;
    let mut seed = 0x9e37_79b9_u32;
    let mut letter = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        char::from_u32(0x4e00 + seed % 20_000).unwrap()
    };
    let words: Vec<String> = (0..7_142).map(|_| (0..13).map(|_| letter()).collect()).collect();
    let transcript = words.join(" ");
    assert!(transcript.chars().count() <= mediadesk::media::MAX_TRANSCRIPT_CHARS);
    env.media.update_transcript(&ann, song.1, &transcript, None).await.unwrap();
    let relevance = GallerySort::Relevance;
    let start: String = words[0].chars().take(5).collect();
    assert_eq!(found(&env, &ann, &start, relevance).await, ["lied.mp3"], "the first word's start");
    assert_eq!(found(&env, &ann, &words[7_000], relevance).await, ["lied.mp3"], "a late whole word");
}

async fn search_through_the_gallery_page(env: TestEnv) {
    let server = env.start_server().await;
    let (c, me) = server.signed_in("kim", Role::User).await;
    let kim = Actor::user(me);
    // 30 items named "pier-NN"; three carry the word in their title too, and rank first.
    for n in 0..30 {
        let item = server.env.upload_own(&kim, &format!("pier-{n:02}.png"), "image.png").await;
        if n % 10 == 3 {
            let d = Description { title: Some(format!("Pier {n}")), ..Default::default() };
            server.env.media.describe(&kim, item, &d, None).await.unwrap();
        }
    }
    let page = c.get("/media?q=pier&per=12").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<option value=\"\" selected>Best match</option>"), "best match by default");
    let order = |body: &str| -> Vec<String> {
        body.split("pier-").skip(1).map(|s| s[..2].to_owned()).fold(Vec::new(), |mut v, n| {
            if v.last() != Some(&n) && !v.contains(&n) {
                v.push(n);
            }
            v
        })
    };
    let first = order(&page.body);
    assert_eq!(&first[..3], ["23", "13", "03"], "title hits first, then newest among equals: {first:?}");
    // Every page once, by the Next links, and back by Previous.
    let mut seen = first.clone();
    let mut next = page.rel("next");
    let mut pages = vec![page.body.clone()];
    while let Some(url) = next {
        let p = c.get(&url).await;
        assert_eq!(p.status, 200, "{url}");
        seen.extend(order(&p.body));
        next = p.rel("next");
        pages.push(p.body);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (30, 30), "each item once: {seen:?}");
    assert!(page.body.contains("Showing 1–12 of 30"));
    // Another order, asked for, is kept in the links; without a search "relevance" is newest.
    let by_name = c.get("/media?q=pier&sort=name&per=12").await;
    assert_eq!(&order(&by_name.body)[..2], ["00", "01"]);
    assert!(by_name.rel("next").is_some_and(|h| h.contains("sort=name") && h.contains("after=")));
    let plain = c.get("/media?sort=relevance").await;
    assert!(plain.body.contains("<option value=\"\" selected>Newest</option>"));
    assert_eq!(c.get("/media?q=pier&sort=relevance&after=t~image~1~5").await.status, 400, "a foreign cursor");
}
