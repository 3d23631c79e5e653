//! Our speaker against GoBGP 3.10 in network namespaces: eBGP and iBGP over IPv4 and IPv6
//! transport with host routes of both families, TCP-MD5, and recovery from a router
//! crash, a reset (with GoBGP's hold-down) and a silent path loss.

lab::interop_suite!(every_router: lab::gobgp::Gobgp);
