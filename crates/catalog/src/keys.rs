//! Object keys come from outside (a folder, a bucket, a batch.json): they are untrusted.

/// Longest key accepted, in bytes; S3 allows 1024.
const MAX_KEY_BYTES: usize = 1024;

/// Refuses keys that could escape the batch folder or confuse a reader: parent or
/// current-directory parts, absolute paths, backslashes, control characters, empty parts.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("empty key".into());
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(format!("key longer than {MAX_KEY_BYTES} bytes"));
    }
    if key.chars().any(char::is_control) {
        return Err("key contains control characters".into());
    }
    if key.starts_with('/') || key.contains('\\') || key.contains(':') {
        return Err(format!("key '{key}' is an absolute or non-portable path"));
    }
    if key
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(format!("key '{key}' has an empty, '.' or '..' part"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_key;

    #[test]
    fn ordinary_keys_pass() {
        for key in ["img-0001.dcm", "series-2/img.png", "a b (1).pdf"] {
            assert_eq!(check_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn hostile_keys_are_refused() {
        let long = "a".repeat(2000);
        for key in [
            "../escape.dcm",
            "a/../../b.dcm",
            "/etc/passwd",
            "C:\\x.dcm",
            "a//b.dcm",
            "./a.dcm",
            "bell\u{7}.png",
            "",
            long.as_str(),
        ] {
            assert!(check_key(key).is_err(), "{key:?} was accepted");
        }
    }
}
