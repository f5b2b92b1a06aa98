//! The bundled `px/*` scripts, embedded from `stdlib/scripts/` at build time.

/// One bundled script directory.
#[derive(Debug, Clone, Copy)]
pub struct BundledScript {
    /// `px/http_data`.
    pub name: &'static str,
    pub pxl: &'static str,
    pub vis: Option<&'static str>,
    pub manifest: Option<&'static str>,
}

impl BundledScript {
    /// The manifest's `short:` line.
    pub fn short(&self) -> &'static str {
        self.manifest
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("short:"))
                    .map(|s| s.trim().trim_matches('"').trim_matches('\''))
            })
            .unwrap_or("")
    }
}

static BUNDLED: &[BundledScript] = include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// Every bundled script, by name.
pub fn bundled() -> &'static [BundledScript] {
    BUNDLED
}

/// A bundled script by name (`px/http_data`; the `px/` may be left out).
pub fn find(name: &str) -> Option<&'static BundledScript> {
    BUNDLED
        .iter()
        .find(|s| s.name == name || s.name.strip_prefix("px/") == Some(name))
}
