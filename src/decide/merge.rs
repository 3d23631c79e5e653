//! Several Services may share one externalIP (SPEC 4.6). kube-proxy serves each port of
//! the address with its own Service's endpoints, so the address is only safe to attract
//! where every Service sharing it would be announced: anywhere else, the ports of the
//! Services without endpoints here are dropped. Attributes are never united either, so one
//! team cannot put BLACKHOLE or NO_EXPORT on another team's address: the sharing Services
//! agree, or the route carries the config's defaults and the conflict is reported.

use super::reason::{Reason, Verdict};
use super::{RouteTemplate, ServiceProblem, ServiceRef};
use bgp::rib_out::RouteAttributes;
use ipnet::IpNet;
use smallvec::SmallVec;
use std::sync::Arc;

/// One Service listing an address, as the sharing rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Sharer<'a> {
    /// The Service.
    pub service: &'a ServiceRef,
    /// Its verdict for the address, on its own.
    pub verdict: &'a Verdict,
    /// Its attributes and peers, when it announces anything.
    pub template: Option<&'a Arc<RouteTemplate>>,
}

/// What the sharing rules read besides the Services.
#[derive(Clone, Copy, Debug)]
pub struct SharingRules<'a> {
    /// `announce.allow_cross_namespace_sharing`.
    pub allow_cross_namespace: bool,
    /// The config's own attributes, for sharing Services that disagree.
    pub defaults: &'a Arc<RouteTemplate>,
}

/// True when kube-proxy serves the address for this Service, so it takes part in sharing.
/// An ExternalName or headless Service, or one of another proxy, has no externalIP traffic.
fn takes_part(verdict: &Verdict) -> bool {
    !matches!(
        verdict,
        Verdict::NotAnnounced(Reason::ExternalName | Reason::Headless | Reason::OtherServiceProxy)
    )
}

/// An address's route as the sharing rules settle it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled<'a> {
    /// Its attributes and peers: the announcing Service's own template whenever the merge
    /// changes nothing (one shared `Arc` for all its addresses).
    pub template: Arc<RouteTemplate>,
    /// The Services asking for it, in order. Borrowed: the incremental decision finds
    /// them from its listers when asked, so only a full decision copies them.
    pub services: SmallVec<[&'a ServiceRef; 1]>,
}

