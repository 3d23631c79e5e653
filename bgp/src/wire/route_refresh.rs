//! ROUTE-REFRESH messages (RFC 2918, with the subtypes of RFC 7313).

use crate::types::{Afi, Safi};

/// The "Reserved" octet of RFC 2918, which RFC 7313 made a message subtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteRefreshSubtype {
    /// 0: a normal route refresh request.
    Request,
    /// 1: Beginning of Route Refresh (BoRR).
    Begin,
    /// 2: End of Route Refresh (EoRR).
    End,
    /// Anything else: RFC 7313 says to ignore the message.
    Unknown(u8),
}

/// A ROUTE-REFRESH message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteRefresh {
    /// AFI asked for.
    pub afi: Afi,
    /// SAFI asked for.
    pub safi: Safi,
    /// Subtype.
    pub subtype: RouteRefreshSubtype,
}
