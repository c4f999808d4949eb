//! Whose items a person may see on this workstation: the tenants (clinics) the realm
//! names for them. The worklist, the item and its frames, a decision and a pull all ask
//! the same question of the same value.

use std::collections::BTreeSet;

/// The tenants a session reads and writes for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantScope {
    /// Every tenant on the workstation: the demo session, which has no realm to ask.
    Every,
    /// Only these; none named means nothing at all.
    Only(BTreeSet<String>),
}

impl TenantScope {
    pub fn only<I, S>(tenants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TenantScope::Only(tenants.into_iter().map(Into::into).collect())
    }

    pub fn allows(&self, tenant: &str) -> bool {
        match self {
            TenantScope::Every => true,
            TenantScope::Only(tenants) => tenants.contains(tenant),
        }
    }

    /// The tenants as one JSON array, for an SQL `IN (SELECT value FROM json_each(?))`.
    pub(crate) fn as_json(&self) -> Option<String> {
        match self {
            TenantScope::Every => None,
            TenantScope::Only(tenants) => {
                Some(serde_json::to_string(tenants).expect("a set of strings serialises as JSON"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_tenants_are_allowed_and_none_named_allows_nothing() {
        let scope = TenantScope::only(["clinic-a", "clinic-b"]);
        assert!(scope.allows("clinic-a"));
        assert!(!scope.allows("clinic-c"));
        assert!(!scope.allows("clinic-a "), "names are compared exactly");
        assert!(!TenantScope::only(Vec::<String>::new()).allows("clinic-a"));
        assert!(TenantScope::Every.allows("anything"));
    }
}
