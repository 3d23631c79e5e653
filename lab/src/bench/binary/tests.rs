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

#[test]
fn a_nested_build_drops_what_cargo_set_for_the_running_package_only() {
    for dropped in [
        "CARGO_MANIFEST_DIR",
        "CARGO_PKG_NAME",
        "CARGO_BIN_EXE_kube-anycast",
        "OUT_DIR",
    ] {
        assert!(super::set_for_one_package(dropped), "{dropped}");
    }
    for kept in [
        "CARGO",
        "CARGO_HOME",
        "CARGO_TARGET_DIR",
        "PATH",
        "RUSTFLAGS",
    ] {
        assert!(!super::set_for_one_package(kept), "{kept}");
    }
}
