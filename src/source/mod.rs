//! Where cluster state comes from: the Kubernetes API ([`kubernetes`]) or manifest files
//! ([`manifests`]). Both fill a [`SharedCluster`] that the daemon decides from.

pub mod kubernetes;
pub mod manifest_set;
pub mod manifest_source;
pub mod manifests;
pub mod shared;
pub mod watch;

pub use shared::{SharedCluster, Version};
