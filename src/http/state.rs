//! `AppState`: what every handler can reach (settings, ticket signer, session
//! orchestrator, stream hub, metrics, page templates, per-token limiter), with
//! a `FromRef` for each part an extractor needs (settings, signer, limiter,
//! login guard); handlers take `State<AppState>`.

use std::sync::Arc;

use axum::extract::FromRef;

use super::auth::TokenLimiter;
use super::login::LoginGuard;
use super::pages::OperatorSlots;
use super::templates::{self, TemplateError};
use crate::audit::{AuditLog, AuditOpenError};
use crate::metrics::Metrics;
use crate::salt_api::{CallObserver, SaltApi, SaltError};
use crate::session::{Orchestrator, StreamControl};
use crate::settings::Settings;
use crate::stream::Hub;
use crate::tickets::TicketSigner;

/// Why the state could not be built from settings.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The salt-api client could not be built.
    #[error("salt-api client: {0}")]
    Salt(#[from] SaltError),
    /// `redis.url` is not usable.
    #[error("redis.url: {0}")]
    Redis(#[from] redis::RedisError),
    /// A page template does not parse.
    #[error("templates: {0}")]
    Templates(#[from] TemplateError),
    /// The audit trail cannot be opened.
    #[error("{0}")]
    Audit(#[from] AuditOpenError),
}

/// Shared application state (cheap to clone).
#[derive(Clone)]
pub struct AppState {
    /// The validated settings.
    pub settings: Arc<Settings>,
    /// Signs and verifies viewer tickets.
    pub signer: TicketSigner,
    /// Starts tail and command sessions.
    pub orchestrator: Orchestrator,
    /// `limits.max_sessions_per_token`.
    pub limiter: TokenLimiter,
    /// One Redis reader per active stream, fanned out to viewers.
    pub hub: Hub,
    /// Prometheus counters.
    pub metrics: Arc<Metrics>,
    /// The page templates (MiniJinja, autoescaped).
    pub templates: Arc<minijinja::Environment<'static>>,
    /// Rate-limits and verifies ops-page password sign-ins.
    pub login: LoginGuard,
    /// `limits.max_sessions_per_token` per ops-page operator.
    pub operators: OperatorSlots,
    /// The last `/readyz` answer, reused for `http.readyz_cache_millis`.
    pub readiness: super::health::ReadyCache,
}

impl AppState {
    /// Builds every part from `settings`. Connects to nothing yet: Redis and
    /// salt-api are contacted on first use, so the service starts while
    /// either is down and says so per request.
    pub fn new(settings: Arc<Settings>) -> Result<AppState, StateError> {
        let signer = TicketSigner::new(
            settings.auth.ticket_key.clone(),
            settings.auth.ticket_ttl_secs,
        );
        let metrics = Arc::new(Metrics::new());
        let observer: Arc<dyn CallObserver> = metrics.clone();
        let salt = SaltApi::new(&settings, Some(observer))?;
        let streams = StreamControl::new(&settings)?;
        let audit = Arc::new(AuditLog::from_settings(&settings)?);
        let orchestrator =
            Orchestrator::new(settings.clone(), salt, streams, signer.clone(), audit);
        Ok(AppState {
            limiter: TokenLimiter::new(&settings),
            login: LoginGuard::new(&settings.login),
            operators: OperatorSlots::default(),
            readiness: super::health::ReadyCache::default(),
            hub: Hub::new(settings.clone(), metrics.clone()),
            templates: Arc::new(templates::environment(&settings)?),
            metrics,
            settings,
            signer,
            orchestrator,
        })
    }
}

impl FromRef<AppState> for Arc<Settings> {
    fn from_ref(s: &AppState) -> Self {
        s.settings.clone()
    }
}

impl FromRef<AppState> for TicketSigner {
    fn from_ref(s: &AppState) -> Self {
        s.signer.clone()
    }
}

impl FromRef<AppState> for TokenLimiter {
    fn from_ref(s: &AppState) -> Self {
        s.limiter.clone()
    }
}

impl FromRef<AppState> for LoginGuard {
    fn from_ref(s: &AppState) -> Self {
        s.login.clone()
    }
}

impl CallObserver for Metrics {
    fn record_salt_call(
        &self,
        function: &str,
        outcome: &'static str,
        elapsed: std::time::Duration,
    ) {
        Metrics::record_salt_call(self, function, outcome, elapsed);
    }
}
