//! Request authentication extractors: [`BearerToken`] (an API token from
//! `auth.api_tokens`, constant-time compare), [`ApiClient`] (a bearer token
//! plus a slot of its per-token concurrent-request limit) and [`Operator`]
//! (an ops-page user: HTTP Basic against `[[auth.users]]` argon2 hashes
//! through the [`LoginGuard`], or the `auth.trusted_user_header` set by an
//! authenticating proxy).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::{ApiError, Challenge};
use super::login::LoginGuard;
use crate::i18n::Text;
use crate::settings::Settings;

/// A request carrying one of `auth.api_tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BearerToken {
    /// Index of the token in `auth.api_tokens` (logged instead of the token).
    pub index: usize,
}

impl<S> FromRequestParts<S> for BearerToken
where
    Arc<Settings>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let settings = Arc::<Settings>::from_ref(state);
        let unauthorized = |message: Text| ApiError::Unauthorized {
            message,
            challenge: Challenge::Bearer,
        };
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| unauthorized(Text::new("api.auth.missing_header")))?;
        let token =
            bearer_value(header).ok_or_else(|| unauthorized(Text::new("api.auth.not_bearer")))?;
        match match_secret(&settings.auth.api_tokens, token) {
            Some(index) => Ok(BearerToken { index }),
            None => Err(unauthorized(Text::new("api.auth.bad_token"))),
        }
    }
}

/// The token of an `Authorization: Bearer TOKEN` header (scheme in any case).
pub(crate) fn bearer_value(header: &axum::http::HeaderValue) -> Option<&str> {
    let value = header.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Index of the secret in `secrets` equal to `given`; every one is compared
/// in constant time and none is skipped.
pub(crate) fn match_secret(secrets: &[secrecy::SecretString], given: &str) -> Option<usize> {
    let mut found = None;
    for (i, t) in secrets.iter().enumerate() {
        if bool::from(t.expose_secret().as_bytes().ct_eq(given.as_bytes())) {
            found = Some(i);
        }
    }
    found
}

/// Per-token semaphores enforcing `limits.max_sessions_per_token`.
#[derive(Debug, Clone)]
pub struct TokenLimiter {
    slots: Arc<Vec<Arc<Semaphore>>>,
    limit: usize,
}

impl TokenLimiter {
    /// One semaphore per configured token.
    pub fn new(settings: &Settings) -> TokenLimiter {
        let limit = settings.limits.max_sessions_per_token;
        TokenLimiter {
            slots: Arc::new(
                settings
                    .auth
                    .api_tokens
                    .iter()
                    .map(|_| Arc::new(Semaphore::new(limit)))
                    .collect(),
            ),
            limit,
        }
    }

    fn acquire(&self, index: usize) -> Result<OwnedSemaphorePermit, ApiError> {
        let sem = self
            .slots
            .get(index)
            .ok_or_else(|| ApiError::Internal("token index out of range".into()))?;
        sem.clone().try_acquire_owned().map_err(|_| {
            ApiError::LimitReached(Text::new("api.limit.token_sessions").arg("limit", self.limit))
        })
    }
}

/// An API client holding one of its token's request slots for the request's life.
#[derive(Debug)]
pub struct ApiClient {
    /// Which token.
    pub token: BearerToken,
    _slot: OwnedSemaphorePermit,
}

impl<S> FromRequestParts<S> for ApiClient
where
    Arc<Settings>: FromRef<S>,
    TokenLimiter: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = BearerToken::from_request_parts(parts, state).await?;
        let slot = TokenLimiter::from_ref(state).acquire(token.index)?;
        Ok(ApiClient { token, _slot: slot })
    }
}

/// An authenticated ops-page user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The user name (from Basic auth or the trusted header).
    pub name: String,
}

