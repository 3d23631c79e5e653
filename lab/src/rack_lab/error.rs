//! What a rack verb can fail with; the binary prints it after `lab: `.

/// A rack verb's failure.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// `LAB_ID` is not a short lowercase name (it goes into namespace names).
    #[error("LAB_ID must be 1-20 of [a-z0-9-], got '{0}'")]
    BadId(String),
    /// The verb was called with the wrong arguments.
    #[error("usage: {0}")]
    Usage(String),
    /// The lab has no state directory.
    #[error("lab '{id}' is not up (no {dir})")]
    NotUp {
        /// The lab's id.
        id: String,
        /// Its missing state directory.
        dir: String,
    },
    /// `up` found the lab's state directory or namespaces.
    #[error("lab '{0}' is already up (or left over): LAB_ID={0} lab down")]
    AlreadyUp(String),
    /// Something the lab needs is not installed or built.
    #[error("{0}")]
    Missing(String),
    /// A signal (Ctrl-C) stopped the verb.
    #[error("interrupted")]
    Interrupted,
    /// A command, file or process of the lab failed.
    #[error("{0}")]
    Failed(String),
}

impl LabError {
    /// The exit status: 2 for a bad `LAB_ID` (as for a wrong command line), 130 after
    /// Ctrl-C, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            LabError::BadId(_) => 2,
            LabError::Interrupted => 130,
            _ => 1,
        }
    }
}

impl From<String> for LabError {
    fn from(message: String) -> LabError {
        LabError::Failed(message)
    }
}
