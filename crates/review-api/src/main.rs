//! `sr-review-api`: the reference server of the platform's review API (contract v1),
//! so that the workstation's sync is tested against something real that can say no.
//!
//! Prints `listening http://ADDR` on standard output once it accepts connections.

mod error;
mod routes;
mod store;
mod tokens;

use std::io::Write;
use std::sync::Arc;

use clap::Parser;

#[derive(Parser)]
#[command(about = "The reference review API over PostgreSQL")]
struct Args {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The realm's issuer URL (Keycloak: https://HOST/realms/REALM).
    #[arg(long)]
    issuer: String,
    /// The audience access tokens must name.
    #[arg(long, default_value = "review-api")]
    audience: String,
    /// Clock skew allowed on a token's expiry, in seconds.
    #[arg(long, default_value_t = 0)]
    leeway: u64,
    /// Run the token clock this many seconds ahead of the realm's (to reproduce a
    /// skewed server: tokens expire here before the client expects).
    #[arg(long, default_value_t = 0)]
    clock_ahead: u64,
    /// How long a claim on an item lasts unless renewed, in seconds.
    #[arg(long, default_value_t = 600)]
    lease: u32,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(message) = serve(args).await {
        eprintln!("sr-review-api: {message}");
        std::process::exit(1);
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let store = store::Store::connect(&args.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let state = Arc::new(routes::AppState {
        tokens: tokens::TokenChecker::new(
            args.issuer.trim_end_matches('/').to_owned(),
            args.audience,
            args.leeway,
            args.clock_ahead,
        ),
        store,
        lease_s: args.lease,
    });
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening http://{addr}");
    let _ = std::io::stdout().flush();
    axum::serve(listener, routes::router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}
