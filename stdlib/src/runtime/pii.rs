//! Best-effort PII redaction for `redact_pii_best_effort`.

use regex::Regex;

#[derive(Debug)]
pub struct Redactor {
    rules: Vec<(Regex, &'static str)>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    pub fn new() -> Self {
        let rule = |re: &str, tag| (Regex::new(re).expect("valid PII regex"), tag);
        Redactor {
            rules: vec![
                rule(
                    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
                    "<REDACTED_EMAIL>",
                ),
                rule(
                    r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
                    "<REDACTED_IBAN>",
                ),
                rule(
                    r"\b(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}\b",
                    "<REDACTED_MAC_ADDR>",
                ),
                rule(
                    r"\b(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\b",
                    "<REDACTED_IPV4>",
                ),
                rule(
                    r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b",
                    "<REDACTED_IPV6>",
                ),
                rule(r"\b(?:[0-9][ -]?){12,18}[0-9]\b", "<REDACTED_CC_NUMBER>"),
            ],
        }
    }

    pub fn redact(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (re, tag) in &self.rules {
            if re.is_match(&out) {
                out = re.replace_all(&out, *tag).into_owned();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts() {
        let r = Redactor::new();
        assert_eq!(
            r.redact("mail bob@example.com from 10.0.0.1 card 4111 1111 1111 1111"),
            "mail <REDACTED_EMAIL> from <REDACTED_IPV4> card <REDACTED_CC_NUMBER>"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
    }
}
