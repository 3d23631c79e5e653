//! Helpers shared by the integration tests. Each test binary includes this module with
//! `mod support;` and uses only part of it.

#![allow(dead_code)]

pub mod daemon;
pub mod fake_apiserver;
