//! The HTTP endpoints (SPEC 7): `/healthz` (the process answers), `/readyz` (sources synced
//! and the configured peers Established as `http.ready_when` asks; see [`crate::readiness`]),
//! `/metrics` and `/status`.

use crate::status::Observed;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::registry::Registry;
use std::sync::Arc;

#[derive(Clone)]
struct AppState {
    observed: Arc<Observed>,
    registry: Arc<Registry>,
}

/// Serves until the listener fails; binding errors are the caller's.
pub async fn serve(
    listener: tokio::net::TcpListener,
    observed: Arc<Observed>,
    registry: Registry,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .with_state(AppState {
            observed,
            registry: Arc::new(registry),
        });
    axum::serve(listener, app).await
}

async fn readyz(State(app): State<AppState>) -> impl IntoResponse {
    let status = app.observed.snapshot();
    match (status.ready, status.not_ready) {
        (true, _) => (StatusCode::OK, "ready\n".to_string()),
        (false, why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", why.unwrap_or_default()),
        ),
    }
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::encode(&app.registry),
    )
}

async fn status(State(app): State<AppState>) -> impl IntoResponse {
    axum::Json(app.observed.snapshot())
}
