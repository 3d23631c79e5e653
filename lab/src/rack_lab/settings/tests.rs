use super::*;
use std::collections::HashMap;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, LabError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn lab_id_is_short_lowercase_and_does_not_start_with_a_dash() {
    for good in ["lab", "e2e-123-frr", "a", "abcdefghij0123456789"] {
        assert!(valid_id(good), "{good}");
    }
    for bad in ["", "-x", "Lab", "a b", "a/b", "abcdefghij0123456789x", "é"] {
        assert!(!valid_id(bad), "{bad}");
    }
}

#[test]
fn defaults_name_the_state_directory_after_the_id() {
    let s = settings(&[("LAB_ID", "t1")]).expect("valid");
    assert_eq!(s.dir, PathBuf::from("/tmp/kube-anycast-lab-t1"));
    assert_eq!(s.hold_time, 9);
    assert_eq!(s.bfd, None);
    assert!(s.binary.ends_with("target/release/kube-anycast"));
}

#[test]
fn bfd_takes_its_timers_from_the_environment() {
    let s = settings(&[("LAB_BFD", "1"), ("LAB_BFD_MS", "50")]).expect("valid");
    assert_eq!(
        s.bfd,
        Some(Bfd {
            interval_ms: 50,
            multiplier: 3
        })
    );
    assert!(matches!(
        settings(&[("LAB_ID", "Bad")]),
        Err(LabError::BadId(_))
    ));
    assert!(matches!(
        settings(&[("LAB_BFD", "1"), ("LAB_BFD_MS", "x")]),
        Err(LabError::Usage(_))
    ));
}
