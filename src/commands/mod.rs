//! The subcommands of the `kube-anycast` binary, one module each.

pub mod check;
pub mod plan;
