//! What can go wrong signing in or holding a session, by what the user must do next.

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// `platform.toml` is missing something or names plain-HTTP remote endpoints.
    #[error("platform settings: {0}")]
    Config(String),
    /// No network, or the realm did not answer: keep working offline, try again later.
    #[error("the sign-in server cannot be reached: {0}")]
    Unreachable(String),
    /// The realm ended the session (revoked, expired, or a refresh token was replayed).
    #[error("your session has ended: sign in again ({0})")]
    SignInAgain(String),
    /// Nobody has signed in on this workstation.
    #[error("not signed in")]
    SignedOut,
    /// The realm or the browser step said no (wrong state, bad ID token, refused consent).
    #[error("sign-in failed: {0}")]
    Refused(String),
    #[error("sign-in took too long: nobody came back from the browser within {0} s")]
    TimedOut(u64),
    #[error("the OS keyring: {0}")]
    Keyring(String),
    #[error("cannot keep the session on disk: {0}")]
    Io(String),
}
