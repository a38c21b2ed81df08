//! One row of a listing as the app keeps it. A prefix can hold millions of objects, so an
//! object is stored compactly (64 bytes plus its key) rather than as the wire `Object` with
//! its four strings; `to_object` gives the wire form back unchanged.

use std::time::{Duration, SystemTime};

use super::etag::PackedETag;
use super::storage_class::StorageClass;
use crate::s3::{Bucket, Object};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Boxed: bucket lists are short, and an unboxed bucket would make every entry larger.
    Bucket(Box<Bucket>),
    /// A common prefix, as the full key (`logs/archive/`).
    Prefix(String),
    Object(ObjectEntry),
}

/// An ETag or storage class that did not fit the compact forms, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Unusual {
    etag: Option<Box<str>>,
    storage_class: Option<Box<str>>,
}

/// A listed object: the key, size and time as plain values, the ETag as bytes and the storage
/// class as one byte. The rare ETag or class that is not in those forms sits in `unusual`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: Box<str>,
    pub size: u64,
    /// Milliseconds since the epoch (S3 times have no finer part); `i64::MIN` when unknown,
    /// which also sorts unknown times first, as `Option` did.
    modified_ms: i64,
    etag: PackedETag,
    class: StorageClass,
    unusual: Option<Box<Unusual>>,
}

fn to_ms(t: SystemTime) -> i64 {
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => ms(after),
        // Before 1970: round towards the past, as flooring a positive time does.
        Err(before) => {
            let d = before.duration();
            let floor = ms(d).saturating_add(i64::from(d.subsec_nanos() % 1_000_000 != 0));
            // Keep `i64::MIN` for "unknown".
            (-floor).max(i64::MIN + 1)
        }
    }
}

fn from_ms(ms: i64) -> SystemTime {
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 { SystemTime::UNIX_EPOCH + magnitude } else { SystemTime::UNIX_EPOCH - magnitude }
}

impl From<Object> for ObjectEntry {
    fn from(o: Object) -> ObjectEntry {
        let mut unusual = Unusual::default();
        let etag = match o.etag.as_deref() {
            None => PackedETag::ABSENT,
            Some(text) => PackedETag::pack(text).unwrap_or_else(|| {
                unusual.etag = Some(text.into());
                PackedETag::TEXT
            }),
        };
        let class = StorageClass::of(o.storage_class.as_deref());
        if class == StorageClass::Text {
            unusual.storage_class = o.storage_class.map(String::into_boxed_str);
        }
        ObjectEntry {
            key: o.key.into_boxed_str(),
            size: o.size,
            modified_ms: o.last_modified.map_or(i64::MIN, to_ms),
            etag,
            class,
            unusual: (unusual != Unusual::default()).then(|| Box::new(unusual)),
        }
    }
}

impl ObjectEntry {
    pub fn last_modified(&self) -> Option<SystemTime> {
        (self.modified_ms != i64::MIN).then(|| from_ms(self.modified_ms))
    }

    /// For ordering by time without building a `SystemTime`; unknown sorts first.
    pub(super) fn modified_ms(&self) -> i64 {
        self.modified_ms
    }

    /// The ETag exactly as listed (quotes and all).
    pub fn etag(&self) -> Option<String> {
        if self.etag.is_text() {
            return self.unusual.as_ref().and_then(|u| u.etag.as_deref()).map(str::to_string);
        }
        self.etag.unpack()
    }

    pub fn storage_class(&self) -> Option<&str> {
        match self.class {
            StorageClass::Text => self.unusual.as_ref().and_then(|u| u.storage_class.as_deref()),
            class => class.name(),
        }
    }

    /// The object as the worker listed it.
    pub fn to_object(&self) -> Object {
        Object {
            key: self.key.to_string(),
            size: self.size,
            last_modified: self.last_modified(),
            etag: self.etag(),
            storage_class: self.storage_class().map(str::to_string),
        }
    }
}