impl<S> FromRequestParts<S> for Operator
where
    Arc<Settings>: FromRef<S>,
    LoginGuard: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let settings = Arc::<Settings>::from_ref(state);
        let unauthorized = |message: Text| ApiError::Unauthorized {
            message,
            challenge: Challenge::Basic,
        };
        let trusted = &settings.auth.trusted_user_header;
        if !trusted.is_empty() {
            if let Some(name) = parts
                .headers
                .get(trusted.as_str())
                .and_then(|v| v.to_str().ok())
            {
                let name = name.trim();
                if !name.is_empty() {
                    return Ok(Operator {
                        name: name.to_owned(),
                    });
                }
            }
        }
        if settings.auth.users.is_empty() {
            return Err(unauthorized(Text::new("api.auth.no_users")));
        }
        let (user, password) = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b64| STANDARD.decode(b64.trim()).ok())
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
            .ok_or_else(|| unauthorized(Text::new("api.auth.basic_required")))?;
        let hash = settings
            .auth
            .users
            .iter()
            .find(|u| u.name == user)
            .map(|u| u.password_hash.as_str());
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        LoginGuard::from_ref(state)
            .sign_in(addr, &user, &password, hash)
            .await?;
        Ok(Operator { name: user })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use axum::Router;
    use std::path::Path;
    use tower::ServiceExt;

    fn settings(env: &[(&str, &str)]) -> Arc<Settings> {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("settings.toml");
        let env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        Arc::new(Settings::load_with_env(&[file], env).expect("settings"))
    }

    #[derive(Clone)]
    struct TestState {
        settings: Arc<Settings>,
        login: LoginGuard,
    }

    impl FromRef<TestState> for Arc<Settings> {
        fn from_ref(s: &TestState) -> Self {
            s.settings.clone()
        }
    }

    impl FromRef<TestState> for LoginGuard {
        fn from_ref(s: &TestState) -> Self {
            s.login.clone()
        }
    }

    fn app(s: Arc<Settings>) -> Router {
        let login = LoginGuard::new(&s.login);
        app_with(TestState { settings: s, login })
    }

    fn app_with(state: TestState) -> Router {
        Router::new()
            .route("/op", get(|op: Operator| async move { op.name }))
            .route(
                "/token",
                get(|t: BearerToken| async move { t.index.to_string() }),
            )
            .with_state(state)
    }

    async fn status(app: Router, uri: &str, header: Option<(&str, &str)>) -> StatusCode {
        let mut req = Request::builder().uri(uri);
        if let Some((k, v)) = header {
            req = req.header(k, v);
        }
        app.oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("response")
            .status()
    }

    #[tokio::test]
    async fn bearer_tokens_are_checked() {
        let s = settings(&[]);
        let good = format!("Bearer {}", s.auth.api_tokens[0].expose_secret());
        assert_eq!(
            status(app(s.clone()), "/token", Some(("authorization", &good))).await,
            StatusCode::OK
        );
        assert_eq!(
            status(app(s.clone()), "/token", None).await,
            StatusCode::UNAUTHORIZED
        );
        let bad = Some(("authorization", "Bearer dev-only-api-token-change-mX"));
        assert_eq!(
            status(app(s), "/token", bad).await,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test]
    async fn operators_sign_in_with_basic_auth_or_the_trusted_header() {
        let hash = crate::password::hash("correct horse").expect("hash");
        let s = settings(&[("LOGVIEW__AUTH__TRUSTED_USER_HEADER", "X-Remote-User")]);
        let mut with_user = (*s).clone();
        with_user.auth.users = vec![crate::settings::UserSettings {
            name: "ops".into(),
            password_hash: hash,
        }];
        let s = Arc::new(with_user);
        let basic = |u: &str, p: &str| format!("Basic {}", STANDARD.encode(format!("{u}:{p}")));
        let ok = basic("ops", "correct horse");
        assert_eq!(
            status(app(s.clone()), "/op", Some(("authorization", &ok))).await,
            StatusCode::OK
        );
        let wrong = basic("ops", "wrong horse");
        assert_eq!(
            status(app(s.clone()), "/op", Some(("authorization", &wrong))).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(app(s.clone()), "/op", None).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(app(s), "/op", Some(("x-remote-user", "alice"))).await,
            StatusCode::OK
        );
    }

    /// Review finding 5/15: wrong Basic passwords were each an argon2 run,
    /// without limit; an unknown user was answered without one.
    #[tokio::test]
    async fn a_password_flood_is_answered_429_without_running_argon2() {
        let hash = crate::password::hash("correct horse").expect("hash");
        let mut with_user = (*settings(&[("LOGVIEW__LOGIN__FREE_FAILURES", "3")])).clone();
        with_user.auth.users = vec![crate::settings::UserSettings {
            name: "ops".into(),
            password_hash: hash,
        }];
        let s = Arc::new(with_user);
        let state = TestState {
            login: LoginGuard::new(&s.login),
            settings: s,
        };
        let basic = |u: &str, p: &str| format!("Basic {}", STANDARD.encode(format!("{u}:{p}")));
        let mut statuses = Vec::new();
        for i in 0..20 {
            let wrong = basic("ops", &format!("wrong-password-{i}"));
            statuses.push(
                status(
                    app_with(state.clone()),
                    "/op",
                    Some(("authorization", &wrong)),
                )
                .await,
            );
        }
        let unauthorized = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let limited = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!((unauthorized, limited), (4, 16), "{statuses:?}");
        assert_eq!(
            state.login.verifications(),
            4,
            "no argon2 run during the back-off"
        );
        let unknown = basic("nobody", "whatever");
        let fresh = TestState {
            login: LoginGuard::new(&state.settings.login),
            settings: state.settings.clone(),
        };
        assert_eq!(
            status(
                app_with(fresh.clone()),
                "/op",
                Some(("authorization", &unknown))
            )
            .await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            fresh.login.verifications(),
            1,
            "an unknown user costs the same argon2 run"
        );
    }

    #[test]
    fn a_token_gets_at_most_its_limit_of_slots() {
        let s = settings(&[("LOGVIEW__LIMITS__MAX_SESSIONS_PER_TOKEN", "2")]);
        let limiter = TokenLimiter::new(&s);
        let a = limiter.acquire(0).expect("first");
        let _b = limiter.acquire(0).expect("second");
        let third = limiter.acquire(0).expect_err("third is refused");
        assert!(
            third.to_string().contains("limits.max_sessions_per_token"),
            "{third}"
        );
        drop(a);
        assert!(
            limiter.acquire(0).is_ok(),
            "a finished request frees its slot"
        );
    }
}
