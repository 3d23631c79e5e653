#[test]
fn finds_the_executable_among_cargo_messages() {
    let messages = concat!(
        "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"bgp\"},\"executable\":null}\n",
        "not json\n",
        "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"kube-anycast\"},\"executable\":\"/t/release/kube-anycast\"}\n",
        "{\"reason\":\"build-finished\",\"success\":true}\n",
    );
    assert_eq!(
        super::executable(messages),
        Some("/t/release/kube-anycast".into())
    );
    assert_eq!(super::executable(""), None);
}
