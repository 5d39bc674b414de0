//! Hand-written in the subset of SQL types both PostgreSQL and SQLite share, so one set of
//! queries type-checks against both backends.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_epoch -> Integer,
        last_sign_in_at -> Nullable<Timestamp>,
        quota_bytes -> Nullable<BigInt>,
    }
}

diesel::table! {
    images (id) {
        id -> BigInt,
        owner_id -> Nullable<BigInt>,
        uploader_id -> Nullable<BigInt>,
        original_filename -> Text,
        content_type -> Text,
        byte_size -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        thumbnail_key -> Nullable<Text>,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
        display_key -> Nullable<Text>,
        frame_count -> Integer,
        title -> Nullable<Text>,
        alt_text -> Nullable<Text>,
        caption -> Nullable<Text>,
        credit -> Nullable<Text>,
        thumbnail_bytes -> BigInt,
        display_bytes -> BigInt,
        has_location -> Bool,
        has_device_data -> Bool,
        private_key -> Nullable<Text>,
        private_bytes -> BigInt,
        focal_x -> Nullable<Integer>,
        focal_y -> Nullable<Integer>,
        placeholder -> Nullable<Text>,
        look -> Nullable<BigInt>,
        shot -> Nullable<Text>,
        source_link -> Nullable<Text>,
    }
}

diesel::table! {
    audios (id) {
        id -> BigInt,
        owner_id -> Nullable<BigInt>,
        uploader_id -> Nullable<BigInt>,
        original_filename -> Text,
        content_type -> Text,
        byte_size -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        waveform_key -> Nullable<Text>,
        duration_ms -> BigInt,
        bitrate -> Integer,
        sample_rate -> Integer,
        channels -> Integer,
        codec -> Text,
        transcript -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        peaks -> Nullable<Binary>,
        title -> Nullable<Text>,
        caption -> Nullable<Text>,
        credit -> Nullable<Text>,
        rendition_key -> Nullable<Text>,
        rendition_bytes -> BigInt,
        loudness_lufs -> Nullable<Double>,
        loudness_range -> Nullable<Double>,
        true_peak_db -> Nullable<Double>,
        clipped_samples -> BigInt,
        silence_start_ms -> BigInt,
        silence_end_ms -> BigInt,
        quiet -> Bool,
        clipped -> Bool,
        mostly_silent -> Bool,
        print -> Nullable<Binary>,
        source_link -> Nullable<Text>,
    }
}

diesel::table! {
    /// A few keys of each sound's print (`domain::print_keys`), by which copies are found.
    sound_keys (key, audio_id) {
        key -> BigInt,
        audio_id -> BigInt,
    }
}

diesel::table! {
    /// Look-alike images said not to be duplicates, the lower id first.
    kept_apart_images (first_id, second_id) {
        first_id -> BigInt,
        second_id -> BigInt,
    }
}

diesel::table! {
    /// Sound-alike sounds said not to be duplicates, the lower id first.
    kept_apart_audios (first_id, second_id) {
        first_id -> BigInt,
        second_id -> BigInt,
    }
}

