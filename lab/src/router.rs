//! The common face of the routers the interop scenarios run against.

use crate::rib;

/// What the shared scenarios need from a router, for its first configured peer.
pub trait LabRouter {
    /// A name for messages ("FRR", "BIRD", "GoBGP").
    fn describe(&self) -> &'static str;
    /// The FSM state of the session with our speaker, named as in RFC 4271.
    fn session_state(&self) -> Result<String, String>;
    /// The routes the router learned from our speaker, with next hops.
    fn rib(&self) -> Result<rib::Rib, String>;
    /// True when [`LabRouter::rib`] includes the IPv6 link-local next hop (RFC 2545) next
    /// to the global one.
    fn shows_link_local_next_hop(&self) -> bool;
    /// SIGKILL by recorded pid.
    fn kill(&mut self);
    /// Start again with the same configuration.
    fn restart(&mut self);
    /// The end of the router's log, for failure messages.
    fn log_tail(&self) -> String;
}
