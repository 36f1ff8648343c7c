//! Secret newtypes whose `Debug` and `Display` never show the value.
//!
//! The only way to read a secret is [`expose`](ClientSecret::expose), so a secret cannot reach a
//! log line, an error message or a snapshot by accident.
//!
//! # Example
//!
//! ```
//! use zohocrm_core::ClientSecret;
//!
//! let secret = ClientSecret::new("s3cr3t");
//! assert_eq!(format!("{secret:?} / {secret}"), "ClientSecret(<redacted>) / <redacted>");
//! assert_eq!(secret.expose(), "s3cr3t");
//! ```

use serde::{Deserialize, Serialize};

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value itself. Call this only where the value must leave the process.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("<redacted>")
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

secret_type!(
    /// The OAuth client secret issued by the Zoho API console.
    ClientSecret
);
secret_type!(
    /// A long-lived OAuth refresh token.
    RefreshToken
);
secret_type!(
    /// A short-lived OAuth access token, sent as `Authorization: Zoho-oauthtoken …`.
    AccessToken
);
secret_type!(
    /// A one-time authorisation (grant) code, e.g. from the self-client console.
    GrantCode
);
secret_type!(
    /// The secret of a notification channel: Zoho echoes it in every notification POSTed to
    /// the channel's `notify_url`, which checks it to tell Zoho from a forger.
    ChannelToken
);

/// `text` with every word that looks like a Zoho token (`1000.` followed by more, or a long
/// run of letters and digits) replaced by `<redacted>`: for server-supplied text that ends up
/// in error messages.
pub(crate) fn scrub_tokens(text: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let looks_secret = |w: &str| {
        (w.starts_with("1000.") && w.len() > 5)
            || (w.len() >= 32
                && w.chars().any(|c| c.is_ascii_digit())
                && w.chars().any(|c| c.is_ascii_alphabetic()))
    };
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if looks_secret(word) {
            out.push_str("<redacted>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if is_word(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_like_words_are_scrubbed() {
        assert_eq!(
            scrub_tokens("refresh token 1000.abc123.def456 is invalid"),
            "refresh token <redacted> is invalid"
        );
        assert_eq!(
            scrub_tokens("key=0123456789abcdef0123456789abcdef!"),
            "key=<redacted>!"
        );
        assert_eq!(scrub_tokens("invalid_code"), "invalid_code");
        assert_eq!(scrub_tokens("Access Denied"), "Access Denied");
    }

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = AccessToken::new("1000.abcdef.123456");
        assert_eq!(format!("{s:?}"), "AccessToken(<redacted>)");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(s.expose(), "1000.abcdef.123456");
    }
}
