//! A secret string (an MFA code from the command line, say): wiped from memory when dropped,
//! and never shown by `Debug`, so a struct that holds one can still derive `Debug`.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
    }

    /// The value itself, for the one place that sends or checks it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Moves the value out, still wiped on drop.
    pub fn into_zeroizing(mut self) -> Zeroizing<String> {
        Zeroizing::new(std::mem::take(&mut *self.0))
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

/// `Zeroizing` wipes the value when a `Secret` drops.
impl ZeroizeOnDrop for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("864213".into());
        let text = format!("{secret:?} {:?} {:#?}", Some(&secret), vec![secret.clone()]);
        assert!(!text.contains("864213"), "{text}");
        assert_eq!(secret.expose(), "864213");
    }

    #[test]
    fn moving_the_value_out_leaves_nothing_behind_and_zeroize_clears_it() {
        let mut secret = Secret::new("864213".into());
        let inner = secret.clone().into_zeroizing();
        assert_eq!(inner.as_str(), "864213");
        secret.zeroize();
        assert_eq!(secret.expose(), "");
    }

    #[test]
    fn it_is_wiped_on_drop() {
        fn wiped_on_drop<T: ZeroizeOnDrop>() {}
        wiped_on_drop::<Secret>();
    }
}
