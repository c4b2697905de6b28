//! Which read group a stream key belongs to: the one decision of which keys
//! logview may combine in one multi-key `XREAD` (one blocking connection per
//! group, `src/stream/reader/`). Keys of one group must also hash to one
//! Redis Cluster slot (a multi-key command across slots fails with
//! `CROSSSLOT`), so a key with a hash tag is grouped by its tag.

/// The number of groups keys without a hash tag are spread over (`h0`..`hf`).
pub const READ_GROUPS: u32 = 16;

/// The read group of `key`: the content of its Redis hash tag if it has one
/// (Redis' rule: the first `{`, then the first `}` after it, with at least one
/// character between), otherwise `h<n>` with `n` = FNV-1a 32 of the key's
/// bytes modulo [`READ_GROUPS`], in hex (`h0`..`hf`).
pub fn read_group(key: &str) -> String {
    if let Some(tag) = hash_tag(key) {
        return tag.to_owned();
    }
    format!("h{:x}", fnv1a_32(key.as_bytes()) % READ_GROUPS)
}

/// Redis Cluster's hash tag of `key`, if it has a non-empty one.
fn hash_tag(key: &str) -> Option<&str> {
    let open = key.find('{')?;
    let rest = &key[open + 1..];
    let close = rest.find('}')?;
    (close > 0).then(|| &rest[..close])
}

/// FNV-1a, 32 bits (offset basis 2166136261, prime 16777619).
fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_32_matches_the_published_test_vectors() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn a_hash_tag_is_the_group() {
        assert_eq!(read_group("logs:{web-01}:/var/log/syslog"), "web-01");
        assert_eq!(read_group("{a}"), "a");
        // The first `{` and the first `}` after it, as Redis Cluster reads them.
        assert_eq!(read_group("logs:{a}{b}:x"), "a");
        assert_eq!(read_group("logs:{a{b}:x"), "a{b");
        assert_eq!(read_group("logs:}x{web}:y"), "web");
    }

    #[test]
    fn keys_without_a_usable_tag_hash_into_sixteen_groups() {
        // `{}` is empty: Redis hashes the whole key then, and so do we.
        for key in ["logs:m:/x", "logs:{}:x", "logs:{m:/x", "logs:m}:/x{"] {
            let group = read_group(key);
            let n = u32::from_str_radix(group.strip_prefix('h').expect("h<n>"), 16).expect("hex");
            assert!(n < READ_GROUPS, "{key}: {group}");
            assert_eq!(group, format!("h{:x}", fnv1a_32(key.as_bytes()) % 16));
        }
        // Stable: the same key always lands in the same group.
        assert_eq!(read_group("logs:m:/x"), read_group("logs:m:/x"));
        // Spread: 1,000 keys use every one of the 16 groups.
        let groups: std::collections::BTreeSet<String> = (0..1000)
            .map(|i| read_group(&format!("logs:minion-{i}:/var/log/x.log")))
            .collect();
        assert_eq!(groups.len(), READ_GROUPS as usize, "{groups:?}");
    }
}
