//! The audit log's words: what was done and how it ended, and how the log is asked for.

use std::str::FromStr;

use chrono::NaiveDateTime;

use super::MediaKind;

macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $word:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),* }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s { $($word => Ok($name::$variant),)* _ => Err(format!("unknown: {s:?}")) }
            }
        }
    };
}

words!(
    /// What an audit row records.
    AuditAction {
        SignIn => "sign_in",
        SignOut => "sign_out",
        Upload => "upload",
        Edit => "edit",
        Trash => "trash",
        Delete => "delete",
        Restore => "restore",
        Purge => "purge",
        Replace => "replace",
        RollBack => "roll_back",
        /// A photo turned or mirrored (a replace that keeps the pixels).
        Turn => "turn",
        /// A photo cropped (a replace that keeps the pixels inside).
        Crop => "crop",
        Share => "share",
        /// One share link revoked, or all of an item's or an account's.
        Unshare => "unshare",
        /// An access token made for an account.
        Token => "token",
        /// One access token revoked.
        RevokeToken => "revoke_token",
        /// A single sign-on provider's person linked to an account.
        LinkSignOn => "link_sign_on",
        UnlinkSignOn => "unlink_sign_on",
        CreateAccount => "create_account",
        Role => "role",
        Password => "password",
        Quota => "quota",
        Disable => "disable",
        Enable => "enable",
        CreateCollection => "create_collection",
        /// A collection renamed or moved (the detail says which).
        ChangeCollection => "change_collection",
        /// A collection deleted, with its sub-collections; their media stay.
        DeleteCollection => "delete_collection",
        /// An item put in a collection (the collection is the row's subject).
        AddToCollection => "add_to_collection",
        RemoveFromCollection => "remove_from_collection",
        /// An item said not to be a duplicate of others alike it (the detail names them).
        KeepApart => "keep_apart",
        /// That undone: the groups join the items again.
        AlikeAgain => "alike_again",
    }
);

impl AuditAction {
    /// How pages name it.
    pub fn label(self) -> &'static str {
        use AuditAction::*;
        match self {
            SignIn => "Sign-in",
            SignOut => "Sign-out",
            Upload => "Upload",
            Edit => "Edit",
            Trash => "Moved to the trash",
            Delete => "Deleted",
            Restore => "Restored",
            Purge => "Deleted for good",
            Replace => "Replaced the file",
            RollBack => "Rolled back",
            Turn => "Turned",
            Crop => "Cropped",
            Share => "Share link",
            Unshare => "Share link revoked",
            Token => "Access token made",
            RevokeToken => "Access token revoked",
            LinkSignOn => "Single sign-on linked",
            UnlinkSignOn => "Single sign-on unlinked",
            CreateAccount => "Account created",
            Role => "Role changed",
            Password => "Password reset",
            Quota => "Quota changed",
            Disable => "Account disabled",
            Enable => "Account enabled",
            CreateCollection => "Collection made",
            ChangeCollection => "Collection changed",
            DeleteCollection => "Collection deleted",
            AddToCollection => "Put in a collection",
            RemoveFromCollection => "Taken out of a collection",
            KeepApart => "Said not duplicates",
            AlikeAgain => "Shown alike again",
        }
    }

    /// Whether the row's subject is a collection (its id and name then).
    pub fn concerns_collection(self) -> bool {
        use AuditAction::*;
        matches!(
            self,
            CreateCollection | ChangeCollection | DeleteCollection | AddToCollection | RemoveFromCollection
        )
    }
}

words!(
    /// How it ended.
    AuditOutcome {
        Ok => "ok",
        /// A sign-in with a wrong name or password, or a disabled account's.
        Failed => "failed",
        /// A sign-in refused after too many failures.
        Throttled => "throttled",
        /// An upload the app refused (its code is in the detail).
        Refused => "refused",
    }
);

/// Which rows a look at the log wants; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<i64>,
    pub action: Option<AuditAction>,
    pub item: Option<(MediaKind, i64)>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}
