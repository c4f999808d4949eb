//! How the catalogue and its blobs are kept on disk: encrypted with the workstation's
//! key, or (for tests and benchmarks that measure the difference) in plaintext.

use chacha20poly1305::aead::{OsRng, rand_core::RngCore};
use zeroize::Zeroizing;

use crate::sealed::BlobKey;

pub enum Protection {
    /// SQLCipher for the catalogue, sealed blobs: every real use.
    Encrypted(StoreKey),
    /// Nothing encrypted: for tests that show their PHI scan finds plaintext, and for
    /// benchmarks that compare against it.
    Plaintext,
}

/// The workstation's secret: one random key for the catalogue and an independent one
/// for the blobs (two ciphers never share a key). The caller keeps it in the OS keyring.
pub struct StoreKey {
    catalogue: Zeroizing<[u8; 32]>,
    blobs: Zeroizing<[u8; 32]>,
}

impl StoreKey {
    pub fn generate() -> Self {
        let mut catalogue = Zeroizing::new([0u8; 32]);
        let mut blobs = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(catalogue.as_mut());
        OsRng.fill_bytes(blobs.as_mut());
        Self { catalogue, blobs }
    }

    /// The key as the keyring keeps it: 128 hex digits.
    pub fn to_secret(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.catalogue.as_ref()) + &hex::encode(self.blobs.as_ref()))
    }

    /// Reads a key written by [`StoreKey::to_secret`]; anything else is `None`.
    pub fn from_secret(secret: &str) -> Option<Self> {
        let bytes = Zeroizing::new(hex::decode(secret.trim()).ok()?);
        if bytes.len() != 64 {
            return None;
        }
        let mut catalogue = Zeroizing::new([0u8; 32]);
        let mut blobs = Zeroizing::new([0u8; 32]);
        catalogue.copy_from_slice(&bytes[..32]);
        blobs.copy_from_slice(&bytes[32..]);
        Some(Self { catalogue, blobs })
    }

    /// SQLCipher's raw-key form (`x'…'`), which skips the passphrase derivation.
    pub(crate) fn catalogue_pragma(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("\"x'{}'\"", hex::encode(self.catalogue.as_ref())))
    }

    pub(crate) fn blob_key(&self) -> BlobKey {
        BlobKey::from_bytes(*self.blobs)
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_survives_the_keyring_form_and_nothing_else_reads_as_one() {
        let key = StoreKey::generate();
        let back = StoreKey::from_secret(&key.to_secret()).unwrap();
        assert_eq!(back.to_secret(), key.to_secret());
        assert_ne!(
            StoreKey::generate().to_secret(),
            key.to_secret(),
            "two workstations never share a key"
        );
        assert!(StoreKey::from_secret("not hex").is_none());
        assert!(
            StoreKey::from_secret(&"ab".repeat(32)).is_none(),
            "half a key"
        );
    }
}
