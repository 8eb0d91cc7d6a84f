//! The gateway on a wasmCloud 1.x lattice, run by the engine itself: nats-server with JetStream,
//! wadm and two hosts (the launchers of `deploy/wasmcloud/`, over the published `wasmcloud-host`
//! and `wadm` libraries), the manifest `deploy/wasmcloud/gateway.wadm.yaml` deployed through wadm,
//! haproxy in front of the two hosts' ingress ports, the project's mock as the upstream. Then:
//! requests spread over both hosts, one host killed with SIGKILL in the middle of paced requests
//! without a failed request at the client, and wadm placing the gateway on the restarted host.
//!
//! Every wait is bounded; every process is stopped when the test ends, also when it fails (each is
//! a [`Process`], killed with its group when dropped). The figures (requests per host, the longest
//! request during the kill, the time wadm took to place the gateway again) are printed on stderr:
//! `cargo test -p litellm-host --test all -- --ignored lattice --nocapture`.

use crate::composition::{http_waiting, http_with, Reply, CLIENT_KEY};
use crate::peers::{free_port, peer_file, peers_dir};
use crate::process::Process;
use litellm_mock::MockServer;
use serde_json::json;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

const CHAT: &str = "/v1/chat/completions";
const UPSTREAM_KEY: &str = "sk-lattice-upstream-key";

/// A launcher of `deploy/wasmcloud/`, which `peers/setup.sh` builds and copies to
/// `peers/.lattice/bin/`. Without backtraces: wasmCloud logs an error with its whole backtrace
/// when `RUST_BACKTRACE` is set (as CI sets it), and forty lines of frames would fill the tail a
/// failure message shows instead of the messages that explain it.
fn launcher(name: &str) -> Command {
    let mut command = Command::new(peer_file(&format!(".lattice/bin/{name}")));
    command.env("RUST_BACKTRACE", "0").env("RUST_LIB_BACKTRACE", "0");
    command
}

/// haproxy, from Debian (`.ci/run` installs it).
fn haproxy() -> PathBuf {
    ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("haproxy is not installed: apt-get install haproxy (.ci/run does)")
}

/// A directory for this test's files, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("litellm-lattice-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating the test's directory");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A host of the lattice, labelled `litellm-node=NODE`.
fn start_host(nats: &str, node: &str) -> Process {
    let mut command = launcher("lattice-host");
    command.args(["--nats-url", nats, "--label", &format!("litellm-node={node}"), "--heartbeat-secs", "5"]);
    command.env("RUST_LOG", "info");
    Process::spawn(&format!("wasmcloud-host-{node}"), command)
}

/// One chat request through `port` with the client key: its reply, or the I/O error.
fn chat(port: u16, n: usize) -> std::io::Result<Reply> {
    chat_with(port, "gpt-4o", n)
}

/// How long a client waits for an answer: past the provider's own wait for a response head
/// (connect 10 s + first byte 60 s, its defaults) and its retry. Under load, wasmCloud 1.x's built-in HTTP client can leave an outgoing call without
/// an answer (seen once in CI: docs/wasmcloud.md); the provider's timeout and retry recover it.
const CLIENT_WAIT: Duration = Duration::from_secs(150);

fn chat_with(port: u16, model: &str, n: usize) -> std::io::Result<Reply> {
    let body = json!({"model": model, "messages": [{"role": "user", "content": format!("request {n}")}]});
    let key = format!("Bearer {CLIENT_KEY}");
    http_waiting(port, "POST", CHAT, Some(&body.to_string()), &[("authorization", &key)], CLIENT_WAIT)
}

