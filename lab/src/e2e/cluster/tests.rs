use super::*;

fn slice_of<'a>(m: &'a Value, name: &str) -> &'a Value {
    m["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap()
}

#[test]
fn the_initial_cluster_has_web_everywhere_and_api_on_node2_and_node3() {
    let m = Cluster::new(3).manifests();
    assert_eq!(
        slice_of(&m, "web-ipv4")["endpoints"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let api = slice_of(&m, "api-ipv6")["endpoints"].as_array().unwrap();
    let nodes: Vec<&str> = api
        .iter()
        .map(|e| e["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["node2", "node3"]);
    assert_eq!(api[0]["addresses"][0], "fd00:244:2::1");
}

#[test]
fn the_ipv6_address_ends_like_the_ipv4_one() {
    assert_eq!(Service::Api.address(true).to_string(), "fd00:203::20");
    assert_eq!(Service::Web.prefix(false).to_string(), "203.0.113.10/32");
    assert_eq!(Service::Web.prefix(true).to_string(), "fd00:203::10/128");
}

#[test]
fn terminating_is_serving_but_not_ready_and_gone_leaves_the_slice() {
    let mut c = Cluster::new(3);
    c.set(0, Service::Web, EndpointState::Terminating);
    c.set(1, Service::Web, EndpointState::Gone);
    let m = c.manifests();
    let web = slice_of(&m, "web-ipv4")["endpoints"].as_array().unwrap();
    assert_eq!(web.len(), 2);
    assert_eq!(
        web[0]["conditions"],
        json!({"ready": false, "serving": true, "terminating": true})
    );
    assert_eq!(web[1]["nodeName"], "node3");
}
