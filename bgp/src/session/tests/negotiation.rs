//! What both sides agree from the OPEN exchange, and the OPEN we build.

use super::*;

#[test]
fn hold_time_is_the_smaller_proposal_and_keepalive_a_third() {
    for (case, ours, theirs, expected) in [
        (
            "the peer proposes less",
            HoldTime::new(90).unwrap(),
            30,
            (30, 10),
        ),
        ("we propose less", HoldTime::new(90).unwrap(), 240, (90, 30)),
        ("we propose none", HoldTime::NONE, 90, (0, 0)),
    ] {
        let cfg = SessionConfig {
            hold_time: ours,
            ..config()
        };
        let open = Open {
            hold_time: theirs,
            ..peer_open()
        };
        let n = negotiate_open(cfg, open).expect(case);
        assert_eq!((n.hold_time, n.keepalive), expected, "{case}");
    }
}

#[test]
fn families_are_those_both_sides_announce() {
    let open = Open {
        capabilities: vec![
            Capability::Multiprotocol {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
            },
            Capability::Multiprotocol {
                afi: Afi::Ipv4,
                safi: Safi::Unknown(128),
            },
            Capability::FourOctetAs(Asn(65002)),
        ],
        ..peer_open()
    };
    let n = negotiate_open(config(), open).expect("ok");
    assert_eq!(n.families, vec![Family::Ipv6Unicast]);
    let n = negotiate_open(
        SessionConfig {
            families: vec![Family::Ipv4Unicast],
            ..config()
        },
        peer_open(),
    )
    .expect("ok");
    assert_eq!(n.families, vec![Family::Ipv4Unicast]);
}

#[test]
fn peer_without_multiprotocol_capability_implies_ipv4_unicast() {
    let open = Open {
        capabilities: vec![Capability::FourOctetAs(Asn(65002))],
        ..peer_open()
    };
    let n = negotiate_open(config(), open.clone()).expect("ok");
    assert_eq!(n.families, vec![Family::Ipv4Unicast]);
    let n = negotiate_open(
        SessionConfig {
            families: vec![Family::Ipv6Unicast],
            ..config()
        },
        open,
    )
    .expect("ok");
    assert_eq!(
        n.families,
        vec![],
        "IPv4 implied, but we did not ask for it"
    );
}

#[test]
fn four_octet_as_negotiated_only_when_both_announce() {
    let n = negotiate_open(config(), peer_open()).expect("ok");
    assert!(n.four_octet_as && n.context.four_octet_as);
    let open = Open {
        capabilities: vec![Capability::RouteRefresh],
        ..peer_open()
    };
    let n = negotiate_open(config(), open).expect("ok");
    assert!(!n.four_octet_as && !n.context.four_octet_as);
    assert!(
        s_open_has(&config(), |c| matches!(
            c,
            Capability::FourOctetAs(Asn(65001))
        )),
        "we always announce it"
    );
}

fn s_open_has(cfg: &SessionConfig, pred: impl Fn(&Capability) -> bool) -> bool {
    negotiate::build_open(cfg, false)
        .capabilities
        .iter()
        .any(pred)
}

#[test]
fn extended_message_negotiated_only_when_both_announce() {
    let with_ext = Open {
        capabilities: [peer_open().capabilities, vec![Capability::ExtendedMessage]].concat(),
        ..peer_open()
    };
    let ours = SessionConfig {
        extended_message: true,
        ..config()
    };
    let n = negotiate_open(ours.clone(), with_ext.clone()).expect("ok");
    assert!(n.extended_message);
    assert_eq!(n.context.max_message_len, 65535);
    let n = negotiate_open(config(), with_ext).expect("ok");
    assert!(!n.extended_message);
    assert_eq!(n.context.max_message_len, 4096);
    let n = negotiate_open(ours, peer_open()).expect("ok");
    assert!(!n.extended_message);
    assert_eq!(n.context.max_message_len, 4096);
}

#[test]
fn context_is_ebgp_when_asns_differ() {
    let n = negotiate_open(config(), peer_open()).expect("ok");
    assert!(n.context.ebgp);
    let ibgp = config_for_peer(Asn(65001));
    let n = negotiate_open(ibgp, open_from_as(65001, Some(Asn(65001)))).expect("ok");
    assert!(!n.context.ebgp);
}

#[test]
fn peer_graceful_restart_and_hostname_are_reported() {
    let gr = GracefulRestart {
        restart_state: true,
        notification: false,
        restart_time: 120,
        families: vec![],
    };
    let open = Open {
        capabilities: [
            peer_open().capabilities,
            vec![
                Capability::GracefulRestart(gr.clone()),
                Capability::Hostname {
                    hostname: "tor1".into(),
                    domain: "lab".into(),
                },
            ],
        ]
        .concat(),
        ..peer_open()
    };
    let n = negotiate_open(config(), open).expect("ok");
    assert_eq!(n.peer_graceful_restart, Some(gr));
    assert_eq!(n.peer_hostname.as_deref(), Some("tor1"));
    let n = negotiate_open(config(), peer_open()).expect("ok");
    assert_eq!((n.peer_graceful_restart, n.peer_hostname), (None, None));
}

