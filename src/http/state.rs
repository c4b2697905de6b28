//! `AppState`: what every handler can reach (settings, ticket signer, session
//! orchestrator, per-token limiter), with a `FromRef` per part so routers
//! stay generic over the state.

use std::sync::Arc;

use axum::extract::FromRef;

use super::auth::TokenLimiter;
use crate::salt_api::{SaltApi, SaltError};
use crate::session::{Orchestrator, StreamControl};
use crate::settings::Settings;
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
        let salt = SaltApi::new(&settings, None)?;
        let streams = StreamControl::new(&settings)?;
        let orchestrator = Orchestrator::new(settings.clone(), salt, streams, signer.clone());
        Ok(AppState {
            limiter: TokenLimiter::new(&settings),
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

impl FromRef<AppState> for Orchestrator {
    fn from_ref(s: &AppState) -> Self {
        s.orchestrator.clone()
    }
}

impl FromRef<AppState> for TokenLimiter {
    fn from_ref(s: &AppState) -> Self {
        s.limiter.clone()
    }
}
