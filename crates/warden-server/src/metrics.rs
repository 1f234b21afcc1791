//! The Prometheus endpoint (`warden serve --metrics-listen ADDR`): `/metrics`
//! on a listener of its own, never on the AWS endpoint, so what operators
//! scrape is reachable only where they bind it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use warden_core::Warden;

/// The text exposition format's content type.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The metrics listener's router: `/metrics` and nothing else.
pub(crate) fn router(warden: Arc<Warden>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(warden)
}

async fn scrape(State(warden): State<Arc<Warden>>) -> impl IntoResponse {
    // The read lock is held only to count; the text is written without it.
    let sizes = warden_core::metrics::model_sizes(&warden.read());
    (
        [("content-type", CONTENT_TYPE)],
        warden.metrics().render(&sizes),
    )
}
