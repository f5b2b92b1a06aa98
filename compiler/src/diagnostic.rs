//! Diagnostics as data. Rendering happens at the edge (CLI, LSP).

use crate::span::Span;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a message, pointing at the code a diagnostic is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// Which input of a script a diagnostic points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The `.pxl` source.
    #[default]
    Script,
    /// The script's `vis.json`.
    VisJson,
    /// The script's `manifest.yaml`.
    Manifest,
    /// Command-line `--arg` values (no span).
    Arguments,
}

/// One error or warning. The first label is the primary one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub origin: Origin,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    /// Replacement texts for `span` that would fix the problem.
    pub suggestions: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            origin: Origin::Script,
            severity: Severity::Error,
            message: message.into(),
            span,
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
            suggestions: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn suggest(mut self, replacement: impl Into<String>) -> Diagnostic {
        self.suggestions.push(replacement.into());
        self
    }

    pub fn in_origin(mut self, origin: Origin) -> Diagnostic {
        self.origin = origin;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// "did you mean" helper: the candidate closest to `name`, if close enough.
/// Preference: a candidate that extends the name (`kafka_events` →
/// `kafka_events.beta`), then a small edit distance, then a candidate the name
/// contains or that contains the name (`dns_resp_latency` → `latency`).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lname = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1) + usize::from(name.len() > 6);
    candidates
        .into_iter()
        .filter(|c| *c != name && !c.is_empty())
        .filter_map(|c| {
            let lc = c.to_lowercase();
            let d = edit_distance(&lname, &lc);
            let class = if lc.len() > lname.len() && lc.starts_with(&lname) && lname.len() >= 4 {
                0
            } else if d <= limit {
                1
            } else if (lname.contains(&lc) && lc.len() >= 4)
                || (lc.contains(&lname) && lname.len() >= 4)
            {
                2
            } else {
                return None;
            };
            Some(((class, d, c.len()), c))
        })
        .min_by_key(|(k, _)| *k)
        .map(|(_, c)| c)
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let cols = ["latency", "req_path", "resp_status", "time_"];
        assert_eq!(closest("latncy", cols), Some("latency"));
        assert_eq!(closest("resp_stauts", cols), Some("resp_status"));
        assert_eq!(closest("xyz", cols), None);
        assert_eq!(closest("dns_resp_latency", cols), Some("latency"));
        assert_eq!(
            closest("kafka_events", ["amqp_events", "kafka_events.beta"]),
            Some("kafka_events.beta")
        );
        assert_eq!(edit_distance("ab", "ba"), 1);
    }
}
