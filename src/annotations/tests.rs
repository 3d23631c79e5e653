use super::*;

fn peers() -> BTreeSet<String> {
    ["tor-a", "tor-b"].into_iter().map(String::from).collect()
}

fn parse_one(key: &str, value: &str) -> Result<ServiceAnnotations, Vec<AnnotationProblem>> {
    match parse(&BTreeMap::from([(key, value)]), &peers()) {
        (parsed, problems) if problems.is_empty() => Ok(parsed),
        (_, problems) => Err(problems),
    }
}

#[test]
fn no_annotations_means_defaults() {
    let none: BTreeMap<String, String> = BTreeMap::new();
    assert_eq!(
        parse(&none, &peers()),
        (ServiceAnnotations::default(), vec![])
    );
}

#[test]
fn foreign_annotations_are_ignored() {
    let a = BTreeMap::from([("example.com/x", "garbage")]);
    assert_eq!(parse(&a, &peers()), (ServiceAnnotations::default(), vec![]));
}

#[test]
fn a_bad_value_takes_its_default_and_the_other_keys_apply() {
    let a = BTreeMap::from([
        (MED, "lots"),
        (LOCAL_PREFERENCE, "200"),
        (ANNOUNCE, "maybe"),
    ]);
    let (parsed, problems) = parse(&a, &peers());
    assert_eq!(parsed.med, None, "the bad med takes its default");
    assert_eq!(parsed.announce, None, "the bad announce takes its default");
    assert_eq!(parsed.local_preference, Some(200), "the good key applies");
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, vec![ANNOUNCE, MED]);
}

#[test]
fn weight_is_endpoints_or_equal() {
    assert_eq!(
        parse_one(WEIGHT, "endpoints").unwrap().weight,
        Some(WeightMode::Endpoints)
    );
    assert_eq!(
        parse_one(WEIGHT, " equal ").unwrap().weight,
        Some(WeightMode::Equal)
    );
    let problems = parse_one(WEIGHT, "heavy").unwrap_err();
    assert_eq!(problems[0].key, WEIGHT);
}

#[test]
fn every_annotation_accepts_its_documented_values() {
    assert_eq!(parse_one(ANNOUNCE, "true").unwrap().announce, Some(true));
    assert_eq!(parse_one(ANNOUNCE, "false").unwrap().announce, Some(false));
    assert_eq!(
        parse_one(ANNOUNCE_FROM, "cluster").unwrap().announce_from,
        AnnounceFrom::Cluster
    );
    assert_eq!(
        parse_one(COMMUNITIES, "65010:1, no-export")
            .unwrap()
            .communities,
        vec![Community::new(65010, 1), Community::NO_EXPORT]
    );
    assert_eq!(
        parse_one(LARGE_COMMUNITIES, "65010:1:2")
            .unwrap()
            .large_communities,
        vec![LargeCommunity {
            global: 65010,
            local1: 1,
            local2: 2
        }]
    );
    assert_eq!(parse_one(MED, "4294967295").unwrap().med, Some(u32::MAX));
    assert_eq!(
        parse_one(LOCAL_PREFERENCE, "0").unwrap().local_preference,
        Some(0)
    );
    assert_eq!(
        parse_one(AS_PATH_PREPEND, "10").unwrap().as_path_prepend,
        10
    );
    assert_eq!(
        parse_one(PEERS, "tor-b").unwrap().peers,
        Some(BTreeSet::from(["tor-b".to_string()]))
    );
}

#[test]
fn garbage_in_each_annotation_is_a_problem_naming_it() {
    let cases = [
        (ANNOUNCE, "yes"),
        (ANNOUNCE_FROM, "everywhere"),
        (COMMUNITIES, "65010:1,bogus"),
        (LARGE_COMMUNITIES, "1:2"),
        (MED, "-1"),
        (LOCAL_PREFERENCE, "4294967296"),
        (AS_PATH_PREPEND, "0"),
        (AS_PATH_PREPEND, "11"),
        (PEERS, "tor-c"),
        (PEERS, ""),
        ("kube-anycast.io/comunities", "65010:1"),
    ];
    for (key, value) in cases {
        let problems = parse_one(key, value).expect_err(&format!("{key}={value} must be refused"));
        assert_eq!(problems.len(), 1, "{key}={value}");
        assert_eq!(problems[0].key, key);
    }
}

#[test]
fn drain_needs_exactly_true() {
    assert!(node_drained(&BTreeMap::from([(
        DRAIN.into(),
        "true".into()
    )])));
    assert!(!node_drained(&BTreeMap::from([(
        DRAIN.into(),
        "yes".into()
    )])));
    assert!(!node_drained(&BTreeMap::new()));
}

#[test]
fn a_problem_reads_as_its_key_then_what_is_wrong() {
    let problems = parse_one(MED, "ten").unwrap_err();
    assert_eq!(
        problems[0].to_string(),
        format!("{MED}: {}", problems[0].message)
    );
}