impl Entry {
    pub fn key(&self) -> &str {
        match self {
            Entry::Bucket(b) => &b.name,
            Entry::Prefix(p) => p,
            Entry::Object(o) => &o.key,
        }
    }

    /// The name shown in a listing of `base`: the part after the location's prefix.
    pub fn name<'a>(&'a self, base: &str) -> &'a str {
        let key = self.key();
        match self {
            Entry::Bucket(_) => key,
            _ => key.strip_prefix(base).unwrap_or(key),
        }
    }

    pub fn is_container(&self) -> bool {
        !matches!(self, Entry::Object(_))
    }

    pub(super) fn size(&self) -> u64 {
        match self {
            Entry::Object(o) => o.size,
            _ => 0,
        }
    }

    pub(super) fn modified(&self) -> Option<SystemTime> {
        match self {
            Entry::Object(o) => o.last_modified(),
            Entry::Bucket(b) => b.created,
            Entry::Prefix(_) => None,
        }
    }
}

impl From<Object> for Entry {
    fn from(o: Object) -> Entry {
        Entry::Object(o.into())
    }
}

impl From<Bucket> for Entry {
    fn from(b: Bucket) -> Entry {
        Entry::Bucket(Box::new(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(etag: Option<&str>, class: Option<&str>, modified: Option<SystemTime>) -> Object {
        Object {
            key: "data/part-000123.parquet".into(),
            size: 123_456,
            last_modified: modified,
            etag: etag.map(str::to_string),
            storage_class: class.map(str::to_string),
        }
    }

    #[test]
    fn every_field_comes_back_as_listed() {
        let at = |ms: i64| Some(from_ms(ms));
        let cases = [
            object(Some("\"9b2cf535f27731c974343645a3985328\""), Some("STANDARD"), at(1_800_000_000_123)),
            object(Some("\"9b2cf535f27731c974343645a3985328-17\""), Some("GLACIER_IR"), at(0)),
            object(Some("9b2cf535f27731c974343645a3985328"), None, None),
            object(Some("\"not-an-md5\""), Some("COLD_STORAGE"), at(-1)),
            object(Some("\"9B2CF535F27731C974343645A3985328\""), Some("standard"), at(-86_400_000_001)),
            object(None, Some(""), at(253_402_300_799_999)),
            object(Some(""), None, None),
        ];
        for wire in cases {
            let entry = ObjectEntry::from(wire.clone());
            assert_eq!(entry.to_object(), wire);
            assert_eq!(entry.etag(), wire.etag);
            assert_eq!(entry.storage_class(), wire.storage_class.as_deref());
            assert_eq!(entry.last_modified(), wire.last_modified);
        }
    }

    #[test]
    fn common_objects_need_nothing_beside_the_key() {
        let entry =
            ObjectEntry::from(object(Some("\"9b2cf535f27731c974343645a3985328-3\""), Some("STANDARD_IA"), None));
        assert!(entry.unusual.is_none());
        let odd = ObjectEntry::from(object(Some("W/\"x\""), Some("STANDARD"), None));
        assert_eq!(
            odd.unusual.as_ref().map(|u| (u.etag.as_deref(), u.storage_class.as_deref())),
            Some((Some("W/\"x\""), None))
        );
    }

    #[test]
    fn sub_millisecond_times_round_down() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_500_000);
        assert_eq!(to_ms(t), 1);
        let before = SystemTime::UNIX_EPOCH - Duration::from_nanos(1_500_000);
        assert_eq!(to_ms(before), -2);
        let ancient = SystemTime::UNIX_EPOCH - Duration::from_secs(1 << 40);
        assert_eq!(from_ms(to_ms(ancient)), ancient);
    }

    #[test]
    fn an_entry_fits_in_64_bytes() {
        assert_eq!(std::mem::size_of::<ObjectEntry>(), 64);
        assert_eq!(std::mem::size_of::<Entry>(), 64);
    }
}
