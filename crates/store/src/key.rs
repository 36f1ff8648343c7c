//! [`StoreKey`]: whose token an entry of a shared store is.

use sha2::{Digest, Sha256};
use zohocrm_core::session::Credentials;

/// Whose token a store entry holds: client id, org and user, plus the owner fingerprint of the
/// refresh token (or client secret) that mints it.
///
/// The fingerprint is a SHA-256 of the client id and the secret; the secret itself is never part
/// of a key or a column that names an entry. By default the user is the fingerprint itself, so
/// two refresh tokens never share an entry; [`with_user`](Self::with_user) names it instead
/// (an entry then still refuses a different owner).
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey {
    client_id: String,
    org: String,
    user: String,
    owner: String,
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreKey")
            .field("client_id", &self.client_id)
            .field("org", &self.org)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// A hex SHA-256 prefix (128 bits) of the client id and a secret: enough to tell owners apart,
/// useless to recover a high-entropy token.
fn fingerprint(client_id: &str, secret: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"zohocrm-store-owner-v1\0");
    hash.update(client_id.as_bytes());
    hash.update(b"\0");
    hash.update(secret.as_bytes());
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl StoreKey {
    /// The entry of `client_id`'s token for `org`, minted with `owner_secret` (the refresh
    /// token, or the client secret of a client-credentials grant).
    pub fn new(client_id: &str, org: &str, owner_secret: &str) -> Self {
        let owner = fingerprint(client_id, owner_secret);
        StoreKey {
            client_id: client_id.to_owned(),
            org: org.to_owned(),
            user: owner.clone(),
            owner,
        }
    }

    /// The key of a session's credentials: the refresh token's fingerprint, the client
    /// secret's (client credentials), or, when the refresh token is to be read from the store
    /// (`zcrm auth login`), the user `default` of the client. `None` for a fixed access token,
    /// which needs no store.
    pub fn for_credentials(credentials: &Credentials, org: &str) -> Option<Self> {
        match credentials {
            Credentials::RefreshToken {
                client_id,
                refresh_token,
                ..
            } => Some(StoreKey::for_refresh_token(
                client_id,
                org,
                refresh_token.as_ref().map(|rt| rt.expose()),
            )),
            Credentials::ClientCredentials {
                client_id,
                client_secret,
                org_id,
                ..
            } => Some(StoreKey::new(client_id, org_id, client_secret.expose())),
            _ => None,
        }
    }

    /// The key of refresh-token credentials: the refresh token's fingerprint, or, when the
    /// refresh token is to be read from the store, the user `default` of the client.
    pub fn for_refresh_token(client_id: &str, org: &str, refresh_token: Option<&str>) -> Self {
        match refresh_token {
            Some(rt) => StoreKey::new(client_id, org, rt),
            None => StoreKey::new(client_id, org, "").with_user("default"),
        }
    }

    /// Names the user of the entry (e.g. a CRM user's e-mail) instead of the fingerprint.
    #[must_use]
    pub fn with_user(mut self, user: &str) -> Self {
        user.clone_into(&mut self.user);
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The org.
    pub fn org(&self) -> &str {
        &self.org
    }

    /// The user (the fingerprint unless named).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The owner fingerprint.
    pub fn owner(&self) -> &str {
        &self.owner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_hold_the_secret_and_tell_owners_apart() {
        let a = StoreKey::new("client", "org", "1000.secret-refresh-token");
        let b = StoreKey::new("client", "org", "1000.other-refresh-token");
        assert_ne!(a.owner(), b.owner());
        assert_eq!(a.user(), a.owner());
        assert_eq!(a.owner().len(), 32);
        assert!(!format!("{a:?}{}{}", a.user(), a.owner()).contains("secret-refresh"));
        assert_eq!(
            a,
            StoreKey::new("client", "org", "1000.secret-refresh-token")
        );
        let named = a.clone().with_user("ana@example.test");
        assert_eq!(named.user(), "ana@example.test");
        assert_eq!(named.owner(), a.owner());
        // Another client with the same token is another owner.
        assert_ne!(
            StoreKey::new("client-2", "org", "1000.secret-refresh-token").owner(),
            a.owner()
        );
    }

    #[test]
    fn keys_of_credentials() {
        let c = Credentials::refresh_token("id", "secret", "rt");
        assert_eq!(
            StoreKey::for_credentials(&c, "org-1"),
            Some(StoreKey::new("id", "org-1", "rt"))
        );
        let fixed = Credentials::AccessToken("t".into());
        assert_eq!(StoreKey::for_credentials(&fixed, "org-1"), None);
    }
}
