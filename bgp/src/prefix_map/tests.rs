use super::*;

fn p(s: &str) -> IpNet {
    s.parse().unwrap()
}

#[test]
fn a_map_finds_each_family_under_its_own_key() {
    let mut map: PrefixMap<u32> = PrefixMap::default();
    *map.get_or_insert_with(p("192.0.2.1/32"), || 1) += 10;
    map.get_or_insert_with(p("2001:db8::1/128"), || 2);
    map.get_or_insert_with(p("192.0.2.1/32"), || 99);
    assert_eq!(map.iter().count(), 2);
    assert_eq!(map.get(&p("192.0.2.1/32")), Some(&11));
    assert_eq!(map.get(&p("2001:db8::1/128")), Some(&2));
    // The same bits under the other family, or another length, are other prefixes.
    assert_eq!(map.get(&p("192.0.2.1/31")), None);
    assert_eq!(map.get(&p("::c000:201/128")), None);
    *map.get_mut(&p("2001:db8::1/128")).unwrap() = 3;
    let mut all: Vec<(IpNet, u32)> = map.iter().map(|(k, v)| (k, *v)).collect();
    all.sort();
    assert_eq!(all, [(p("192.0.2.1/32"), 11), (p("2001:db8::1/128"), 3)]);
    for (_, v) in map.iter_mut() {
        *v += 1;
    }
    map.retain(|v| *v != 4);
    assert_eq!(map.get(&p("2001:db8::1/128")), None);
    assert_eq!(map.remove(&p("192.0.2.1/32")), Some(12));
    assert_eq!(map.iter().count(), 0);
}

#[test]
fn a_change_keeps_or_removes_the_entry_as_it_says() {
    let mut map: PrefixMap<u32> = PrefixMap::default();
    for (prefix, value) in [("192.0.2.1/32", 1), ("2001:db8::1/128", 2)] {
        map.get_or_insert_with(p(prefix), || value);
    }
    let kept = map.change_or_remove(&p("192.0.2.1/32"), |v| {
        *v += 10;
        (*v, false)
    });
    assert_eq!(kept, Some(11));
    assert_eq!(map.get(&p("192.0.2.1/32")), Some(&11));
    let removed = map.change_or_remove(&p("2001:db8::1/128"), |v| (*v, true));
    assert_eq!(removed, Some(2));
    assert_eq!(map.get(&p("2001:db8::1/128")), None);
    // Absent: the change does not run.
    let absent = map.change_or_remove(&p("2001:db8::1/128"), |_| -> (u32, bool) {
        unreachable!("no entry to change")
    });
    assert_eq!(absent, None);
    assert_eq!(map.iter().count(), 1);
}

#[test]
fn a_queue_is_first_in_first_out() {
    let mut queue = PrefixQueue::default();
    for s in ["192.0.2.3/32", "192.0.2.1/32", "192.0.2.2/32"] {
        queue.push_back(p(s));
    }
    assert_eq!(queue.len(), 3);
    assert_eq!(queue.front(), Some(p("192.0.2.3/32")));
    assert_eq!(queue.pop_front(), Some(p("192.0.2.3/32")));
    assert_eq!(queue.pop_front(), Some(p("192.0.2.1/32")));
    queue.clear();
    assert_eq!((queue.len(), queue.front()), (0, None));
    queue.push_back(p("2001:db8::2/128"));
    assert_eq!(queue.pop_front(), Some(p("2001:db8::2/128")));
    assert_eq!(queue.pop_front(), None);
}
