//! The crate's one error type.

use std::path::PathBuf;

/// Why the outputs of a run could not be written or do not add up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be created or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A CSV table could not be written.
    #[error("{}: {source}", path.display())]
    Csv {
        /// The table's file.
        path: PathBuf,
        /// Why.
        source: csv::Error,
    },
    /// A Parquet table could not be written or read.
    #[error("{}: {message}", path.display())]
    Parquet {
        /// The table's file.
        path: PathBuf,
        /// Why, in polars' words.
        message: String,
    },
    /// A run's or an experiment's files cannot be read back: missing, or not what fleetsim
    /// writes. Names the file and, where there is one, the column or field.
    #[error("{}: {message}", path.display())]
    Input {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong, naming the column or field.
        message: String,
    },
    /// The summary could not be serialized.
    #[error("cannot serialize the summary: {0}")]
    Json(#[from] serde_json::Error),
    /// The records contradict each other: a bug in whatever produced them.
    #[error("invariant violated: {0}")]
    Invariant(String),
}
