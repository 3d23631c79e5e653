use super::*;
use std::collections::BTreeSet;

fn spec(services: usize, ips: usize) -> Spec {
    Spec {
        services,
        ips_per_service: ips,
        endpoints: 3,
        node: "node-a".into(),
    }
}

#[test]
fn workloads_a_and_b_hold_the_same_routes() {
    let a = Spec::workload_a(1000, "n");
    let b = Spec::workload_b(1000, "n");
    assert_eq!((a.services, a.ips_per_service), (100, 10));
    assert_eq!((b.services, b.ips_per_service), (1, 1000));
    let a_ips: BTreeSet<_> = a.external_ips().collect();
    let b_ips: BTreeSet<_> = b.external_ips().collect();
    assert_eq!(a_ips.len(), 1000);
    assert_eq!(a_ips, b_ips);
}

#[test]
fn external_ips_stay_in_the_pool_and_never_repeat_up_to_100k() {
    let pool: ipnet::Ipv4Net = EXTERNAL_POOL.parse().unwrap();
    let ips: BTreeSet<_> = Spec::workload_a(100_000, "n").external_ips().collect();
    assert_eq!(ips.len(), 100_000);
    assert!(
        ips.iter()
            .all(|ip| pool.contains(ip) && *ip != pool.network())
    );
}

#[test]
fn objects_come_in_kubectl_order_with_their_cluster_fields() {
    let s = spec(2, 3);
    let objects: Vec<Value> = s.objects().collect();
    let kinds: Vec<&str> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "Service",
            "Service",
            "EndpointSlice",
            "EndpointSlice",
            "Node"
        ]
    );
    let svc = &objects[1];
    assert_eq!(svc["metadata"]["name"], "web-000001");
    assert_eq!(
        svc["spec"]["externalIPs"],
        serde_json::json!(["100.64.0.4", "100.64.0.5", "100.64.0.6"])
    );
    assert_eq!(
        svc["metadata"]["managedFields"][0]["manager"],
        "kubectl-client-side-apply"
    );
    let applied =
        svc["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .unwrap();
    let applied: Value = serde_json::from_str(applied).unwrap();
    assert_eq!(applied["spec"]["externalIPs"], svc["spec"]["externalIPs"]);
    assert_eq!(svc["status"], serde_json::json!({"loadBalancer": {}}));

    let slice = &objects[3];
    assert_eq!(
        slice["metadata"]["labels"]["kubernetes.io/service-name"],
        "web-000001"
    );
    assert_eq!(
        slice["metadata"]["ownerReferences"][0]["uid"],
        svc["metadata"]["uid"]
    );
    let nodes: Vec<&str> = slice["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["nodeName"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["node-a", "node-b", "node-c"]);
    assert_eq!(slice["endpoints"][0]["conditions"]["ready"], true);
    assert_eq!(slice["endpoints"][0]["targetRef"]["kind"], "Pod");

    let node = &objects[4];
    assert_eq!(node["metadata"]["name"], "node-a");
    assert!(node["status"]["images"].as_array().unwrap().len() > 10);
}

/// One output format: the spec written, how many objects it holds, and how its bytes
/// are read back.
struct FormatCase {
    name: &'static str,
    format: Format,
    spec: Spec,
    objects: usize,
    parse: fn(&[u8]) -> Value,
}

#[test]
fn every_format_writes_a_list_of_every_object() {
    let cases = [
        FormatCase {
            name: "json",
            format: Format::Json,
            spec: spec(3, 2),
            objects: 7,
            parse: |b| serde_json::from_slice(b).unwrap(),
        },
        FormatCase {
            name: "yaml",
            format: Format::Yaml,
            spec: spec(2, 2),
            objects: 5,
            parse: |b| serde_saphyr::from_str(std::str::from_utf8(b).unwrap()).unwrap(),
        },
    ];
    for case in cases {
        let name = case.name;
        let mut bytes = Vec::new();
        let summary = write(&case.spec, case.format, &mut bytes).unwrap();
        assert_eq!(summary.objects, case.objects, "{name}");
        assert_eq!(summary.bytes, bytes.len() as u64, "{name}");
        let list = (case.parse)(&bytes);
        assert_eq!(list["kind"], "List", "{name}");
        let expected: Vec<Value> = case.spec.objects().collect();
        assert_eq!(list["items"].as_array().unwrap(), &expected, "{name}");
    }
}
