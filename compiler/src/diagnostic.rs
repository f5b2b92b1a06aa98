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
    let name_chars = lname.chars().count();
    let limit = (name.chars().count() / 3).max(1) + usize::from(name.len() > 6);
    candidates
        .into_iter()
        .filter(|c| *c != name && !c.is_empty())
        .filter_map(|c| {
            let lc = c.to_lowercase();
            let chars = lc.chars().count();
            let gap = name_chars.abs_diff(chars);
            // The edit distance costs the product of the lengths, so it is
            // only computed when it can be within `limit`, for names of
            // sensible length, and stops once it exceeds `limit` (a fuzzer
            // found a script with long names that spent seconds here).
            // Otherwise the length gap stands in: it is the exact distance
            // when one name extends or contains the other, the only other
            // classes.
            let edit = (gap <= limit && name_chars.max(chars) <= MAX_EDIT_NAME)
                .then(|| edit_distance_within(&lname, &lc, limit))
                .flatten();
            let d = edit.unwrap_or(gap);
            let class = if lc.len() > lname.len() && lc.starts_with(&lname) && lname.len() >= 4 {
                0
            } else if edit.is_some_and(|d| d <= limit) {
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

/// Longest name (in characters) compared by edit distance in [`closest`].
const MAX_EDIT_NAME: usize = 64;

/// Levenshtein distance with adjacent transpositions counted as one edit.
pub fn edit_distance(a: &str, b: &str) -> usize {
    edit_distance_within(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// [`edit_distance`] when it is at most `limit`; `None` as soon as two
/// consecutive rows exceed it (no later cell can come back under it).
fn edit_distance_within(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2 = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    let mut prev_min = 0;
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
            row_min = row_min.min(cur[j]);
        }
        if row_min > limit && prev_min > limit {
            return None;
        }
        prev_min = row_min;
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= limit)
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

    #[test]
    fn long_names_are_not_compared_by_edit_distance() {
        // Found by fuzzing: a script with thousands-of-characters names
        // spent seconds in suggestions. Long names still get the prefix and
        // containment suggestions, whose distance is the length gap.
        let long = "x".repeat(20_000);
        let typo = format!("{long}y");
        let extended = format!("{long}_total");
        let cols = [long.as_str(), extended.as_str(), "latency"];
        assert_eq!(closest(&typo, cols), Some(long.as_str()));
        assert_eq!(
            closest(&long, [extended.as_str(), "latency"]),
            Some(extended.as_str())
        );
        let other = "z".repeat(20_000);
        assert_eq!(closest(&other, cols), None);
    }
}
