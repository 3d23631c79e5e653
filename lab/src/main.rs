//! `lab`: the lab's verbs.
//!
//! - The rack (`lab::rack_lab`): `up [frr|bird|gobgp]`, `down`, `routes`, `peers`,
//!   `set-endpoint`, `status`, `curl`, `speaker`, `wait-routes`, `exec`, `logs`, `tor-ns`;
//!   the instance is named by `LAB_ID` (see `testbed/README.md`).
//! - `capture-vectors`: records what real routers send, for `bgp/tests/captured_vectors.rs`.
//! - `containerlab-frr`: renders the containerlab testbed's FRR configs.
//! - `workload` writes a generated cluster to a file; `bench` runs the scale benchmark.

use clap::{Parser, Subcommand};
use lab::bench::originator::Kind;
use lab::bench::{self, Options};
use lab::rack_lab::{Lab, LabError, lifecycle, verbs};
use lab::workload::{self, Format, Spec};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(about = "The kube-anycast lab")]
struct Cli {
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand)]
enum Verb {
    /// Write Services, EndpointSlices and a Node as `kubectl get -A -o json` prints them.
    Workload(WorkloadArgs),
    /// Run kube-anycast and BIRD 2, GoBGP, ExaBGP into an FRR ToR and print a table.
    Bench(BenchArgs),
    /// Build the rack: a ToR router (default frr), three nodes running kube-anycast, a client.
    Up {
        /// frr, bird or gobgp.
        flavour: Option<String>,
    },
    /// Stop what `up` started (by pid) and delete its namespaces and state.
    Down,
    /// One line per prefix: PREFIX NEXTHOP... (sorted).
    Routes,
    /// One line per node: NODE ADDRESS ASN STATE PREFIXES.
    Peers,
    /// Give NODE an endpoint of SERVICE (web, api) in STATE (ready, terminating, gone).
    SetEndpoint {
        /// node1, node2 or node3.
        node: String,
        /// web or api.
        service: String,
        /// ready, terminating or gone.
        state: String,
    },
    /// The ToR's view and every speaker's `status`.
    Status,
    /// COUNT requests from the client to the web Service (FAMILY 6: its IPv6 address).
    Curl {
        /// How many requests.
        #[arg(default_value_t = 6)]
        count: usize,
        /// 4 or 6.
        #[arg(default_value_t = 4)]
        family: u8,
    },
    /// Start a node's speaker, or send it SIGTERM, SIGKILL, SIGSTOP or SIGCONT.
    Speaker {
        /// node1, node2 or node3.
        node: String,
        /// start, term, kill, stop or cont.
        action: String,
    },
    /// Wait until PREFIX has COUNT next hops on the ToR; print how long it took.
    WaitRoutes {
        /// A prefix, or an address for its host route.
        prefix: String,
        /// Next hops wanted.
        count: usize,
        /// Seconds.
        #[arg(default_value_t = 30)]
        timeout: u64,
    },
    /// Run a command in a namespace of the rack (node1..3, tor, client).
    Exec {
        /// node1, node2, node3, tor or client.
        place: String,
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// The last LINES lines of every log.
    Logs {
        /// Lines per log.
        #[arg(default_value_t = 20)]
        lines: usize,
    },
    /// The ToR's namespace name.
    TorNs,
    /// Record what FRR, BIRD 2, GoBGP and ExaBGP send to a peer, as test vectors.
    CaptureVectors(CaptureArgs),
    /// Render the containerlab testbed's FRR configs (testbed/containerlab/frr/*/frr.conf).
    ContainerlabFrr,
    /// Cut, blackhole or freeze a node with BFD on and off; time the ToR's failover.
    Failover(lab::failover::cli::FailoverArgs),
    /// Keep BFD 300 ms x 3 Up under a CPU hog on the node; report every state change.
    BfdSoak(lab::failover::cli::SoakArgs),
}

#[derive(clap::Args)]
struct CaptureArgs {
    /// Where the .hex files go.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../bgp/tests/data/captured"))]
    out: PathBuf,
    /// Captures to make: frr, bird, gobgp, exabgp, frr-bandwidth (default: all).
    routers: Vec<String>,
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Route counts (default: 1000,10000,100000).
    #[arg(long = "n", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Only kube-anycast runs of these workloads (A, B, C); anchors always run.
    #[arg(long = "workload", value_delimiter = ',')]
    workloads: Vec<char>,
    /// Only these originators: bird, gobgp, exabgp, kube-anycast (all of it),
    /// kube-anycast-manifests, kube-anycast-kubernetes, or one column such as
    /// kube-anycast-manifests-b.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The kube-anycast binary (default: build the release binary and use it).
    #[arg(long)]
    binary: Option<PathBuf>,
    /// Pause between two polls of the ToR, in milliseconds.
    #[arg(long, default_value_t = 10)]
    poll_ms: u64,
    /// What the ToR advertises back to the originator: all (FRR's default) or none.
    #[arg(long, value_enum, default_value_t = lab::bench::tor::Export::All)]
    tor_export: lab::bench::tor::Export,
}

#[derive(clap::Args)]
struct WorkloadArgs {
    /// Number of Services, each with one EndpointSlice.
    #[arg(long)]
    services: usize,
    /// externalIPs per Service (from 100.64.0.0/10).
    #[arg(long, default_value_t = 10)]
    ips_per_service: usize,
    /// Endpoints per slice: the first on NODE, the others on other nodes.
    #[arg(long, default_value_t = 3)]
    endpoints: usize,
    /// The node the daemon runs as.
    #[arg(long, default_value = "node-a")]
    node: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// Output file (default: stdout).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    // Output piped into `head` ends quietly, as with any shell tool, instead of a panic.
    // SAFETY: restoring a signal's default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.verb {
        Verb::Workload(args) => run_workload(args).map_err(LabError::from),
        Verb::Bench(args) => run_bench(args).map_err(LabError::from),
        Verb::Up { flavour } => rack(|lab| lifecycle::up(lab, flavour.as_deref())),
        Verb::Down => rack(lifecycle::down),
        Verb::Routes => rack(verbs::routes),
        Verb::Peers => rack(verbs::peers),
        Verb::SetEndpoint {
            node,
            service,
            state,
        } => rack(|lab| verbs::set_endpoint(lab, &node, &service, &state)),
        Verb::Status => rack(verbs::status),
        Verb::Curl { count, family } => rack(|lab| verbs::curl(lab, count, family == 6)),
        Verb::Speaker { node, action } => rack(|lab| verbs::speaker(lab, &node, &action)),
        Verb::WaitRoutes {
            prefix,
            count,
            timeout,
        } => rack(|lab| verbs::wait_routes(lab, &prefix, count, timeout)),
        Verb::Exec { place, command } => rack(|lab| Err(verbs::exec(lab, &place, &command))),
        Verb::Logs { lines } => rack(|lab| verbs::logs(lab, lines)),
        Verb::CaptureVectors(args) => run_capture(args),
        Verb::ContainerlabFrr => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testbed/containerlab");
            lab::containerlab::write_router_files(&dir)
                .map(|files| files.iter().for_each(|f| println!("{}", f.display())))
                .map_err(LabError::from)
        }
        Verb::TorNs => rack(|lab| {
            println!("{}", lab.names.tor());
            Ok(())
        }),
        Verb::Failover(args) => lab::failover::cli::failover(args).map_err(LabError::from),
        Verb::BfdSoak(args) => lab::failover::cli::bfd_soak(args).map_err(LabError::from),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lab: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a rack verb on the lab the environment names.
fn rack(verb: impl FnOnce(&Lab) -> Result<(), LabError>) -> Result<(), LabError> {
    verb(&Lab::from_env()?)
}

fn run_capture(args: CaptureArgs) -> Result<(), LabError> {
    use lab::capture::{self, Target};
    let targets = if args.routers.is_empty() {
        Target::ALL.to_vec()
    } else {
        args.routers
            .iter()
            .map(|r| {
                Target::parse(r).ok_or_else(|| {
                    LabError::Usage(format!(
                        "capture-vectors [frr|bird|gobgp|exabgp|frr-bandwidth ...]: not '{r}'"
                    ))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let routers: Vec<_> = targets
        .iter()
        .map(|t| match t {
            Target::Frr | Target::FrrBandwidth => lab::prereq::Router::Frr,
            Target::Bird => lab::prereq::Router::Bird,
            Target::Gobgp => lab::prereq::Router::Gobgp,
            Target::Exabgp => lab::prereq::Router::Exabgp,
        })
        .collect();
    let missing = lab::prereq::missing(&routers);
    if !missing.is_empty() {
        return Err(LabError::Missing(format!(
            "missing: {}",
            missing.join(", ")
        )));
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| LabError::Failed(format!("{}: {e}", args.out.display())))?;
    for target in targets {
        eprintln!("capture: {}", target.name());
        let count = capture::capture(target, &args.out)?;
        eprintln!("capture: {}: {count} messages", target.name());
    }
    Ok(())
}

fn run_workload(args: WorkloadArgs) -> Result<(), String> {
    let spec = Spec {
        services: args.services,
        ips_per_service: args.ips_per_service,
        endpoints: args.endpoints,
        node: args.node,
    };
    let summary = match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            workload::write(&spec, args.format, file)
        }
        None => workload::write(&spec, args.format, std::io::stdout().lock()),
    }
    .map_err(|e| format!("cannot write the workload: {e}"))?;
    eprintln!(
        "workload: {} Services x {} externalIPs ({} routes), {summary}",
        spec.services,
        spec.ips_per_service,
        spec.routes()
    );
    Ok(())
}

fn run_bench(args: BenchArgs) -> Result<(), String> {
    let mut kinds: Vec<Kind> = if args.only.is_empty() {
        Kind::ALL.to_vec()
    } else {
        let mut kinds = Vec::new();
        for name in &args.only {
            let selected = Kind::select(name);
            if selected.is_empty() {
                return Err(format!("--only {name}: no such originator"));
            }
            kinds.extend(selected);
        }
        kinds
    };
    if !args.workloads.is_empty() {
        kinds.retain(|k| {
            k.workload().is_none_or(|w| {
                args.workloads.contains(&w.to_ascii_uppercase())
                    || args.workloads.contains(&w.to_ascii_lowercase())
            })
        });
    }
    kinds.sort();
    kinds.dedup();
    let sizes = if args.sizes.is_empty() {
        bench::SIZES.to_vec()
    } else {
        args.sizes
    };
    let missing = lab::prereq::missing(&[
        lab::prereq::Router::Frr,
        lab::prereq::Router::Bird,
        lab::prereq::Router::Gobgp,
        lab::prereq::Router::Exabgp,
    ]);
    if !missing.is_empty() {
        return Err(format!(
            "the lab cannot run; missing: {}",
            missing.join(", ")
        ));
    }
    let binary = match args.binary {
        Some(b) => b,
        None if kinds.iter().any(|k| !k.is_anchor()) => bench::binary::build_kube_anycast(true)?,
        None => PathBuf::from("kube-anycast"),
    };
    let options = Options {
        binary,
        sizes,
        kinds,
        poll: std::time::Duration::from_millis(args.poll_ms),
        export: args.tor_export,
    };
    eprintln!(
        "bench: {} run(s); kube-anycast is {}",
        options.sizes.len() * options.kinds.len(),
        options.binary.display()
    );
    let runs = bench::run_all(&options, |run| {
        eprintln!(
            "bench: {} at N = {}: {}",
            run.kind.title(),
            run.n,
            if run.completed() {
                "done"
            } else {
                "INCOMPLETE"
            }
        );
    });
    println!("{}", bench::table::render(&runs));
    Ok(())
}
