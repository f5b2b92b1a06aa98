//! String functions, string <-> number/hex conversions and RE2 regular
//! expressions.
//!
//! Strings are byte strings: lengths and positions count bytes, and case
//! mapping only touches ASCII letters.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn scalar(
    name: &'static str,
    family: Family,
    sigs: &'static [&'static str],
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::Scalar,
        family,
        sigs,
        semantic: SemRule::Fixed,
        init_args: 0,
        brief,
        doc,
        examples,
    }
}

/// A regex function: its first argument (the pattern) is compiled once, so it
/// must be a literal.
const fn regex(
    name: &'static str,
    sigs: &'static [&'static str],
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        init_args: 1,
        ..scalar(name, Family::Regex, sigs, brief, doc, examples)
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    scalar(
        "contains",
        Family::String,
        &["(s: STRING, substr: STRING) -> BOOLEAN"],
        "Whether a string contains another one.",
        "True when `substr` occurs anywhere in `s`. The test is case-sensitive and plain \
         text (no patterns; see `px.regex_match` for those). An empty `substr` is contained \
         in every string.",
        &["df.is_api = px.contains(df.req_path, '/api')"],
    ),
    scalar(
        "length",
        Family::String,
        &["(s: STRING) -> INT64"],
        "Length of a string in bytes.",
        "Returns the number of bytes of `s`. Multi-byte UTF-8 characters count for more than \
         one, so `px.length('é')` is 2.",
        &["df.body_len = px.length(df.req_body)"],
    ),
    scalar(
        "find",
        Family::String,
        &["(s: STRING, substr: STRING) -> INT64"],
        "Position of the first occurrence of a substring, or -1.",
        "Returns the byte offset (starting at 0) where `substr` first occurs in `s`, or -1 \
         when it does not occur. `px.find('pixie-labs', '-labs')` is 5. The result can feed \
         `px.substring`.",
        &["df.query_start = px.find(df.req_path, '?')"],
    ),
    scalar(
        "substring",
        Family::String,
        &["(s: STRING, pos: INT64, length: INT64) -> STRING"],
        "Part of a string, by byte position and length.",
        "Returns up to `length` bytes of `s` starting at byte `pos` (0-based): \
         `px.substring('checkout', 1, 5)` is `'hecko'`. When the requested range runs past \
         the end, the result stops at the end of the string. An empty string is returned \
         when `pos` is negative, `pos` is greater than the length of `s`, or `length` is \
         negative.",
        &["df.prefix = px.substring(df.req_path, 0, 8)"],
    ),
    scalar(
        "tolower",
        Family::String,
        &["(s: STRING) -> STRING"],
        "Lower-cases ASCII letters.",
        "Returns `s` with the letters `A`-`Z` turned into `a`-`z`. Other bytes, including \
         non-ASCII letters, are left as they are.",
        &["df.method = px.tolower(df.req_method)"],
    ),
    scalar(
        "toupper",
        Family::String,
        &["(s: STRING) -> STRING"],
        "Upper-cases ASCII letters.",
        "Returns `s` with the letters `a`-`z` turned into `A`-`Z`. Other bytes, including \
         non-ASCII letters, are left as they are.",
        &["df.method = px.toupper(df.req_method)"],
    ),
    scalar(
        "trim",
        Family::String,
        &["(s: STRING) -> STRING"],
        "Removes leading and trailing whitespace.",
        "Returns `s` without the ASCII whitespace (spaces, tabs, newlines, ...) at its start \
         and end. Whitespace between words is kept.",
        &["df.cmd = px.trim(df.cmdline)"],
    ),
    scalar(
        "strip_prefix",
        Family::String,
        &["(prefix: STRING, s: STRING) -> STRING"],
        "Removes a prefix from a string if it is there.",
        "Returns `s` without `prefix` at its start; when `s` does not start with `prefix`, it \
         is returned unchanged. Mind the argument order: the prefix comes **first**, the \
         string second.",
        &["df.service_short = px.strip_prefix('default/', df.service)"],
    ),
    scalar(
        "split",
        Family::String,
        &["(s: STRING, delimiter: STRING) -> STRING"],
        "Splits a string into a JSON array of parts.",
        "Cuts `s` at every occurrence of `delimiter` and returns the pieces as a JSON array \
         of strings, e.g. `px.split('a;b', ';')` is `'[\"a\",\"b\"]'`. Since PxL has no list \
         type, read the parts back with `px.pluck_array`.",
        &[
            "df.parts = px.split(df.req_path, '/')",
            "df.first_segment = px.pluck_array(px.split(df.req_path, '/'), 1)",
        ],
    ),
    scalar(
        "hex_to_ascii",
        Family::Conversion,
        &["(hex: STRING) -> STRING"],
        "Decodes hexadecimal text into the bytes it spells.",
        "Reads `hex` as consecutive pairs of hex digits and returns the raw bytes they \
         encode, so `'6869'` becomes `'hi'`. Upper- and lower-case digits both work. When \
         the input is not well-formed (an odd number of digits, a character that is not a \
         hex digit), the result is an empty string.",
        &["df.payload = px.hex_to_ascii(df.payload_hex)"],
    ),
    scalar(
        "bytes_to_hex",
        Family::Conversion,
        &["(bytes: STRING) -> STRING"],
        "Shows every byte of a string as a `\\xNN` escape.",
        "Returns a printable rendering of `bytes` where each byte becomes `\\x` followed by \
         two upper-case hex digits: `'hi'` becomes `\\x68\\x69`. Useful for binary protocol \
         payloads.",
        &["df.resp_hex = px.bytes_to_hex(df.resp)"],
    ),
    scalar(
        "atoi",
        Family::Conversion,
        &["(s: STRING, default: INT64) -> INT64"],
        "Parses a decimal integer, with a fallback.",
        "Returns the base-10 integer written in `s` (an optional sign and surrounding \
         whitespace are accepted). When `s` is not a whole number or does not fit in 64 \
         bits, `default` is returned instead.",
        &["df.code = px.atoi(df.status_text, -1)"],
    ),
    scalar(
        "itoa",
        Family::Conversion,
        &["(value: INT64) -> STRING"],
        "Writes an integer as decimal text.",
        "Returns the base-10 representation of `value`, with a leading `-` when negative. \
         Casts like `str(x)` do not convert values in PxL; this function does.",
        &["df.label = df.service + ':' + px.itoa(df.port)"],
    ),
    regex(
        "regex_match",
        &["(pattern: STRING, s: STRING) -> BOOLEAN"],
        "Whether a whole string matches an RE2 regular expression.",
        "True when `pattern` matches all of `s`, not just a part: `'abc'` does not match \
         `'abcd'`, while `'abc.*'` does. Wrap the pattern in `.*` on both sides to search \
         inside the string. The syntax is RE2 (no backreferences or lookaround), `.` also \
         matches newlines, and an invalid pattern matches nothing. The pattern comes first \
         and must be a literal string.",
        &["df.is_health_check = px.regex_match('.*/(healthz|readyz)$', df.req_path)"],
    ),
    regex(
        "replace",
        &["(pattern: STRING, s: STRING, replacement: STRING) -> STRING"],
        "Replaces every match of an RE2 regular expression.",
        "Returns `s` with every non-overlapping match of `pattern` replaced by \
         `replacement`. The replacement can refer to numbered capture groups as `\\1` to \
         `\\9` (named groups are not supported). If the pattern or the replacement is \
         invalid, the result is an error message instead of the string. The pattern comes \
         first and must be a literal string.",
        &["df.path = px.replace('[0-9]+', df.req_path, '<id>')"],
    ),
    regex(
        "_match_regex_rule",
        &["(rules: STRING, s: STRING) -> STRING"],
        "Name of the first regex rule that matches a string (internal).",
        "`rules` is a literal JSON object mapping rule names to RE2 patterns, e.g. \
         `'{\"health\": \".*/healthz\", \"api\": \"/api/.*\"}'`. The rules are tried in the \
         order they are written and the name of the first one whose pattern matches the \
         whole of `s` is returned; an empty string means no rule matched. A `rules` text \
         that is not valid JSON makes the query fail.",
        &["df.kind = px._match_regex_rule('{\"health\": \".*/healthz\"}', df.req_path)"],
    ),
];
