//! Files that could hold anything sensitive: created 0600 inside 0700 directories, and
//! written atomically (temp file in the same directory, fsync, rename) so a crash or a
//! failed write never leaves half a file, and the old one stays until the new one is whole.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Creates `dir` (and any missing parents) with mode 0700. An existing directory is left as
/// it is: it may be the user's own (`--config ./here.toml`).
pub fn create_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))
}

/// A directory that belongs to s3lease (its data directory, the demo's): created like
/// [`create_dir`], and made 0700 if it already existed with a looser mode.
pub fn own_dir(dir: &Path) -> Result<()> {
    create_dir(dir)?;
    #[cfg(unix)]
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
        .map_err(|e| Error::io(format!("making {} private (mode 0700)", dir.display()), e))?;
    Ok(())
}

/// Writes `contents` to `path` atomically with mode 0600.
pub fn write(path: &Path, contents: &[u8]) -> Result<()> {
    write_with(path, |file| file.write_all(contents))
}

/// As [`write`], with `fill` writing the contents into the temporary file. If `fill` fails
/// (or panics) the temporary file is removed and `path` is left as it was.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    create_dir(dir)?;
    let ctx = |what: &str| format!("{what} {}", path.display());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".s3lease-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut tmp = builder.tempfile_in(dir).map_err(|e| Error::io(ctx("creating a temporary file for"), e))?;
    fill(tmp.as_file_mut()).and_then(|_| tmp.as_file().sync_all()).map_err(|e| Error::io(ctx("writing"), e))?;
    tmp.persist(path).map_err(|e| Error::io(ctx("replacing"), e.error))?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn files_are_private_and_replaced_whole() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("nested/dir/file.toml");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&root.path().join("nested")), 0o700, "missing parents are private too");
        assert_eq!(entries(path.parent().unwrap()), ["file.toml"], "no temporary file left behind");
    }

    #[test]
    fn a_file_that_was_readable_by_others_is_replaced_by_a_private_one() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("config.toml");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn a_write_that_fails_half_way_leaves_the_old_file_intact() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("config.toml");
        write(&path, b"the old, whole file").unwrap();
        let err = write_with(&path, |file| {
            file.write_all(b"the new fi")?;
            Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "disk full"))
        })
        .unwrap_err();
        assert!(err.to_string().contains(&format!("writing {}", path.display())), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"the old, whole file");
        assert_eq!(entries(root.path()), ["config.toml"], "the half-written temporary file is gone");
    }

    #[test]
    fn a_write_interrupted_by_a_panic_leaves_the_old_file_intact() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("config.toml");
        write(&path, b"the old, whole file").unwrap();
        let outcome = std::panic::catch_unwind(|| {
            let _ = write_with(&path, |file| {
                file.write_all(b"the new fi")?;
                panic!("interrupted mid-write");
            });
        });
        assert!(outcome.is_err(), "the panic went through");
        assert_eq!(std::fs::read(&path).unwrap(), b"the old, whole file");
        assert_eq!(entries(root.path()), ["config.toml"], "the half-written temporary file is gone");
    }

    #[test]
    fn an_own_directory_is_made_private_even_if_it_existed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("s3lease");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o755, "create_dir leaves a directory it did not make alone");
        own_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }
}
