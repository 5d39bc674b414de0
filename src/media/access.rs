//! Who may see and change which media. Someone who may not see an item is told it does not
//! exist; someone who may see but not change it is told they are not allowed.

use super::MediaError;
use crate::db::rows::NewAudit;
use crate::domain::{AuditAction, AuditOutcome, MediaKind, Owner};

/// The party a service call acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the operator's own tools (CLI import), which act as staff.
    pub user_id: Option<i64>,
    /// Staff and admins manage all media, system media included.
    pub is_staff: bool,
}

impl Actor {
    pub fn user(id: i64) -> Actor {
        Actor { user_id: Some(id), is_staff: false }
    }

    pub fn staff(id: i64) -> Actor {
        Actor { user_id: Some(id), is_staff: true }
    }

    /// The operator at the command line.
    pub fn operator() -> Actor {
        Actor { user_id: None, is_staff: true }
    }

    pub fn can_view(&self, owner_id: Option<i64>) -> bool {
        owner_id.is_none() || self.is_staff || (owner_id == self.user_id)
    }

    pub fn can_manage(&self, owner_id: Option<i64>) -> bool {
        self.is_staff || (owner_id.is_some() && owner_id == self.user_id)
    }

    /// `NotFound` when the item is invisible to this actor, `Forbidden` when visible but not theirs.
    pub fn check_manage(&self, owner_id: Option<i64>) -> Result<(), MediaError> {
        if !self.can_view(owner_id) {
            Err(MediaError::NotFound)
        } else if !self.can_manage(owner_id) {
            Err(MediaError::Forbidden)
        } else {
            Ok(())
        }
    }

    pub fn check_view(&self, owner_id: Option<i64>) -> Result<(), MediaError> {
        if self.can_view(owner_id) { Ok(()) } else { Err(MediaError::NotFound) }
    }

    /// Whose items the actor manages: their own (`Some`), or (staff) everyone's (`None`).
    pub(super) fn managed_owner(&self) -> Result<Option<i64>, MediaError> {
        match (self.is_staff, self.user_id) {
            (true, _) => Ok(None),
            (false, Some(id)) => Ok(Some(id)),
            (false, None) => Err(MediaError::Forbidden),
        }
    }

    /// The audit row of this actor doing `action` to an item.
    pub(super) fn did(&self, action: AuditAction, (kind, id): (MediaKind, i64)) -> NewAudit {
        NewAudit::of(self.user_id, action, AuditOutcome::Ok).item(kind, id)
    }

    /// The audit row of this actor doing `action` to a collection, by id and (current) name.
    pub(super) fn did_to(&self, action: AuditAction, (id, name): (i64, &str)) -> NewAudit {
        NewAudit::of(self.user_id, action, AuditOutcome::Ok).subject(Some(id), Some(name))
    }

    /// Users upload for themselves; staff for anyone or the system.
    pub fn check_upload_for(&self, owner: Owner) -> Result<(), MediaError> {
        match owner {
            _ if self.is_staff => Ok(()),
            Owner::User(id) if Some(id) == self.user_id => Ok(()),
            _ => Err(MediaError::Forbidden),
        }
    }
}
