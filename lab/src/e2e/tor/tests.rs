use super::*;

#[test]
fn kernel_routes_group_multipath_and_split_ipv6_entries() {
    let mut rib = Rib::new();
    parse_kernel_routes(
        r#"[{"dst":"203.0.113.10","protocol":"bgp","flags":[],
                 "nexthops":[{"gateway":"10.85.1.2","dev":"a","weight":1,"flags":[]},
                             {"gateway":"10.85.2.2","dev":"b","weight":1,"flags":[]}]},
                {"dst":"203.0.113.20","gateway":"10.85.3.2","dev":"c","protocol":"bgp"}]"#,
        &mut rib,
    )
    .unwrap();
    parse_kernel_routes(
        r#"[{"dst":"fd00:203::10","gateway":"fd00:85:1::2","dev":"a"},
                {"dst":"fd00:203::10","gateway":"fd00:85:2::2","dev":"b"}]"#,
        &mut rib,
    )
    .unwrap();
    let hops = |p: &str| -> Vec<String> {
        rib[&p.parse::<IpNet>().unwrap()]
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    assert_eq!(hops("203.0.113.10/32"), ["10.85.1.2", "10.85.2.2"]);
    assert_eq!(hops("203.0.113.20/32"), ["10.85.3.2"]);
    assert_eq!(hops("fd00:203::10/128"), ["fd00:85:1::2", "fd00:85:2::2"]);
}

#[test]
fn bad_kernel_output_is_an_error_not_a_panic() {
    let mut rib = Rib::new();
    assert!(parse_kernel_routes("[{\"dst\": \"nonsense\"}]", &mut rib).is_err());
    assert!(parse_kernel_routes("{", &mut rib).is_err());
    assert!(parse_kernel_routes("", &mut rib).is_ok());
}
