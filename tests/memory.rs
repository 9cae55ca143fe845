//! Memory stays flat whatever the page's size: the demo rules over the demo category page made
//! 20 KB and many megabytes long by repeating its product list, streamed in 64 KiB chunks as the
//! edge does, with a counting allocator measuring the peak of live heap bytes.
//!
//! `cargo test --test memory` compares an 8 MiB page with the 20 KB one; the 50 MB page is
//! `--ignored` (slow unoptimized): `cargo test --release --test memory -- --ignored --nocapture`
//! prints the figures docs/hardening.md quotes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use veneer::{Plan, StreamRewriter, Visit, compile, decide};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The counters are global: one measurement at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
const CATEGORY: &str = include_str!("../fixtures/storefront/category.html");

/// A page of about `bytes`: the category page with its product list repeated.
fn page_of(bytes: usize) -> Vec<u8> {
    let (head, rest) = CATEGORY.split_at(CATEGORY.find("<main").unwrap_or(0));
    let end = rest
        .find("</main>")
        .map_or(rest.len(), |i| i + "</main>".len());
    let (main, tail) = rest.split_at(end);
    let mut page = head.as_bytes().to_vec();
    while page.len() < bytes {
        page.extend_from_slice(main.as_bytes());
    }
    page.extend_from_slice(tail.as_bytes());
    page
}

/// Streams `page` through the demo rules for `path` in 64 KiB chunks; returns the peak of live
/// heap bytes above what was live before, and the size of the first output chunk.
fn peak_while_streaming(page: &[u8], path: &str) -> (usize, usize) {
    let rules = compile(include_str!("../fixtures/rules/demo.json")).unwrap();
    let attrs = json!({"country": "DE", "device": "mobile", "utm_source": "newsletter"});
    let decision = decide(
        &rules,
        &Visit::new(&attrs, path, chrono::DateTime::UNIX_EPOCH),
        false,
    );
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let mut rewriter = StreamRewriter::new(&decision.plan, None);
    let mut first = None;
    let mut total = 0;
    for chunk in page.chunks(64 * 1024) {
        let out = rewriter.write(chunk);
        first.get_or_insert(out.len());
        total += out.len();
    }
    total += rewriter.end().len();
    assert!(total >= page.len() / 2, "the page came out");
    (PEAK.load(Ordering::Relaxed) - base, first.unwrap_or(0))
}

fn compare(big: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let small_page = page_of(20_000);
    let big_page = page_of(big);
    let (small, _) = peak_while_streaming(&small_page, "/c/shoes");
    let (large, first) = peak_while_streaming(&big_page, "/c/shoes");
    println!(
        "peak heap while streaming: {} B page {small} B; {} B page {large} B; first output chunk {first} B",
        small_page.len(),
        big_page.len()
    );
    assert!(first > 0, "the first bytes leave with the first chunk");
    assert!(
        large < small + 2 * 1024 * 1024,
        "memory grows with the page: {large} B for {} B against {small} B for {} B",
        big_page.len(),
        small_page.len()
    );
}

#[test]
fn memory_is_flat_for_an_8_mib_page() {
    compare(8 * 1024 * 1024);
}

#[test]
#[ignore = "slow unoptimized: run with --release"]
fn memory_is_flat_for_a_50_mb_page() {
    compare(50 * 1000 * 1000);
}

#[test]
fn concurrent_pages_share_the_isolates_parser_budget() {
    let plan = Plan::default();
    let mut pages: Vec<StreamRewriter> =
        (0..16).map(|_| StreamRewriter::new(&plan, None)).collect();
    assert!(pages.iter().all(|p| p.memory_limit() == 4 * 1024 * 1024));
    // The 17th page at the same moment would take the isolate past 64 MiB: it passes through.
    let mut over = StreamRewriter::new(&plan, None);
    assert_eq!(over.memory_limit(), 0);
    assert_eq!(over.write(b"<p>x</p>"), b"<p>x</p>");
    assert_eq!(
        over.failure(),
        Some("the isolate is rewriting pages that hold 64 MiB already; page passed through")
    );
    // A page that ends gives its share back.
    pages.pop();
    assert_eq!(
        StreamRewriter::new(&plan, None).memory_limit(),
        4 * 1024 * 1024
    );
    drop(pages);
    drop(over);
    assert_eq!(
        StreamRewriter::new(&plan, None).memory_limit(),
        4 * 1024 * 1024
    );
}