diesel::table! {
    pending_deletions (id) {
        id -> BigInt,
        storage_key -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        username -> Text,
        ip -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Items per kind and owner (`owner_key` 0 = system), kept by triggers.
    media_counts (kind, owner_key) {
        kind -> Text,
        owner_key -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    resumable_uploads (id) {
        id -> Text,
        uploader_id -> BigInt,
        owner_id -> Nullable<BigInt>,
        filename -> Text,
        declared_type -> Nullable<Text>,
        length -> BigInt,
        received -> BigInt,
        content_type -> Nullable<Text>,
        storage_key -> Nullable<Text>,
        assembly_id -> Nullable<Text>,
        tail -> Binary,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        refuse_duplicates -> Bool,
    }
}

diesel::table! {
    collections (id) {
        id -> BigInt,
        owner_id -> Nullable<BigInt>,
        parent_id -> Nullable<BigInt>,
        name -> Text,
        name_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    collection_items (collection_id, kind, item_id) {
        collection_id -> BigInt,
        kind -> Text,
        item_id -> BigInt,
        owner_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        original_filename -> Text,
        byte_size -> BigInt,
        added_at -> Timestamp,
    }
}

diesel::joinable!(collection_items -> collections (collection_id));

diesel::table! {
    collection_counts (collection_id, kind, owner_key) {
        collection_id -> BigInt,
        kind -> Text,
        owner_key -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    tag_counts (tag_id, kind, owner_key) {
        tag_id -> BigInt,
        kind -> Text,
        owner_key -> BigInt,
        n -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
        key -> Text,
    }
}

diesel::table! {
    item_tags (tag_id, kind, item_id) {
        tag_id -> BigInt,
        kind -> Text,
        item_id -> BigInt,
        owner_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        original_filename -> Text,
        byte_size -> BigInt,
    }
}

diesel::joinable!(item_tags -> tags (tag_id));

diesel::table! {
    trash (id) {
        id -> BigInt,
        kind -> Text,
        item_id -> BigInt,
        owner_id -> Nullable<BigInt>,
        trashed_by -> Nullable<BigInt>,
        trashed_at -> Timestamp,
        purge_at -> Timestamp,
        original_filename -> Text,
        title -> Nullable<Text>,
        content_type -> Text,
        byte_size -> BigInt,
        preview_key -> Nullable<Text>,
        object_keys -> Text,
        snapshot -> Text,
        stored_bytes -> BigInt,
    }
}

diesel::table! {
    versions (id) {
        id -> BigInt,
        kind -> Text,
        item_id -> BigInt,
        owner_id -> Nullable<BigInt>,
        uploaded_by -> Nullable<BigInt>,
        replaced_by -> Nullable<BigInt>,
        replaced_at -> Timestamp,
        purge_at -> Timestamp,
        original_filename -> Text,
        content_type -> Text,
        byte_size -> BigInt,
        object_keys -> Text,
        snapshot -> Text,
        stored_bytes -> BigInt,
        sha256 -> Nullable<Text>,
        replaced_how -> Nullable<Text>,
    }
}

diesel::table! {
    /// Bytes stored per owner (system media counts against nobody), kept by triggers.
    storage_usage (owner_id) {
        owner_id -> BigInt,
        bytes -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<BigInt>,
        action -> Text,
        outcome -> Text,
        item_kind -> Nullable<Text>,
        item_id -> Nullable<BigInt>,
        subject_id -> Nullable<BigInt>,
        subject_name -> Nullable<Text>,
        client -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    shares (id) {
        id -> BigInt,
        token_hash -> Text,
        kind -> Text,
        item_id -> BigInt,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        password_hash -> Nullable<Text>,
        allow_download -> Bool,
        note -> Nullable<Text>,
        opens -> BigInt,
        last_opened_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audio_regions (id) {
        id -> BigInt,
        audio_id -> BigInt,
        start_ms -> BigInt,
        end_ms -> Nullable<BigInt>,
        label -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(audio_regions -> audios (audio_id));

diesel::table! {
    access_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        name -> Text,
        scope -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(access_tokens -> users (user_id));

diesel::table! {
    sign_ons (id) {
        id -> BigInt,
        issuer -> Text,
        subject -> Text,
        user_id -> BigInt,
        known_as -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(sign_ons -> users (user_id));

diesel::table! {
    webhook_cursor (id) {
        id -> Integer,
        delivered_through -> BigInt,
        holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        attempts -> Integer,
        retry_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    sign_ons,
    sound_keys,
    kept_apart_images,
    kept_apart_audios,
    webhook_cursor,
    access_tokens,
    audio_regions,
    users,
    images,
    audios,
    pending_deletions,
    sign_in_failures,
    resumable_uploads,
    collections,
    collection_items,
    collection_counts,
    tags,
    tag_counts,
    item_tags,
    trash,
    versions,
    shares
);
