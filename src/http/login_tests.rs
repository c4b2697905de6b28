//! Tests of the sign-in guard (`login.rs`).

use super::*;

fn settings() -> LoginSettings {
    LoginSettings {
        max_concurrent_verifications: 2,
        max_waiting: 32,
        free_failures: 3,
        backoff_max_secs: 300,
        success_cache_secs: 300,
    }
}

#[tokio::test]
async fn failures_lead_to_a_back_off_without_verifying() {
    let guard = LoginGuard::new(&settings());
    let hash = password::hash("correct horse").expect("hash");
    let addr: IpAddr = [192, 0, 2, 1].into();
    for _ in 0..3 {
        let r = guard.sign_in(Some(addr), "ops", "wrong", Some(&hash)).await;
        assert_eq!(r, Err(LoginError::Wrong));
    }
    // The fourth failure starts the back-off…
    let r = guard.sign_in(Some(addr), "ops", "wrong", Some(&hash)).await;
    assert_eq!(r, Err(LoginError::Wrong));
    let before = guard.verifications();
    // …during which nothing is verified, even the right password.
    let r = guard
        .sign_in(Some(addr), "ops", "correct horse", Some(&hash))
        .await;
    assert!(matches!(r, Err(LoginError::Backoff { .. })), "{r:?}");
    let r = guard.sign_in(Some(addr), "other", "x", None).await;
    assert!(
        matches!(r, Err(LoginError::Backoff { .. })),
        "same address: {r:?}"
    );
    let r = guard
        .sign_in(Some([192, 0, 2, 9].into()), "ops", "x", Some(&hash))
        .await;
    assert!(
        matches!(r, Err(LoginError::Backoff { .. })),
        "same user: {r:?}"
    );
    assert_eq!(guard.verifications(), before);
}

#[tokio::test]
async fn unknown_users_cost_a_verification_and_successes_are_remembered() {
    let guard = LoginGuard::new(&settings());
    let hash = password::hash("correct horse").expect("hash");
    assert_eq!(
        guard.sign_in(None, "nobody", "x", None).await,
        Err(LoginError::Wrong)
    );
    assert_eq!(guard.verifications(), 1, "the dummy hash was verified");
    for _ in 0..5 {
        guard
            .sign_in(None, "ops", "correct horse", Some(&hash))
            .await
            .expect("right password");
    }
    assert_eq!(guard.verifications(), 2, "one argon2 run for five sign-ins");
    assert_eq!(
        guard
            .sign_in(None, "ops", "correct horsf", Some(&hash))
            .await,
        Err(LoginError::Wrong)
    );
}

/// The review's flood arrives 32 at a time: attempts queued before the
/// back-off started are refused when their turn comes, unverified.
#[tokio::test]
async fn queued_attempts_are_refused_once_the_back_off_starts() {
    let mut s = settings();
    s.max_concurrent_verifications = 1;
    let guard = LoginGuard::new(&s);
    let hash = password::hash("correct horse").expect("hash");
    let addr: IpAddr = [192, 0, 2, 7].into();
    let held = guard.inner.slots.try_acquire().expect("the slot");
    let queued: Vec<_> = (0..10)
        .map(|i| {
            let (g, h) = (guard.clone(), hash.clone());
            tokio::spawn(async move {
                g.sign_in(Some(addr), "ops", &format!("wrong-{i}"), Some(&h))
                    .await
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while guard.inner.waiting.load(Ordering::SeqCst) < 10 {
        assert!(Instant::now() < deadline, "ten sign-ins never queued");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(held);
    let mut answers = Vec::new();
    for q in queued {
        answers.push(q.await.expect("task"));
    }
    let wrong = answers
        .iter()
        .filter(|a| **a == Err(LoginError::Wrong))
        .count();
    assert_eq!(wrong, 4, "{answers:?}");
    assert_eq!(
        guard.verifications(),
        4,
        "the other six were never verified"
    );
    assert!(
        lock(&guard.inner.workspaces).is_empty(),
        "the argon2 workspaces are freed once the queue is empty"
    );
}

#[tokio::test]
async fn concurrent_verifications_are_bounded_and_the_rest_refused() {
    let mut s = settings();
    s.max_concurrent_verifications = 1;
    s.max_waiting = 2;
    s.free_failures = 1000;
    let guard = LoginGuard::new(&s);
    let hash = password::hash("correct horse").expect("hash");
    // The one slot is busy: two sign-ins wait, a third is refused.
    let held = guard.inner.slots.try_acquire().expect("the slot");
    let waiting: Vec<_> = (0..2)
        .map(|i| {
            let (g, h) = (guard.clone(), hash.clone());
            tokio::spawn(async move { g.sign_in(None, &format!("u{i}"), "x", Some(&h)).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while guard.inner.waiting.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "two sign-ins never queued");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        guard.sign_in(None, "u9", "x", Some(&hash)).await,
        Err(LoginError::Busy)
    );
    assert_eq!(guard.verifications(), 0);
    drop(held);
    for w in waiting {
        assert_eq!(w.await.expect("task"), Err(LoginError::Wrong));
    }
    assert_eq!(guard.verifications(), 2);
    assert!(
        lock(&guard.inner.workspaces).is_empty(),
        "no workspace is kept once nobody waits"
    );
}
