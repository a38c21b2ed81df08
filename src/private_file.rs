//! Files that could hold anything sensitive: created 0600 inside 0700 directories, and
//! written atomically (temp file, then rename) so a crash never leaves half a file.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

pub fn create_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))
}

/// Writes `contents` to `path` atomically with mode 0600.
pub fn write(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    let ctx = |what: &str| format!("{what} {}", path.display());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".s3lease-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(ctx("creating a temporary file for"), e))?;
    tmp.write_all(contents).and_then(|_| tmp.as_file().sync_all()).map_err(|e| Error::io(ctx("writing"), e))?;
    tmp.persist(path).map_err(|e| Error::io(ctx("replacing"), e.error))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn files_are_private_and_replaced_whole() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("nested/dir/file.toml");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }
}
