use super::*;

#[test]
fn node_addresses_and_asns_follow_the_node_number() {
    let n2 = Node::parse("node2").expect("node2 is a node");
    assert_eq!(n2.v4().to_string(), "10.11.0.12");
    assert_eq!(n2.v6().to_string(), "fd00:11::12");
    assert_eq!(n2.link_local().to_string(), "fe80::12");
    assert_eq!(n2.asn(), 65102);
    assert_eq!(Node::parse("node4"), None);
    assert_eq!(Node::parse("tor"), None);
}

#[test]
fn namespaces_carry_the_lab_id() {
    let names = Names::new("x1");
    assert_eq!(
        names.all(),
        [
            "ka-x1-tor",
            "ka-x1-node1",
            "ka-x1-node2",
            "ka-x1-node3",
            "ka-x1-client"
        ]
    );
}
