//! report.html in a real browser: the quickstart's report loaded in headless Chromium shows no
//! console message, makes no network request, and has every figure in its DOM; a screenshot
//! is taken. The reports of a small run, sweep and plan each open with their answer: it is the
//! first element of the body, so the first screen shows it.
//!
//! Needs Chromium (`/usr/bin/chromium`, or the path in `FLEETSIM_CHROMIUM`). Without it the
//! test says so and passes, unless `FLEETSIM_REQUIRE_CHROMIUM=1` (set by `.ci/run`), when a
//! missing browser fails it.

use crate::common;
use crate::common::{constant_stream_scenario, fleetsim_ok, stream_plan};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("FLEETSIM_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var("FLEETSIM_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "FLEETSIM_REQUIRE_CHROMIUM=1 but there is no browser at {} (apt-get install chromium)",
        path.display()
    );
    eprintln!(
        "skipping the browser test: no Chromium at {} (install Debian's `chromium`, or set FLEETSIM_CHROMIUM)",
        path.display()
    );
    None
}

/// What one headless Chromium run left: its stderr and the files it was asked to write.
struct BrowserRun {
    stdout: String,
    stderr: String,
}

/// Opens `page` in a fresh headless Chromium with `extra` arguments and waits (at most 2
/// minutes) for it to exit.
fn open(browser: &Path, page: &Path, extra: &[String]) -> BrowserRun {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
        text
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!(
                "chromium did not finish loading {} in 2 minutes",
                page.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    BrowserRun {
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

/// Console messages of the page (Chromium logs each as a `CONSOLE` line).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

/// URLs the page itself asked for, from a Chromium net log. The browser's own background
/// requests (update checks) have no origin; a page's requests carry its origin (`null` for a
/// file).
fn page_requests(net_log: &Path) -> Vec<String> {
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(net_log).unwrap()).unwrap();
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["type"] == start_job)
        .filter(|event| event["params"]["initiator"] != "not an origin")
        .filter_map(|event| event["params"]["url"].as_str().map(str::to_owned))
        .collect()
}

/// Width and height from a PNG's header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn the_quickstart_report_renders_offline_without_console_messages() {
    if common::skip_slow() {
        return;
    }
    let Some(browser) = chromium() else {
        return;
    };
    let quickstart =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/quickstart.yaml");
    let (tmp, out) = common::run_quiet_with(&quickstart, &[]);
    let report = out.join("report.html");
    let figures: Vec<String> = std::fs::read_dir(out.join("figures"))
        .unwrap()
        .map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.trim_end_matches(".svg").to_owned()
        })
        .collect();
    assert!(figures.len() >= 7, "{figures:?}");

    // The detector sees a request when a page makes one: a control page fetching an image.
    let control = tmp.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><html><body><img src=\"http://example.invalid/x.png\"></body></html>",
    )
    .unwrap();
    let control_log = tmp.path().join("control-net.json");
    open(
        &browser,
        &control,
        &[
            format!("--log-net-log={}", control_log.display()),
            "--dump-dom".to_owned(),
        ],
    );
    assert_eq!(
        page_requests(&control_log),
        ["http://example.invalid/x.png"]
    );

    let net_log = tmp.path().join("net.json");
    let loaded = open(
        &browser,
        &report,
        &[
            format!("--log-net-log={}", net_log.display()),
            "--dump-dom".to_owned(),
        ],
    );
    assert_eq!(console_lines(&loaded.stderr), Vec::<&str>::new());
    assert_eq!(page_requests(&net_log), Vec::<String>::new());
    let dom = &loaded.stdout;
    for figure in &figures {
        assert!(
            dom.contains(&format!("<figure id=\"fig-{figure}\">")),
            "figure {figure} is not in the DOM"
        );
    }
    assert!(dom.matches("<svg ").count() >= figures.len());
    assert!(dom.contains("<h1>quickstart</h1>"));

    let screenshot = tmp.path().join("report.png");
    let shot = open(
        &browser,
        &report,
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,4000".to_owned(),
        ],
    );
    assert_eq!(console_lines(&shot.stderr), Vec::<&str>::new());
    let png = std::fs::read(&screenshot).unwrap();
    assert_eq!(png_size(&png), (1280, 4000));
    // A blank page of that size compresses to a few kB; figures and tables take far more.
    assert!(png.len() > 100_000, "{} bytes", png.len());
    if let Some(keep) = std::env::var_os("FLEETSIM_KEEP_SCREENSHOT") {
        std::fs::copy(&screenshot, keep).unwrap();
    }
}

