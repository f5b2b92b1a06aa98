//! Best-effort PII redaction for `redact_pii_best_effort`, with Pixie's
//! rules and tags.
//!
//! Every rule scans the original text; a match that fails its rule's check
//! (Luhn, IBAN mod 97, SSN ranges) still uses up its text, so nothing shorter
//! inside it is tried. Matches of different rules can overlap: of matches
//! that start inside the first one's span, the longest is replaced, and on a
//! tie the rule listed first here wins (an IMEI that also passes as a card
//! number is an IMEI).

use regex::Regex;

/// One kind of PII: what it looks like, how to confirm a match, its tag.
#[derive(Debug)]
struct Rule {
    pattern: Regex,
    check: fn(&str) -> bool,
    tag: &'static str,
}

#[derive(Debug)]
pub struct Redactor {
    rules: Vec<Rule>,
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

/// One IPv4 number, 0 to 255 with optional leading zeros.
const OCTET: &str = "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9]{1,2})";

fn ipv4() -> String {
    format!(r"{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}")
}

/// IPv6 in full form, compressed with `::` anywhere, or with an IPv4 tail.
fn ipv6() -> String {
    let v4 = ipv4();
    let h = "[a-fA-F0-9]{1,4}";
    // Groups before `::` and at most how many after it, for the plain forms;
    // with an IPv4 tail two groups fewer fit.
    let mut forms = vec![format!("(?:{h}:){{6}}{v4}")];
    for before in 0..=4usize {
        let after = 4 - before;
        let lead = match before {
            0 => String::new(),
            n => format!("(?:{h}:){{{}}}{h}", n - 1),
        };
        let tail = if after == 0 {
            String::new()
        } else {
            format!("(?:{h}:){{0,{after}}}")
        };
        forms.push(format!("{lead}::{tail}{v4}"));
    }
    forms.push(format!("(?:{h}:){{7}}{h}"));
    for before in 0..=6usize {
        let after = 5usize.saturating_sub(before);
        let lead = match before {
            0 => String::new(),
            n => format!("(?:{h}:){{{}}}{h}", n - 1),
        };
        let tail = match (before, after) {
            (6, _) => String::new(),
            (_, 0) => format!("(?:{h})?"),
            (_, a) => format!("(?:{h}:){{0,{a}}}(?:{h})?"),
        };
        forms.push(format!("{lead}::{tail}"));
    }
    forms
        .iter()
        .map(|f| format!("(?:{f})"))
        .collect::<Vec<_>>()
        .join("|")
}

fn digits(s: &str) -> impl Iterator<Item = u32> + '_ {
    s.chars().filter_map(|c| c.to_digit(10))
}

/// The Luhn check digit test, on the digits of `s` (separators ignored).
fn luhn(s: &str) -> bool {
    let d: Vec<u32> = digits(s).collect();
    let Some((&last, rest)) = d.split_last() else {
        return false;
    };
    let sum: u32 = rest
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let v = if i % 2 == 0 { x * 2 } else { x };
            if v > 9 { v - 9 } else { v }
        })
        .sum();
    (10 - sum % 10) % 10 == last
}

/// US social security numbers never have area 000, 666 or 9xx, group 00 or
/// serial 0000.
fn ssn(s: &str) -> bool {
    let d: Vec<u32> = digits(s).collect();
    if d.len() != 9 {
        return false;
    }
    let num = |r: std::ops::Range<usize>| d[r].iter().fold(0, |n, x| n * 10 + x);
    let (area, group, serial) = (num(0..3), num(3..5), num(5..9));
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// IBAN lengths by country.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// A known country, at least that country's length, and the ISO 7064
/// mod 97-10 check. Like Pixie, lower-case letters after the country code
/// are skipped rather than rejected, so text the pattern swallowed after one
/// separator (`... 19 and more`) does not spoil a real IBAN.
fn iban(s: &str) -> bool {
    let country: String = s.chars().take(2).collect::<String>().to_ascii_uppercase();
    let Some(&(_, len)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == country) else {
        return false;
    };
    let compact: Vec<char> = s.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if compact.len() < len {
        return false;
    }
    let (head, rest) = compact.split_at(4);
    let mut remainder = 0u32;
    let mut any = false;
    for &c in rest.iter().chain(head) {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => continue,
        };
        any = true;
        let scale = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * scale + value) % 97;
    }
    any && remainder == 1
}

fn always(_: &str) -> bool {
    true
}

