//! A private, real `redis-server` for one test: a reserved 127.0.0.1 port, a
//! tempdir, the same ACL users as the stack (admin, the `logtail` tailer
//! user, the `logview` reader); can be killed and restarted on the same port
//! (outage tests) and is killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::ports::ReservedPort;

const REDIS_SERVER: &str = "/usr/bin/redis-server";
const ADMIN_PASS: &str = "admin-test-pass";
const TAILER_PASS: &str = "tailer-test-pass";
const LOGVIEW_PASS: &str = "logview-test-pass";

/// A running private redis-server.
pub struct RedisServer {
    dir: tempfile::TempDir,
    port: ReservedPort,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a reserved port and waits until it answers.
    pub fn start() -> RedisServer {
        assert!(
            std::path::Path::new(REDIS_SERVER).exists(),
            "{REDIS_SERVER} is missing: apt-get install redis-server"
        );
        let dir = tempfile::tempdir().expect("tempdir for redis");
        std::fs::write(
            dir.path().join("users.acl"),
            format!(
                "user default off\n\
                 user admin on >{ADMIN_PASS} ~* &* +@all\n\
                 user logtail on >{TAILER_PASS} resetchannels ~logs:* -@all +xadd +expire +get +exists +pttl +set +del\n\
                 user logview on >{LOGVIEW_PASS} resetchannels ~logs:* -@all +xread +xrange +xrevrange +set\n"
            ),
        )
        .expect("write users.acl");
        let port = ReservedPort::new();
        let mut server = RedisServer {
            dir,
            port,
            child: None,
        };
        server.restart();
        server
    }

    /// The port it listens on (kept across restarts).
    pub fn port(&self) -> u16 {
        self.port.port()
    }

    /// The server's pid (benchmarks read its CPU time).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// URL of the tailer user (what logtail's config holds).
    pub fn tailer_url(&self) -> String {
        format!("redis://logtail:{TAILER_PASS}@127.0.0.1:{}/0", self.port())
    }

    /// URL of the admin user (tests read streams with it).
    pub fn admin_url(&self) -> String {
        format!("redis://admin:{ADMIN_PASS}@127.0.0.1:{}/0", self.port())
    }

    /// URL of the logview reader user.
    pub fn logview_url(&self) -> String {
        format!("redis://logview:{LOGVIEW_PASS}@127.0.0.1:{}/0", self.port())
    }

    /// A fresh admin connection.
    pub fn admin(&self) -> redis::Connection {
        let client = redis::Client::open(self.admin_url()).expect("admin url");
        let con = client
            .get_connection_with_timeout(Duration::from_secs(5))
            .expect("admin connection");
        con.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("read timeout");
        con
    }

    /// Kills the server (SIGKILL): an outage. Data is lost, as with a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts (again) on the same port and waits until it answers.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new(REDIS_SERVER)
            .args(["--port", &self.port().to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--aclfile")
            .arg(self.acl_file())
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--logfile", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = redis::Client::open(self.admin_url()).expect("admin url");
        loop {
            if let Ok(mut con) = client.get_connection_with_timeout(Duration::from_millis(500)) {
                if redis::cmd("PING").query::<String>(&mut con).is_ok() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} did not come up",
                self.port()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn acl_file(&self) -> PathBuf {
        self.dir.path().join("users.acl")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
