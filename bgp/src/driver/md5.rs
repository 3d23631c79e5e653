//! Where a peer's TCP-MD5 key (RFC 2385) comes from.
//!
//! Keys are secrets that operators rotate (a Kubernetes Secret mounted as a file, say).
//! A [`Md5Key::Source`] is read again at every connection attempt, and kept up to date
//! on the listening socket while the session is down, so a rotated key takes effect
//! without restarting anything. A key that cannot be read fails that attempt only.

use super::socket::MD5_MAX_KEY_LEN;
use std::fmt;
use std::sync::Arc;

/// Reads a key; the error says why it could not (for logs and the peer status).
pub type ReadKey = dyn Fn() -> Result<Vec<u8>, String> + Send + Sync;

/// Why a peer has no usable TCP-MD5 key right now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The source could not read it; its own words.
    #[error("{0}")]
    Unreadable(String),
    /// An empty key would remove the key from a socket instead of setting one.
    #[error("the TCP-MD5 key is empty")]
    Empty,
    /// Longer than Linux takes (`TCP_MD5SIG_MAXKEYLEN`).
    #[error("the TCP-MD5 key has {0} octets, more than {MD5_MAX_KEY_LEN}")]
    TooLong(usize),
}

/// The TCP-MD5 key of a peer.
#[derive(Clone)]
pub enum Md5Key {
    /// The same key for the life of the peer.
    Fixed(Vec<u8>),
    /// Read at each connection attempt (and refreshed on the listener while the session
    /// is down).
    Source(Arc<ReadKey>),
}

impl Md5Key {
    /// A key read by `read` at each attempt.
    pub fn from_fn(read: impl Fn() -> Result<Vec<u8>, String> + Send + Sync + 'static) -> Md5Key {
        Md5Key::Source(Arc::new(read))
    }

    /// The key as of now, checked: 1 to 80 octets (Linux `TCP_MD5SIG_MAXKEYLEN`; an empty
    /// key would remove the key from a socket instead of setting one).
    pub fn read(&self) -> Result<Vec<u8>, KeyError> {
        let key = match self {
            Md5Key::Fixed(key) => key.clone(),
            Md5Key::Source(read) => read().map_err(KeyError::Unreadable)?,
        };
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.len() > MD5_MAX_KEY_LEN {
            return Err(KeyError::TooLong(key.len()));
        }
        Ok(key)
    }
}

impl From<Vec<u8>> for Md5Key {
    fn from(key: Vec<u8>) -> Md5Key {
        Md5Key::Fixed(key)
    }
}

/// Never prints the key.
impl fmt::Debug for Md5Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Md5Key::Fixed(_) => f.write_str("Md5Key::Fixed(..)"),
            Md5Key::Source(_) => f.write_str("Md5Key::Source(..)"),
        }
    }
}

#[cfg(test)]
mod tests;
