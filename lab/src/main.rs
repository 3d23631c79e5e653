//! `lab`: the lab's verbs. `lab workload` writes a generated cluster to a file; `lab bench`
//! runs the scale benchmark. The shell labs (`testbed/lab.sh`, `capture-vectors.sh`) are to
//! become verbs here too.

use clap::{Parser, Subcommand};
use lab::bench::originator::Kind;
use lab::bench::{self, Options};
use lab::workload::{self, Format, Spec};
use std::path::PathBuf;
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
    /// Cut, blackhole or freeze a node with BFD on and off; time the ToR's failover.
    Failover(lab::failover::cli::FailoverArgs),
    /// Keep BFD 300 ms x 3 Up under a CPU hog on the node; report every state change.
    BfdSoak(lab::failover::cli::SoakArgs),
}

#[derive(clap::Args)]
struct BenchArgs {
    /// Route counts (default: 1000,10000,100000).
    #[arg(long = "n", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Only kube-anycast runs of these workloads (A, B); anchors always run.
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
    let cli = Cli::parse();
    let result = match cli.verb {
        Verb::Workload(args) => run_workload(args),
        Verb::Bench(args) => run_bench(args),
        Verb::Failover(args) => lab::failover::cli::failover(args),
        Verb::BfdSoak(args) => lab::failover::cli::bfd_soak(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lab: {e}");
            ExitCode::FAILURE
        }
    }
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
