//! Storage classes as one byte: a listing repeats the same few names a million times.

/// The classes S3 lists, plus `Text` for a name it does not (an S3-compatible server's own),
/// whose text the caller keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageClass {
    Absent,
    Text,
    Standard,
    ReducedRedundancy,
    Glacier,
    StandardIa,
    OnezoneIa,
    IntelligentTiering,
    DeepArchive,
    Outposts,
    GlacierIr,
    Snow,
    ExpressOnezone,
    FsxOpenzfs,
}

const NAMES: [(StorageClass, &str); 12] = [
    (StorageClass::Standard, "STANDARD"),
    (StorageClass::ReducedRedundancy, "REDUCED_REDUNDANCY"),
    (StorageClass::Glacier, "GLACIER"),
    (StorageClass::StandardIa, "STANDARD_IA"),
    (StorageClass::OnezoneIa, "ONEZONE_IA"),
    (StorageClass::IntelligentTiering, "INTELLIGENT_TIERING"),
    (StorageClass::DeepArchive, "DEEP_ARCHIVE"),
    (StorageClass::Outposts, "OUTPOSTS"),
    (StorageClass::GlacierIr, "GLACIER_IR"),
    (StorageClass::Snow, "SNOW"),
    (StorageClass::ExpressOnezone, "EXPRESS_ONEZONE"),
    (StorageClass::FsxOpenzfs, "FSX_OPENZFS"),
];

impl StorageClass {
    /// The class named `name` exactly (case matters: the name is shown as sent), else `Text`.
    pub fn of(name: Option<&str>) -> StorageClass {
        let Some(name) = name else { return StorageClass::Absent };
        NAMES.iter().find(|(_, n)| *n == name).map_or(StorageClass::Text, |(class, _)| *class)
    }

    /// The name of a known class; `None` when absent or kept as text.
    pub fn name(self) -> Option<&'static str> {
        NAMES.iter().find(|(class, _)| *class == self).map(|(_, name)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_come_back_and_others_are_left_as_text() {
        for (class, name) in NAMES {
            assert_eq!(StorageClass::of(Some(name)), class);
            assert_eq!(class.name(), Some(name));
        }
        assert_eq!(StorageClass::of(None), StorageClass::Absent);
        assert_eq!(StorageClass::of(Some("standard")), StorageClass::Text);
        assert_eq!(StorageClass::of(Some("COLD")), StorageClass::Text);
        assert_eq!(StorageClass::of(Some("")), StorageClass::Text);
        assert_eq!(StorageClass::Absent.name(), None);
        assert_eq!(StorageClass::Text.name(), None);
    }
}
