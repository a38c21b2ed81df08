//! The continuation tokens one listing has followed. A server that hands back a token an
//! earlier page of the same listing gave would be followed round that cycle forever
//! (A→B→A→B…): comparing with the last token alone catches a server that repeats itself at
//! once, not one that cycles. Every paging loop, in the CLI, the worker and the TUI, keeps one
//! guard per listing and asks it before following a token.
//!
//! Tokens are kept whole rather than hashed, so a repeat is never a false alarm. Real S3
//! tokens are about 100 bytes: a million-key listing holds about 100 KB of them. What a
//! listing may hold is still bounded, since a hostile server can send tokens megabytes long.

use std::collections::HashMap;

/// The most token bytes one listing keeps: about 450,000 pages of S3-sized tokens, or
/// 450 million keys under one prefix.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024 * 1024;

/// What one kept token costs beyond its bytes: its box and its slot in the map.
const PER_TOKEN: usize = 48;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenGuard {
    /// Each token followed, and the page (counted from 1) that gave it.
    seen: HashMap<Box<str>, u64>,
    pages: u64,
    held: usize,
}

/// Why a token is not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Page `page` of the listing gave the token page `first` gave.
    Repeated { page: u64, first: u64 },
    /// Following page `page`'s token would hold more than [`MAX_TOKEN_BYTES`].
    TooLarge { page: u64 },
}

impl TokenGuard {
    pub fn new() -> Self {
        TokenGuard::default()
    }

    /// Records `token`, the next one the listing's latest page gave; refuses it if an earlier
    /// page gave it too. A refused token is not recorded: the listing is over.
    pub fn follow(&mut self, token: &str) -> Result<(), Refused> {
        let page = self.pages + 1;
        if let Some(&first) = self.seen.get(token) {
            return Err(Refused::Repeated { page, first });
        }
        let cost = token.len().saturating_add(PER_TOKEN);
        if self.held.saturating_add(cost) > MAX_TOKEN_BYTES {
            return Err(Refused::TooLarge { page });
        }
        self.held += cost;
        self.pages = page;
        self.seen.insert(token.into(), page);
        Ok(())
    }

    /// Pages whose token was followed.
    pub fn followed(&self) -> u64 {
        self.pages
    }
}

impl Refused {
    /// What the answer has, for "the answer from X is malformed: it has …". `token` names
    /// what the server hands out ("continuation token"); the token itself is never shown,
    /// as it can be long and is the server's text.
    pub fn what(&self, token: &str) -> String {
        match self {
            Refused::Repeated { page, first } => {
                format!("a {token} it had already given (page {page} gave the one page {first} gave)")
            }
            Refused::TooLarge { page } => {
                format!("{token}s of more than {} MiB in all by page {page}", MAX_TOKEN_BYTES / (1024 * 1024))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_any_earlier_page_gave_is_refused_not_just_the_last() {
        let mut guard = TokenGuard::new();
        assert_eq!(guard.follow("A"), Ok(()));
        assert_eq!(guard.follow("B"), Ok(()));
        assert_eq!(guard.follow("C"), Ok(()));
        // A 3-page cycle: the fourth page points back at the first token.
        assert_eq!(guard.follow("A"), Err(Refused::Repeated { page: 4, first: 1 }));
        // The refusal recorded nothing: the same answer is refused the same way.
        assert_eq!(guard.follow("B"), Err(Refused::Repeated { page: 4, first: 2 }));
        assert_eq!(guard.followed(), 3);
    }

    #[test]
    fn an_immediate_repeat_and_a_two_page_cycle() {
        let mut guard = TokenGuard::new();
        guard.follow("A").unwrap();
        assert_eq!(guard.follow("A"), Err(Refused::Repeated { page: 2, first: 1 }));
        guard.follow("B").unwrap();
        assert_eq!(guard.follow("A"), Err(Refused::Repeated { page: 3, first: 1 }));
    }

    #[test]
    fn distinct_tokens_are_followed_however_many() {
        let mut guard = TokenGuard::new();
        for page in 0..5_000 {
            // S3-sized tokens that share a long common start.
            assert_eq!(guard.follow(&format!("{}{page:08}", "x".repeat(92))), Ok(()), "page {page}");
        }
        assert_eq!(guard.followed(), 5_000);
        assert!(guard.held < 1024 * 1024, "5,000 S3-sized tokens hold {} bytes", guard.held);
    }

    #[test]
    fn what_one_listing_holds_is_bounded() {
        let mut guard = TokenGuard::new();
        let huge = |i: usize| format!("{i}{}", "t".repeat(15 * 1024 * 1024));
        for i in 0..4 {
            assert_eq!(guard.follow(&huge(i)), Ok(()), "token {i}");
        }
        assert_eq!(guard.follow(&huge(4)), Err(Refused::TooLarge { page: 5 }));
        assert!(guard.held <= MAX_TOKEN_BYTES);
    }

    #[test]
    fn the_refusal_names_the_pages_and_never_the_token() {
        let refused = Refused::Repeated { page: 3, first: 1 };
        assert_eq!(
            refused.what("continuation token"),
            "a continuation token it had already given (page 3 gave the one page 1 gave)"
        );
        assert_eq!(
            Refused::TooLarge { page: 9 }.what("continuation token"),
            "continuation tokens of more than 64 MiB in all by page 9"
        );
    }
}
