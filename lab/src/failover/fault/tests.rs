use super::*;

#[test]
fn the_drop_table_hooks_input_and_output_with_policy_drop() {
    let r = drop_all_ruleset();
    assert!(r.starts_with("add table inet kube_anycast_lab_drop;"));
    for hook in ["input", "output"] {
        assert!(
            r.contains(&format!(
                "type filter hook {hook} priority -400; policy drop;"
            )),
            "{r}"
        );
    }
}

#[test]
fn each_fault_is_named_on_the_command_line() {
    for fault in Fault::ALL {
        let name = match fault {
            Fault::LinkCut => "link",
            Fault::PacketLoss => "drop",
            Fault::Freeze => "freeze",
        };
        assert_eq!(Fault::parse(name), Some(fault));
    }
    assert_eq!(Fault::parse("reboot"), None);
}
