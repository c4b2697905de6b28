//! Which Redis Cluster slot a key lives in, and which bucket a stream's
//! hash tag names.
//!
//! A stream key carries a hash tag `{bX}` (X = one hex digit, see
//! [`super::STREAM_BUCKETS`]): the stream, its `:lease` and its `:owner`
//! contain the same tag, so they share a slot, and every stream of one bucket
//! can be read by one blocking `XREAD` without `CROSSSLOT`.
//! `docs/redis-cluster.md` says why buckets rather than one tag per minion.

/// Number of cluster hash slots (fixed by Redis).
pub const CLUSTER_SLOTS: u16 = 16_384;

/// FNV-1a, 32 bits: the stream bucket's hash (stable across versions and
/// platforms, unlike `std`'s hasher).
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The part of `key` Redis hashes: the content of the first `{…}` if it is
/// non-empty, else the whole key (Redis' hash tag rule).
pub fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|&b| b == b'{')?;
    let rest = &key[open + 1..];
    let close = rest.iter().position(|&b| b == b'}')?;
    (close > 0).then(|| &rest[..close])
}

/// CRC16/XMODEM (poly 0x1021, init 0), the checksum of `CLUSTER KEYSLOT`.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The cluster slot of `key`, as `CLUSTER KEYSLOT` computes it.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key).unwrap_or(key)) % CLUSTER_SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster_keyslot() {
        // Values printed by `CLUSTER KEYSLOT` of a real Redis 7.0.15.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(key_slot(b"123456789"), 12739);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"{user1000}.following"), 3443);
        assert_eq!(
            key_slot(b"{user1000}.followers"),
            key_slot(b"{user1000}.following")
        );
        assert_eq!(key_slot(b"foo{}{bar}"), 8363);
        assert_eq!(key_slot(b"foo{{bar}}zap"), 4015);
        assert_eq!(key_slot(b"logs:{bc}:web-01:/var/log/app.log"), 12685);
        assert_eq!(key_slot(b"{bc}"), 12685);
        assert_eq!(
            hash_tag(b"foo{}{bar}"),
            None,
            "an empty first tag hashes the whole key"
        );
        assert_eq!(hash_tag(b"foo{{bar}}zap"), Some(&b"{bar"[..]));
        assert_eq!(hash_tag(b"no tag"), None);
        assert_eq!(hash_tag(b"open{only"), None);
    }

    #[test]
    fn fnv1a32_matches_the_reference_vectors() {
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a32(b"foobar"), 0xbf9c_f968);
    }
}