/// Waits until `GET /health` on `port` answers 200; the time it took.
async fn healthy(port: u16, timeout: Duration, what: &str, logs: &[&Process]) -> Duration {
    let start = Instant::now();
    loop {
        if matches!(http_with(port, "GET", "/health", None, &[]), Ok(reply) if reply.status == 200) {
            return start.elapsed();
        }
        if start.elapsed() > timeout {
            let tails: Vec<String> = logs.iter().map(|p| p.tail()).collect();
            panic!("{what} did not answer /health within {timeout:?}\n{}", tails.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// haproxy's view of each server of the `gateways` backend: its name, status (`UP`, `DOWN`…), 2xx
/// responses so far and its last health check, from haproxy's statistics page as CSV.
fn servers(stats_port: u16) -> Vec<(String, String, u64, String)> {
    let reply = http_with(stats_port, "GET", "/stats;csv", None, &[]).expect("haproxy's statistics");
    let mut lines = reply.body.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().trim_start_matches("# ").split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap_or_else(|| panic!("no {name} column"));
    let (proxy, server, status, ok) = (column("pxname"), column("svname"), column("status"), column("hrsp_2xx"));
    let (check, detail) = (column("check_status"), column("last_chk"));
    lines
        .map(|line| line.split(',').collect::<Vec<_>>())
        .filter(|row| row.len() > ok.max(detail) && row[proxy] == "gateways" && row[server] != "BACKEND")
        .map(|row| {
            let last_check = format!("{} {}", row[check], row[detail]);
            (row[server].to_string(), row[status].to_string(), row[ok].parse().unwrap_or(0), last_check)
        })
        .collect()
}

/// Responses with a 2xx status each server gave so far: (a, b).
fn served(stats_port: u16) -> (u64, u64) {
    let all = servers(stats_port);
    let of = |name: &str| all.iter().find(|(n, ..)| n == name).map_or(0, |(_, _, ok, _)| *ok);
    (of("a"), of("b"))
}

/// haproxy in front of the two ingress ports: round robin, health checks on `/health` every
/// 500 ms, and a request that found a dead server (refused, reset, no answer) or got a gateway
/// error sent again to the other one.
fn haproxy_config(front: u16, stats: u16, a: u16, b: u16) -> String {
    format!(
        "global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 150s
    timeout server 150s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 502 503 504
frontend gateway
    bind 127.0.0.1:{front}
    default_backend gateways
backend gateways
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host gateway
    http-check expect status 200
    default-server check inter 500ms fall 2 rise 2
    server a 127.0.0.1:{a}
    server b 127.0.0.1:{b}
frontend stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /stats
"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs nats-server and the wasmCloud launchers (bash peers/setup.sh) and haproxy"]
async fn the_gateway_on_two_wasmcloud_hosts_survives_losing_one() {
    let scratch = Scratch::new();
    let mock = MockServer::start().await.expect("the mock starts");

    // NATS with JetStream, on loopback only.
    let (nats_port, monitor) = (free_port(), free_port());
    let nats_url = format!("nats://127.0.0.1:{nats_port}");
    let mut command = Command::new(peer_file(".venv/bin/nats-server"));
    command.args(["-js", "-a", "127.0.0.1", "-p", &nats_port.to_string(), "-m", &monitor.to_string()]);
    command.arg("-sd").arg(scratch.0.join("jetstream"));
    let mut nats = Process::spawn("nats-server", command);
    nats.wait_ready(monitor, "/healthz", Duration::from_secs(30)).await;

    // wadm, with a short cleanup interval so that a dead host leaves its state within 30 s.
    let mut command = launcher("lattice-wadm");
    command.args(["--nats-server", &format!("127.0.0.1:{nats_port}"), "--cleanup-interval", "15"]);
    let wadm = Process::spawn("wadm", command);

    // `None` while it is dead.
    let mut host_a = Some(start_host(&nats_url, "a"));
    let host_b = start_host(&nats_url, "b");
    let tail = |host: &Option<Process>| host.as_ref().map(Process::tail).unwrap_or_default();

    // The manifest, deployed through wadm; `lattice-deploy` waits for wadm's `deployed`.
    let (ingress_a, ingress_b) = (free_port(), free_port());
    let gateway = litellm_compose::gateway_wasmcloud_composed();
    let manifest = peers_dir().join("../deploy/wasmcloud/gateway.wadm.yaml");
    let mut command = launcher("lattice-deploy");
    command.arg(&manifest).args(["--nats-url", &nats_url, "--wait-secs", "180"]);
    for (name, value) in [
        ("GATEWAY_WASM", gateway.display().to_string()),
        ("UPSTREAM_URL", mock.base_url()),
        ("UPSTREAM_KEY", UPSTREAM_KEY.to_string()),
        // The gateway's one client key, named team-a; requests carry it.
        ("CLIENT_KEYS", format!("team-a={CLIENT_KEY}")),
        ("INGRESS_A", format!("127.0.0.1:{ingress_a}")),
        ("INGRESS_B", format!("127.0.0.1:{ingress_b}")),
    ] {
        command.args(["--set", &format!("{name}={value}")]);
    }
    let started = Instant::now();
    let (status, _, deploy) = Process::run("lattice-deploy", command, Duration::from_secs(200)).await;
    assert!(status.success(), "{}\n{}\n{}\n{}", deploy.tail(), wadm.tail(), tail(&host_a), host_b.tail());
    healthy(ingress_a, Duration::from_secs(120), "host a's ingress", &[host_a.as_ref().unwrap(), &wadm]).await;
    healthy(ingress_b, Duration::from_secs(120), "host b's ingress", &[&host_b, &wadm]).await;
    eprintln!(
        "lattice: deployed, both ingresses healthy {:.1} s after the deploy started",
        started.elapsed().as_secs_f64()
    );

    // haproxy in front of both.
    let (front, stats) = (free_port(), free_port());
    let config = scratch.0.join("haproxy.cfg");
    std::fs::write(&config, haproxy_config(front, stats, ingress_a, ingress_b)).unwrap();
    let mut command = Command::new(haproxy());
    command.arg("-db").arg("-f").arg(&config);
    let mut balancer = Process::spawn("haproxy", command);
    balancer.wait_ready(stats, "/stats", Duration::from_secs(30)).await;
    let up = |stats: u16| servers(stats).iter().filter(|(_, status, ..)| status == "UP").count();
    let deadline = Instant::now() + Duration::from_secs(30);
    while up(stats) < 2 {
        assert!(Instant::now() < deadline, "haproxy did not see both hosts up: {:?}", servers(stats));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // 1. 200 requests, all answered, both hosts serving.
    let mut slowest = Duration::ZERO;
    for n in 0..200 {
        let sent = Instant::now();
        let reply = chat(front, n).unwrap_or_else(|e| panic!("request {n}: {e}\n{}", balancer.tail()));
        slowest = slowest.max(sent.elapsed());
        assert_eq!(reply.status, 200, "request {n}: {reply:?}\n{}\n{}", tail(&host_a), host_b.tail());
        assert!(reply.json()["choices"][0]["message"]["content"].is_string(), "{reply:?}");
    }
    let (a1, b1) = served(stats);
    eprintln!(
        "lattice: 200 requests through haproxy: host a served {a1}, host b served {b1}; slowest {:.0} ms",
        slowest.as_secs_f64() * 1000.0
    );
    // At least one 2xx a request: in the CI run where wasmCloud lost an answer (see CLIENT_WAIT)
    // haproxy counted 201 for the 200 requests.
    assert!(a1 + b1 >= 200, "{:?}", servers(stats));
    assert!(a1 > 0 && b1 > 0, "both hosts must serve: a {a1}, b {b1}");
    // The upstream saw every request, with the key from the manifest's configuration; more than
    // once only where the provider retried.
    let upstream = mock.take_requests();
    eprintln!("lattice: the upstream saw {} requests for 200 (the rest are the provider's retries)", upstream.len());
    assert!(upstream.len() >= 200, "{}", upstream.len());
    assert!(upstream.iter().all(|r| r.header("authorization") == Some(&*format!("Bearer {UPSTREAM_KEY}"))));

    // An upstream slower than wasmcloud-host's fixed 10 s wRPC invocation timeout still answers.
    let sent = Instant::now();
    let reply = chat_with(front, "mock/slow-headers-12000", 0).expect("the slow request");
    eprintln!(
        "lattice: an upstream that answers after 12 s: {} after {:.1} s",
        reply.status,
        sent.elapsed().as_secs_f64()
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    mock.take_requests();

    // 2. 300 requests paced 20 ms apart; host a killed with SIGKILL before the 100th.
    let mut failed = Vec::new();
    slowest = Duration::ZERO;
    let kill_phase = Instant::now();
    for n in 0..300 {
        if n == 100 {
            drop(host_a.take());
            eprintln!("lattice: host a killed (SIGKILL) before request 100 of 300");
        }
        let sent = Instant::now();
        match chat(front, n) {
            Ok(reply) if reply.status == 200 => {}
            Ok(reply) => failed.push(format!("request {n}: {} {}", reply.status, reply.body)),
            Err(e) => failed.push(format!("request {n}: {e}")),
        }
        slowest = slowest.max(sent.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    let (a2, b2) = served(stats);
    eprintln!(
        "lattice: 300 paced requests with host a killed: {} failed; host a served {}, host b {}; slowest {:.0} ms; {:.1} s in all",
        failed.len(),
        a2 - a1,
        b2 - b1,
        slowest.as_secs_f64() * 1000.0,
        kill_phase.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "failed at the client: {failed:#?}\n{}", host_b.tail());
    assert!(a2 > a1, "host a served nothing before it was killed");

    // 3. Host a back (a new host with the same label): wadm places the gateway and its ingress on
    // it without help. The component comes within a second; the built-in providers (the ingress)
    // can take up to a minute after the deploy: wadm waits for a `provider_started` event whose
    // image reference the host spells differently for built-ins (docs/wasmcloud.md).
    host_a = Some(start_host(&nats_url, "a"));
    let replaced =
        healthy(ingress_a, Duration::from_secs(180), "the restarted host a", &[host_a.as_ref().unwrap(), &wadm]).await;
    eprintln!(
        "lattice: wadm placed the gateway on the restarted host a: its ingress answered {:.1} s after the host started",
        replaced.as_secs_f64()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while up(stats) < 2 {
        assert!(Instant::now() < deadline, "haproxy did not see host a again: {:?}", servers(stats));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for n in 0..100 {
        let reply = chat(front, n).unwrap_or_else(|e| panic!("request {n} after the restart: {e}"));
        assert_eq!(reply.status, 200, "request {n} after the restart: {reply:?}");
    }
    let (a3, b3) = served(stats);
    eprintln!("lattice: 100 requests after the restart: host a served {}, host b {}", a3 - a2, b3 - b2);
    assert!(a3 > a2 && b3 > b2, "both hosts must serve again: a {}, b {}", a3 - a2, b3 - b2);
    drop((balancer, host_a, host_b, wadm, nats, scratch));
}
