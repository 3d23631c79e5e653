use super::*;
use std::time::Duration;

/// The start-up race: the source syncs (and makes no further change) before the
/// decision loop subscribes. The loop must still see the synced version at once.
#[tokio::test]
async fn a_reader_that_subscribes_after_the_sync_sees_it() {
    let shared = SharedCluster::default();
    shared.update(|_| {});
    shared.mark_synced();
    let mut versions = shared.subscribe();
    tokio::time::timeout(Duration::from_secs(5), versions.changed())
        .await
        .expect("the current version must count as unseen")
        .expect("sender alive");
    assert!(versions.borrow_and_update().synced);
}

#[tokio::test]
async fn a_reader_wakes_for_each_later_change() {
    let shared = SharedCluster::default();
    let mut versions = shared.subscribe();
    tokio::time::timeout(Duration::from_secs(5), versions.changed())
        .await
        .expect("the current version must count as unseen")
        .expect("sender alive");
    let seen = versions.borrow_and_update().generation;
    shared.update(|_| {});
    tokio::time::timeout(Duration::from_secs(5), versions.changed())
        .await
        .expect("a change after subscribing wakes the reader")
        .expect("sender alive");
    assert_eq!(versions.borrow_and_update().generation, seen + 1);
}

#[test]
fn a_source_waits_for_nobody_when_nobody_reads() {
    let shared = SharedCluster::default();
    let generation = shared.update(|_| {});
    let start = std::time::Instant::now();
    shared.wait_taken(generation, Duration::from_secs(30));
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "returned at once"
    );
}

#[test]
fn a_source_waits_until_the_reader_took_its_change_in() {
    let shared = SharedCluster::default();
    let _reader = shared.subscribe();
    let generation = shared.update(|_| {});
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(50));
            shared.take_in(|_| ());
        });
        let start = std::time::Instant::now();
        shared.wait_taken(generation, Duration::from_secs(30));
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "woken by the reader, not by the bound"
        );
        assert!(*shared.taken.lock().unwrap() >= generation);
    });
}
