//! The end of a relist, with keys as the watcher makes them from listed objects: what was
//! listed stays, what was not goes, for every kind.

use super::*;
use lab::objects::{Endpoint, Namespace, Node, Service, Slice};
use serde_json::Value;

/// Lists `objects` into `state` as a relist does: each one upserted, its key kept.
fn relist<K: Tracked>(state: &mut ClusterState, objects: Vec<Value>) -> HashSet<ObjectKey> {
    let mut listed = HashSet::new();
    for object in objects {
        let object: K = serde_json::from_value(object).expect("a printed object parses");
        let (key, slim) = object.slim().expect("it has a name");
        listed.insert(key.clone());
        K::upsert(state, key, slim);
    }
    listed
}

#[test]
fn a_relist_keeps_the_listed_namespaces_and_drops_the_others() {
    let mut state = ClusterState::default();
    relist::<NamespaceObject>(
        &mut state,
        vec![
            Namespace::new("shop").build(),
            Namespace::new("gone").build(),
        ],
    );
    let listed = relist::<NamespaceObject>(&mut state, vec![Namespace::new("shop").build()]);
    NamespaceObject::retain(&mut state, &listed);
    let names: Vec<&String> = state.namespaces().keys().collect();
    assert_eq!(names, ["shop"]);
}

#[test]
fn a_relist_keeps_the_listed_services_and_slices_and_drops_the_others() {
    let mut state = ClusterState::default();
    let services = |names: &[&str]| -> Vec<Value> {
        names
            .iter()
            .map(|n| {
                Service::new("shop", n)
                    .external_ips(["203.0.113.1"])
                    .build()
            })
            .collect()
    };
    let slices = |names: &[&str]| -> Vec<Value> {
        names
            .iter()
            .map(|n| {
                Slice::new("shop", n)
                    .endpoint(Endpoint::ready("10.0.0.1", "node-a"))
                    .build()
            })
            .collect()
    };
    relist::<ServiceObject>(&mut state, services(&["web", "old"]));
    relist::<SliceObject>(&mut state, slices(&["web", "old"]));
    let listed = relist::<ServiceObject>(&mut state, services(&["web"]));
    ServiceObject::retain(&mut state, &listed);
    let listed = relist::<SliceObject>(&mut state, slices(&["web"]));
    SliceObject::retain(&mut state, &listed);
    let services: Vec<String> = state.services().keys().map(ToString::to_string).collect();
    assert_eq!(services, ["shop/web"]);
    assert_eq!(state.endpoint_slices().len(), 1);
}

#[test]
fn a_relist_without_our_node_clears_it() {
    let mut state = ClusterState::default();
    let listed = relist::<NodeObject>(&mut state, vec![Node::new("node-a").build()]);
    NodeObject::retain(&mut state, &listed);
    assert!(state.node().is_some(), "listed: kept");
    NodeObject::retain(&mut state, &HashSet::new());
    assert!(state.node().is_none(), "not listed: gone");
}
