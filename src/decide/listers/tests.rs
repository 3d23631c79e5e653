use super::*;
use crate::cluster::ObjectKey;

fn service(name: &str) -> ServiceRef {
    Arc::new(ObjectKey::new("default", name))
}

fn names(listers: &Listers) -> Vec<(String, u32)> {
    listers
        .iter()
        .map(|(s, i)| (s.name().to_string(), i))
        .collect()
}

#[test]
fn listers_are_kept_in_order_and_removed_by_their_shared_name() {
    let (a, b, c) = (service("a"), service("b"), service("c"));
    let mut listers = Listers::default();
    assert!(listers.is_empty());
    listers.push(a.clone(), 0);
    assert!(
        matches!(listers, Listers::One(..)),
        "one Service is kept inline"
    );
    listers.push(b.clone(), 3);
    listers.push(c.clone(), 1);
    assert_eq!(listers.len(), 3);
    assert_eq!(
        names(&listers),
        [("a".into(), 0), ("b".into(), 3), ("c".into(), 1)]
    );
    // Another Arc with an equal name is another Service object: not removed.
    listers.remove(&service("b"));
    assert_eq!(listers.len(), 3);
    listers.remove(&b);
    assert_eq!(names(&listers), [("a".into(), 0), ("c".into(), 1)]);
    listers.remove(&a);
    assert!(matches!(listers, Listers::One(..)), "back inline at one");
    assert_eq!(names(&listers), [("c".into(), 1)]);
    listers.remove(&a);
    assert_eq!(
        listers.len(),
        1,
        "removing an absent Service changes nothing"
    );
    listers.remove(&c);
    assert!(listers.is_empty());
    assert_eq!(names(&listers), []);
}

#[test]
fn listers_take_two_words() {
    assert_eq!(
        std::mem::size_of::<Listers>(),
        2 * std::mem::size_of::<usize>()
    );
}
