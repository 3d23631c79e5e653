//! The containerlab testbed's FRR routers (`testbed/containerlab/frr/<name>/frr.conf`),
//! rendered by [`crate::frr::tor`] like the lab's ToR, so both keep one policy. `lab
//! containerlab-frr` writes them; `lab/tests/containerlab_frr.rs` checks the committed
//! files are what it writes.

use crate::frr::tor::{TorBgp, TorInterface, TorNodes};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// The FRR image's version line.
const FRR_VERSION: &str = "10.2";
/// The nodes' ASN (deploy/overlays/containerlab).
const NODES_ASN: u32 = 65010;

fn net(addr: impl Into<std::net::IpAddr>, len: u8) -> IpNet {
    IpNet::new(addr.into(), len).unwrap_or_else(|_| unreachable!("the lab's prefixes are valid"))
}

/// One router's file: its place under `testbed/containerlab/` and its text.
pub fn router_files() -> Vec<(PathBuf, String)> {
    // (name, last octet / group of its rack address, whether it has the client segment)
    [("tor-a", 2u8, true), ("tor-b", 3u8, false)]
        .into_iter()
        .map(|(name, host, client)| {
            let mut interfaces = vec![TorInterface {
                name: "eth1".into(),
                description: "rack segment br-rack".into(),
                addresses: vec![
                    net(Ipv4Addr::new(10, 0, 1, host), 24),
                    net(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, host.into()), 64),
                ],
            }];
            if client {
                interfaces.push(TorInterface {
                    name: "eth2".into(),
                    description: "client segment".into(),
                    addresses: vec![
                        net(Ipv4Addr::new(10, 0, 2, 1), 24),
                        net(Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 1), 64),
                    ],
                });
            }
            let bgp = TorBgp {
                hostname: name.into(),
                asn: 65000,
                router_id: Ipv4Addr::new(10, 0, 1, host),
                pool_v4: Ipv4Net::new(Ipv4Addr::new(203, 0, 113, 0), 24)
                    .unwrap_or_else(|_| unreachable!("valid prefix")),
                pool_v6: Ipv6Net::new(Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0), 64)
                    .unwrap_or_else(|_| unreachable!("valid prefix")),
                nodes: TorNodes::ListenRange {
                    range: net(Ipv4Addr::new(10, 0, 1, 0), 24),
                    remote_as: NODES_ASN,
                    limit: 64,
                },
                password: Some(format!("lab-md5-{name}")),
                passive: false,
                hold_time: 9,
                graceful_restart: true,
                bfd_profile: None,
                maximum_paths: 64,
            };
            let first =
                format!("{name}: a top-of-rack router of the kube-anycast testbed (kube-anycast.clab.yml).");
            let comment = [
                first.as_str(),
                "The nodes (AS 65010) connect to it from the rack segment; it accepts from them only",
                "host routes inside the anycast pool, the pool of deploy/overlays/containerlab/, and",
                "spreads traffic over every node that announces one (ECMP).",
            ];
            (
                PathBuf::from(format!("frr/{name}/frr.conf")),
                bgp.frr_conf(&comment, FRR_VERSION, &interfaces),
            )
        })
        .collect()
}

/// Writes every router file under `dir` (the `testbed/containerlab` directory).
pub fn write_router_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    router_files()
        .into_iter()
        .map(|(path, text)| {
            let path = dir.join(path);
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(path)
        })
        .collect()
}
