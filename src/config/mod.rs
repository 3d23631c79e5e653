//! The config file (SPEC section 3): its typed form, loading and validation.
//!
//! Loading is three steps, each with its own module: `${VAR}` expansion of the text
//! ([`env`]), YAML into string-valued structs that refuse unknown keys (`raw`), and
//! validation into typed values (`validate`), which reports every problem at once,
//! each naming its field (`peers[1].address: ...`).

mod bfd;
mod env;
mod fields;
mod peer;
mod pools;
mod raw;
pub mod reload;
mod validate;
pub mod weighted;

pub use bfd::BfdConfig;
use bgp::wire::{Community, LargeCommunity};
use bgp::{Asn, Family, HoldTime, PeerKind, RestartTime, RouterId};
use ipnet::IpNet;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the config file is read from when `--config` is not given.
pub const DEFAULT_PATH: &str = "/etc/kube-anycast/config.yaml";

/// A validated config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// This node's name (the Node object to watch, `nodeName` of local endpoints).
    pub node_name: String,
    /// Our ASN.
    pub local_asn: Asn,
    /// BGP Identifier; when absent, the first IPv4 address of the host is used.
    pub router_id: Option<RouterId>,
    /// Where Services come from.
    pub source: SourceConfig,
    /// What may be announced.
    pub announce: AnnounceConfig,
    /// BGP peers.
    pub peers: Vec<PeerConfig>,
    /// Graceful restart (RFC 4724) restart time; zero: capability not sent.
    pub graceful_restart_time: RestartTime,
    /// What to do on SIGTERM.
    pub shutdown: ShutdownConfig,
    /// The HTTP listener for /metrics, /healthz, /readyz, /status.
    pub http_listen: SocketAddr,
    /// Which peers must be Established for `/readyz` to answer ready.
    pub ready_when: ReadyWhen,
}

/// `http.ready_when:`. A rolling upgrade waits for each pod to be ready; with one ToR in
/// maintenance, `all-peers` would stall the rollout on every node, `any-peer` does not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReadyWhen {
    /// Every peer configured for this node is Established.
    #[default]
    AllPeers,
    /// At least one peer configured for this node is Established.
    AnyPeer,
}

/// `source:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceConfig {
    /// The Kubernetes API (in-cluster, else KUBECONFIG / ~/.kube/config).
    Kubernetes,
    /// Manifest files or directories.
    Manifests(Vec<PathBuf>),
}

/// `announce.services:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceSelection {
    /// Every Service not opted out.
    All,
    /// Only Services annotated `kube-anycast.io/announce: "true"`.
    Annotated,
}

/// `announce:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnounceConfig {
    /// Only addresses inside these prefixes are ever announced. Empty: nothing is.
    pub allowed_cidrs: Vec<IpNet>,
    /// When not empty, an address is announced only for the namespaces of the pool that
    /// contains it (pools do not overlap).
    pub pools: Vec<Pool>,
    /// Which Services take part.
    pub services: ServiceSelection,
    /// Namespaces allowed; empty: all.
    pub namespaces: BTreeSet<String>,
    /// Communities put on every route.
    pub communities: Vec<Community>,
    /// Large communities put on every route.
    pub large_communities: Vec<LargeCommunity>,
    /// The only communities and large communities annotations may set.
    pub annotation_communities: Vec<crate::annotation_communities::CommunityPattern>,
    /// Services in different namespaces may share an externalIP.
    pub allow_cross_namespace_sharing: bool,
    /// Weighted anycast (`announce.weighted`).
    pub weighted: weighted::WeightedConfig,
}

/// One entry of `announce.pools:`: which namespaces may announce which prefixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool {
    /// Unique name, shown by `plan`; shared by every refusal that names it.
    pub name: std::sync::Arc<str>,
    /// Its prefixes.
    pub cidrs: Vec<IpNet>,
    /// The namespaces that may use it.
    pub namespaces: NamespaceScope,
}

/// The namespaces a pool is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceScope {
    /// `namespaces: [names]`.
    Names(BTreeSet<String>),
    /// `namespace_selector: {matchLabels: {...}}`: Namespaces carrying all these labels.
    Selector(BTreeMap<String, String>),
}

/// How the next hop of one family is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextHopChoice<A> {
    /// The session's local address for its own family; for the other family, this host's
    /// global address of that family on the interface that carries the session.
    Auto,
    /// This address.
    Address(A),
}

/// `shutdown.mode:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownModeConfig {
    /// Withdraw everything, wait `drain`, send Cease.
    Withdraw,
    /// Close without withdrawing where graceful restart was negotiated.
    GracefulRestart,
}

