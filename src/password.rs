//! Ops-page passwords: argon2id PHC hashes (made by `logview hash-password`)
//! and their verification, either allocating ([`verify`]) or in a reused
//! [`Workspace`] ([`verify_in`]) so that a flood of sign-ins does not churn
//! (and leave behind) tens of MiB of heap per attempt.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The password is empty or shorter than the minimum.
    #[error("password must be at least {min} characters")]
    TooShort {
        /// The minimum length.
        min: usize,
    },
    /// argon2 refused the input.
    #[error("cannot hash password: {0}")]
    Hash(String),
}

/// Minimum password length accepted by [`hash`].
pub const MIN_LEN: usize = 8;

/// Hashes `password` into an argon2id PHC string with a random salt.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_LEN {
        return Err(PasswordError::TooShort { min: MIN_LEN });
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`. A malformed `phc` never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Largest argon2 memory cost [`verify_in`] accepts, in KiB (1 GiB): a hash
/// asking for more is treated as not matching.
const MAX_MEMORY_KIB: usize = 1 << 20;

/// argon2 working memory, grown to the largest memory cost seen and reused
/// by every verification made in it.
#[derive(Debug, Default)]
pub struct Workspace {
    blocks: Vec<Block>,
}

impl Workspace {
    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.blocks.len() * Block::SIZE
    }
}

/// Whether `password` matches the PHC string `phc`, computed in `ws`. Same
/// answers as [`verify`]; the comparison is constant-time.
pub fn verify_in(ws: &mut Workspace, password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Some(expected) = parsed.hash else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Some(salt) = parsed.salt.and_then(|s| s.decode_b64(&mut salt_buf).ok()) else {
        return false;
    };
    let need = params.block_count();
    if need > MAX_MEMORY_KIB {
        return false;
    }
    if ws.blocks.len() < need {
        ws.blocks.resize(need, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    match argon.hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut ws.blocks[..need],
    ) {
        Ok(()) => bool::from(out.as_slice().ct_eq(expected.as_bytes())),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_verification_agrees_with_the_allocating_one_and_is_reused() {
        let h = hash("correct horse").expect("hashes");
        let mut ws = Workspace::default();
        assert!(verify_in(&mut ws, "correct horse", &h));
        let held = ws.bytes();
        assert!(held >= 19 * 1024 * 1024, "m=19 MiB: {held}");
        assert!(!verify_in(&mut ws, "wrong horse", &h));
        assert!(!verify_in(&mut ws, "correct horse", "not-a-phc-string"));
        assert!(!verify_in(
            &mut ws,
            "correct horse",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ"
        ));
        assert_eq!(ws.bytes(), held, "the buffer is reused, not grown");
    }

    #[test]
    fn a_hash_verifies_its_password_and_only_it() {
        let h = hash("correct horse").expect("hashes");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse", &h));
        assert!(!verify("wrong horse", &h));
        assert!(!verify("correct horse", "not-a-phc-string"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            hash("short"),
            Err(PasswordError::TooShort { min: 8 })
        ));
    }
}
