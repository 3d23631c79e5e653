//! Throughput of the parts that scale with the number of routes:
//! - `update_encode`: 100,000 IPv4 /32s with one attribute set, through the Adj-RIB-Out
//!   (initial transfer) and the wire encoder;
//! - `update_decode`: decoding those messages back, framing included;
//! - `rib_out_diff`: 1% of 100,000 sent routes changed, the UPDATEs computed.
//!
//! Criterion reports times and prefixes per second; the message counts and sizes, and the
//! heap a table of 100,000 routes holds, are printed once.

use bgp::rib_out::{AdjRibOut, ExportPolicy, NextHops, PeerSession, RouteAttributes};
use bgp::wire::{Community, Header, MAX_MESSAGE_LEN, Message, SessionContext, Update};
use bgp::{Asn, Family};
use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes, to report what a table of 100,000 routes costs.
struct Counting;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is
// updated on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROUTES: u32 = 100_000;
const CHANGED: u32 = ROUTES / 100;

fn context() -> SessionContext {
    SessionContext {
        four_octet_as: true,
        max_message_len: MAX_MESSAGE_LEN,
        ebgp: true,
    }
}

fn session() -> PeerSession {
    PeerSession {
        context: context(),
        families: vec![Family::Ipv4Unicast],
        policy: ExportPolicy {
            local_asn: Asn(64512),
            kind: bgp::PeerKind::External,
            next_hops: NextHops {
                v4: Some(Ipv4Addr::new(192, 0, 2, 1)),
                ..NextHops::default()
            },
        },
    }
}

fn attributes(med: u32) -> Arc<RouteAttributes> {
    Arc::new(RouteAttributes {
        med: Some(med),
        communities: vec![Community::new(64512, 100)],
        ..RouteAttributes::default()
    })
}

/// The `i`th /32, from 10.0.0.0 upwards.
fn host(i: u32) -> IpNet {
    let address = Ipv4Addr::from(0x0a00_0000 + i);
    IpNet::V4(Ipv4Net::new(address, 32).unwrap_or_default())
}

/// A table wanting every route with one attribute set, no session yet.
fn loaded_table() -> AdjRibOut {
    let mut rib = AdjRibOut::new();
    rib.initial_set_complete();
    let attrs = attributes(0);
    for i in 0..ROUTES {
        rib.announce(host(i), Arc::clone(&attrs));
    }
    rib
}

/// Brings the session up and encodes the whole initial transfer (End-of-RIB included).
fn initial_transfer(mut rib: AdjRibOut, out: &mut BytesMut) -> usize {
    let ctx = context();
    rib.session_up(session());
    let mut messages = 0;
    while let Some(update) = rib.next_update() {
        if let Err(error) = Message::Update(update).encode(&ctx, out) {
            panic!("UPDATE from the Adj-RIB-Out does not encode: {error}");
        }
        messages += 1;
    }
    messages
}

/// Frames and decodes every message in `bytes`; returns the prefixes announced.
fn decode_all(bytes: &[u8], ctx: &SessionContext) -> usize {
    let mut rest = bytes;
    let mut prefixes = 0;
    loop {
        let header = match Header::parse(rest, ctx.max_message_len) {
            Ok(Some(header)) => header,
            Ok(None) => break,
            Err(error) => panic!("bad framing: {error}"),
        };
        let (message, tail) = rest.split_at(header.length);
        match Message::decode(message, ctx) {
            Ok(Message::Update(update)) => prefixes += update.nlri.len(),
            Ok(other) => panic!("unexpected {:?}", other.message_type()),
            Err(error) => panic!("does not decode: {error}"),
        }
        rest = tail;
    }
    prefixes
}

fn report_once(encoded: &BytesMut, messages: usize) {
    let started = Instant::now();
    let mut out = BytesMut::with_capacity(encoded.len());
    let count = initial_transfer(loaded_table(), &mut out);
    let encode_time = started.elapsed();
    let started = Instant::now();
    let prefixes = decode_all(encoded, &context());
    let decode_time = started.elapsed();
    assert_eq!(count, messages);
    assert_eq!(prefixes, ROUTES as usize);
    println!(
        "update_encode: {ROUTES} IPv4 /32s in {messages} messages (End-of-RIB included), \
         {} octets, {:.0} prefixes/s in one cold run",
        encoded.len(),
        f64::from(ROUTES) / encode_time.as_secs_f64()
    );
    println!(
        "update_decode: {prefixes} prefixes, {:.0} prefixes/s in one cold run",
        prefixes as f64 / decode_time.as_secs_f64()
    );
}

