//! Encodes queued entries as `XADD <stream> MAXLEN ~ N * field value…`
//! (and trims as `XTRIM <stream> MINID <id>`) commands in RESP, straight
//! into the reused pipeline buffer (field names from [`wire`]).

use super::publish::{Item, Target};
use crate::wire::{self, field};

/// Appends the RESP encoding of `XADD stream MAXLEN ~ N * fields…` for
/// `item` to `out` (field names from [`wire`]).
pub fn encode_xadd(out: &mut Vec<u8>, target: &Target, item: &Item) {
    let max_len = target.max_len.to_string();
    let head: [&[u8]; 6] = [
        b"XADD",
        target.stream.as_bytes(),
        b"MAXLEN",
        b"~",
        max_len.as_bytes(),
        b"*",
    ];
    match item {
        Item::Lines(b) => {
            let fd = b.fd.map(|fd| fd.to_string());
            let cut = (b.cut > 0).then(|| b.cut.to_string());
            let pos = b.pos.map(|p| p.to_string());
            let mut args: Vec<&[u8]> = head.to_vec();
            args.extend([
                field::KIND.as_bytes(),
                wire::KIND_LINES.as_bytes(),
                field::LINES.as_bytes(),
                b.text.as_bytes(),
            ]);
            if let Some(fd) = &fd {
                args.extend([field::FD.as_bytes(), fd.as_bytes()]);
            }
            if let Some(cut) = &cut {
                args.extend([field::CUT.as_bytes(), cut.as_bytes()]);
            }
            if let Some(pos) = &pos {
                args.extend([field::POS.as_bytes(), pos.as_bytes()]);
            }
            encode_command(out, &args);
        }
        Item::Trim(min_id) => {
            let args: [&[u8]; 4] = [
                b"XTRIM",
                target.stream.as_bytes(),
                b"MINID",
                min_id.as_bytes(),
            ];
            encode_command(out, &args);
        }
        Item::Event(ev) => {
            let fields = wire::Entry::Event(ev.clone()).to_fields();
            let mut args: Vec<&[u8]> = head.to_vec();
            for (k, v) in &fields {
                args.extend([k.as_bytes(), v.as_bytes()]);
            }
            encode_command(out, &args);
        }
    }
}

/// Appends `WAIT 1 <ms>`: block until one replica has everything written
/// so far on this connection, or `ms` passed (Redis Cluster mode).
pub fn encode_wait(out: &mut Vec<u8>, ms: u64) {
    encode_command(out, &[b"WAIT", b"1", ms.to_string().as_bytes()]);
}

/// RESP encoding of one command: `*N` then `$len` + bytes per argument.
fn encode_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    use std::io::Write;
    // Writing to a Vec cannot fail.
    let _ = write!(out, "*{}\r\n", args.len());
    for a in args {
        let _ = write!(out, "${}\r\n", a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tail::batch::Batch;
    use crate::wire::{Entry, Event, EventKind};

    fn target() -> Target {
        Target {
            stream: "logs:{b4}:web-01.example.com:/var/log/app-1/x.log".into(),
            max_len: 10_000,
            max_bytes: 1 << 20,
            max_age: std::time::Duration::from_secs(60),
            keep_lines: 0,
            buffer_max_bytes: 1 << 20,
        }
    }

    /// What the redis crate sends for `XADD stream MAXLEN ~ N * fields…`,
    /// the fields being `wire::Entry::to_fields` of `entry`.
    fn crate_xadd(target: &Target, entry: &Entry) -> Vec<u8> {
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&target.stream)
            .arg("MAXLEN")
            .arg("~")
            .arg(target.max_len)
            .arg("*");
        for (k, v) in entry.to_fields() {
            cmd.arg(k).arg(v);
        }
        cmd.get_packed_command()
    }

    fn ours(target: &Target, item: &Item) -> Vec<u8> {
        let mut out = Vec::new();
        encode_xadd(&mut out, target, item);
        out
    }

    #[test]
    fn lines_entries_are_byte_identical_to_the_redis_crate_and_wire_fields() {
        let t = target();
        let pos = Some(crate::wire::FilePos {
            dev: 2049,
            inode: 131_074,
            offset: 9_876_543_210,
        });
        for (lines, fd, cut, pos) in [
            (vec!["one"], None, 0, None),
            (vec!["a", "", "ünïcode ✓", "tab\there"], None, 2, None),
            (vec!["out"], Some(1), 0, None),
            (vec!["err", "more"], Some(2), 1, None),
            (vec![""], Some(2), 0, None),
            (vec!["positioned"], None, 0, pos),
            (vec!["cut", "and positioned"], None, 1, pos),
        ] {
            let lines: Vec<String> = lines.into_iter().map(String::from).collect();
            let item = Item::Lines(Batch {
                text: lines.join("\n"),
                lines: lines.len() as u32,
                cut,
                fd,
                pos,
            });
            let entry = Entry::Lines {
                lines,
                fd,
                cut,
                pos,
            };
            assert_eq!(ours(&t, &item), crate_xadd(&t, &entry), "{entry:?}");
        }
    }

    #[test]
    fn event_entries_are_byte_identical_to_the_redis_crate() {
        let t = target();
        for kind in EventKind::ALL {
            for ev in [
                Event::new(kind, ""),
                Event::new(kind, "a sentence, with ünïcode")
                    .with("count", 17)
                    .with("reason", "redis-outage")
                    .with("empty", ""),
            ] {
                let item = Item::Event(ev.clone());
                let entry = Entry::Event(ev);
                assert_eq!(ours(&t, &item), crate_xadd(&t, &entry), "{entry:?}");
            }
        }
    }

    #[test]
    fn trims_are_byte_identical_to_the_redis_crate() {
        let t = target();
        let want = redis::cmd("XTRIM")
            .arg(&t.stream)
            .arg("MINID")
            .arg("1700000000000-0")
            .get_packed_command();
        assert_eq!(ours(&t, &Item::Trim("1700000000000-0".into())), want);
    }

    #[test]
    fn commands_are_encoded_as_resp_arrays_of_bulk_strings() {
        let mut out = Vec::new();
        encode_command(&mut out, &[b"XADD", b"k", b""]);
        assert_eq!(out, b"*3\r\n$4\r\nXADD\r\n$1\r\nk\r\n$0\r\n\r\n");
    }

    #[test]
    fn a_lines_entry_carries_the_wire_fields() {
        let target = Target {
            stream: "logs:{b9}:m:/x".into(),
            max_len: 100,
            max_bytes: 1 << 20,
            max_age: std::time::Duration::from_secs(60),
            keep_lines: 0,
            buffer_max_bytes: 1 << 20,
        };
        let item = Item::Lines(Batch {
            text: "a\nb".into(),
            lines: 2,
            cut: 1,
            fd: Some(2),
            pos: None,
        });
        let mut out = Vec::new();
        encode_xadd(&mut out, &target, &item);
        let text = String::from_utf8(out).expect("ascii");
        let parts: Vec<&str> = text
            .split("\r\n")
            .filter(|p| !(p.len() > 1 && p.starts_with(['*', '$'])))
            .collect();
        assert_eq!(
            parts,
            [
                "XADD",
                "logs:{b9}:m:/x",
                "MAXLEN",
                "~",
                "100",
                "*",
                "kind",
                "lines",
                "lines",
                "a\nb",
                "fd",
                "2",
                "cut",
                "1",
                ""
            ]
        );
    }
}
