use super::*;

#[test]
fn the_answer_is_the_body() {
    let ok = b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nnode2\n";
    assert_eq!(answered_by(ok), Ok("node2".into()));
    assert!(answered_by(b"HTTP/1.0 200 OK\r\n\r\n").is_err());
    assert!(answered_by(b"").is_err());
}

#[test]
fn a_tally_counts_the_requests_started_in_the_window() {
    let t0 = Instant::now();
    let at = |ms: u64, ok: bool| Request {
        started: t0 + Duration::from_millis(ms),
        outcome: if ok {
            Ok("node1".into())
        } else {
            Err("reset".into())
        },
    };
    let requests = [at(0, true), at(10, false), at(20, false), at(30, true)];
    let window = tally(
        &requests,
        t0 + Duration::from_millis(10),
        t0 + Duration::from_millis(30),
    );
    assert_eq!(window, Tally { sent: 2, failed: 2 });
    assert_eq!(
        tally(&requests, t0, t0 + Duration::from_secs(1)),
        Tally { sent: 4, failed: 2 }
    );
}