/// A 4-octet ASN and every optional capability configured; `restarting` after a restart
/// of ours (RFC 4724).
fn config_with_every_option(restarting: bool) -> SessionConfig {
    SessionConfig {
        local_asn: Asn(4_200_000_001),
        extended_message: true,
        graceful_restart: Some(GracefulRestartConfig {
            restart_time: RestartTime::new(120).unwrap(),
            restarting,
        }),
        hostname: Some("node-a".into()),
        ..config()
    }
}

#[test]
fn open_announces_as_trans_for_4_octet_asn_and_configured_capabilities() {
    let open = negotiate::build_open(&config_with_every_option(true), true);
    assert_eq!(open.version, 4);
    assert_eq!(open.my_as, 23456);
    assert_eq!(open.hold_time, 90);
    assert_eq!(open.router_id, rid(10, 0, 0, 1));
    assert_eq!(open.asn(), Asn(4_200_000_001));
    let caps = &open.capabilities;
    assert!(caps.contains(&Capability::Multiprotocol {
        afi: Afi::Ipv4,
        safi: Safi::Unicast
    }));
    assert!(caps.contains(&Capability::Multiprotocol {
        afi: Afi::Ipv6,
        safi: Safi::Unicast
    }));
    assert!(caps.contains(&Capability::RouteRefresh));
    assert!(caps.contains(&Capability::ExtendedMessage));
    assert!(!caps.contains(&Capability::EnhancedRouteRefresh));
    assert!(
        caps.contains(&Capability::GracefulRestart(GracefulRestart {
            restart_state: true,
            notification: false,
            restart_time: 120,
            families: Family::ALL
                .map(|f| GracefulRestartFamily::new(f, true))
                .to_vec(),
        }))
    );
    assert!(caps.contains(&Capability::Hostname {
        hostname: "node-a".into(),
        domain: String::new()
    }));
}

#[test]
fn open_without_optional_config_has_no_optional_capabilities() {
    let open = negotiate::build_open(&config(), false);
    assert_eq!(open.my_as, 65001);
    assert!(!open.capabilities.iter().any(|c| matches!(
        c,
        Capability::ExtendedMessage | Capability::GracefulRestart(_) | Capability::Hostname { .. }
    )));
}

#[test]
fn our_open_survives_the_codec_and_a_mirrored_peer_accepts_it() {
    let open = negotiate::build_open(&config_with_every_option(false), false);
    let mut buf = bytes::BytesMut::new();
    Message::Open(open.clone())
        .encode(&SessionContext::default(), &mut buf)
        .expect("encodes");
    let decoded = Message::decode(&buf, &SessionContext::default()).expect("decodes");
    assert_eq!(decoded, Message::Open(open.clone()));
    // A peer configured the other way round accepts it and agrees on everything.
    let mirror = SessionConfig {
        local_asn: Asn(65002),
        peer_asn: Asn(4_200_000_001),
        router_id: rid(10, 0, 0, 2),
        extended_message: true,
        ..config()
    };
    let n = negotiate::negotiate(&mirror, &open).expect("accepted");
    assert_eq!(n.peer_asn, Asn(4_200_000_001));
    assert_eq!(n.families, vec![Family::Ipv4Unicast, Family::Ipv6Unicast]);
    assert!(n.four_octet_as && n.route_refresh && n.extended_message);
    assert_eq!(n.peer_hostname.as_deref(), Some("node-a"));
    assert_eq!(n.peer_graceful_restart.map(|g| g.restart_time), Some(120));
}

#[test]
fn every_message_the_machine_sends_encodes() {
    // A run through establishment, keepalives, collisions, errors and a stop.
    let mut s = Session::new(config(), 9);
    let mut actions = s.handle(Event::Start);
    for event in [
        connected(OUT, Direction::Outbound),
        connected(IN, Direction::Inbound),
        recv(OUT, Message::Open(peer_open())),
        recv(IN, Message::Keepalive),
        Event::TimerExpired(Timer::Keepalive(IN)),
        Event::TimerExpired(Timer::Hold(IN)),
        Event::TimerExpired(Timer::ConnectRetry),
        connected(ConnectionId(5), Direction::Outbound),
        Event::Stop(Notification::cease_with_reason(
            cease_subcode::ADMINISTRATIVE_SHUTDOWN,
            "node drained for maintenance",
        )),
    ] {
        actions.extend(s.handle(event));
    }
    let messages: Vec<&Message> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    assert!(messages.len() >= 6, "{messages:?}");
    for m in messages {
        let mut buf = bytes::BytesMut::new();
        m.encode(&SessionContext::default(), &mut buf)
            .unwrap_or_else(|e| panic!("{m:?}: {e}"));
        assert_eq!(
            &Message::decode(&buf, &SessionContext::default()).expect("decodes"),
            m
        );
    }
}
