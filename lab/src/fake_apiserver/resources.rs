//! The resource kinds the fake API server serves, and where their URLs put them.

/// One served resource: a group/version/kind and its URL plural.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    /// `v1` Service.
    Service,
    /// `discovery.k8s.io/v1` EndpointSlice.
    EndpointSlice,
    /// `v1` Node (cluster-scoped).
    Node,
    /// `v1` Namespace (cluster-scoped).
    Namespace,
    /// `v1` Event, the core group's older Event API.
    CoreEvent,
    /// `events.k8s.io/v1` Event, the one kube-runtime's `Recorder` writes.
    Event,
}

impl Resource {
    /// Every served resource.
    pub const ALL: [Resource; 6] = [
        Resource::Service,
        Resource::EndpointSlice,
        Resource::Node,
        Resource::Namespace,
        Resource::CoreEvent,
        Resource::Event,
    ];

    /// API group; empty for the core group.
    pub fn group(self) -> &'static str {
        match self {
            Resource::Service | Resource::Node | Resource::Namespace | Resource::CoreEvent => "",
            Resource::EndpointSlice => "discovery.k8s.io",
            Resource::Event => "events.k8s.io",
        }
    }

    /// API version within the group.
    pub fn version(self) -> &'static str {
        "v1"
    }

    /// The `apiVersion` objects of this resource carry.
    pub fn api_version(self) -> &'static str {
        match self {
            Resource::Service | Resource::Node | Resource::Namespace | Resource::CoreEvent => "v1",
            Resource::EndpointSlice => "discovery.k8s.io/v1",
            Resource::Event => "events.k8s.io/v1",
        }
    }

    /// The `kind` objects of this resource carry.
    pub fn kind(self) -> &'static str {
        match self {
            Resource::Service => "Service",
            Resource::EndpointSlice => "EndpointSlice",
            Resource::Node => "Node",
            Resource::Namespace => "Namespace",
            Resource::CoreEvent | Resource::Event => "Event",
        }
    }

    /// The URL path segment naming the collection.
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Service => "services",
            Resource::EndpointSlice => "endpointslices",
            Resource::Node => "nodes",
            Resource::Namespace => "namespaces",
            Resource::CoreEvent | Resource::Event => "events",
        }
    }

    /// Whether objects live in a namespace.
    pub fn namespaced(self) -> bool {
        !matches!(self, Resource::Node | Resource::Namespace)
    }

    /// The resource an object's `apiVersion` and `kind` name.
    pub fn from_type(api_version: &str, kind: &str) -> Option<Resource> {
        Resource::ALL
            .into_iter()
            .find(|r| r.api_version() == api_version && r.kind() == kind)
    }

    /// The resource a URL's group, version and plural name.
    pub fn from_url(group: &str, version: &str, plural: &str) -> Option<Resource> {
        Resource::ALL
            .into_iter()
            .find(|r| r.group() == group && r.version() == version && r.plural() == plural)
    }

    /// Accepts the short names tests use: the kind (`"Service"`), the plural
    /// (`"services"`), or for Events `"events.k8s.io/Event"` versus `"v1/Event"`.
    pub fn from_name(name: &str) -> Option<Resource> {
        match name.to_ascii_lowercase().as_str() {
            "service" | "services" | "svc" => Some(Resource::Service),
            "endpointslice" | "endpointslices" => Some(Resource::EndpointSlice),
            "node" | "nodes" => Some(Resource::Node),
            "namespace" | "namespaces" | "ns" => Some(Resource::Namespace),
            "v1/event" | "v1/events" => Some(Resource::CoreEvent),
            "event" | "events" | "events.k8s.io/event" | "events.k8s.io/events" => {
                Some(Resource::Event)
            }
            _ => None,
        }
    }
}
