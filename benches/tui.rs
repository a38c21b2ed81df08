//! The browser at a million entries (issue 6, case 4): drawing a frame, a filter keystroke,
//! a sort change and a page arriving. The million entries are loaded once, outside the timed
//! code, through `App::update` as the runtime loads them.
//!
//! Full run: `cargo bench --bench tui`; one pass of each, to check they work:
//! `cargo bench --bench tui -- --test`.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use common::{Driver, HEIGHT, PAGE, WIDTH, entries};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use s3lease::app::Mode;
use s3lease::app::listing::{Sort, SortKey};

/// Each timed step takes milliseconds to a second; a few samples are enough to see a regression.
fn group<'a>(c: &'a mut Criterion, name: &str) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group
}

fn render(c: &mut Criterion) {
    let mut driver = Driver::loaded(entries(), true);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal");
    let mut group = group(c, "render_1m");
    group.bench_function("top", |b| {
        b.iter(|| terminal.draw(|f| s3lease::ui::render(black_box(&driver.app), f)).map(|_| ()))
    });
    // The far end of the listing: nothing on the way there may be walked per frame.
    driver.key(KeyCode::Char('G'));
    assert_eq!(driver.app.listing.cursor, entries() - 1);
    group.bench_function("end", |b| {
        b.iter(|| terminal.draw(|f| s3lease::ui::render(black_box(&driver.app), f)).map(|_| ()))
    });
    group.finish();
}

/// Times `step` only; `undo` puts the app back between iterations.
fn timed(driver: &mut Driver, iters: u64, step: impl Fn(&mut Driver), undo: impl Fn(&mut Driver)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        step(driver);
        total += start.elapsed();
        undo(driver);
    }
    total
}

fn filter(c: &mut Criterion) {
    let mut driver = Driver::loaded(entries(), true);
    driver.key(KeyCode::Char('/'));
    assert_eq!(driver.app.mode, Mode::Filter);
    let mut group = group(c, "filter_1m");
    // Every name holds a "p": the view stays a million long, the worst case for a keystroke.
    group.bench_function("first_char", |b| {
        b.iter_custom(|iters| timed(&mut driver, iters, |d| d.key(KeyCode::Char('p')), |d| d.key(KeyCode::Backspace)))
    });
    for c in "par".chars() {
        driver.key(KeyCode::Char(c));
    }
    assert_eq!(driver.app.listing.view.len(), entries());
    group.bench_function("next_char", |b| {
        b.iter_custom(|iters| timed(&mut driver, iters, |d| d.key(KeyCode::Char('q')), |d| d.key(KeyCode::Backspace)))
    });
    // "part-001" keeps part-001000 to part-001999 (one name in a thousand of a million); its
    // next character narrows that further.
    for c in "t-001".chars() {
        driver.key(KeyCode::Char(c));
    }
    assert_eq!(driver.app.listing.view.len(), entries().saturating_sub(1000).min(1000));
    group.bench_function("next_char_few", |b| {
        b.iter_custom(|iters| timed(&mut driver, iters, |d| d.key(KeyCode::Char('2')), |d| d.key(KeyCode::Backspace)))
    });
    // Widening: every entry has to be looked at again.
    group.bench_function("backspace", |b| {
        b.iter_custom(|iters| timed(&mut driver, iters, |d| d.key(KeyCode::Backspace), |d| d.key(KeyCode::Char('1'))))
    });
    group.finish();
}

fn sort(c: &mut Criterion) {
    let mut driver = Driver::loaded(entries(), true);
    let mut group = group(c, "sort_1m");
    // Each order as `s` reaches it: from the order before it in the cycle.
    let orders = [
        ("name_desc", SortKey::Name, true),
        ("size_asc", SortKey::Size, false),
        ("modified_asc", SortKey::Modified, false),
        ("name_asc", SortKey::Name, false),
    ];
    for (name, key, descending) in orders {
        let sort = Sort { key, descending };
        let previous = previous_of(sort);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                timed(&mut driver, iters, |d| d.app.listing.set_sort(sort), |d| d.app.listing.set_sort(previous))
            })
        });
    }
    group.finish();
}

/// The order `s` comes from to reach `sort`.
fn previous_of(sort: Sort) -> Sort {
    let mut s = Sort::default();
    loop {
        let next = s.next();
        if next == sort {
            return s;
        }
        s = next;
    }
}

/// One more page arriving at a million-entry listing that is still loading.
fn append(c: &mut Criterion) {
    let mut group = group(c, "append_page_1m");
    for (name, sort) in [("name_asc", Sort::default()), ("size_asc", Sort { key: SortKey::Size, descending: false })] {
        let mut driver = Driver::loaded(entries(), false);
        driver.app.listing.set_sort(sort);
        let mut next = 0u64;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    // Keys after every `part-…` one, so the page is in S3's order.
                    let page = (0..PAGE as u64)
                        .map(|i| {
                            let mut o = common::object(next + i);
                            o.key = format!("{}tail-{:09}.parquet", common::PREFIX, next + i);
                            o
                        })
                        .collect();
                    next += PAGE as u64;
                    page
                },
                |page| driver.answer_page(page, true),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, render, filter, sort, append);
criterion_main!(benches);
