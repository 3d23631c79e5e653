use super::*;

#[test]
fn origin_values() {
    assert_eq!(origin(&[0]), Ok(Origin::Igp));
    assert_eq!(origin(&[1]), Ok(Origin::Egp));
    assert_eq!(origin(&[2]), Ok(Origin::Incomplete));
    assert!(origin(&[3]).is_err());
    assert!(origin(&[]).is_err());
    assert!(origin(&[0, 0]).is_err());
    for o in [Origin::Igp, Origin::Egp, Origin::Incomplete] {
        assert_eq!(origin(&[origin_code(o)]), Ok(o));
    }
}

#[test]
fn aggregator_width_follows_the_session() {
    let a = aggregator(&[0xfd, 0xe8, 10, 0, 0, 1], false).unwrap();
    assert_eq!(a.asn, Asn(65000));
    assert_eq!(a.address, Ipv4Addr::new(10, 0, 0, 1));
    let a = aggregator(&[0, 1, 0x11, 0x70, 10, 0, 0, 1], true).unwrap();
    assert_eq!(a.asn, Asn(70000));
    assert!(aggregator(&[0, 1, 0x11, 0x70, 10, 0, 0, 1], false).is_err());
    assert!(aggregator(&[0xfd, 0xe8, 10, 0, 0, 1], true).is_err());
}

#[test]
fn list_attributes_need_a_non_zero_multiple_of_their_item() {
    assert!(communities(&[]).is_err());
    assert!(communities(&[0, 0, 0]).is_err());
    assert_eq!(
        communities(&[0xff, 0xff, 0xff, 0x01]).unwrap(),
        vec![Community::NO_EXPORT]
    );
    assert!(cluster_list(&[1, 2, 3, 4, 5]).is_err());
    assert!(large_communities(&[0; 11]).is_err());
    assert!(large_communities(&[0; 24]).is_ok());
}
