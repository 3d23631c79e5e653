use super::*;

#[test]
fn reads_hwm_and_cpu() {
    assert_eq!(
        parse_hwm("Name:\tbird\nVmPeak:\t 9000 kB\nVmHWM:\t    4608 kB\n"),
        Some(4608 * 1024)
    );
    let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0";
    assert_eq!(parse_cpu(stat, 100), Some(Duration::from_secs(3)));
    assert_eq!(parse_cpu("garbage", 100), None);
}

#[test]
fn reads_its_own_process() {
    let u = usage(std::process::id()).unwrap();
    assert!(u.peak_rss > 0);
}
