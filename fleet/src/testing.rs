//! A throwaway `nats-server -js` on loopback for tests (this crate's and the command line's).
//!
//! Where `nats-server` is not on PATH, [`NatsServer::start`] returns `None` after printing
//! "skipped: …" — unless `CLICKCHAIN_REQUIRE_NATS=1` (set by `.ci/run` once it installed the
//! server), where a missing server fails the test.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running server with its own store folder; killed when dropped.
pub struct NatsServer {
    child: Option<Child>,
    port: u16,
    store: PathBuf,
}

impl NatsServer {
    /// Starts a server with JetStream in `store` on a free loopback port; `None` (with the
    /// reason printed) where there is no `nats-server`.
    pub fn start(store: &Path) -> Option<NatsServer> {
        let Some(binary) = find_binary() else {
            if std::env::var("CLICKCHAIN_REQUIRE_NATS").is_ok_and(|v| v == "1") {
                panic!("CLICKCHAIN_REQUIRE_NATS=1 but nats-server is not on PATH");
            }
            eprintln!("skipped: nats-server is not on PATH (.ci/install-test-deps.sh installs it)");
            return None;
        };
        let port =
            TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port");
        let mut server = NatsServer { child: None, port, store: store.to_owned() };
        server.spawn(&binary);
        Some(server)
    }

    fn spawn(&mut self, binary: &Path) {
        let log = std::fs::File::create(self.store.with_extension("log")).expect("the server's log file");
        let child = Command::new(binary)
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("nats-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not listen on {} within 20s", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The client URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server (SIGKILL) and starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        let binary = find_binary().expect("nats-server was there");
        self.spawn(&binary);
    }

    /// Stops the server.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn find_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|d| d.join("nats-server"))
        .find(|p| p.is_file())
}