impl Redactor {
    pub fn new() -> Self {
        let rule = |pattern: &str, check: fn(&str) -> bool, tag| Rule {
            pattern: Regex::new(pattern).expect("valid PII regex"),
            check,
            tag,
        };
        Redactor {
            rules: vec![
                rule(
                    "[A-Za-z]{2}[ -]?[0-9]{2}[ -]?(?:[A-Za-z0-9][ -]?){11,28}",
                    iban,
                    "<REDACTED_IBAN>",
                ),
                // The local part allows `+ , - . /` and the other RFC 5322
                // specials; `@` may be URL-encoded.
                rule(
                    r"[0-9a-zA-Z!#$%&'*+,\-./=?^_`{|}~]+(?:@|%40)(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+",
                    always,
                    "<REDACTED_EMAIL>",
                ),
                rule(&ipv6(), always, "<REDACTED_IPV6>"),
                rule(&ipv4(), always, "<REDACTED_IPV4>"),
                rule(
                    "(?:[0-9a-fA-F]{2}[-:]){5}[0-9a-fA-F]{2}",
                    always,
                    "<REDACTED_MAC_ADDR>",
                ),
                rule("[0-9]{2}-[0-9]{6}-[0-9]{6}-[0-9]", luhn, "<REDACTED_IMEI>"),
                // IMEISV: a two-digit software version instead of a check digit.
                rule(
                    "[0-9]{2}-[0-9]{6}-[0-9]{6}-[0-9]{2}",
                    always,
                    "<REDACTED_IMEI>",
                ),
                rule("(?:[0-9][ -]*){12,18}[0-9]", luhn, "<REDACTED_CC_NUMBER>"),
                rule("[0-9]{3}[ -]+[0-9]{2}[ -]+[0-9]{4}", ssn, "<REDACTED_SSN>"),
            ],
        }
    }

