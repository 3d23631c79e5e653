//! `lab`: the lab's verbs. `lab workload` writes a generated cluster to a file. The shell
//! labs (`testbed/lab.sh`, `capture-vectors.sh`) are to become verbs here too.

use clap::{Parser, Subcommand};
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