/// Heap held by a table of `ROUTES` routes once the peer has them all.
fn report_table_memory() {
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    let mut rib = loaded_table();
    rib.session_up(session());
    while rib.next_update().is_some() {}
    let bytes = LIVE_BYTES.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "rib_out memory: {bytes} octets for {ROUTES} routes sent ({} per route)",
        bytes / ROUTES as usize
    );
    drop(black_box(rib));
}

fn encode_decode(c: &mut Criterion) {
    report_table_memory();
    let mut encoded = BytesMut::new();
    let messages = initial_transfer(loaded_table(), &mut encoded);
    report_once(&encoded, messages);

    let mut group = c.benchmark_group("update");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(u64::from(ROUTES)));
    group.bench_function("encode_100k_ipv4_one_attribute_set", |b| {
        b.iter_batched(
            loaded_table,
            |rib| {
                let mut out = BytesMut::with_capacity(encoded.len());
                black_box(initial_transfer(rib, &mut out));
                out
            },
            BatchSize::PerIteration,
        )
    });
    let ctx = context();
    group.bench_function("decode_100k_ipv4_one_attribute_set", |b| {
        b.iter(|| black_box(decode_all(&encoded, &ctx)))
    });
    group.finish();
}

/// A table with every route sent; flipping the attributes of 1% of them back and forth
/// makes each iteration a 1% change against what the peer has.
fn rib_out_diff(c: &mut Criterion) {
    let mut rib = loaded_table();
    rib.session_up(session());
    while rib.next_update().is_some() {}
    let changed: Vec<IpNet> = (0..CHANGED).map(|i| host(i * 100)).collect();
    let (a, b) = (attributes(0), attributes(1));

    let mut flip = false;
    let mut first: Option<Vec<Update>> = None;
    let mut group = c.benchmark_group("rib_out_diff");
    group.sample_size(20);
    group.throughput(Throughput::Elements(u64::from(CHANGED)));
    group.bench_function("announce_1pct_of_100k", |bench| {
        bench.iter(|| {
            flip = !flip;
            let attrs = if flip { &b } else { &a };
            for prefix in &changed {
                rib.announce(*prefix, Arc::clone(attrs));
            }
            let updates = rib.take_updates();
            if first.is_none() {
                first = Some(updates.clone());
            }
            black_box(updates)
        })
    });

    // The same change arriving as a whole new desired set: every route is compared, so
    // the throughput counts all of them.
    let full = |changed_attrs: &Arc<RouteAttributes>| -> Vec<(IpNet, Arc<RouteAttributes>)> {
        (0..ROUTES)
            .map(|i| {
                let attrs = if i % 100 == 0 { changed_attrs } else { &a };
                (host(i), Arc::clone(attrs))
            })
            .collect()
    };
    let (set_a, set_b) = (full(&a), full(&b));
    group.throughput(Throughput::Elements(u64::from(ROUTES)));
    group.bench_function("replace_100k_with_1pct_changed", |bench| {
        bench.iter(|| {
            flip = !flip;
            let set = if flip { &set_b } else { &set_a };
            rib.replace(
                set.iter()
                    .map(|(p, attrs)| (*p, Arc::clone(attrs)))
                    .collect::<bgp::rib_out::RouteSet>(),
            );
            black_box(rib.take_updates())
        })
    });
    group.finish();
    if let Some(updates) = first {
        let prefixes: usize = updates.iter().map(|u| u.nlri.len()).sum();
        println!(
            "rib_out_diff: {CHANGED} of {ROUTES} routes changed -> {} UPDATEs, {prefixes} prefixes",
            updates.len()
        );
    }
}

/// A bulk withdraw: every route of a full table withdrawn in prefix order, as the
/// decision hands them over, then encoded. The table's hash keeps neighbouring prefixes
/// in neighbouring memory, so this walk streams instead of missing the cache per route.
fn rib_out_bulk_withdraw(c: &mut Criterion) {
    let ctx = context();
    let synced = || {
        let mut rib = loaded_table();
        rib.session_up(session());
        while rib.next_update().is_some() {}
        rib
    };
    let mut group = c.benchmark_group("rib_out_bulk_withdraw");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(ROUTES)));
    group.bench_function("withdraw_and_encode_100k", |bench| {
        bench.iter_batched(
            synced,
            |mut rib| {
                for i in 0..ROUTES {
                    rib.withdraw(host(i));
                }
                let mut out = BytesMut::new();
                while let Some(update) = rib.next_update() {
                    if let Err(error) = Message::Update(update).encode(&ctx, &mut out) {
                        panic!("withdrawal does not encode: {error}");
                    }
                }
                black_box(out.len())
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, encode_decode, rib_out_diff, rib_out_bulk_withdraw);
criterion_main!(benches);
