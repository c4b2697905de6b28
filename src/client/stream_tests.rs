//! The reconnect logic against a tiny in-process HTTP server that drops the
//! connection mid-stream (a real TCP socket, real reqwest; no logview).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

fn lines(id: &str, text: &str) -> String {
    format!("id: {id}\ndata: {{\"type\":\"lines\",\"id\":\"{id}\",\"lines\":[\"{text}\"]}}\n\n")
}

/// Reads the request head; the `Last-Event-ID` it carried.
async fn read_head(sock: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut buf).await.expect("read request");
        assert!(n > 0, "client closed before sending a request");
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&head).lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("last-event-id")
            .then(|| v.trim().to_owned())
    })
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";

/// Serves `bodies[i]` on the i-th connection (then closes it) and records
/// each request's `Last-Event-ID`.
async fn server(bodies: Vec<String>) -> (String, Arc<Mutex<Vec<Option<String>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/sse/ticket", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        for body in bodies {
            let (mut sock, _) = listener.accept().await.expect("accept");
            let resume = read_head(&mut sock).await;
            seen2.lock().expect("lock").push(resume);
            sock.write_all(body.as_bytes()).await.expect("write");
            sock.flush().await.expect("flush");
            // Dropping the socket here is the dropped connection.
        }
    });
    (url, seen)
}

fn quick() -> Reconnect {
    Reconnect {
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_attempts: 3,
        idle: Duration::from_secs(30),
    }
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_resumes_without_gap_or_duplicate() {
    let first = format!(
        "{OK}: hello\n\n{}{}id: 3-0\ndata: {{\"type\":\"lines\",\"id\":\"3-0\",\"li",
        lines("1-0", "a"),
        lines("2-0", "b")
    );
    // The server repeats 2-0 (a resume that overlaps) before going on.
    let second = format!(
        "{OK}{}{}{}id: 4-0\ndata: {{\"type\":\"event\",\"id\":\"4-0\",\"event\":\"stopped\",\"message\":\"idle\",\"fields\":{{\"reason\":\"idle\"}}}}\n\n",
        lines("2-0", "b"),
        lines("3-0", "c"),
        lines("3-0", "c"),
    );
    let (url, seen) = server(vec![first, second]).await;
    let http = reqwest::Client::new();
    let mut got = Vec::new();
    let mut retries = Vec::new();
    let code = follow(
        &http,
        &url,
        false,
        &quick(),
        &mut |_, m| {
            Ok(match m {
                Message::Lines { lines, .. } => {
                    got.extend(lines.iter().cloned());
                    Flow::Continue
                }
                Message::Event { event, .. } if event == "stopped" => Flow::Stop(7),
                _ => Flow::Continue,
            })
        },
        &mut |n, _, why| {
            retries.push((n, why.to_owned()));
            Ok(())
        },
    )
    .await
    .expect("follows to the end");
    assert_eq!(code, 7);
    assert_eq!(got, ["a", "b", "c"]);
    assert_eq!(retries.len(), 1, "{retries:?}");
    assert_eq!(
        *seen.lock().expect("lock"),
        [None, Some("2-0".to_owned())],
        "the reconnect resumes after the last id received"
    );
}

#[tokio::test]
async fn a_refused_ticket_is_final_with_logviews_message() {
    let body = "{\"success\":false,\"message\":\"the viewer link has expired\"}";
    let refused = format!(
        "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let (url, seen) = server(vec![refused]).await;
    let err = follow(
        &reqwest::Client::new(),
        &url,
        false,
        &quick(),
        &mut |_, _| Ok(Flow::Continue),
        &mut |_, _, _| Ok(()),
    )
    .await
    .expect_err("401 is final");
    assert!(
        matches!(err, ClientError::Auth { status: 401, .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("the viewer link has expired"),
        "{err}"
    );
    assert_eq!(seen.lock().expect("lock").len(), 1, "no retry after 401");
}

#[tokio::test]
async fn a_stream_that_never_comes_back_gives_up_after_the_attempts() {
    let (url, _) = server(vec![OK.to_owned(); 4]).await;
    let mut retries = 0;
    let err = follow(
        &reqwest::Client::new(),
        &url,
        false,
        &quick(),
        &mut |_, _| Ok(Flow::Continue),
        &mut |_, _, _| {
            retries += 1;
            Ok(())
        },
    )
    .await
    .expect_err("gives up");
    assert!(
        matches!(err, ClientError::StreamLost { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(retries, 3);
}

fn fleet_lines(minion: &str, id: &str, text: &str, cursor: &str) -> String {
    format!(
        "id: {cursor}\ndata: {{\"minion\":\"{minion}\",\"type\":\"lines\",\"id\":\"{id}\",\"lines\":[\"{text}\"]}}\n\n"
    )
}

#[tokio::test]
async fn a_dropped_fleet_stream_resumes_every_minion_after_its_own_id() {
    // Merged by id across minions; the connection drops inside web-01's 3-0.
    let first = format!(
        "{OK}{}{}{}id: x\ndata: {{\"minion\":\"web-01\",\"type\":\"lines\",\"id\":\"3-0\",\"li",
        fleet_lines("web-01", "1-0", "a1", "web-01=1-0"),
        fleet_lines("web-02", "2-0", "b1", "web-01=1-0,web-02=2-0"),
        fleet_lines("web-02", "2-1", "b2", "web-01=1-0,web-02=2-1"),
    );
    // The server overlaps on resume (web-02's 2-1 again) and web-01's 1-0.
    let second = format!(
        "{OK}{}{}{}{}",
        fleet_lines("web-01", "1-0", "a1", "-"),
        fleet_lines("web-02", "2-1", "b2", "-"),
        fleet_lines("web-01", "3-0", "a2", "-"),
        fleet_lines("web-02", "4-0", "b3", "-"),
    );
    let (url, seen) = server(vec![first, second, OK.to_owned()]).await;
    let mut got = Vec::new();
    let err = follow(
        &reqwest::Client::new(),
        &url,
        true,
        &Reconnect {
            max_attempts: 1,
            ..quick()
        },
        &mut |minion, m| {
            if let Message::Lines { lines, .. } = m {
                for l in lines.iter() {
                    got.push(format!("{}|{l}", minion.clone().unwrap_or_default()));
                }
            }
            Ok(Flow::Continue)
        },
        &mut |_, _, _| Ok(()),
    )
    .await
    .expect_err("the test server ends with an empty stream");
    assert!(matches!(err, ClientError::StreamLost { .. }), "{err}");
    assert_eq!(
        got,
        [
            "web-01|a1",
            "web-02|b1",
            "web-02|b2",
            "web-01|a2",
            "web-02|b3"
        ],
        "each minion's lines once, in its order"
    );
    assert_eq!(
        seen.lock().expect("lock")[..2],
        [None, Some("web-01=1-0,web-02=2-1".to_owned())],
        "the reconnect sends each minion's own last id"
    );
}
