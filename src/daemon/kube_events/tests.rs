use super::*;

fn problem(service: &str, message: &str) -> ServiceProblem {
    ServiceProblem {
        service: ObjectKey::new("ns", service),
        code: "invalid_annotation",
        message: message.into(),
    }
}

fn news(memory: &mut ProblemMemory, problems: &[ServiceProblem]) -> Vec<Report> {
    memory.news(problems, |_| None)
}

#[test]
fn a_problem_is_reported_once_while_it_lasts() {
    let mut memory = ProblemMemory::default();
    assert_eq!(news(&mut memory, &[problem("a", "bad med")]).len(), 1);
    assert_eq!(news(&mut memory, &[problem("a", "bad med")]).len(), 0);
    assert_eq!(
        news(
            &mut memory,
            &[problem("a", "bad med"), problem("b", "bad med")]
        )
        .len(),
        1
    );
}

#[test]
fn a_changed_or_returning_problem_is_reported_again() {
    let mut memory = ProblemMemory::default();
    news(&mut memory, &[problem("a", "bad med")]);
    assert_eq!(news(&mut memory, &[problem("a", "bad prepend")]).len(), 1);
    news(&mut memory, &[]);
    assert_eq!(news(&mut memory, &[problem("a", "bad prepend")]).len(), 1);
}

#[test]
fn problems_of_one_code_on_one_service_are_one_report() {
    let mut memory = ProblemMemory::default();
    let reports = news(
        &mut memory,
        &[problem("a", "bad prepend"), problem("a", "bad med")],
    );
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].note, "bad med; bad prepend");
}

#[test]
fn event_names_are_per_service_uid_and_code_and_valid() {
    let web = ObjectKey::new("shop", "web");
    let name = event_name(&web, Some("u1"), "invalid_annotation");
    assert_eq!(name, event_name(&web, Some("u1"), "invalid_annotation"));
    assert_ne!(name, event_name(&web, Some("u2"), "invalid_annotation"));
    assert_ne!(name, event_name(&web, Some("u1"), "outside_pools"));
    assert!(name.starts_with("web.ka-") && name.len() <= 253, "{name}");
}

#[test]
fn event_writes_are_rate_limited_after_a_burst() {
    let mut limit = RateLimit::new();
    let start = limit.last;
    for _ in 0..BURST {
        assert_eq!(limit.try_take(start), Ok(()));
    }
    assert_eq!(limit.try_take(start), Err(REFILL), "the burst is spent");
    assert_eq!(
        limit.try_take(start + REFILL),
        Ok(()),
        "one token per REFILL"
    );
    assert!(limit.try_take(start + REFILL).is_err());
}

#[test]
fn event_reasons_are_camel_case() {
    assert_eq!(event_reason("outside_allowed_cidrs"), "OutsideAllowedCidrs");
}
