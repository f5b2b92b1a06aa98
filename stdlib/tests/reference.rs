//! The generated reference in docs/reference/ must match the registry.
//! `UPDATE_DOCS=1 cargo test -p pxl-stdlib --test reference` rewrites it.

use std::path::PathBuf;

fn check(file: &str, content: String) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/reference")
        .join(file);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &content).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == content,
        "{} is stale: run `UPDATE_DOCS=1 cargo test -p pxl-stdlib --test reference` and commit the result",
        path.display()
    );
}

#[test]
fn functions_reference_is_current() {
    check("functions.md", pxl_stdlib::reference::render_functions());
}

#[test]
fn language_reference_is_current() {
    check("language.md", pxl_stdlib::reference::render_language());
}

#[test]
fn tables_reference_is_current() {
    check("tables.md", pxl_stdlib::reference::render_tables());
}
