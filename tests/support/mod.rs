//! Helpers shared by the integration tests. Each test binary includes this module with
//! `mod support;` and uses only part of it. The lab (namespaces, routers, the fake API
//! server, workloads) is the `lab` crate.

#![allow(dead_code)]

pub mod daemon;
