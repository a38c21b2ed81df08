//! S3 keys to local relative paths. Keys are untrusted text: a key can climb out of the
//! destination (`../`), name an absolute path, or hide a terminal escape in a file name.
//! Anything ambiguous is refused with a reason rather than rewritten, because a rewritten key
//! can collide with another real key (S3 holds `a//b`, `a/./b` and `a/b` as three objects) and
//! one download would silently replace another. Such objects can still be downloaded one at a
//! time to a name the user picks.

use std::borrow::Cow;
use std::path::{Component, PathBuf};

use crate::escape;

/// Longest file name (one path segment) common file systems accept, in bytes.
const MAX_NAME: usize = 255;

/// The part of `prefix` up to and including its last `/`: what a recursive download strips
/// from each key, so `photos/2024` gives `2024/a.jpg` and `2024-old/b.jpg`, not `/a.jpg`.
pub fn folder_of(prefix: &str) -> &str {
    prefix.rfind('/').map_or("", |i| &prefix[..=i])
}

/// The relative path a key downloads to: `key` without `strip_prefix`, split on `/`.
pub fn local_path_for(key: &str, strip_prefix: &str) -> Result<PathBuf, String> {
    let rest = key.strip_prefix(strip_prefix).ok_or("the key is not under the prefix")?;
    if rest.is_empty() {
        return Err("nothing is left of the key once the prefix is removed".into());
    }
    if rest.contains('\0') {
        return Err("it contains a NUL character".into());
    }
    if rest.starts_with('/') {
        return Err("it starts with `/` (an absolute path)".into());
    }
    if rest.ends_with('/') {
        return Err("it ends with `/` (a folder marker, not a file)".into());
    }
    let mut path = PathBuf::new();
    for segment in rest.split('/') {
        match segment {
            "" => return Err("it has an empty path segment (`//`)".into()),
            "." => return Err("it has a `.` path segment".into()),
            ".." => return Err("it has a `..` path segment, which would leave the destination".into()),
            _ => {}
        }
        if segment.len() > MAX_NAME {
            return Err(format!("a path segment is {} bytes long; file names hold at most {MAX_NAME}", segment.len()));
        }
        if matches!(escape::untrusted(segment), Cow::Owned(_)) {
            return Err("it holds control or bidirectional-text characters, which would disguise the file name".into());
        }
        if cfg!(windows) {
            windows_name(segment)?;
        }
        path.push(segment);
    }
    // Defence in depth: whatever the platform's parsing, only plain names may come out.
    if !path.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err("it does not map to a plain relative path".into());
    }
    Ok(path)
}

/// Names Windows refuses or reinterprets (drive letters, alternate streams, device names).
fn windows_name(segment: &str) -> Result<(), String> {
    if segment.contains(['\\', ':', '*', '?', '"', '<', '>', '|']) {
        return Err("it holds a character Windows file names cannot (\\ : * ? \" < > |)".into());
    }
    if segment.ends_with(['.', ' ']) {
        return Err("a path segment ends with a dot or a space, which Windows drops".into());
    }
    let stem = segment.split('.').next().unwrap_or(segment).to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if device {
        return Err(format!("`{stem}` is a device name on Windows"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn ok(key: &str, strip: &str) -> PathBuf {
        local_path_for(key, strip).unwrap_or_else(|e| panic!("{key:?}: {e}"))
    }

    fn refused(key: &str, strip: &str) -> String {
        match local_path_for(key, strip) {
            Ok(path) => panic!("{key:?} mapped to {path:?}"),
            Err(reason) => reason,
        }
    }

    #[test]
    fn plain_and_odd_but_harmless_keys_map_segment_by_segment() {
        assert_eq!(ok("photos/2024/a.jpg", "photos/"), Path::new("2024/a.jpg"));
        assert_eq!(ok("a.txt", ""), Path::new("a.txt"));
        assert_eq!(ok("odd/with space + 100%.txt", "odd/"), Path::new("with space + 100%.txt"));
        assert_eq!(ok("ключ/鍵 é.txt", ""), Path::new("ключ/鍵 é.txt"));
        #[cfg(unix)]
        assert_eq!(ok("dir/..hidden/...", ""), Path::new("dir/..hidden/..."), "dots inside names are names");
        #[cfg(unix)]
        assert_eq!(ok("a\\b", ""), Path::new("a\\b"), "a backslash is a plain character on Unix");
    }

    #[test]
    fn climbing_out_is_refused() {
        assert!(refused("../etc/passwd", "").contains(".."));
        assert!(refused("x/../../etc/passwd", "x/").contains(".."));
        assert!(refused("a/..", "").contains(".."));
    }

    #[test]
    fn absolute_paths_and_slash_only_keys_are_refused() {
        assert!(refused("/abs", "").contains("absolute"));
        assert!(refused("///", "").contains("absolute"));
        assert!(refused("/", "").contains("absolute"));
        assert!(refused("p//etc/passwd", "p/").contains("absolute"), "the rest after the prefix starts with /");
    }

    #[test]
    fn ambiguous_segments_are_refused_not_collapsed() {
        // Collapsing would map three distinct S3 objects onto one file.
        assert!(refused("a//b", "").contains("empty"));
        assert!(refused("a/./b", "").contains("`.`"));
        assert!(refused("./a", "").contains("`.`"));
        assert!(refused("a/b/", "").contains("folder marker"));
    }

    #[test]
    fn control_characters_nul_and_bidi_overrides_are_refused() {
        assert!(refused("a\0b", "").contains("NUL"));
        for key in ["evil\u{1b}[2J.txt", "line\nbreak", "tab\there", "bell\u{7}", "c1\u{9b}x", "del\u{7f}"] {
            assert!(refused(key, "").contains("control"), "{key:?}");
        }
        assert!(refused("invoice\u{202e}fdp.exe", "").contains("bidirectional"));
    }

    #[test]
    fn a_1024_byte_key_maps_only_if_its_names_fit() {
        let long = "a".repeat(1024);
        assert!(refused(&long, "").contains("1024 bytes"));
        let segmented = ["b".repeat(255), "c".repeat(255), "d".repeat(255), "e".repeat(256)].join("/");
        assert_eq!(segmented.len(), 1024);
        assert!(refused(&segmented, "").contains("256 bytes"));
        let fits = ["b".repeat(255), "c".repeat(255), "d".repeat(255), "e".repeat(254)].join("/") + "/f";
        assert_eq!(fits.len(), 1024);
        assert_eq!(ok(&fits, "").components().count(), 5);
    }

    #[test]
    fn the_prefix_must_be_there_and_leave_something() {
        assert!(refused("other/a.txt", "photos/").contains("not under"));
        assert!(refused("photos/", "photos/").contains("nothing"));
    }

    #[test]
    fn folder_of_a_prefix_ends_at_its_last_slash() {
        assert_eq!(folder_of("photos/2024"), "photos/");
        assert_eq!(folder_of("photos/2024/"), "photos/2024/");
        assert_eq!(folder_of("photos"), "");
        assert_eq!(folder_of(""), "");
    }

    #[test]
    fn windows_names() {
        assert!(windows_name("C:").is_err());
        assert!(windows_name("a\\b").is_err());
        assert!(windows_name("con.txt").is_err());
        assert!(windows_name("COM1").is_err());
        assert!(windows_name("trailing.").is_err());
        assert!(windows_name("console.txt").is_ok());
        assert!(windows_name("COMA").is_ok());
    }
}
