//! Embeds the bundled `px/*` scripts (stdlib/scripts/px/<name>/) into the
//! crate: one entry per directory with its .pxl, vis.json and manifest.yaml.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    if let Ok(namespaces) = std::fs::read_dir(&root) {
        for ns in namespaces.flatten() {
            let Ok(dirs) = std::fs::read_dir(ns.path()) else {
                continue;
            };
            for dir in dirs.flatten() {
                let path = dir.path();
                if !path.is_dir() {
                    continue;
                }
                println!("cargo:rerun-if-changed={}", path.display());
                let name = format!(
                    "{}/{}",
                    ns.file_name().to_string_lossy(),
                    dir.file_name().to_string_lossy()
                );
                let short = dir.file_name().to_string_lossy().to_string();
                let pxl = path.join(format!("{short}.pxl"));
                if !pxl.exists() {
                    panic!("bundled script {name} has no {short}.pxl");
                }
                let opt = |f: &str| {
                    let p = path.join(f);
                    if p.exists() {
                        format!("Some(include_str!({:?}))", p.display().to_string())
                    } else {
                        "None".to_string()
                    }
                };
                entries.push((
                    name,
                    format!("include_str!({:?})", pxl.display().to_string()),
                    opt("vis.json"),
                    opt("manifest.yaml"),
                ));
            }
        }
    }
    entries.sort();
    let mut out = String::from("&[\n");
    for (name, pxl, vis, manifest) in entries {
        let _ = writeln!(
            out,
            "    BundledScript {{ name: {name:?}, pxl: {pxl}, vis: {vis}, manifest: {manifest} }},"
        );
    }
    out.push(']');
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("bundled.rs");
    std::fs::write(dest, out).expect("write bundled.rs");
}
