//! Ports for servers a test starts itself: reserved by the kernel, not
//! guessed. The one way tests get a port that something else will listen on
//! (logview itself is served on a listener bound to 127.0.0.1:0 and kept).

use std::net::SocketAddr;

use tokio::net::TcpSocket;

/// A 127.0.0.1 port held by a socket that is bound with `SO_REUSEADDR` and
/// never listens, for as long as this value lives.
///
/// While it lives, Linux gives the port to no other `bind(…:0)` (a free-port
/// search does not reuse a port another socket is bound to) and a connection
/// to it is refused. A server started on it that also sets `SO_REUSEADDR`
/// (redis-server, salt-api's CherryPy) can still bind and listen on it, and
/// can be stopped and restarted on it without another test taking it in
/// between. Unlike "bind port 0, read the port, close, reuse it", nothing can
/// grab the port between choosing it and using it.
pub struct ReservedPort {
    _socket: TcpSocket,
    port: u16,
}

impl ReservedPort {
    /// Reserves a free port on 127.0.0.1.
    pub fn new() -> ReservedPort {
        let socket = TcpSocket::new_v4().expect("create a TCP socket");
        socket.set_reuseaddr(true).expect("set SO_REUSEADDR");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind 127.0.0.1:0");
        let port = socket.local_addr().expect("local addr").port();
        ReservedPort {
            _socket: socket,
            port,
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}
