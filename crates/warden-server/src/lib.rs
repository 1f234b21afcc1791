//! The warden HTTP edge.
//!
//! Data flows one way: HTTP → authenticate (SigV4) → authorize → operation →
//! store. IAM and STS share one port; the SigV4 scope's service picks the
//! service, then the `Host`, then the action name.

#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "tests fail loudly on a broken fixture"
    )
)]

pub mod audit;
mod authz;
mod authzapi;
mod dev;
mod edge;
mod iam;
mod ids;
mod limits;
mod mapping;
mod metrics;
mod organizations;
mod outbound;
mod saml_federation;
mod served;
mod startup;
mod sts;
mod web_identity;

// The S3 gateway (`warden serve --s3-backend`), on the same listener.
mod s3;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::{any, get, post};
use axum::Router;
use warden_core::Warden;
use warden_wire::sigv4::SigningKeyCache;

pub use limits::Limits;
pub use s3::{S3Backend, S3Gateway};
pub use startup::{start, DataDirLock, ServeOptions, Started, StartupError};

/// Everything a request handler needs, shared by all requests.
#[derive(Debug)]
pub struct AppState {
    /// The domain: every operation and authorization decision goes through it.
    pub warden: Arc<Warden>,
    /// Derived SigV4 signing keys, so a repeat caller's request costs one hash
    /// instead of the four-HMAC derivation.
    pub signing_keys: SigningKeyCache,
    /// Present only in dev mode: nothing of it exists in normal mode.
    pub dev: Option<dev::DevMode>,
    /// The S3 gateway, when `--s3-backend` is given.
    pub s3: Option<Arc<S3Gateway>>,
    /// The URL outside verifiers reach warden at (`--public-url`, no trailing slash): the base of
    /// the outbound web identity federation issuers.
    pub public_url: String,
    /// The audit trail; `None` with `--audit-trail off`.
    pub audit: Option<Arc<audit::AuditTrail>>,
}

// Handlers act for the request's caller: IAM and Organizations in its
// account, STS as itself. These give a handler its room of the domain in
// one call (`app.iam(ctx).create_user(..)`).
impl AppState {
    /// IAM in the caller's account.
    pub(crate) fn iam<'a>(&'a self, ctx: &'a edge::RequestCtx) -> warden_core::Iam<'a> {
        self.warden.iam(&ctx.caller.account)
    }

    /// Organizations as the caller's account sees it.
    pub(crate) fn orgs<'a>(&'a self, ctx: &'a edge::RequestCtx) -> warden_core::Orgs<'a> {
        self.warden
            .orgs(&ctx.caller.account)
            .serving(&ctx.caller, &ctx.checks, &ctx.facts)
    }

    /// STS for the caller.
    pub(crate) fn sts<'a>(&'a self, ctx: &'a edge::RequestCtx) -> warden_core::Sts<'a> {
        self.warden.sts(&ctx.caller)
    }
}

/// The router: `/health` (a plain GET; a signed request there is S3's, for a bucket named
/// `health`), the AWS endpoint at `/`, and in dev mode only, the
/// moto-compatible reset endpoints.
pub fn router(state: Arc<AppState>) -> Router {
    let mut app = Router::new()
        .route("/health", any(s3::health_or_dispatch))
        .route("/", get(root).post(s3::dispatch))
        .route(
            "/outbound/{issuer_id}/.well-known/openid-configuration",
            get(outbound::discovery),
        )
        .route(
            "/outbound/{issuer_id}/.well-known/jwks.json",
            get(outbound::jwks),
        );
    if state.dev.is_some() {
        app = app
            .route("/moto-api/reset", post(dev::reset))
            .route("/moto-api/reset-auth", post(dev::reset_auth));
    }
    app.fallback(s3::dispatch).with_state(state)
}

/// `GET /`: the landing page for a visit (an unsigned look, from a browser
/// or `curl`); anything else, such as S3's signed ListBuckets, as any request.
async fn root(
    axum::extract::State(app): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = req.into_parts();
    if served::is_a_visit(&parts) {
        return served::landing(&app);
    }
    s3::dispatch(
        axum::extract::State(app),
        axum::extract::Request::from_parts(parts, body),
    )
    .await
}

/// Where a running server listens and keeps its data.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The socket address clients send their AWS requests to.
    pub addr: SocketAddr,
    /// The directory holding the store, master key and lock; `None` when the
    /// state lives in memory (dev mode).
    pub data_dir: Option<PathBuf>,
}
