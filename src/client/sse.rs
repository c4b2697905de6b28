//! An incremental Server-Sent Events parser (the subset logview sends:
//! `data:`, `id:`, comment lines; `\n`, `\r\n` or `\r` line ends), fed the
//! body's chunks as they arrive. Chunks may split lines anywhere, even
//! inside a UTF-8 character.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id:` field of this event, if it had one.
    pub id: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// Parser state between chunks.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The last byte was `\r` (a following `\n` belongs to it).
    after_cr: bool,
    data: Option<String>,
    id: Option<String>,
}

impl SseParser {
    /// Feeds a chunk; returns the events it completed, in order.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        for &b in chunk {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(ev) = self.line_done(&line) {
                        out.push(ev);
                    }
                }
                _ => self.line.push(b),
            }
        }
        out
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            let data = self.data.take()?;
            return Some(SseEvent {
                id: self.id.take(),
                data,
            });
        }
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "id" => self.id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_anywhere_across_chunks_come_out_whole() {
        let text = ": keep-alive\n\nid: 1-0\ndata: {\"a\":\"ü\"}\n\r\ndata: x\r\ndata: y\r\rid:2-0\ndata:z\n\n";
        let bytes = text.as_bytes();
        for split in 0..bytes.len() {
            let mut p = SseParser::default();
            let mut got = p.feed(&bytes[..split]);
            got.extend(p.feed(&bytes[split..]));
            assert_eq!(
                got,
                vec![
                    SseEvent {
                        id: Some("1-0".into()),
                        data: "{\"a\":\"ü\"}".into()
                    },
                    SseEvent {
                        id: None,
                        data: "x\ny".into()
                    },
                    SseEvent {
                        id: Some("2-0".into()),
                        data: "z".into()
                    },
                ],
                "split at {split}"
            );
        }
    }
}
