//! The scenarios crate's errors. Every input error names the file, the line and column, and the
//! field path (`clusters[2].node_pools[0].gpus`), so a user can go straight to the mistake.

use std::fmt;
use std::path::PathBuf;

/// Where in an input file something is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// The file.
    pub file: PathBuf,
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
    /// Field path inside the document, e.g. `clusters[0].node_pools[1].count`.
    pub path: String,
}

impl Position {
    /// The whole of `file`, no line known.
    pub fn of_file(file: &std::path::Path) -> Position {
        Position {
            file: file.to_owned(),
            line: 0,
            column: 0,
            path: String::new(),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        Ok(())
    }
}

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is malformed or a value is invalid.
    #[error("{position}: {message}")]
    Input {
        /// Where.
        position: Position,
        /// What is wrong and, where possible, what was expected.
        message: String,
    },
}

impl Error {
    /// The position of an input error.
    pub fn position(&self) -> Option<&Position> {
        match self {
            Error::Input { position, .. } => Some(position),
            Error::Io { .. } => None,
        }
    }
}