/// `shutdown:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShutdownConfig {
    /// Mode.
    pub mode: ShutdownModeConfig,
    /// Time between the withdraws and the Cease.
    pub drain: Duration,
}

/// One entry of `peers:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// Unique name, used in annotations, metrics and status.
    pub name: String,
    /// The router's address.
    pub address: IpAddr,
    /// The router's ASN.
    pub asn: Asn,
    /// eBGP or iBGP: `asn` against the file's `local_asn`.
    pub kind: PeerKind,
    /// TCP port.
    pub port: u16,
    /// Source address, TCP-MD5, TTL and GTSM of its connections.
    pub transport: TransportConfig,
    /// Hold time; keepalive is a third of it.
    pub hold_time: HoldTime,
    /// First connect retry interval.
    pub connect_retry: Duration,
    /// Wait for the router to connect.
    pub passive: bool,
    /// Families to negotiate.
    pub families: Vec<Family>,
    /// IPv4 next hop choice.
    pub next_hop_v4: NextHopChoice<Ipv4Addr>,
    /// IPv6 next hop choice.
    pub next_hop_v6: NextHopChoice<Ipv6Addr>,
    /// Only nodes whose labels include all of these peer with this router.
    pub node_selector: BTreeMap<String, String>,
    /// BFD to this peer.
    pub bfd: BfdConfig,
}

/// The transport settings of one entry of `peers:`: how its TCP connections are opened,
/// accepted and checked. Together they become the driver's transport; the BFD session
/// to the peer also follows the source address and the hop count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportConfig {
    /// Source address.
    pub local_address: Option<IpAddr>,
    /// TCP-MD5 password file.
    pub password_file: Option<PathBuf>,
    /// TTL of eBGP packets.
    pub ebgp_multihop: u8,
    /// GTSM (RFC 5082).
    pub ttl_security: bool,
}

/// Problems found in a config file, one line each, each naming its field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    /// One line per problem.
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(problem: String) -> ConfigError {
        ConfigError {
            problems: vec![problem],
        }
    }
}

impl Config {
    /// Reads, expands and validates the file at `path` with the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::one(format!("{}: cannot read: {e}", path.display())))?;
        Config::parse(&text, |name| std::env::var(name).ok())
    }

    /// Expands and validates config text, taking environment variables from `lookup`.
    pub fn parse(
        text: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let text = env::expand(text, lookup).map_err(|problems| ConfigError { problems })?;
        let raw: raw::RawConfig = if text.trim().is_empty() {
            raw::RawConfig::default()
        } else {
            serde_saphyr::from_str(&text).map_err(|e| ConfigError::one(yaml_error_line(&e)))?
        };
        validate::validate(raw).map_err(|problems| ConfigError { problems })
    }

    /// Reads every password file, so that `check` finds a missing one before `run` does.
    pub fn check_password_files(&self) -> Vec<String> {
        self.peers
            .iter()
            .enumerate()
            .filter_map(|(i, peer)| {
                let path = peer.transport.password_file.as_ref()?;
                read_password(path)
                    .err()
                    .map(|e| format!("peers[{i}].password_file: {e}"))
            })
            .collect()
    }
}

/// Why a TCP-MD5 password file gives no key.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It holds nothing but a newline.
    #[error("{}: the password is empty", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// It holds more than Linux takes.
    #[error("{}: the password is longer than 80 octets", path.display())]
    TooLong {
        /// The file.
        path: PathBuf,
    },
}

/// Reads a TCP-MD5 password: the file's content without its trailing newline.
/// RFC 2385 keys are at most 80 octets on Linux (TCP_MD5SIG_MAXKEYLEN).
pub fn read_password(path: &Path) -> Result<Vec<u8>, PasswordError> {
    let path_buf = || path.to_path_buf();
    let mut bytes = std::fs::read(path).map_err(|source| PasswordError::Unreadable {
        path: path_buf(),
        source,
    })?;
    while matches!(bytes.last(), Some(b'\n' | b'\r')) {
        bytes.pop();
    }
    match bytes.len() {
        0 => Err(PasswordError::Empty { path: path_buf() }),
        81.. => Err(PasswordError::TooLong { path: path_buf() }),
        _ => Ok(bytes),
    }
}

/// serde-saphyr's message, folded to one line (it may carry a source snippet).
fn yaml_error_line(error: &serde_saphyr::Error) -> String {
    let text = error.to_string();
    let first = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid YAML");
    format!("config: {}", first.trim())
}

#[cfg(test)]
mod tests;
