use super::*;
use crate::decide::PeerSelection;
use bgp::rib_out::RouteAttributes;
use bgp::wire::{ExtendedCommunity, LinkBandwidth};
use std::sync::Arc;

fn route(bandwidth: f32) -> RouteTemplate {
    RouteTemplate {
        attributes: Arc::new(RouteAttributes {
            extended_communities: vec![ExtendedCommunity::LinkBandwidth(LinkBandwidth::new(
                65001, bandwidth, false,
            ))],
            ..RouteAttributes::default()
        }),
        peers: PeerSelection::All,
    }
}

fn prefix() -> IpNet {
    "203.0.113.10/32".parse().unwrap()
}

fn bandwidth(hold: &WeightHold, decided: &RouteTemplate) -> Option<f32> {
    hold.effective(&prefix(), Some(decided))
        .and_then(|r| bytes_per_second(&r.attributes))
}

/// One decision: the route goes from `old` to `new` at `now`.
fn change(hold: &mut WeightHold, now: Instant, old: &RouteTemplate, new: Option<&RouteTemplate>) {
    hold.observe(now, &[(prefix(), old.clone())], |_| new);
}

/// The decided `bytes_per_second` goes out now, and no hold is left to end.
fn assert_sent_at_once(hold: &WeightHold, decided: &RouteTemplate, bytes_per_second: f32) {
    assert_eq!(bandwidth(hold, decided), Some(bytes_per_second));
    assert_eq!(hold.next_release(), None);
}

#[test]
fn an_increase_is_sent_at_once() {
    let mut hold = WeightHold::default();
    let (one, three) = (route(1.0), route(3.0));
    change(&mut hold, Instant::now(), &one, Some(&three));
    assert_sent_at_once(&hold, &three, 3.0);
}

#[test]
fn a_withdraw_is_never_held() {
    let mut hold = WeightHold::default();
    let t0 = Instant::now();
    change(&mut hold, t0, &route(3.0), None);
    assert_eq!(hold.effective(&prefix(), None), None);
    assert_eq!(hold.next_release(), None);
}

#[test]
fn a_decrease_is_held_then_sent_once_with_the_latest_value() {
    let mut hold = WeightHold::new(Duration::from_secs(5));
    let t0 = Instant::now();
    let (three, two, one) = (route(3.0), route(2.0), route(1.0));
    change(&mut hold, t0, &three, Some(&two));
    assert_eq!(bandwidth(&hold, &two), Some(3.0), "held at the sent value");
    // A second decrease during the hold does not extend it.
    change(&mut hold, t0 + Duration::from_secs(2), &two, Some(&one));
    assert_eq!(bandwidth(&hold, &one), Some(3.0));
    assert!(hold.release(t0 + Duration::from_millis(4999)).is_empty());
    assert_eq!(hold.next_release(), Some(t0 + Duration::from_secs(5)));
    assert_eq!(hold.release(t0 + Duration::from_secs(5)), vec![prefix()]);
    assert_eq!(
        bandwidth(&hold, &one),
        Some(1.0),
        "the latest value goes out"
    );
    assert_eq!(hold.next_release(), None);
}

#[test]
fn an_increase_during_a_hold_ends_it_at_once() {
    let mut hold = WeightHold::default();
    let t0 = Instant::now();
    let (three, two, four) = (route(3.0), route(2.0), route(4.0));
    change(&mut hold, t0, &three, Some(&two));
    change(&mut hold, t0 + Duration::from_secs(1), &two, Some(&four));
    assert_sent_at_once(&hold, &four, 4.0);
}

#[test]
fn a_decrease_with_another_attribute_change_is_not_held() {
    let mut hold = WeightHold::default();
    let t0 = Instant::now();
    let three = route(3.0);
    let mut one = route(1.0);
    Arc::make_mut(&mut one.attributes).med = Some(10);
    change(&mut hold, t0, &three, Some(&one));
    assert_eq!(bandwidth(&hold, &one), Some(1.0));
}
