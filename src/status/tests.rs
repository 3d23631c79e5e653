use super::*;

/// Peer `name` at 10.0.0.2:179 that could not be started, for `error`.
pub(crate) fn failed_peer(name: &str, error: &str) -> ObservedPeer {
    ObservedPeer {
        name: name.into(),
        address: "10.0.0.2:179".parse().unwrap(),
        asn: 65000,
        run: PeerRun::StartFailed(std::sync::Arc::new(std::io::Error::other(error))),
        bfd: None,
    }
}

/// The first line of `text` that starts with `prefix`: a table row.
pub(crate) fn row<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("a row for {prefix} in:\n{text}"))
}

#[test]
fn a_peer_that_failed_to_start_is_shown_with_its_error() {
    let status = Status {
        node: "node-a".into(),
        synced: true,
        ready: false,
        not_ready: Some("peers not established: tor-b (failed)".into()),
        withdrawn: None,
        peers: vec![PeerView::of(&failed_peer(
            "tor-b",
            "peer tor-b: password_file: /x: cannot read",
        ))],
        routes: vec![],
    };
    let text = render_text(&status);
    assert!(
        text.contains("NOT ready: peers not established: tor-b (failed)"),
        "{text}"
    );
    let row = row(&text, "tor-b");
    assert!(row.contains("failed"), "{row}");
    assert!(row.ends_with("password_file: /x: cannot read"), "{row}");
}

#[test]
fn a_weighted_route_shows_the_weight_sent() {
    let attributes = bgp::rib_out::RouteAttributes {
        extended_communities: vec![bgp::wire::ExtendedCommunity::LinkBandwidth(
            bgp::wire::LinkBandwidth::new(65001, 3e6, false),
        )],
        ..Default::default()
    };
    let route = RouteTemplate {
        attributes: std::sync::Arc::new(attributes),
        peers: PeerSelection::All,
    };
    let view = RouteView::of(
        &"203.0.113.10/32".parse().unwrap(),
        &ServiceRefs::new(),
        &route,
    );
    assert_eq!(view.weight.as_deref(), Some("24Mbps"));
    let status = Status {
        node: "node-a".into(),
        synced: true,
        ready: true,
        not_ready: None,
        withdrawn: None,
        peers: vec![],
        routes: vec![view],
    };
    let text = render_text(&status);
    let row = text.lines().find(|l| l.contains("203.0.113.10")).unwrap();
    assert!(row.ends_with("weight 24Mbps"), "{row}");
}

#[test]
fn readiness_follows_ready_when() {
    let observed = Observed {
        ready_when: ReadyWhen::AnyPeer,
        ..Observed::default()
    };
    observed
        .synced
        .store(true, std::sync::atomic::Ordering::SeqCst);
    *observed.peers.lock().unwrap() = vec![failed_peer("tor-b", "no")];
    let status = observed.snapshot();
    assert!(!status.ready);
    assert_eq!(
        status.not_ready.as_deref(),
        Some("no peer established: tor-b (failed)")
    );
}
