//! `kube-anycast`: announces Kubernetes Service externalIPs as anycast host routes.
//! This file is the command line only; everything it runs lives in the library.

use clap::{Parser, Subcommand};
use kube_anycast::commands;
use kube_anycast::config::{self, Config, SourceConfig};
use kube_anycast::source::{kubernetes, manifests};
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
    /// Run the daemon.
    Run {
        /// Config file.
        #[arg(long, default_value = config::DEFAULT_PATH)]
        config: PathBuf,
        /// Log format.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Ask the running daemon for its peers and announced routes.
    Status {
        /// The daemon's HTTP address (`http.listen`).
        #[arg(long, default_value = "127.0.0.1:9179")]
        http: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print every externalIP with this node's decision and the reason. Speaks no BGP.
    Plan {
        /// Config file.
        #[arg(long, default_value = config::DEFAULT_PATH)]
        config: PathBuf,
        /// Decide for this node instead of the config's node_name (then NODE_NAME need
        /// not be set).
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

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Two settings of glibc's allocator, for a daemon whose memory is a few large tables
/// and many small objects built by several threads:
/// - The mmap threshold stays at its initial 128 KiB. By default glibc raises it to the
///   size of each large block freed (up to 32 MiB): after the first start or relist, the
///   tables and buffers of the next one (hash tables and lists of 100,000 routes,
///   megabytes each) come from the heap, which keeps their pages once they are freed.
///   Mapped blocks go back to the kernel when freed. Measured at 100,000 routes from one
///   Service: 4 MiB less peak RSS.
/// - One arena. glibc gives each thread that allocates its own arena; the Services and
///   slices parsed on a blocking thread and the decision built on a worker then sit in
///   different arenas, each keeping its free pages. Measured at 10,000 Services: about
///   2 MiB less peak RSS; the daemon allocates too little for the shared lock to matter.
fn tune_the_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other
    // thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { config, log_format } => {
            tune_the_allocator();
            init_logging(log_format);
            let config_path = config;
            let config = match Config::load(&config_path) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{}:\n{e}", config_path.display());
                    return ExitCode::FAILURE;
                }
            };
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("kube-anycast: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match runtime.block_on(kube_anycast::daemon::run(config, Some(config_path))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Status { http, json } => match status(&http, json) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("kube-anycast status: {e:#}");
                ExitCode::FAILURE
            }
        },
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
    let config = load_for_plan(config_path, node.as_deref())?;
    let node_name = node.unwrap_or_else(|| config.node_name.clone());
    let cluster = match (paths.is_empty(), &config.source) {
        (false, _) => manifests::load(&paths, &node_name)?,
        (true, SourceConfig::Manifests(configured)) => manifests::load(configured, &node_name)?,
        (true, SourceConfig::Kubernetes) => {
            // The same client configuration as `run`: in-cluster, else KUBECONFIG.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let client = kubernetes::client().await?;
                kubernetes::read_once(client, &node_name).await
            })?
        }
    };
    let decision = commands::plan::plan(&config, &cluster, &node_name);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&commands::plan::render_json(
                &decision,
                &node_name,
                &config.announce.pools,
            ))?
        );
    } else {
        print!(
            "{}",
            commands::plan::render_text(&decision, &node_name, &config.announce.pools)
        );
    }
    Ok(())
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`).
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Fetches `/status` with a minimal HTTP/1.0 request: the daemon is local and plain HTTP,
/// so a full HTTP client would add nothing but weight.
fn status(http: &str, json: bool) -> anyhow::Result<()> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(http)
        .map_err(|e| anyhow::anyhow!("cannot reach the daemon at {http}: {e}"))?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    write!(stream, "GET /status HTTP/1.0\r\nHost: {http}\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("malformed HTTP response"))?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        anyhow::bail!("{}", head.lines().next().unwrap_or("no status line"));
    }
    let status: kube_anycast::status::Status = serde_json::from_str(body)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", kube_anycast::status::render_text(&status));
    }
    Ok(())
}

/// The config as `plan` needs it: `plan` may run anywhere (a laptop with KUBECONFIG), so
/// the variables the DaemonSet passes need not be set. `NODE_NAME` defaults to `--node`;
/// `HOST_IP` to a documentation address, since `plan` speaks no BGP.
fn load_for_plan(path: &std::path::Path, node: Option<&str>) -> anyhow::Result<Config> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    let lookup = |name: &str| {
        std::env::var(name).ok().or_else(|| match name {
            "NODE_NAME" => node.map(str::to_owned),
            "HOST_IP" => Some("192.0.2.1".to_owned()),
            _ => None,
        })
    };
    Config::parse(&text, lookup).map_err(|e| anyhow::anyhow!("{}:\n{e}", path.display()))
}
