use super::*;
use rand::SeedableRng;
use rand::rngs::SmallRng;

const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn backoff_doubles_from_base_and_stops_at_cap() {
    let got: Vec<_> = (0..6).map(|a| backoff(S(5), S(60), a)).collect();
    assert_eq!(got, vec![S(5), S(10), S(20), S(40), S(60), S(60)]);
}

#[test]
fn backoff_never_overflows_on_huge_attempt_counts() {
    assert_eq!(backoff(S(5), S(300), 31), S(300));
    assert_eq!(backoff(S(5), S(300), 32), S(300));
    assert_eq!(backoff(S(5), S(300), u32::MAX), S(300));
    assert_eq!(backoff(Duration::MAX, Duration::MAX, 3), Duration::MAX);
}

#[test]
fn backoff_cap_below_base_uses_base() {
    assert_eq!(backoff(S(30), S(10), 4), S(30));
}

#[test]
fn jitter_stays_between_three_quarters_and_the_value() {
    let mut rng = SmallRng::seed_from_u64(7);
    let mut distinct = std::collections::HashSet::new();
    for _ in 0..1000 {
        let j = jitter(S(100), &mut rng);
        assert!(j >= S(75) && j <= S(100), "{j:?}");
        distinct.insert(j);
    }
    assert!(distinct.len() > 100, "jitter must vary");
}

#[test]
fn send_hold_default_is_max_of_8_minutes_and_twice_hold() {
    assert_eq!(default_send_hold(S(90)), S(480));
    assert_eq!(default_send_hold(S(0)), S(480));
    assert_eq!(default_send_hold(S(300)), S(600));
}

#[test]
fn stable_period_is_hold_time_at_least_90_seconds() {
    assert_eq!(stable_after(0), S(90));
    assert_eq!(stable_after(9), S(90));
    assert_eq!(stable_after(180), S(180));
}
