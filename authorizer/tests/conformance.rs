//! Runs the decision conformance cases through the same path as `authz conformance` and the
//! Lambda: the project's own cases and the shared examples, when present beside the repo.

use std::path::Path;

use authorizer::conformance::run_dir;

fn run(dir: &Path) -> usize {
    let results = run_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let failures: Vec<String> = results
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("{} ({}): {f}", r.file.display(), r.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "conformance failures:\n{}",
        failures.join("\n")
    );
    results.len()
}

#[test]
fn project_cases_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance");
    assert!(run(&dir) >= 40, "the project keeps at least 40 cases");
}

#[test]
fn shared_examples_pass_when_present() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/examples");
    if dir.is_dir() {
        assert!(run(&dir) >= 1);
    }
}
