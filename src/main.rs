//! `kube-anycast`: announces Kubernetes Service externalIPs as anycast host routes.
//! This file is the command line only; everything it runs lives in the library.

use clap::{Parser, Subcommand};
use kube_anycast::commands;
use kube_anycast::config::{self, Config, SourceConfig};
use kube_anycast::source::manifests;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kube-anycast",
    version,
    about = "Announces Kubernetes Service externalIPs as anycast BGP host routes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the config (and read password files). Exit 1 with one line per problem.
    Check {
        /// Config file.
        #[arg(long, default_value = config::DEFAULT_PATH)]
        config: PathBuf,
    },
    /// Print every externalIP with this node's decision and the reason. Speaks no BGP.
    Plan {
        /// Config file.
        #[arg(long, default_value = config::DEFAULT_PATH)]
        config: PathBuf,
        /// Decide for this node instead of the config's node_name.
        #[arg(long)]
        node: Option<String>,
        /// Read these manifest files or directories instead of the configured source
        /// (e.g. the output of `kubectl get svc,endpointslices,nodes -A -o yaml`).
        #[arg(long = "manifests")]
        manifests: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { config } => {
            let problems = commands::check::problems(&config);
            if problems.is_empty() {
                println!("{}: ok", config.display());
                ExitCode::SUCCESS
            } else {
                for p in problems {
                    println!("{p}");
                }
                ExitCode::FAILURE
            }
        }
        Command::Plan {
            config,
            node,
            manifests: paths,
            json,
        } => match plan(&config, node, paths, json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("kube-anycast plan: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn plan(
    config_path: &std::path::Path,
    node: Option<String>,
    paths: Vec<PathBuf>,
    json: bool,
) -> anyhow::Result<()> {
    let config = Config::load(config_path)
        .map_err(|e| anyhow::anyhow!("{}:\n{e}", config_path.display()))?;
    let node_name = node.unwrap_or_else(|| config.node_name.clone());
    let paths = match (paths.is_empty(), &config.source) {
        (false, _) => paths,
        (true, SourceConfig::Manifests(configured)) => configured.clone(),
        (true, SourceConfig::Kubernetes) => anyhow::bail!(
            "reading the Kubernetes API is not available in plan yet; pass --manifests"
        ),
    };
    let cluster = manifests::load(&paths, &node_name)?;
    let decision = commands::plan::plan(&config, &cluster, &node_name);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&commands::plan::render_json(&decision, &node_name))?
        );
    } else {
        print!("{}", commands::plan::render_text(&decision, &node_name));
    }
    Ok(())
}
