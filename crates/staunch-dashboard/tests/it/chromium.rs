//! Headless Chromium driven through chromedriver (WebDriver), for tests of pages.
//!
//! [`Browser::start`] runs `chromedriver` on a free loopback port and opens a headless
//! Chromium with a fresh profile and without background networking. When either program
//! is missing it prints a loud notice and returns `None`, so the calling test can skip,
//! except in continuous integration (`CI` or `STAUNCH_REQUIRE_BROWSER` set, as `.ci/run`
//! does), where it fails the test; `scripts/test.sh` installs both. The binaries can be
//! overridden with `CHROMIUM` and `CHROMEDRIVER`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Bound for starting the browser and for every page interaction.
pub(crate) const BROWSER_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Browser {
    client: Client,
    driver: Child,
    profile: PathBuf,
}

fn program(variable: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    path.is_file().then_some(path)
}

impl Browser {
    /// Starts chromedriver and a headless Chromium; `None` (after a loud notice) when
    /// either is not installed.
    pub(crate) async fn start(test: &str) -> Option<Browser> {
        let chromium = program("CHROMIUM", "/usr/bin/chromium");
        let driver = program("CHROMEDRIVER", "/usr/bin/chromedriver");
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            let required = ["CI", "STAUNCH_REQUIRE_BROWSER"]
                .iter()
                .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0"));
            assert!(
                !required,
                "{test}: chromium and chromedriver are required here (CI or \
                 STAUNCH_REQUIRE_BROWSER is set) but not installed; install them with \
                 `apt-get install -y chromium chromium-driver` (scripts/test.sh does)"
            );
            eprintln!("\n{}", "!".repeat(78));
            eprintln!("!! SKIPPED {test}: chromium and chromedriver are not installed.");
            eprintln!("!! Install them with `apt-get install -y chromium chromium-driver`");
            eprintln!("!! (scripts/test.sh does) to run the real-browser test.");
            eprintln!("{}\n", "!".repeat(78));
            return None;
        };
        let (driver, port) = start_driver(&driver).await;
        let profile = fresh_profile(test);
        let client = connect(port, &chromium, &profile).await;
        Some(Browser {
            client,
            driver,
            profile,
        })
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) async fn open(&self, url: &str) {
        self.client.goto(url).await.expect("page did not load");
    }

    /// Waits until an element matches `css`, up to `limit`.
    pub(crate) async fn wait_for(&self, css: &str, limit: Duration) -> Result<(), String> {
        let wait = self
            .client
            .wait()
            .at_most(limit)
            .every(Duration::from_millis(50));
        match wait.for_element(Locator::Css(css)).await {
            Ok(_) => Ok(()),
            Err(err) => Err(format!(
                "no element matched `{css}` within {limit:?}: {err}"
            )),
        }
    }

    /// The text of the first element matching `css`.
    pub(crate) async fn text(&self, css: &str) -> String {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .expect("no such element");
        element.text().await.expect("element text")
    }

    /// Saves a PNG screenshot of the window to `path`, creating its directory.
    pub(crate) async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    pub(crate) async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Runs chromedriver on a free port and waits for it to say it started.
async fn start_driver(path: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free port")
        .port();
    let mut child = Command::new(path)
        .arg(format!("--port={port}"))
        .arg("--allowed-ips=127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver did not start");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let started = async {
        while let Some(line) = lines.next_line().await.expect("chromedriver output") {
            if line.contains("started successfully") {
                return;
            }
        }
        panic!("chromedriver exited before it started");
    };
    tokio::time::timeout(BROWSER_TIMEOUT, started)
        .await
        .expect("chromedriver did not start in time");
    // Keep reading its output so that it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, port)
}

fn fresh_profile(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("chromium-profiles")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn connect(port: u16, chromium: &Path, profile: &Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,860",
        "--hide-scrollbars",
    ]
    .map(String::from)
    .into_iter()
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": chromium, "args": args }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut builder = ClientBuilder::new(connector);
    builder.capabilities(capabilities);
    let url = format!("http://127.0.0.1:{port}");
    tokio::time::timeout(BROWSER_TIMEOUT, builder.connect(&url))
        .await
        .expect("chromium did not start in time")
        .expect("chromium did not start")
}
