//! The common face of the routers the interop scenarios run against.

use crate::{CONVERGE, rib, wait_until};

/// What the shared scenarios need from a router, for its first configured peer.
pub trait LabRouter {
    /// A name for messages ("FRR", "BIRD", "GoBGP").
    fn describe(&self) -> &'static str;
    /// The FSM state of the session with our speaker, named as in RFC 4271.
    fn session_state(&self) -> Result<String, String>;
    /// The routes the router learned from our speaker, with next hops.
    fn rib(&self) -> Result<rib::Rib, String>;
    /// True when [`LabRouter::rib`] includes the IPv6 link-local next hop (RFC 2545) next
    /// to the global one, as most routers show it.
    fn shows_link_local_next_hop(&self) -> bool {
        true
    }
    /// SIGKILL by recorded pid.
    fn kill(&mut self);
    /// Start again with the same configuration.
    fn restart(&mut self);
    /// The end of the router's log, for failure messages.
    fn log_tail(&self) -> String;
}

/// The first of `router`'s configured peers: the one the shared scenarios talk to.
pub(crate) fn first_peer<'a, P>(router: &impl LabRouter, peers: &'a [P]) -> Result<&'a P, String> {
    peers
        .first()
        .ok_or_else(|| format!("{} has no peer configured", router.describe()))
}

/// Waits until `state`, of `router`'s session `which` (`with ADDRESS`, `on PROTOCOL`),
/// is Established; until then the state and the router's log tail say why not.
pub(crate) fn wait_established(
    router: &impl LabRouter,
    ns: &str,
    which: &str,
    mut state: impl FnMut() -> Result<String, String>,
) {
    wait_until(
        &format!("{} in {ns} to reach Established {which}", router.describe()),
        CONVERGE,
        || match state()? {
            s if s == "Established" => Ok(()),
            s => Err(format!("state {s}; {}", router.log_tail())),
        },
    );
}
