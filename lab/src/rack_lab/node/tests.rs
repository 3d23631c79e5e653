use super::*;

#[test]
fn the_speaker_config_names_the_node_and_withdraws_on_shutdown() {
    let c = speaker_config(Node(2), "/l/cluster.yaml", 9, "2s", None);
    for line in [
        "node_name: node2",
        "local_asn: 65102",
        "router_id: 10.11.0.12",
        "  manifests: [/l/cluster.yaml]",
        "    hold_time: 9s",
        "  restart_time: 0s",
        "  mode: withdraw",
        "  drain: 2s",
        "    bfd: {enabled: false, min_tx: 300ms, min_rx: 300ms, multiplier: 3}",
    ] {
        assert!(c.lines().any(|l| l == line), "{line} in {c}");
    }
    let bfd = Some(Bfd {
        interval_ms: 50,
        multiplier: 4,
    });
    let c = speaker_config(Node(1), "/c", 9, "2s", bfd);
    assert!(c.contains("bfd: {enabled: true, min_tx: 50ms, min_rx: 50ms, multiplier: 4}"));
}
