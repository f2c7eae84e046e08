//! The staunch demo: `cargo run -p staunch-demo -- --help` lists the options.

use std::process::ExitCode;

use clap::Parser;
use staunch_demo::{Demo, Options};

mod fleet;

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    if options.replicas.is_some() {
        return fleet::run(options).await;
    }
    let table = !options.no_table;
    let admin = options.admin_token.is_some();
    let demo = match Demo::start(options).await {
        Ok(demo) => demo,
        Err(err) => {
            // The error, then its causes: "cannot listen on 127.0.0.1:80: Permission denied".
            let mut text = err.to_string();
            let mut cause = std::error::Error::source(&err);
            while let Some(err) = cause {
                text = format!("{text}: {err}");
                cause = err.source();
            }
            eprintln!("staunch-demo: {text}");
            return ExitCode::FAILURE;
        }
    };
    println!("staunch demo: dashboard at {}", demo.dashboard_url());
    println!("breakers llm, mcp and database open and recover every 15 s; Ctrl-C stops");
    if admin {
        let url = demo.dashboard_url();
        println!("admin actions on: curl -X POST -H \"Authorization: Bearer $TOKEN\" {url}api/v1/circuits/llm/force-open");
    }
    if table {
        println!();
    }
    let ctrl_c = async {
        // Without a signal handler the demo still ends with --duration.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let summary = demo.run(ctrl_c).await;
    println!("\n{summary}");
    ExitCode::SUCCESS
}
