//! Scenario trees written back as YAML validate to the same scenario as the file itself, so a
//! sweep cell with no change runs exactly the scenario it was given.

use std::path::Path;

#[test]
fn every_example_scenario_survives_the_tree_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios");
    let mut n_checked = 0;
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Scenarios over traces that are not on this machine cannot be compared.
        let Ok(direct) = scenarios::load_str(&text, &file) else {
            continue;
        };
        let tree = scenarios::tree::parse(&text, &file).unwrap();
        let written = tree.to_yaml();
        let again = scenarios::load_str(&written, &file)
            .unwrap_or_else(|e| panic!("{}: {e}\n{written}", file.display()));
        assert_eq!(
            format!("{direct:?}"),
            format!("{again:?}"),
            "{}",
            file.display()
        );
        n_checked += 1;
    }
    assert!(n_checked >= 5, "only {n_checked} example scenarios checked");
}