    pub fn redact(&self, s: &str) -> String {
        // (start, end, tag) of every confirmed match, rule by rule.
        let mut found: Vec<(usize, usize, &'static str)> = Vec::new();
        for rule in &self.rules {
            for m in rule.pattern.find_iter(s) {
                if (rule.check)(m.as_str()) {
                    found.push((m.start(), m.end(), rule.tag));
                }
            }
        }
        if found.is_empty() {
            return s.to_string();
        }
        // Stable: on equal starts the earlier rule stays first.
        found.sort_by_key(|&(start, _, _)| start);
        let mut out = String::with_capacity(s.len());
        let mut pos = 0;
        let mut i = 0;
        while i < found.len() {
            let (_, end, _) = found[i];
            let mut best = found[i];
            let mut j = i + 1;
            while j < found.len() && found[j].0 < end {
                if found[j].1 - found[j].0 > best.1 - best.0 {
                    best = found[j];
                }
                j += 1;
            }
            i = j;
            // A kept match that reaches into the previous one is dropped.
            if best.0 < pos {
                continue;
            }
            out.push_str(&s[pos..best.0]);
            out.push_str(best.2);
            pos = best.1;
        }
        out.push_str(&s[pos..]);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from Pixie's PII tests, each with the tag it must get.
    const CASES: &[(&str, &[&str])] = &[
        (
            "<REDACTED_IBAN>",
            &[
                "GB29NWBK60161331926819",
                "GB29 NWBK 6016 1331 9268 19",
                "GB29-NWBK-6016-1331-9268-19",
                "AL47 2121 1009 0000 0002 3569 8741",
                "AD12 0001 2030 2003 5910 0100",
                "AT61 1904 3002 3457 3201",
                "AZ21 NABZ 0000 0000 1370 1000 1944",
                "BH67 BMAG 0000 1299 1234 56",
                "BY13 NBRB 3600 9000 0000 2Z00 AB00",
                "BE68 5390 0754 7034",
                "BA39 1290 0794 0102 8494",
                "BR18 0036 0305 0000 1000 9795 493C 1",
                "BG80 BNBG 9661 1020 3456 78",
                "CR05 0152 0200 1026 2840 66",
                "HR12 1001 0051 8630 0016 0",
                "CY17 0020 0128 0000 0012 0052 7600",
                "CZ65 0800 0000 1920 0014 5399",
                "DK50 0040 0440 1162 43",
                "DO28 BAGR 0000 0001 2124 5361 1324",
                "SV 62 CENR 00000000000000700025",
                "EE38 2200 2210 2014 5685",
                "FO62 6460 0001 6316 34",
                "FI21 1234 5600 0007 85",
            ],
        ),
        (
            "<REDACTED_IPV4>",
            &["192.168.0.1", "255.255.255.255", "0.0.0.0", "10.0.0.1"],
        ),
        (
            "<REDACTED_IPV6>",
            &[
                "ab:12:34:56:789:1011:1213:0",
                "00ab:1234:5678:9100:1112:ffff:192.168.0.1",
                "::abcd:1234:ffff",
                "::abcd:1234:ffff:0000:1.1.1.1",
                "0123::abcd:1234:ffff:ab",
                "0123::abcd:1234:ffff:0.0.0.0",
                "0123:abcd::eeee:beef:feed",
                "0123:abcd::eeee:10.0.0.1",
                "0000:abcd:1234::beef:feed:0101",
                "0000:abcd:1234::beef:255.255.255.255",
                "0:1:2:3::beef:feed",
                "0:1:2:3::10.1.2.3",
                "1234:0:1234:a:b::beef",
                "1:2:abcd:a:b:c::",
            ],
        ),
        (
            "<REDACTED_EMAIL>",
            &[
                "test@pixie.io",
                "test12342341234-abcd____**@mydomain.com.au",
                "dot.dot.dot.dot.dot.dot.dot.dot.dot@abcd-1234-domain",
                "valid_ip_in_email255.255.255.255@mydomain.com",
                "test%40pixie.io",
            ],
        ),
        (
            "<REDACTED_MAC_ADDR>",
            &[
                "ab:12:00:64:99:ff",
                "00:00:00:00:00:00",
                "ff-ff-ff-ff-ff-ff",
            ],
        ),
        (
            "<REDACTED_CC_NUMBER>",
            &[
                "3782 8224631 0005",
                "3714 4963539 8431",
                "3787 3449367 1000",
                "5610 5910810 18250",
                "3056 9309025 904",
                "3852 0000023 237",
                "6011 1111111 11117",
                "6011 0009901 39424",
                "3530 1113333 00000",
                "3566 0020203 60505",
                "5555 5555555 54444",
                "5105 1051051 05100",
                "4111 1111111 11111",
                "4012 8888888 81881",
                "4222-2222-222-22",
                "5019-7170-1010-3742",
                "6331-1019-9999-0016",
            ],
        ),
        (
            "<REDACTED_IMEI>",
            &[
                "01-786058-312233-6",
                "01-786058-312233-22",
                "52-635024-498175-3",
                "52-635024-498175-97",
                "51-942642-588642-2",
                "51-942642-588642-55",
            ],
        ),
        (
            "<REDACTED_SSN>",
            &[
                "001-01-0001",
                "011-11-0011",
                "111-11-1111",
                "201-21-0021",
                "211-11-2011",
                "211-21-2222",
                "303-58-8256",
                "255-77-3200",
                "593-78-6329",
            ],
        ),
    ];

    /// Look-alikes that must stay as they are.
    const UNCHANGED: &[&str] = &[
        "abcdef00123459689",
        "999.999.0.0",
        "1:2:3:4:5:6",
        "5555 0000 0000 0000",
        "000-12-1234",
        "666-12-1234",
        "900-12-1234",
        "955-12-1234",
        "999-12-1234",
        "999-00-9999",
        "999-12-0000",
    ];

    #[test]
    fn every_kind_alone_and_among_others() {
        let r = Redactor::new();
        let kinds = CASES.len();
        for (k, (tag, values)) in CASES.iter().enumerate() {
            for (i, v) in values.iter().enumerate() {
                assert_eq!(r.redact(v), *tag, "{v}");
                // Between a value of another kind and a look-alike, in a
                // comma-separated line and in a protobuf-text-like block.
                let (other_tag, others) = CASES[(k + 1 + i) % kinds];
                let other = others[i % others.len()];
                let plain = UNCHANGED[i % UNCHANGED.len()];
                assert_eq!(
                    r.redact(&format!("{other}, {v}, {plain}")),
                    format!("{other_tag}, {tag}, {plain}"),
                    "{v} after {other}"
                );
                assert_eq!(
                    r.redact(&format!("\n1 {{\n  2: {plain},\n  3: {v}\n}}\n")),
                    format!("\n1 {{\n  2: {plain},\n  3: {tag}\n}}\n"),
                    "{v} in a block"
                );
            }
        }
        for v in UNCHANGED {
            assert_eq!(r.redact(v), *v);
        }
    }

    #[test]
    fn checks() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(ssn("667-01-0001") && !ssn("666-01-0001") && !ssn("123-00-4567"));
        assert!(iban("GB29 NWBK 6016 1331 9268 19"));
        assert!(!iban("GB29 NWBK 6016 1331 9268 18"));
        assert!(!iban("ZZ29 NWBK 6016 1331 9268 19"));
    }

    #[test]
    fn overlaps_keep_the_longest() {
        let r = Redactor::new();
        // The IPv4 inside the email is part of the email.
        assert_eq!(
            r.redact("mail valid_ip_in_email255.255.255.255@example.com now"),
            "mail <REDACTED_EMAIL> now"
        );
        assert_eq!(
            r.redact("mail bob@example.com from 10.0.0.1 card 4111 1111 1111 1111"),
            "mail <REDACTED_EMAIL> from <REDACTED_IPV4> card <REDACTED_CC_NUMBER>"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
        assert_eq!(r.redact(""), "");
    }
}
