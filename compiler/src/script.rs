//! Finding and loading scripts: a `.pxl` file, a script directory (one
//! `.pxl` + optional `vis.json` + optional `manifest.yaml`), or a tree of them.

use crate::compile::{Compilation, CompileOptions, check_script};
use crate::diagnostic::{Diagnostic, Origin};
use crate::span::Span;
use std::path::{Path, PathBuf};

/// A file's path and text.
type LoadedFile = (PathBuf, String);

/// One script's files, read into memory.
#[derive(Debug, Clone)]
pub struct ScriptInput {
    /// Display name: the directory or file path as given.
    pub name: String,
    pub pxl_path: PathBuf,
    pub pxl: String,
    pub vis: Option<(PathBuf, String)>,
    pub manifest: Option<(PathBuf, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not UTF-8 text")]
    NotUtf8 { path: PathBuf },
    #[error("{path} is neither a .pxl file nor a directory")]
    NotAScript { path: PathBuf },
    #[error("no .pxl scripts found under {path}")]
    NoScripts { path: PathBuf },
}

/// A script directory that cannot be compiled as it stands.
#[derive(Debug, Clone)]
pub struct LayoutProblem {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub scripts: Vec<ScriptInput>,
    pub problems: Vec<LayoutProblem>,
}

pub fn read_text(path: &Path) -> Result<String, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Find every script at `path`.
pub fn discover(path: &Path) -> Result<Discovery, LoadError> {
    let meta = std::fs::metadata(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Discovery::default();
    if meta.is_file() {
        if path.extension().is_some_and(|e| e == "pxl")
            || path.file_name().is_some_and(|n| n != "vis.json")
        {
            let dir = path.parent().unwrap_or(Path::new("."));
            let (vis, manifest) = companions(dir, Some(path))?;
            out.scripts.push(ScriptInput {
                name: path.display().to_string(),
                pxl_path: path.to_path_buf(),
                pxl: read_text(path)?,
                vis,
                manifest,
            });
            return Ok(out);
        }
        return Err(LoadError::NotAScript {
            path: path.to_path_buf(),
        });
    }
    walk(path, &mut out)?;
    if out.scripts.is_empty() && out.problems.is_empty() {
        return Err(LoadError::NoScripts {
            path: path.to_path_buf(),
        });
    }
    out.scripts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The vis.json and manifest.yaml that belong with a `.pxl` file: only when
/// it is the only `.pxl` in its directory (a script directory).
fn companions(
    dir: &Path,
    file: Option<&Path>,
) -> Result<(Option<LoadedFile>, Option<LoadedFile>), LoadError> {
    let pxl_count = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "pxl"))
                .count()
        })
        .unwrap_or(0);
    if file.is_some() && pxl_count != 1 {
        return Ok((None, None));
    }
    let load = |name: &str| -> Result<Option<(PathBuf, String)>, LoadError> {
        let p = dir.join(name);
        if p.is_file() {
            Ok(Some((p.clone(), read_text(&p)?)))
        } else {
            Ok(None)
        }
    };
    Ok((load("vis.json")?, load("manifest.yaml")?))
}

fn walk(dir: &Path, out: &mut Discovery) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut pxl = Vec::new();
    let mut subdirs = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|source| LoadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let p = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            subdirs.push(p);
        } else if p.extension().is_some_and(|e| e == "pxl") {
            pxl.push(p);
        }
    }
    pxl.sort();
    subdirs.sort();
    let has_vis = dir.join("vis.json").is_file() || dir.join("manifest.yaml").is_file();
    if has_vis && pxl.len() != 1 {
        out.problems.push(LayoutProblem {
            path: dir.to_path_buf(),
            message: format!(
                "script directory has {} .pxl files besides vis.json/manifest.yaml; it needs exactly one",
                pxl.len()
            ),
        });
    } else if has_vis {
        let (vis, manifest) = companions(dir, None)?;
        let p = &pxl[0];
        out.scripts.push(ScriptInput {
            name: dir.display().to_string(),
            pxl_path: p.clone(),
            pxl: read_text(p)?,
            vis,
            manifest,
        });
    } else {
        for p in pxl {
            out.scripts.push(ScriptInput {
                name: p.display().to_string(),
                pxl_path: p.clone(),
                pxl: read_text(&p)?,
                vis: None,
                manifest: None,
            });
        }
    }
    for d in subdirs {
        walk(&d, out)?;
    }
    Ok(())
}

/// Compile a loaded script, manifest included.
pub fn compile_input(input: &ScriptInput, opts: &CompileOptions) -> Compilation {
    let mut c = check_script(
        &input.pxl,
        input.vis.as_ref().map(|(_, t)| t.as_str()),
        opts,
    );
    if let Some((_, text)) = &input.manifest {
        c.diagnostics.extend(check_manifest(text));
    }
    c
}

/// Check a manifest.yaml: valid YAML, known keys, right value types.
pub fn check_manifest(text: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let value: serde_yaml::Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            let off = e.location().map_or(0, |l| l.index());
            diags.push(
                Diagnostic::error(
                    "E0609",
                    Span::new(off, off + 1),
                    format!("manifest.yaml is not valid YAML: {e}"),
                )
                .in_origin(Origin::Manifest),
            );
            return diags;
        }
    };
    let Some(map) = value.as_mapping() else {
        if !value.is_null() {
            diags.push(
                Diagnostic::error(
                    "E0609",
                    Span::new(0, 1),
                    "manifest.yaml must be a mapping of keys to values",
                )
                .in_origin(Origin::Manifest),
            );
        }
        return diags;
    };
    for (k, v) in map {
        let key = k.as_str().unwrap_or("");
        let span = text
            .find(key)
            .map_or(Span::default(), |i| Span::new(i, i + key.len()));
        let ok = match key {
            "short" | "long" | "org_id" => v.is_string() || v.is_null(),
            "hidden" => v.is_bool(),
            _ => {
                diags.push(
                    Diagnostic::warning(
                        "W0604",
                        span,
                        format!("unknown manifest key `{key}` is ignored"),
                    )
                    .in_origin(Origin::Manifest),
                );
                true
            }
        };
        if !ok {
            diags.push(
                Diagnostic::error(
                    "E0609",
                    span,
                    format!("manifest key `{key}` has a value of the wrong type"),
                )
                .in_origin(Origin::Manifest),
            );
        }
    }
    diags
}
