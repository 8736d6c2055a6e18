//! Shared pieces of the tsdbd integration tests: free ports, child processes that are killed
//! when the test ends, the real peers from Debian's packages, and small HTTP helpers.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now (the OS picks it; a tiny race remains until the child
/// binds it, which these tests accept).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"))
        .port()
}

/// The path of a peer program from Debian's packages, or `None` to skip the test locally. In
/// CI (`CI` set) a missing peer fails the test: `.ci/run` installs them.
pub fn peer(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is missing; .ci/run installs it"
        );
        eprintln!("skipping: {program} is not installed");
    }
    found
}

/// A child process killed (and reaped) when dropped.
pub struct Running {
    pub name: String,
    child: Child,
    log: PathBuf,
}

impl Running {
    /// Starts `program` with `args`, its stdout and stderr in `log_dir/<name>.log`.
    pub fn start(name: &str, program: &Path, args: &[String], log_dir: &Path) -> Running {
        let log = log_dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = out.try_clone().unwrap_or_else(|e| panic!("{e}"));
        let child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));
        Running {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// What the process logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. "HUP", "TERM") with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits up to `timeout` for the process to exit on its own; its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- log of {} ---\n{}", self.name, self.log());
        }
    }
}

/// Polls `check` every 100 ms until it returns `Some` or `timeout` passes.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// GETs `url`; the status code and body, or `None` when the connection failed.
pub async fn get(url: &str) -> Option<(u16, String)> {
    let response = reqwest::get(url).await.ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// GETs `url` and parses the body as JSON, asserting a 200.
pub async fn get_json(url: &str) -> serde_json::Value {
    let (status, body) = get(url)
        .await
        .unwrap_or_else(|| panic!("GET {url}: no connection"));
    assert_eq!(status, 200, "GET {url}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {url}: {e}: {body}"))
}

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A tsdbd server started from the test binary's sibling `tsdbd`.
pub struct Tsdbd {
    pub base: String,
    pub address: String,
    pub process: Running,
}

impl Tsdbd {
    /// Starts tsdbd on a free port with storage in `dir/data`, the configuration `config`
    /// (written to `dir/prometheus.yml`; `None` for the built-in one) and extra `flags`,
    /// and waits until `/-/ready` answers. `prefix` is the route prefix the flags set, if any.
    pub async fn start(dir: &Path, config: Option<&str>, flags: &[&str], prefix: &str) -> Tsdbd {
        let address = format!("127.0.0.1:{}", free_port());
        Tsdbd::start_at(dir, &address, config, flags, prefix).await
    }

    /// [`Tsdbd::start`] on a given `address`.
    pub async fn start_at(
        dir: &Path,
        address: &str,
        config: Option<&str>,
        flags: &[&str],
        prefix: &str,
    ) -> Tsdbd {
        let address = address.to_owned();
        let mut args = vec![
            format!("--web.listen-address={address}"),
            format!("--storage.tsdb.path={}", dir.join("data").display()),
            "--log.level=debug".to_owned(),
        ];
        if let Some(config) = config {
            let path = dir.join("prometheus.yml");
            std::fs::write(&path, config).unwrap_or_else(|e| panic!("{e}"));
            args.push(format!("--config.file={}", path.display()));
        }
        args.extend(flags.iter().map(|f| (*f).to_owned()));
        let process = Running::start("tsdbd", Path::new(env!("CARGO_BIN_EXE_tsdbd")), &args, dir);
        let base = format!("http://{address}{prefix}");
        let ready = format!("{base}/-/ready");
        eventually("tsdbd to be ready", Duration::from_secs(30), || async {
            matches!(get(&ready).await, Some((200, _))).then_some(())
        })
        .await;
        Tsdbd {
            base,
            address,
            process,
        }
    }

    /// `/api/v1/query?query=...` (instant, now); the `data.result` array.
    pub async fn query(&self, query: &str) -> Vec<serde_json::Value> {
        let body = get_json(&format!(
            "{}/api/v1/query?query={}",
            self.base,
            encode(query)
        ))
        .await;
        body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("{query}: no result array in {body}"))
    }
}
