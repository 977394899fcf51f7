//! Run folders that say how they were made: `run.json` records the scenario's content hash,
//! the seed and every command-line override; `run --again` makes a folder again byte for byte;
//! `run --replications` writes the shape `compare` reads; `compare` refuses different
//! scenarios and warns about seed noise it cannot measure.

use crate::common::fleetsim;

use std::path::{Path, PathBuf};

/// A copy of the hand-worked scenario in `dir`, so a test may edit it.
fn scenario_copy(dir: &Path) -> PathBuf {
    let original = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/hand-worked.yaml");
    let copy = dir.join("hand-worked.yaml");
    std::fs::copy(original, &copy).unwrap();
    copy
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap()
}

/// Every file under `dir` but `run.json`, by relative path, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().unwrap() != "run.json" {
                out.push((
                    path.strip_prefix(dir).unwrap().to_owned(),
                    std::fs::read(&path).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn run_json_records_overrides_and_again_makes_the_folder_again() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario_copy(tmp.path());
    let first = tmp.path().join("first");
    let args = [
        "run",
        s(&scenario),
        "--out",
        s(&first),
        "--quiet",
        "--seed",
        "3",
        "--federation",
        "direct",
        "--format",
        "csv",
    ];
    assert!(fleetsim(&args).status.success());
    let record = run_json(&first);
    assert_eq!(
        record["overrides"],
        serde_json::json!({"seed": 3, "federation": "direct", "format": "csv"})
    );
    assert_eq!(record["seed"], 3);
    assert_eq!(record["scenario"], "hand-worked");
    assert_eq!(record["scenario_sha256"].as_str().unwrap().len(), 64);

    // Again, elsewhere: every output byte-identical but run.json's timings.
    let second = tmp.path().join("second");
    let output = fleetsim(&["run", "--again", s(&first), "--out", s(&second), "--quiet"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(files(&first), files(&second));
    assert_eq!(run_json(&second)["overrides"], record["overrides"]);
    // In place.
    assert!(
        fleetsim(&["run", "--again", s(&first), "--quiet"])
            .status
            .success()
    );
    assert_eq!(files(&first), files(&second));

    // A changed scenario file cannot make the same folder: refused, nothing written.
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(&scenario, text.replace("seed: 1", "seed: 2")).unwrap();
    let third = tmp.path().join("third");
    let output = fleetsim(&["run", "--again", s(&first), "--out", s(&third)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("changed since"), "{stderr}");
    assert!(!third.exists());
}

#[test]
fn replications_are_the_folder_shape_compare_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario_copy(tmp.path());
    let reps = tmp.path().join("reps");
    let args = [
        "run",
        s(&scenario),
        "--out",
        s(&reps),
        "--quiet",
        "--replications",
        "3",
    ];
    assert!(fleetsim(&args).status.success());
    // The scenario's seed is 1: seeds 1, 2, 3.
    for seed in 1..=3 {
        let run = reps.join(format!("seed-{seed}"));
        assert!(run.join("summary.json").is_file());
        assert_eq!(run_json(&run)["seed"], seed);
    }
    let marker: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reps.join("replications.json")).unwrap()).unwrap();
    assert_eq!(marker["seeds"], serde_json::json!([1, 2, 3]));

    // Replications against replications: no warning about seed noise.
    let out = tmp.path().join("cmp");
    let output = fleetsim(&["compare", s(&reps), s(&reps), "--out", s(&out)]);
    assert_eq!(output.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("warning"));
    // One run against one: the verdicts cannot tell noise from change, and say so.
    let single = reps.join("seed-1");
    let output = fleetsim(&["compare", s(&single), s(&single), "--out", s(&out)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning: one run per side"), "{stderr}");
    let markdown = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(markdown.contains("one run per side"), "{markdown}");
    // One against three: tested against the replications' seed noise.
    let output = fleetsim(&["compare", s(&single), s(&reps), "--out", s(&out)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("prediction interval"), "{stderr}");
}

#[test]
fn different_scenarios_are_refused_unless_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = scenario_copy(tmp.path());
    let a = tmp.path().join("a");
    assert!(
        fleetsim(&["run", s(&scenario), "--out", s(&a), "--quiet"])
            .status
            .success()
    );
    // Same name, different content.
    let text = std::fs::read_to_string(&scenario).unwrap();
    std::fs::write(&scenario, format!("{text}\n# edited\n")).unwrap();
    let b = tmp.path().join("b");
    assert!(
        fleetsim(&["run", s(&scenario), "--out", s(&b), "--quiet"])
            .status
            .success()
    );
    let out = tmp.path().join("cmp");
    let output = fleetsim(&["compare", s(&a), s(&b), "--out", s(&out)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("these are different scenarios")
            && stderr.contains("--allow-different-scenarios"),
        "{stderr}"
    );
    assert!(!out.exists());
    let output = fleetsim(&[
        "compare",
        s(&a),
        s(&b),
        "--out",
        s(&out),
        "--allow-different-scenarios",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The README's commands whose output folders match `wanted`, as arguments of the binary,
/// their `out/` folders moved into `into`.
fn readme_commands(wanted: &[&str], into: &Path) -> Vec<Vec<String>> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    readme
        .lines()
        .filter_map(|l| l.strip_prefix("cargo run --release -- "))
        .filter(|l| wanted.iter().any(|w| l.contains(w)))
        .map(|l| {
            l.split_whitespace()
                .map(|arg| match arg.strip_prefix("out/") {
                    Some(rest) => s(&into.join(rest)).to_owned(),
                    None => arg.to_owned(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_readme_compare_and_again_commands_run_as_written() {
    if crate::common::skip_slow() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[String]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_fleetsim"))
            .current_dir(root)
            .args(args)
            .arg("--quiet")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "fleetsim {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    // The README's first command makes out/quickstart, which `--again` reads.
    let first = readme_commands(&["--out out/quickstart"], tmp.path());
    run(&first[0]);
    let commands = readme_commands(
        &["out/baseline", "out/candidate", "run --again"],
        tmp.path(),
    );
    assert_eq!(commands.len(), 4, "{commands:?}");
    for command in &commands {
        run(command);
    }
    // Two sets of the same replications: no regression, an empty-handed verdict.
    let markdown = std::fs::read_to_string(tmp.path().join("compare/comparison.md")).unwrap();
    assert!(markdown.contains("**No regression.**"), "{markdown}");
    assert_eq!(
        files(&tmp.path().join("quickstart")),
        files(&tmp.path().join("quickstart-again"))
    );
}
