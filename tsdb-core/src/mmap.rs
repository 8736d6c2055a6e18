//! Memory-mapped files, from storage-io (whose `mmap` module holds the `unsafe` code and its
//! safety argument). tsdb-core upholds that module's contract: block index and chunk files are
//! immutable once their block is renamed into place, head chunk files are written only through
//! their [`AppendFile`], and a head chunk file's torn tail is truncated before it is mapped.
//! Errors convert into this crate's with `?`.

pub(crate) use storage_io::mmap::{AppendFile, MappedPrefix, map_file};
