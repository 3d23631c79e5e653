use super::*;

const UP: PeerCondition = PeerCondition::Session(State::Established);
const CONNECTING: PeerCondition = PeerCondition::Session(State::Active);

#[test]
fn nothing_is_ready_before_the_sources_sync() {
    for when in [ReadyWhen::AllPeers, ReadyWhen::AnyPeer] {
        assert_eq!(
            readiness(false, &[("tor-a", UP)], when),
            Err(NotReady::NotSynced)
        );
    }
}

#[test]
fn all_peers_needs_every_peer_established() {
    assert_eq!(
        readiness(true, &[("tor-a", UP), ("tor-b", UP)], ReadyWhen::AllPeers),
        Ok(())
    );
    let err = readiness(
        true,
        &[("tor-a", UP), ("tor-b", CONNECTING)],
        ReadyWhen::AllPeers,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "peers not established: tor-b (active)");
}

#[test]
fn a_peer_that_failed_to_start_counts_as_down() {
    let err = readiness(
        true,
        &[("tor-a", UP), ("tor-b", PeerCondition::StartFailed)],
        ReadyWhen::AllPeers,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "peers not established: tor-b (failed)");
    assert!(
        readiness(
            true,
            &[("tor-b", PeerCondition::StartFailed)],
            ReadyWhen::AnyPeer
        )
        .is_err()
    );
}

#[test]
fn any_peer_needs_one_established_peer() {
    assert_eq!(
        readiness(
            true,
            &[("tor-a", CONNECTING), ("tor-b", UP)],
            ReadyWhen::AnyPeer
        ),
        Ok(())
    );
    let err = readiness(
        true,
        &[
            ("tor-a", CONNECTING),
            ("tor-b", PeerCondition::Session(State::OpenSent)),
        ],
        ReadyWhen::AnyPeer,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no peer established: tor-a (active), tor-b (opensent)"
    );
}

#[test]
fn conditions_are_lowercase_words_in_json_and_back() {
    let all = STATES
        .into_iter()
        .map(PeerCondition::Session)
        .chain([PeerCondition::StartFailed]);
    for condition in all {
        let json = serde_json::to_string(&condition).unwrap();
        assert_eq!(json, format!("\"{}\"", condition.name()));
        assert_eq!(
            serde_json::from_str::<PeerCondition>(&json).unwrap(),
            condition
        );
    }
    assert_eq!(serde_json::to_string(&UP).unwrap(), "\"established\"");
    assert!(serde_json::from_str::<PeerCondition>("\"Established\"").is_err());
}

#[test]
fn a_node_without_peers_is_ready_once_synced() {
    for when in [ReadyWhen::AllPeers, ReadyWhen::AnyPeer] {
        assert_eq!(readiness(true, &[], when), Ok(()));
    }
}
