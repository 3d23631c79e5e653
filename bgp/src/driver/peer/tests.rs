use super::*;

#[test]
fn connect_attempts_time_out_within_one_to_thirty_seconds() {
    assert_eq!(
        connect_timeout(Duration::from_millis(10)),
        Duration::from_secs(1)
    );
    assert_eq!(
        connect_timeout(Duration::from_secs(5)),
        Duration::from_secs(5)
    );
    assert_eq!(
        connect_timeout(Duration::from_secs(120)),
        Duration::from_secs(30)
    );
}
