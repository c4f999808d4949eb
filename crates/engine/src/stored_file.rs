//! An item's stored file as the decoders read it: from the blob cache, decrypted as it
//! is read, never as a plaintext path on disk.

use sr_catalog::BlobStore;
use sr_decode::{Reader, Source};

pub(crate) struct StoredFile {
    blobs: BlobStore,
    sha256: String,
}

impl StoredFile {
    pub(crate) fn new(blobs: BlobStore, sha256: &str) -> Self {
        Self {
            blobs,
            sha256: sha256.to_owned(),
        }
    }
}

impl Source for StoredFile {
    fn open(&self) -> std::io::Result<Reader<'_>> {
        Ok(Box::new(self.blobs.open(&self.sha256)?))
    }
}
