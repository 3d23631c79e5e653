//! Bidirectional Forwarding Detection, as a sans-IO core with a thin tokio driver.
//!
//! What it is: what a host needs to tell a router, within a few hundred milliseconds, that
//! the path between them works (and to learn the same of the router).
//! - [`packet`]: the RFC 5880 section 4.1 control packet, bytes to typed values and back.
//!   Decoding never panics; the checks of section 6.8.6 that need no session state are
//!   errors.
//! - [`session`]: the RFC 5880 asynchronous-mode state machine with no I/O. Events in
//!   (a packet, a timer, admin up/down, new timers), actions out (packets to send, state
//!   changes, the next deadline). Every rule is testable without a socket or a clock.
//! - [`driver`]: tokio sockets for RFC 5881 single-hop (UDP 3784, TTL 255 both ways) and
//!   RFC 5883 multihop (UDP 4784), discriminator demultiplexing, and a handle per session.
//!
//! What it is not: no demand mode (section 6.6), no echo function (6.4), no
//! authentication (6.7). It knows nothing of BGP, Kubernetes or any configuration file.

pub mod driver;
#[doc(hidden)]
pub mod fuzzing;
pub mod packet;
pub mod session;

pub use packet::{Diagnostic, Packet, State};
pub use session::{Session, SessionConfig};
