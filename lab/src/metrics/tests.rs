use super::assert_shows;

const PAGE: &str = "# TYPE kube_anycast_routes_announced gauge\nkube_anycast_routes_announced 10\nkube_anycast_config_reloads_total{result=\"applied\"} 1\n";

#[test]
fn every_sample_shown_passes() {
    assert_shows(
        PAGE,
        &[
            "kube_anycast_routes_announced 10",
            "kube_anycast_config_reloads_total{result=\"applied\"} 1",
        ],
    );
}

#[test]
#[should_panic(expected = "no sample \"kube_anycast_routes_announced 1\"")]
fn a_sample_is_a_whole_line() {
    assert_shows(PAGE, &["kube_anycast_routes_announced 1"]);
}