/// The body of a page as Chromium serialized it, from its first element on.
fn body_of(dom: &str) -> &str {
    let start = dom.find("<body>").expect("a body") + "<body>".len();
    dom[start..].trim_start()
}

/// Loads `report` in Chromium, checks its body opens with the answer paragraph starting with
/// `answer`, and takes a screenshot of the first screen.
fn assert_answer_first(browser: &Path, report: &Path, answer: &str) {
    let loaded = open(browser, report, &["--dump-dom".to_owned()]);
    assert_eq!(console_lines(&loaded.stderr), Vec::<&str>::new());
    let body = body_of(&loaded.stdout);
    let opening = format!("<p class=\"answer\" id=\"answer\">{answer}");
    assert!(
        body.starts_with(&opening),
        "{} does not open with {opening:?}: {}",
        report.display(),
        &body[..body.len().min(300)]
    );
    let screenshot = report.with_extension("png");
    open(
        browser,
        report,
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1280,800".to_owned(),
        ],
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert_eq!(png_size(&png), (1280, 800));
    // A blank screen compresses to about 1 kB; a screen with text takes several.
    assert!(png.len() > 4_000, "{} bytes", png.len());
}

#[test]
fn run_sweep_and_plan_reports_open_with_the_answer() {
    let Some(browser) = chromium() else {
        return;
    };
    // The constant stream of tests/e2e/common.rs: 11 nodes are the fewest with no job
    // waiting, 7 more than the 4 the plan starts from (at 3 a node, cost 21).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("stream.yaml"), constant_stream_scenario(120, 4)).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();

    std::fs::write(dir.join("eleven.yaml"), constant_stream_scenario(120, 11)).unwrap();
    fleetsim_ok(&[
        "run",
        &path("eleven.yaml"),
        "--out",
        &path("run"),
        "--quiet",
    ]);
    assert_answer_first(
        &browser,
        &dir.join("run/report.html"),
        "constant-stream: 120 of 120 jobs completed, none still waiting; started jobs waited 0.0 s at p95;",
    );

    std::fs::write(
        dir.join("sweep.yaml"),
        "scenario: stream.yaml\nreplications: 2\naxes:\n  - {name: nodes, path: \"clusters[name=c1].node_pools[0].count\", values: [10, 11]}\ntarget:\n  - {metric: wait_p95_s, at_most: 60s}\n",
    )
    .unwrap();
    fleetsim_ok(&[
        "sweep",
        &path("sweep.yaml"),
        "--out",
        &path("sweep"),
        "--quiet",
    ]);
    assert_answer_first(
        &browser,
        &dir.join("sweep/report.html"),
        "nodes = 11 is the smallest value that keeps wait_p95_s at most 60.0 s in every cell",
    );

    std::fs::write(dir.join("plan.yaml"), stream_plan(1, "mean", 8)).unwrap();
    fleetsim_ok(&[
        "plan",
        &path("plan.yaml"),
        "--out",
        &path("plan"),
        "--quiet",
    ]);
    assert_answer_first(
        &browser,
        &dir.join("plan/report.html"),
        "Answer: added = 7 (cost 21) is the cheapest change that meets wait_p95_s ≤ 60",
    );
}