/// The route of `prefix` given every Service listing it (in Service order), and the
/// problems to report about the sharing.
pub fn settle<'a>(
    prefix: IpNet,
    sharers: &[Sharer<'a>],
    rules: SharingRules<'_>,
) -> (Option<Settled<'a>>, Vec<ServiceProblem>) {
    let mut sharers: SmallVec<[&Sharer<'a>; 1]> =
        sharers.iter().filter(|s| takes_part(s.verdict)).collect();
    // In Service order, each once (two spellings of one IPv6 address in one Service).
    sharers.sort_by(|a, b| a.service.cmp(b.service));
    sharers.dedup_by(|a, b| a.service == b.service);
    let announced = |s: &Sharer<'_>| matches!(s.verdict, Verdict::Announced(_));
    match sharers.as_slice() {
        [] => return (None, Vec::new()),
        [only] => {
            let route = only
                .template
                .filter(|_| announced(only))
                .map(|t| settled(t, sharers.as_slice()));
            return (route, Vec::new());
        }
        _ => {}
    }
    let ip = prefix.addr();
    let first_namespace = sharers[0].service.namespace();
    if !rules.allow_cross_namespace
        && sharers
            .iter()
            .any(|s| s.service.namespace() != first_namespace)
    {
        let problems = tell(&sharers, &sharers, "shared_ip_cross_namespace", |others| {
            format!(
                "externalIP {ip} is also used by {others} in another namespace; sharing across namespaces is not allowed (announce.allow_cross_namespace_sharing), so it is not announced"
            )
        });
        return (None, problems);
    }
    let narrowing: Vec<&Sharer<'_>> = sharers.iter().copied().filter(|s| !announced(s)).collect();
    if !narrowing.is_empty() {
        let problems = tell(&narrowing, &sharers, "shared_ip_narrowed", |others| {
            format!(
                "externalIP {ip} is shared with {others}; it is announced only on nodes where every Service sharing it would be, and this Service is not announced on some of them"
            )
        });
        return (None, problems);
    }
    let shared_templates: SmallVec<[&Arc<RouteTemplate>; 2]> =
        sharers.iter().filter_map(|s| s.template).collect();
    let templates: SmallVec<[&RouteTemplate; 2]> =
        shared_templates.iter().map(|t| t.as_ref()).collect();
    let first = templates[0];
    let differing = differences(&templates);
    if differing.is_empty() {
        let mut route = settled(shared_templates[0], sharers.as_slice());
        // The weights of agreeing Services add up: the node's endpoints of every one of
        // them answer on the address.
        let weights = templates
            .iter()
            .skip(1)
            .fold(first.attributes.extended_communities.clone(), |sum, t| {
                super::weight::merge(&sum, &t.attributes.extended_communities)
            });
        if weights != first.attributes.extended_communities {
            let template = Arc::make_mut(&mut route.template);
            Arc::make_mut(&mut template.attributes).extended_communities = weights;
        }
        return (Some(route), Vec::new());
    }
    let problems = tell(&sharers, &sharers, "shared_ip_conflict", |others| {
        format!(
            "externalIP {ip} is shared with {others} and their {} differ; it is announced with the config's defaults",
            differing.join(", ")
        )
    });
    (Some(settled(rules.defaults, sharers.as_slice())), problems)
}

/// A problem of `code` for each Service in `told`; `message` words it around the names of
/// the other Services sharing the address, so each owner learns who else uses it.
fn tell(
    told: &[&Sharer<'_>],
    sharers: &[&Sharer<'_>],
    code: &'static str,
    message: impl Fn(String) -> String,
) -> Vec<ServiceProblem> {
    told.iter()
        .map(|s| ServiceProblem {
            service: (**s.service).clone(),
            code,
            message: message(
                sharers
                    .iter()
                    .filter(|other| other.service != s.service)
                    .map(|other| other.service.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        })
        .collect()
}

fn settled<'a>(template: &Arc<RouteTemplate>, sharers: &[&Sharer<'a>]) -> Settled<'a> {
    Settled {
        template: Arc::clone(template),
        services: sharers.iter().map(|s| s.service).collect(),
    }
}

/// The names of the annotations whose values differ between the templates.
fn differences(templates: &[&RouteTemplate]) -> Vec<&'static str> {
    let first = templates[0];
    let mut out = Vec::new();
    let mut check = |name: &'static str, differs: &dyn Fn(&RouteTemplate) -> bool| {
        if templates.iter().any(|t| differs(t)) {
            out.push(name);
        }
    };
    let a: &RouteAttributes = &first.attributes;
    check("communities", &|t| {
        t.attributes.communities != a.communities
    });
    check("large-communities", &|t| {
        t.attributes.large_communities != a.large_communities
    });
    check("med", &|t| t.attributes.med != a.med);
    check("local-preference", &|t| {
        t.attributes.local_pref != a.local_pref
    });
    check("as-path-prepend", &|t| {
        t.attributes.as_path_prepend != a.as_path_prepend
    });
    check("peers", &|t| t.peers != first.peers);
    // Link bandwidths (weighted anycast) differ with each Service's endpoints and add up;
    // any other extended community must agree.
    let others = |t: &RouteTemplate| -> Vec<bgp::wire::ExtendedCommunity> {
        t.attributes
            .extended_communities
            .iter()
            .filter(|c| c.link_bandwidth().is_none())
            .copied()
            .collect()
    };
    check("extended communities", &|t| others(t) != others(first));
    check("origin", &|t| t.attributes.origin != a.origin);
    out
}
