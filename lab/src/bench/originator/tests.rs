#[test]
fn reads_the_rib_summary() {
    let out = "Table afi:AFI_IP safi:SAFI_UNICAST\nDestination: 804, Path: 804\n";
    assert_eq!(super::rib_size(out), Some(804));
    assert_eq!(super::rib_size("nothing"), None);
}
