//! A minimal, production-grade BGP-4 speaker core.
//!
//! What it is: the pieces a route *originator* needs to keep sessions with routers and
//! tell them about prefixes it owns.
//! - [`wire`]: bytes to typed messages and back (RFC 4271, 4760, 6793, 2918, 4724, 8654,
//!   9072, 7606, 9003, ...). Decoding never panics; malformed input becomes an error value
//!   carrying the exact NOTIFICATION, or an RFC 7606 per-attribute action.
//! - [`session`]: the RFC 4271 finite state machine with no I/O. Events in, actions out;
//!   timers are data. Every protocol rule is testable without a socket or a clock.
//! - [`rib_out`]: the Adj-RIB-Out of one peer: desired routes against what the peer was
//!   sent, turned into packed UPDATEs.
//! - [`speaker`]: one peer above the session machine, also without I/O: route commands,
//!   announcement coalescing, output bounds, End-of-RIB and the shutdown phases.
//! - [`driver`]: a thin tokio layer: sockets (TCP-MD5, TTL/GTSM, source address), one task
//!   per peer, and a handle to feed routes in and read state out.
//!
//! What it is not: there is no Loc-RIB, no best-path selection and no FIB. Routes received
//! from peers are validated and counted, never installed. It knows nothing of Kubernetes
//! or of any configuration file format.

mod code_point;
pub mod driver;
#[doc(hidden)]
pub mod fuzzing;
pub mod prefix_map;
pub mod rib_out;
pub mod session;
pub mod speaker;
pub mod types;
pub mod wire;

pub use types::{Afi, Asn, Family, HoldTime, PeerKind, RestartTime, RouterId, Safi, ValueError};
