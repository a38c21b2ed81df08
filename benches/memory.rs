//! What a million-entry listing costs in memory (issue 6, case 4). A counting allocator sees
//! every byte the app keeps; the kernel's high-water mark (VmHWM) is what the user would see.
//!
//! `cargo bench --bench memory` prints one line for scripts:
//! `entries=1000000 bytes_per_entry=… heap_mb=… peak_heap_mb=… peak_rss_mb=…`
//! and fails if the listing does not hold exactly the entries sent.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every call is passed straight to the system allocator; only the counts are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: `p` came from `System` with this layout.
        unsafe { System.dealloc(p, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and `new_size` is the caller's to choose.
        let q = unsafe { System.realloc(p, layout, new_size) };
        if !q.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A field of /proc/self/status in MiB (Linux reports kB).
fn status_mb(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() -> ExitCode {
    // `cargo bench` passes `--bench`; nothing here takes options.
    const MB: f64 = 1024.0 * 1024.0;
    let wanted = common::entries();
    let before = LIVE.load(Ordering::Relaxed);
    let driver = common::Driver::loaded(wanted, true);
    let listing = &driver.app.listing;
    let entries = listing.entries.len();
    let heap = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "entries={entries} bytes_per_entry={:.1} heap_mb={:.1} peak_heap_mb={:.1} peak_rss_mb={:.1} \
         entry_inline_bytes={}",
        heap as f64 / entries.max(1) as f64,
        heap as f64 / MB,
        peak as f64 / MB,
        status_mb("VmHWM:").unwrap_or(f64::NAN),
        std::mem::size_of::<s3lease::app::listing::Entry>(),
    );
    if entries != wanted || listing.view.len() != wanted {
        eprintln!("expected {wanted} entries in the listing and its view, found {entries}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
