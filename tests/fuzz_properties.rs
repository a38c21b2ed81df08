//! The fuzz targets' properties (`fuzz/properties.rs`: no panic, every refusal names what was
//! wrong, what is accepted prints back to itself) on inputs generated here, so they hold in
//! every `cargo test` and not only when someone runs `fuzz/run.sh`. The inputs are the fuzz
//! seeds (`fuzz/seeds/TARGET/`) mutated a few thousand times each by a fixed-seed generator:
//! the same inputs on every run, a failure names the one that broke.

#[path = "../fuzz/properties.rs"]
mod properties;

use std::path::Path;

/// xorshift64*: small, fixed, and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces that steer the parsers somewhere interesting: syntax, limits, odd characters.
const TOKENS: &[&str] = &[
    "\n",
    " ",
    "=",
    "\"",
    "'",
    "[",
    "]",
    "[[identity]]\n",
    "[settings]\n",
    "[keys]\n",
    "name = \"x\"\n",
    "kind = \"assume-role\"\n",
    "kind = \"session-token\"\n",
    "kind = \"federation\"\n",
    "source = \"x\"\n",
    "duration = \"",
    "h",
    "m",
    "s",
    "0",
    "9",
    "99999999999999999999",
    "-",
    "Ctrl-",
    "Alt-",
    "Shift-",
    "F",
    "s3://",
    "/",
    ":",
    "arn:aws:iam::123456789012:",
    "role/",
    "mfa/",
    "policy/",
    "{",
    "}",
    "[]",
    "{\"Statement\":",
    "\u{1b}[2J",
    "\u{7}",
    "\u{7f}",
    "\u{9b}",
    "\u{202e}",
    "\u{200b}",
    "\u{feff}",
    "\u{e0041}",
    "é",
    "鍵",
    "%",
    "%1B",
    "%E2%80%AE",
    "+",
    "\\",
    "\r",
    "\t",
    "\0",
    "down: ",
    "up: ",
    "quit: ",
    "Space",
    "PageDown",
    "↑",
];

fn mutate(rng: &mut Rng, input: &str, seeds: &[String]) -> String {
    let mut chars: Vec<char> = input.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(5) {
            0 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
            1 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            2 if !chars.is_empty() => {
                let i = rng.below(chars.len());
                chars[i] = char::from_u32(rng.below(0x3000) as u32).unwrap_or('?');
            }
            3 => {
                let other: Vec<char> = seeds[rng.below(seeds.len())].chars().collect();
                let from = rng.below(other.len());
                let to = (from + rng.below(64)).min(other.len());
                chars.splice(at..at, other[from..to].iter().copied());
            }
            _ if !chars.is_empty() => {
                let from = rng.below(chars.len());
                let to = (from + rng.below(16)).min(chars.len());
                let copy: Vec<char> = chars[from..to].to_vec();
                chars.splice(at..at, copy);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn seeds(target: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a seed").path())
        .collect();
    files.sort();
    let seeds: Vec<String> =
        files.iter().map(|f| String::from_utf8_lossy(&std::fs::read(f).expect("read a seed")).into_owned()).collect();
    assert!(!seeds.is_empty(), "{} has seeds", dir.display());
    seeds
}

/// Runs `property` on the seeds and on `rounds` mutations of them; panics naming the input.
fn check(target: &str, rounds: usize, property: fn(&str)) {
    let seeds = seeds(target);
    let mut rng = Rng(0x5eed_0000 ^ (target.len() as u64 * 0x9e37_79b9));
    let mut input = String::new();
    for round in 0..rounds + seeds.len() {
        input = match round.checked_sub(rounds) {
            Some(i) => seeds[i].clone(),
            // Mostly mutate the last input further, sometimes restart from a seed.
            None if round % 8 == 0 || input.len() > 8192 => {
                let seed = rng.below(seeds.len());
                mutate(&mut rng, &seeds[seed], &seeds)
            }
            None => mutate(&mut rng, &input, &seeds),
        };
        let run = std::panic::catch_unwind(|| property(&input));
        if let Err(panic) = run {
            let why =
                panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            panic!("[{target}] round {round}, input {input:?}:\n{}", why.unwrap_or_default());
        }
    }
}

#[test]
fn config_files_never_panic_and_refusals_name_the_file_and_field() {
    check("config", 3_000, properties::config);
}

#[test]
fn durations_round_trip_and_refusals_quote_the_input() {
    check("duration", 20_000, properties::duration);
}

#[test]
fn s3_uris_round_trip_and_refusals_show_the_expected_form() {
    check("s3_uri", 20_000, properties::s3_uri);
}

#[test]
fn keys_round_trip_and_keymaps_name_the_action() {
    check("keymap", 5_000, properties::keymap);
}

#[test]
fn sts_validators_name_the_identity_and_field() {
    check("sts_validators", 5_000, properties::sts_validators);
}

#[test]
fn untrusted_text_is_escaped_and_json_carries_it_exactly() {
    check("untrusted_text", 20_000, properties::untrusted_text);
}
