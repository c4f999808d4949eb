//! Source secrets live in the OS keyring (Secret Service, Keychain, Credential Manager),
//! under the service `secondread` and the user `source:NAME`.

use crate::PullError;

const SERVICE: &str = "secondread";

fn entry(source: &str) -> Result<keyring::Entry, PullError> {
    keyring::Entry::new(SERVICE, &format!("source:{source}"))
        .map_err(|e| PullError::source(source, format!("the OS keyring is unavailable: {e}")))
}

/// The secret stored for a source, if any.
pub fn source_secret(source: &str) -> Result<Option<String>, PullError> {
    match entry(source)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(PullError::source(
            source,
            format!("cannot read its secret from the OS keyring: {e}"),
        )),
    }
}

pub fn store_source_secret(source: &str, secret: &str) -> Result<(), PullError> {
    entry(source)?.set_password(secret).map_err(|e| {
        PullError::source(
            source,
            format!("cannot store its secret in the OS keyring: {e}"),
        )
    })
}

/// Forgets a source's secret (the source was removed); none stored is not an error.
pub fn delete_source_secret(source: &str) -> Result<(), PullError> {
    match entry(source)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(PullError::source(
            source,
            format!("cannot remove its secret from the OS keyring: {e}"),
        )),
    }
}
