//! A child process for the tests that run real programs (peers, the wasmtime CLI, Node): in its
//! own process group, stdout and stderr each in a file of its own, killed with its whole group
//! when dropped (the files removed, unless the test is failing: its message names them).

use crate::peers::NEEDS_SETUP;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Process {
    name: String,
    /// In a mutex so that [`Process::tail`] (which takes `&self`, inside a failing test's
    /// message) can tell whether the process is still there.
    child: std::sync::Mutex<Child>,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Process {
    pub fn spawn(name: &str, mut command: Command) -> Process {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let file = |stream: &str| {
            std::env::temp_dir().join(format!("litellm-test-{name}-{}-{nanos}.{stream}", std::process::id()))
        };
        let (stdout, stderr) = (file("out"), file("err"));
        command
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).expect("creating the stdout file"))
            .stderr(File::create(&stderr).expect("creating the stderr file"))
            .process_group(0);
        let child = command.spawn().unwrap_or_else(|e| panic!("starting {name} ({command:?}): {e}; {NEEDS_SETUP}"));
        Process { name: name.into(), child: std::sync::Mutex::new(child), stdout, stderr }
    }

    /// Runs `command` to its end (at most `timeout`): its status, its stdout, and the process.
    pub async fn run(name: &str, command: Command, timeout: Duration) -> (ExitStatus, String, Process) {
        let mut process = Process::spawn(name, command);
        let status = process.wait(timeout).await;
        (status, process.stdout(), process)
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The process id (of the group's leader).
    pub fn id(&self) -> u32 {
        self.child().id()
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The last 40 lines of each output, for a failure message.
    pub fn tail(&self) -> String {
        let last = |path: &PathBuf| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(40)..].join("\n")
        };
        // A peer that crashed (a signal) is a different failure from one that answered wrongly.
        let state = match self.exited() {
            Some(status) => format!("--- {} has ended: {status} ---\n", self.name),
            None => String::new(),
        };
        format!(
            "{state}--- {} stdout ({}) ---\n{}\n--- {} stderr ({}) ---\n{}",
            self.name,
            self.stdout.display(),
            last(&self.stdout),
            self.name,
            self.stderr.display(),
            last(&self.stderr)
        )
    }

    pub fn exited(&self) -> Option<ExitStatus> {
        self.child().try_wait().ok().flatten()
    }

    /// Waits for the process to end by itself; fails the test after `timeout`.
    pub async fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(Instant::now() < deadline, "{} did not finish within {timeout:?}\n{}", self.name, self.tail());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls `http://127.0.0.1:{port}{path}` until it answers 200, failing with the process's
    /// last output if it exits or `timeout` passes first.
    pub async fn wait_ready(&mut self, port: u16, path: &str, timeout: Duration) -> Duration {
        let start = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                panic!("{} exited ({status}) before it was ready\n{}", self.name, self.tail());
            }
            if http_get_status(port, path).await == Some(200) {
                return start.elapsed();
            }
            if start.elapsed() > timeout {
                panic!("{} was not ready on 127.0.0.1:{port}{path} within {timeout:?}\n{}", self.name, self.tail());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.exited().is_none() {
            // The whole group: a peer may have started children of its own.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child().id())])
                .stderr(Stdio::null())
                .status();
            let _ = self.child().kill();
        }
        let _ = self.child().wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_file(&self.stdout);
            let _ = std::fs::remove_file(&self.stderr);
        }
    }
}

/// The status of a plain HTTP/1.1 GET, or `None` when nothing answers (yet).
pub async fn http_get_status(port: u16, path: &str) -> Option<u16> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        let head = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        let mut buf = [0u8; 64];
        let mut read = 0;
        while read < 12 {
            match stream.read(&mut buf[read..]).await.ok()? {
                0 => return None,
                n => read += n,
            }
        }
        // "HTTP/1.1 200 OK"
        std::str::from_utf8(&buf[9..12]).ok()?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(5), exchange).await.ok().flatten()
}
