//! Dev mode: a drop-in for a moto server in tests. Only `--dev` creates a
//! [`DevMode`]; without it these handlers are not even routed.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;

use crate::AppState;

#[derive(Debug)]
pub struct DevMode {
    /// The configured root key, installed again after a reset so the keys
    /// the test harness was given keep working.
    pub root_key: Option<(String, warden_core::crypto::Secret)>,
    /// `(configured, remaining)` requests that may pass without
    /// authentication; `None` is unlimited (the dev-mode default, as moto's).
    /// moto reports the configured count back, so it is kept apart.
    no_auth_budget: Mutex<Option<(u64, u64)>>,
}

impl DevMode {
    pub fn new(root_key: Option<(String, warden_core::crypto::Secret)>) -> Self {
        Self {
            root_key,
            no_auth_budget: Mutex::new(None),
        }
    }

    /// Whether this request may skip authentication; spends one unit of a
    /// limited budget.
    pub fn take_no_auth(&self) -> bool {
        let mut budget = self.no_auth_budget.lock();
        match budget.as_mut() {
            None => true,
            Some((_, 0)) => false,
            Some((_, n)) => {
                *n -= 1;
                true
            }
        }
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub async fn reset(State(app): State<Arc<AppState>>) -> Response {
    let warden = app.warden.clone();
    let root_key = app.dev.as_ref().and_then(|d| d.root_key.clone());
    let reset = move || {
        warden.reset()?;
        if let Some((id, secret)) = root_key {
            let account = warden.config().default_account.clone();
            let secret = String::from_utf8_lossy(secret.expose()).into_owned();
            warden.iam(&account).install_root_key(&id, &secret)?;
        }
        Ok::<(), warden_core::CoreError>(())
    };
    match tokio::task::spawn_blocking(reset).await {
        Ok(Ok(())) => json(StatusCode::OK, serde_json::json!({"status": "ok"})),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "dev reset failed");
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"status": "error"}),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "dev reset task failed");
            json(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({"status": "error"}),
            )
        }
    }
}

pub async fn reset_auth(State(app): State<Arc<AppState>>, body: String) -> Response {
    let Some(dev) = app.dev.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // moto accepts the count as a bare number, possibly JSON-quoted.
    let Ok(n) = body.trim().trim_matches('"').parse::<u64>() else {
        return json(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"status": "error", "message": "body must be a non-negative integer"}),
        );
    };
    let previous = dev.no_auth_budget.lock().replace((n, n));
    let previous = previous.map_or_else(
        || "inf".to_string(),
        |(configured, _)| configured.to_string(),
    );
    json(
        StatusCode::OK,
        serde_json::json!({"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": previous}),
    )
}
