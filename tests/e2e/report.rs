//! `fleetsim report`: figures and report.html drawn again from a run's or an experiment's
//! files, the same bytes as the run drew, and exit code 2 naming the file on bad input.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fleetsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleetsim"))
        .args(args)
        .output()
        .expect("binary runs")
}

/// The quickstart cut to 200 jobs, written into `dir`.
fn small_quickstart(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/quickstart.yaml"),
    )
    .unwrap();
    assert!(text.contains("jobs: 10000"));
    let scenario = dir.join("small.yaml");
    std::fs::write(&scenario, text.replace("jobs: 10000", "jobs: 200")).unwrap();
    scenario
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("figures"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                format!("figures/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    found.push((
        "report.html".into(),
        std::fs::read(dir.join("report.html")).unwrap(),
    ));
    found.sort();
    found
}

#[test]
fn report_draws_the_same_figures_and_page_as_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    // The quickstart has priority classes; budget-small's namespace goes over its budget
    // (the quota figure's filled area).
    let scenarios = [
        small_quickstart(tmp.path()),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/budget-small.yaml"),
    ];
    for scenario in &scenarios {
        for format in ["parquet", "csv"] {
            let (_run, out) = common::run_quiet_with(scenario, &["--format", format]);
            let drawn_by_run = files(&out);
            if scenario.ends_with("budget-small.yaml") {
                let quota = std::fs::read_to_string(out.join("figures/quota.svg")).unwrap();
                assert!(quota.contains("team over budget"), "{quota}");
            }
            std::fs::remove_dir_all(out.join("figures")).unwrap();
            std::fs::remove_file(out.join("report.html")).unwrap();
            let output = fleetsim(&["report", out.to_str().unwrap()]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(stdout.contains("report.html"), "{stdout}");
            assert_eq!(files(&out), drawn_by_run, "{} {format}", scenario.display());
        }
    }
}

#[test]
fn report_on_bad_input_exits_2_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nowhere");
    let output = fleetsim(&["report", missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nowhere"));

    let (_run, out) = common::run_quiet_with(&small_quickstart(tmp.path()), &[]);
    let page = std::fs::read(out.join("report.html")).unwrap();
    std::fs::write(out.join("timeline.parquet"), "not parquet").unwrap();
    let output = fleetsim(&["report", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("timeline.parquet"), "{stderr}");
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), page);

    std::fs::write(out.join("summary.json"), "{\"scenario\": 3}").unwrap();
    let output = fleetsim(&["report", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("summary.json"), "{stderr}");
}

#[test]
fn report_on_an_experiment_draws_one_figure_per_workload() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("experiment.json"),
        r#"{"experiment": "fragmentation", "policies": ["BestFit", "FGD"], "seeds": [1, 2]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("means.csv"),
        "workload,policy,arrived_pct,n_seeds,mean_pct,std_pct,median_pct,p25_pct,p75_pct\n\
         w1,BestFit,0,2,0.0,,,,\n\
         w1,BestFit,50,2,48.5,,,,\n\
         w1,FGD,0,2,0.0,,,,\n\
         w1,FGD,50,2,49.9,,,,\n\
         w 2,FGD,0,2,0.0,,,,\n\
         w 2,FGD,50,2,,,,,\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("runs.csv"),
        "workload,policy,seed,pods,pods_failed,arrived_pct,gpu_allocation_pct,fragment_pct,first_failure_gpu_allocation_pct\n\
         w1,BestFit,1,10,1,60.0,90.0,4.0,88.0\n\
         w1,BestFit,2,10,3,60.0,92.0,6.0,85.0\n\
         w1,FGD,1,10,0,60.0,95.0,2.0,\n\
         w1,FGD,2,10,1,60.0,97.0,3.0,96.0\n\
         w 2,FGD,1,10,0,60.0,50.0,1.0,\n",
    )
    .unwrap();
    let output = fleetsim(&["report", dir.to_str().unwrap(), "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut figures: Vec<String> = std::fs::read_dir(dir.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    figures.sort();
    // "w 2" is not a safe file name: its space becomes an underscore.
    assert_eq!(figures, ["policy-curves-w1.svg", "policy-curves-w_2.svg"]);
    let w1 = std::fs::read_to_string(dir.join("figures/policy-curves-w1.svg")).unwrap();
    assert!(w1.contains("\nBestFit\n") && w1.contains("\nFGD\n"), "{w1}");
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains("id=\"fig-policy-curves-w1\""));
    assert!(page.contains("BestFit, FGD"));
    // The summary: on w1, BestFit's first pod failed at (88 + 85) / 2 = 86.5 % allocated, it
    // ends at (90 + 92) / 2 = 91 %, (4 + 6) / 2 = 5 % fragmented, 2 pods failed on average;
    // FGD failed once, at 96 %, and ends at 96 %, 2.5 %, 0.5: FGD allocates the most. No
    // means.csv row at 100 % arrived: that column is empty.
    let body = &page[page.find("<body>").unwrap() + "<body>".len()..];
    assert!(
        body.trim_start().starts_with(
            "<p class=\"answer\" id=\"answer\">On w1, FGD allocates the most GPUs by the last arrival (96.00 %, 2.50 % fragmented); on w 2, FGD allocates the most GPUs by the last arrival (50.00 %, 1.00 % fragmented).</p>"
        ),
        "{body}"
    );
    assert!(
        page.contains("<tr><td>w1</td><td>BestFit</td><td>2</td><td>86.50</td><td>91.00</td><td>–</td><td>5.00</td><td>2.0</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains("<tr><td>w1</td><td>FGD</td><td>2</td><td>96.00</td><td>96.00</td><td>–</td><td>2.50</td><td>0.5</td></tr>"),
        "{page}"
    );

    std::fs::remove_file(dir.join("means.csv")).unwrap();
    let output = fleetsim(&["report", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("means.csv"), "{stderr}");
}

#[test]
fn waiting_jobs_are_counted_once_as_schedulable_or_unschedulable() {
    // The constant stream on 11 nodes, where every one of its 120 jobs starts at once, and
    // one more job asking for 2,000 CPUs, more than the 11 × 96 = 1,056 the cluster has in
    // all: the control plane finds no cluster for it, so it is the one job still waiting,
    // unschedulable, and no job is waiting otherwise.
    let tmp = tempfile::tempdir().unwrap();
    let scenario = tmp.path().join("stream.yaml");
    let mut text = common::constant_stream_scenario(120, 11);
    text.push_str(
        "    - {name: big, submit: 0s, namespace: team, gpus: 1, cpu: \"2000\", memory: 1Gi, runtime: 5000s}\n",
    );
    std::fs::write(&scenario, text).unwrap();
    let (_out_tmp, out) = common::run_quiet(&scenario);
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let card = |label: &str| -> String {
        let end = page
            .find(&format!("<div class=\"label\">{label}</div>"))
            .unwrap_or_else(|| panic!("no card {label}"));
        let value = &page[..end];
        let value = &value[value.rfind("<div class=\"value\">").unwrap() + 19..];
        value[..value.find('<').unwrap()].to_owned()
    };
    assert_eq!(card("jobs submitted"), "121");
    assert_eq!(card("completed"), "120");
    assert_eq!(card("still waiting, schedulable"), "0");
    assert_eq!(card("still waiting, unschedulable"), "1");
    // The namespace's row: 121 jobs, 120 completed, 0 waiting schedulable, 1 unschedulable.
    assert!(
        page.contains("<tr><td>team</td><td>121</td><td>120</td><td>0</td><td>1</td>"),
        "{page}"
    );
}
