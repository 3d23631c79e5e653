//! Announces prefixes to one router and prints every status change: a manual check of
//! the driver against a real BGP implementation.
//!
//! ```text
//! cargo run -p bgp --example originate -- --remote 10.0.0.1:179 --local-asn 65001 \
//!     --peer-asn 65000 --router-id 10.0.0.2 [--local 10.0.0.2] [--listen [::]:179] \
//!     [--md5 KEY] [--ttl N] [--gtsm] [--graceful-restart] [--seconds N] \
//!     [--keep-routes] [--generate N] PREFIX...
//! ```
//!
//! `--generate N` adds N host routes from 100.64.0.0 upwards.

use bgp::driver::{PeerConfig, RouteChange, ShutdownMode, Speaker, Transport};
use bgp::rib_out::RouteAttributes;
use bgp::session::{GracefulRestartConfig, SessionConfig};
use bgp::{Asn, Family, RouterId};
use std::sync::Arc;
use std::time::Duration;

fn usage(msg: &str) -> ! {
    eprintln!("originate: {msg} (see the source for usage)");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut remote, mut local, mut listen, mut md5, mut ttl) = (None, None, None, None, None);
    let (mut local_asn, mut peer_asn, mut router_id) = (None, None, None);
    let (mut gtsm, mut gr, mut keep, mut seconds) = (false, false, false, 10u64);
    let mut prefixes = Vec::new();
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--remote" => remote = val().parse().ok(),
            "--local" => local = val().parse().ok(),
            "--listen" => listen = val().parse().ok(),
            "--md5" => md5 = Some(val().into_bytes().into()),
            "--ttl" => ttl = val().parse().ok(),
            "--local-asn" => local_asn = val().parse().ok(),
            "--peer-asn" => peer_asn = val().parse().ok(),
            "--router-id" => router_id = val().parse().ok(),
            "--seconds" => seconds = val().parse().unwrap_or_else(|_| usage("bad --seconds")),
            "--gtsm" => gtsm = true,
            "--graceful-restart" => gr = true,
            "--keep-routes" => keep = true,
            "--generate" => {
                let n: u32 = val().parse().unwrap_or_else(|_| usage("bad --generate"));
                prefixes.extend((0..n).map(|i| {
                    let ip = std::net::Ipv4Addr::from(0x6440_0000u32.wrapping_add(i));
                    ipnet::IpNet::V4(ipnet::Ipv4Net::from(ip))
                }));
            }
            p => prefixes.push(
                p.parse()
                    .unwrap_or_else(|_| usage(&format!("bad prefix {p}"))),
            ),
        }
    }
    let session = SessionConfig {
        local_asn: Asn(local_asn.unwrap_or_else(|| usage("--local-asn missing"))),
        peer_asn: Asn(peer_asn.unwrap_or_else(|| usage("--peer-asn missing"))),
        router_id: RouterId::new(router_id.unwrap_or_else(|| usage("--router-id missing")))
            .unwrap_or_else(|e| usage(&format!("--router-id: {e}"))),
        hold_time: bgp::HoldTime::new(9).expect("a valid constant"),
        connect_retry: Duration::from_secs(1),
        connect_retry_max: Duration::from_secs(10),
        passive: false,
        families: Family::ALL.to_vec(),
        graceful_restart: gr.then_some(GracefulRestartConfig {
            restart_time: bgp::RestartTime::new(120).expect("a valid constant"),
            restarting: false,
        }),
        hostname: Some("originate".into()),
        extended_message: true,
        send_hold_time: None,
    };
    let speaker = Speaker::bind(listen).await.expect("bind");
    let peer = speaker
        .add_peer(PeerConfig {
            name: "router".into(),
            remote: remote.unwrap_or_else(|| usage("--remote missing")),
            transport: Transport {
                local_address: local,
                md5_password: md5,
                ttl,
                ttl_security: gtsm,
            },
            next_hop_v4: None,
            next_hop_v6: None,
            session,
        })
        .expect("add peer");
    let changes: Vec<RouteChange> = prefixes
        .into_iter()
        .map(|p| RouteChange::Announce(p, Arc::new(RouteAttributes::default())))
        .collect();
    peer.update(changes).await;
    // That was the whole set: End-of-RIB may follow it.
    peer.initial_set_complete().await;
    let mut rx = peer.watch();
    let deadline = tokio::time::sleep(Duration::from_secs(seconds));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => break,
            r = rx.changed() => {
                if r.is_err() { break; }
                let s = rx.borrow_and_update().clone();
                println!("{:?} sent={} error={:?} counters={:?}",
                    s.state, s.prefixes_sent, s.last_error, s.counters);
            }
        }
    }
    let mode = if keep {
        ShutdownMode::KeepRoutes
    } else {
        ShutdownMode::Withdraw {
            drain: Duration::from_secs(1),
        }
    };
    peer.shutdown(mode, "originate example done").await;
    let s = peer.status();
    println!(
        "final {:?} error={:?} counters={:?}",
        s.state, s.last_error, s.counters
    );
}
