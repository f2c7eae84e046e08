//! The search for `.env` stops at the project root: a `.env` above the nearest directory
//! holding `Cargo.toml` (or `.git`) is never read. One binary of its own: the test changes
//! the current directory.

use std::fs;
use std::path::Path;

use staunch::ResilienceSettings;

#[test]
fn the_search_for_dotenv_stops_at_the_project_root() {
    let outer = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dotenv-search");
    let _ = fs::remove_dir_all(&outer);
    let project = outer.join("project");
    let src = project.join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(outer.join(".env"), "RETRY_MAX_ATTEMPTS=7\n").unwrap();
    fs::write(project.join("Cargo.toml"), "[package]\n").unwrap();

    std::env::set_current_dir(&src).unwrap();
    let load = || {
        ResilienceSettings::loader()
            .dotenv()
            .load_from(|_| None)
            .unwrap()
    };
    assert_eq!(
        load().retry_max_attempts,
        3,
        "the .env above the root was read"
    );

    // The project's own `.env`, at its root, is found from a subdirectory.
    fs::write(project.join(".env"), "RETRY_MAX_ATTEMPTS=5\n").unwrap();
    assert_eq!(load().retry_max_attempts, 5);
}
