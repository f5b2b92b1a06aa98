//! SQL normalisation for `normalize_mysql` / `normalize_pgsql`: constants are
//! replaced by placeholders so that queries that differ only in their
//! values group together.
//!
//! The statement is edited in place: spacing, case and comments stay as
//! they were, and each replaced constant is kept, exactly as written
//! (quotes included), in `params`. The result is JSON
//! `{"query":...,"params":[...]}`, or `{"error":...}` when the statement
//! cannot be normalised, as Pixie's functions answer.
//!
//! Prepared statements arrive as `query=[SQL] params=[v1, v2]` (MySQL's
//! `COM_STMT_EXECUTE`, PostgreSQL's `Execute`): their placeholders take the
//! values they were executed with, in the order they appear, so that the
//! output lists every value of the statement.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Placeholders are `?`.
    MySql,
    /// Placeholders are `$1`, `$2`, ..., numbered in the order they appear.
    Postgres,
}

/// What kind of message the statement came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Plain SQL text.
    Query,
    /// `query=[SQL] params=[...]`.
    Execute,
}

#[derive(Serialize)]
struct Normalized {
    query: String,
    params: Vec<String>,
}

#[derive(Serialize)]
struct Failed {
    error: String,
}

fn answer(r: Result<Normalized, String>) -> String {
    match r {
        Ok(n) => serde_json::to_string(&n),
        Err(error) => serde_json::to_string(&Failed { error }),
    }
    .unwrap_or_default()
}

/// `normalize_mysql(sql, cmd)`: 3 is `COM_QUERY`, 23 `COM_STMT_EXECUTE`.
pub fn normalize_mysql(sql: &str, cmd: i64) -> String {
    answer(match cmd {
        3 => normalize(sql, Dialect::MySql, Mode::Query),
        23 => normalize(sql, Dialect::MySql, Mode::Execute),
        _ => Err("cmd_code must be one of '3' or '23'".into()),
    })
}

/// `normalize_pgsql(sql, tag)`: the request's message tag, `Query` or
/// `Execute` (as `pgsql_events.req_cmd` spells them).
pub fn normalize_pgsql(sql: &str, tag: &str) -> String {
    answer(match tag {
        "Query" => normalize(sql, Dialect::Postgres, Mode::Query),
        "Execute" => normalize(sql, Dialect::Postgres, Mode::Execute),
        _ => Err("cmd_code must be one of 'Query' or 'Execute'".into()),
    })
}

/// Splits `query=[SQL] params=[a, b]` into the SQL and its values. The SQL
/// ends at the first `]`, the values at the last; values are separated by
/// `", "` and kept as they are.
fn split_execute(s: &str) -> (&str, Vec<String>) {
    let s = s.strip_prefix("query=[").unwrap_or(s);
    let (query, rest) = s.split_at(s.find(']').unwrap_or(s.len()));
    let rest = rest.strip_prefix("] params=[").unwrap_or(rest);
    let values = &rest[..rest.rfind(']').unwrap_or(rest.len())];
    (
        query,
        values.split(", ").map(str::to_string).collect::<Vec<_>>(),
    )
}

/// The previous significant token, which decides what a `-`, `NULL` or a
/// number means.
#[derive(Debug, Clone, PartialEq)]
enum Prev {
    Start,
    /// A word, upper-cased, and whether it follows a name or `AS` (where a
    /// column type stands, rather than a function call).
    Word(String, bool),
    /// A value: constant, quoted identifier, placeholder, `)`.
    Value,
    /// An operator or other punctuation.
    Punct,
}

/// Words after which `-5` is a negative number rather than a subtraction.
const OPERATOR_WORDS: &[&str] = &[
    "SELECT", "WHERE", "AND", "OR", "NOT", "VALUES", "SET", "THEN", "ELSE", "WHEN", "IN", "BY",
    "LIKE", "BETWEEN", "CASE", "IS", "ON", "HAVING", "RETURN", "DEFAULT", "INTERVAL", "DIV", "MOD",
    "XOR",
];

/// Types whose `(n)` / `(p, s)` are sizes, not constants.
const SIZED_TYPES: &[&str] = &[
    "CHAR",
    "VARCHAR",
    "CHARACTER",
    "VARYING",
    "NCHAR",
    "NVARCHAR",
    "BINARY",
    "VARBINARY",
    "BIT",
    "INT",
    "INTEGER",
    "TINYINT",
    "SMALLINT",
    "MEDIUMINT",
    "BIGINT",
    "DECIMAL",
    "DEC",
    "NUMERIC",
    "FLOAT",
    "DOUBLE",
    "REAL",
    "TIME",
    "TIMESTAMP",
    "DATETIME",
    "TIMESTAMPTZ",
    "TIMETZ",
];

struct Normalizer<'a> {
    sql: &'a str,
    b: &'a [u8],
    dialect: Dialect,
    mode: Mode,
    exec_values: Vec<String>,
    /// The next `?` takes this execute value.
    next_marker: usize,
    out: String,
    params: Vec<String>,
    prev: Prev,
    /// For each open `(`: whether it holds a type's size.
    parens: Vec<bool>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

impl<'a> Normalizer<'a> {
    fn error_at(&self, i: usize, what: &str) -> String {
        let before = &self.sql[..i];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count();
        format!("SQL Parsing Failed: line {line}:{col} with: {what}")
    }

    /// Replaces `self.sql[start..end]`, a constant, by a placeholder.
    fn constant(&mut self, start: usize, end: usize) {
        self.placeholder(self.sql[start..end].to_string());
    }

    fn placeholder(&mut self, value: String) {
        self.params.push(value);
        match self.dialect {
            Dialect::MySql => self.out.push('?'),
            Dialect::Postgres => {
                self.out.push('$');
                self.out.push_str(&self.params.len().to_string());
            }
        }
        self.prev = Prev::Value;
    }

    fn copy(&mut self, start: usize, end: usize) {
        self.out.push_str(&self.sql[start..end]);
    }

    /// The end of the quoted text starting at `i` (the opening quote).
    fn quoted_end(&self, i: usize, backslash: bool) -> Result<usize, String> {
        let q = self.b[i];
        let mut j = i + 1;
        while j < self.b.len() {
            let c = self.b[j];
            if backslash && c == b'\\' {
                j += 2;
                continue;
            }
            if c == q {
                if self.b.get(j + 1) == Some(&q) {
                    j += 2;
                    continue;
                }
                return Ok(j + 1);
            }
            j += 1;
        }
        Err(self.error_at(i, "unterminated quoted text"))
    }

    /// `$tag$ ... $tag$` starting at `i`, if that is what is there.
    fn dollar_quoted_end(&self, i: usize) -> Option<Result<usize, String>> {
        let rest = &self.sql[i + 1..];
        let close = rest.find('$')?;
        let tag = &rest[..close];
        if !tag.bytes().all(|c| is_ident(c) && c != b'$')
            || tag.starts_with(|c: char| c.is_ascii_digit())
        {
            return None;
        }
        let delim = &self.sql[i..i + close + 2];
        let body = i + delim.len();
        Some(match self.sql[body..].find(delim) {
            Some(k) => Ok(body + k + delim.len()),
            None => Err(self.error_at(i, "unterminated dollar-quoted string")),
        })
    }

    /// The end of the number starting at `i`, if it is one (and not the
    /// start of a name like `1st`).
    fn number_end(&self, i: usize) -> Option<usize> {
        let b = self.b;
        let digits = |mut j: usize| {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            j
        };
        let mut j = i;
        if b[j] == b'0'
            && matches!(b.get(j + 1), Some(b'x' | b'X'))
            && b.get(j + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            j += 2;
            while j < b.len() && b[j].is_ascii_hexdigit() {
                j += 1;
            }
        } else {
            j = digits(j);
            if b.get(j) == Some(&b'.') {
                j = digits(j + 1);
            }
            if matches!(b.get(j), Some(b'e' | b'E')) {
                let k = if matches!(b.get(j + 1), Some(b'+' | b'-')) {
                    j + 2
                } else {
                    j + 1
                };
                if b.get(k).is_some_and(u8::is_ascii_digit) {
                    j = digits(k);
                }
            }
        }
        if j == i || (j < b.len() && is_ident(b[j]) && b[j] != b'$') {
            return None;
        }
        Some(j)
    }

    fn in_sizes(&self) -> bool {
        self.parens.last() == Some(&true)
    }

    /// Whether a `-` here would be a sign rather than a subtraction.
    fn unary_position(&self) -> bool {
        match &self.prev {
            Prev::Start | Prev::Punct => true,
            Prev::Word(w, _) => OPERATOR_WORDS.contains(&w.as_str()),
            Prev::Value => false,
        }
    }

    fn run(mut self) -> Result<Normalized, String> {
        let b = self.b;
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            let next = b.get(i + 1).copied();
            // Whitespace and comments stay as they are.
            if c.is_ascii_whitespace() {
                let start = i;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                self.copy(start, i);
                continue;
            }
            let line_comment = (c == b'-' && next == Some(b'-'))
                && (self.dialect == Dialect::Postgres
                    || b.get(i + 2).is_none_or(|c| c.is_ascii_whitespace()))
                || (c == b'#' && self.dialect == Dialect::MySql);
            if line_comment {
                let end = self.sql[i..].find('\n').map_or(b.len(), |k| i + k);
                self.copy(i, end);
                i = end;
                continue;
            }
            if c == b'/' && next == Some(b'*') {
                let end = self.sql[i + 2..]
                    .find("*/")
                    .map_or(b.len(), |k| i + 2 + k + 2);
                self.copy(i, end);
                i = end;
                continue;
            }
            match c {
                b'\'' => {
                    let end = self.quoted_end(i, self.dialect == Dialect::MySql)?;
                    self.constant(i, end);
                    i = end;
                }
                b'"' if self.dialect == Dialect::MySql => {
                    let end = self.quoted_end(i, true)?;
                    self.constant(i, end);
                    i = end;
                }
                b'"' | b'`' => {
                    // A quoted name.
                    let end = self.quoted_end(i, false)?;
                    self.copy(i, end);
                    self.prev = Prev::Value;
                    i = end;
                }
                b'?' if self.dialect == Dialect::MySql => {
                    let value = match self.mode {
                        Mode::Execute => self.exec_values.get(self.next_marker).cloned(),
                        Mode::Query => None,
                    };
                    let Some(value) = value else {
                        return Err(too_few_values());
                    };
                    self.next_marker += 1;
                    self.placeholder(value);
                    i += 1;
                }
                b'$' if self.dialect == Dialect::Postgres
                    && next.is_some_and(|c| c.is_ascii_digit()) =>
                {
                    let mut j = i + 1;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    let n: usize = self.sql[i + 1..j].parse().unwrap_or(usize::MAX);
                    if n == 0 {
                        return Err(format!("Placeholder {} invalid", &self.sql[i..j]));
                    }
                    let value = match self.mode {
                        Mode::Execute => self.exec_values.get(n - 1).cloned(),
                        Mode::Query => None,
                    };
                    let Some(value) = value else {
                        return Err(too_few_values());
                    };
                    self.placeholder(value);
                    i = j;
                }
                b'$' if self.dialect == Dialect::Postgres => match self.dollar_quoted_end(i) {
                    Some(end) => {
                        let end = end?;
                        self.constant(i, end);
                        i = end;
                    }
                    None => {
                        self.copy(i, i + 1);
                        self.prev = Prev::Punct;
                        i += 1;
                    }
                },
                b'@' if self.dialect == Dialect::MySql => {
                    // A user (`@a`, `@'a'`) or system (`@@a`) variable stays.
                    let mut j = i + 1;
                    if matches!(next, Some(b'\'' | b'"' | b'`')) {
                        j = self.quoted_end(i + 1, true)?;
                    }
                    while j < b.len() && (is_ident(b[j]) || b[j] == b'@' || b[j] == b'.') {
                        j += 1;
                    }
                    self.copy(i, j);
                    self.prev = Prev::Value;
                    i = j;
                }
                b'0'..=b'9' | b'.' if self.is_number_start(i) => {
                    match self.number_end(i) {
                        Some(end) if self.is_limit() => {
                            // Stays in the LIMIT context for `LIMIT 5, 10`.
                            self.copy(i, end);
                            i = end;
                        }
                        Some(end) if self.in_sizes() => {
                            self.copy(i, end);
                            self.prev = Prev::Value;
                            i = end;
                        }
                        Some(end) => {
                            self.constant(i, end);
                            i = end;
                        }
                        None => i = self.word(i)?,
                    }
                }
                b'-' if self.dialect == Dialect::MySql
                    && next.is_some_and(|c| c.is_ascii_digit())
                    && self.unary_position()
                    && !self.in_sizes() =>
                {
                    // MySQL's grammar reads `-5` as one constant.
                    match self.number_end(i + 1) {
                        Some(end) if self.sql[i + 1..end].bytes().all(|c| c.is_ascii_digit()) => {
                            self.constant(i, end);
                            i = end;
                        }
                        _ => {
                            self.copy(i, i + 1);
                            self.prev = Prev::Punct;
                            i += 1;
                        }
                    }
                }
                c if is_ident_start(c) => i = self.word(i)?,
                b'(' => {
                    let sizes = matches!(&self.prev, Prev::Word(w, true) if SIZED_TYPES.contains(&w.as_str()));
                    self.parens.push(sizes);
                    self.copy(i, i + 1);
                    self.prev = Prev::Punct;
                    i += 1;
                }
                b')' => {
                    self.parens.pop();
                    self.copy(i, i + 1);
                    self.prev = Prev::Value;
                    i += 1;
                }
                _ => {
                    let ch = self.sql[i..].chars().next().map_or(1, char::len_utf8);
                    self.copy(i, i + ch);
                    // `LIMIT 5, 10`: the comma keeps the LIMIT context.
                    if !(c == b',' && self.is_limit()) {
                        self.prev = Prev::Punct;
                    }
                    i += ch;
                }
            }
        }
        Ok(Normalized {
            query: self.out,
            params: self.params,
        })
    }

    fn is_number_start(&self, i: usize) -> bool {
        let c = self.b[i];
        if c == b'.' {
            // `.5`, but not `t.col` or `1.`'s dot.
            return self.b.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !matches!(self.prev, Prev::Value | Prev::Word(..))
                && (i == 0 || !is_ident(self.b[i - 1]));
        }
        true
    }

    /// MySQL's `LIMIT n` / `OFFSET n` take plain numbers, not constants.
    fn is_limit(&self) -> bool {
        self.dialect == Dialect::MySql
            && matches!(&self.prev, Prev::Word(w, _) if w == "LIMIT" || w == "OFFSET")
    }

    /// A name or keyword at `i` (or a string with a prefix: `N'..'`,
    /// `X'..'`, `_utf8'..'`, `E'..'`); returns where it ends.
    fn word(&mut self, i: usize) -> Result<usize, String> {
        let b = self.b;
        let mut j = i;
        while j < b.len() && is_ident(b[j]) {
            j += 1;
        }
        if j == i {
            // Not a word after all (`.` of `.5a`): take one character.
            let ch = self.sql[i..].chars().next().map_or(1, char::len_utf8);
            self.copy(i, i + ch);
            self.prev = Prev::Punct;
            return Ok(i + ch);
        }
        let word = &self.sql[i..j];
        let upper = word.to_ascii_uppercase();
        if b.get(j) == Some(&b'\'') {
            let string_prefix = match self.dialect {
                Dialect::MySql => {
                    matches!(upper.as_str(), "N" | "X" | "B") || word.starts_with('_')
                }
                Dialect::Postgres => matches!(upper.as_str(), "E" | "N"),
            };
            if string_prefix {
                let end = self.quoted_end(j, self.dialect == Dialect::MySql || upper == "E")?;
                self.constant(i, end);
                return Ok(end);
            }
            if self.dialect == Dialect::Postgres && matches!(upper.as_str(), "X" | "B") {
                // Bit strings `X'1F'`, `B'01'` stay as they are.
                let end = self.quoted_end(j, false)?;
                self.copy(i, end);
                self.prev = Prev::Value;
                return Ok(end);
            }
        }
        // A value `NULL`, not a column's `NULL` / `NOT NULL` / `DEFAULT NULL`
        // or `IS [NOT] NULL`.
        let is_null_constant = upper == "NULL"
            && self.dialect == Dialect::MySql
            && match &self.prev {
                Prev::Start | Prev::Punct => true,
                Prev::Word(w, _) => {
                    OPERATOR_WORDS.contains(&w.as_str())
                        && !matches!(w.as_str(), "IS" | "NOT" | "DEFAULT")
                }
                Prev::Value => false,
            };
        if upper == "TRUE" || upper == "FALSE" || is_null_constant {
            self.constant(i, j);
        } else {
            self.copy(i, j);
            let after_name = match &self.prev {
                Prev::Word(w, _) => w == "AS" || !OPERATOR_WORDS.contains(&w.as_str()),
                Prev::Value => true,
                Prev::Start | Prev::Punct => false,
            };
            self.prev = Prev::Word(upper, after_name);
        }
        Ok(j)
    }
}

fn too_few_values() -> String {
    "Query has more parameter placeholders in it than parameter values were passed in".into()
}

fn normalize(sql: &str, dialect: Dialect, mode: Mode) -> Result<Normalized, String> {
    let (sql, exec_values) = match mode {
        Mode::Query => (sql, Vec::new()),
        Mode::Execute => split_execute(sql),
    };
    Normalizer {
        sql,
        b: sql.as_bytes(),
        dialect,
        mode,
        exec_values,
        next_marker: 0,
        out: String::with_capacity(sql.len()),
        params: Vec::new(),
        prev: Prev::Start,
        parens: Vec::new(),
    }
    .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(query: &str, params: &[&str]) -> String {
        format!(
            "{{\"query\":{},\"params\":{}}}",
            serde_json::to_string(query).unwrap(),
            serde_json::to_string(params).unwrap()
        )
    }

    fn err(e: &str) -> String {
        format!("{{\"error\":{}}}", serde_json::to_string(e).unwrap())
    }

    /// Pixie's own vectors for MySQL.
    #[test]
    fn mysql() {
        let cases: &[(&str, i64, &str, &[&str])] = &[
            ("SELECT 1", 3, "SELECT ?", &["1"]),
            (
                "SELECT * FROM test WHERE prop=@a AND prop2='abcd'",
                3,
                "SELECT * FROM test WHERE prop=@a AND prop2=?",
                &["'abcd'"],
            ),
            (
                "query=[SELECT * FROM test WHERE prop=? AND prop2='abcd'] params=[1234]",
                23,
                "SELECT * FROM test WHERE prop=? AND prop2=?",
                &["1234", "'abcd'"],
            ),
            (
                "query=[INSERT INTO test (a, b, c, d, e) VALUES (?, ?, 1.23, ?, ?)] params=[1, 'abcd', true, X'DEADBEEF']",
                23,
                "INSERT INTO test (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)",
                &["1", "'abcd'", "1.23", "true", "X'DEADBEEF'"],
            ),
            (
                "query=[SELECT sock.sock_id AS id, sock.image_url_1, GROUP_CONCAT(tag.name) AS tag_name FROM sock WHERE sock.sock_id =? GROUP BY sock.sock_id;] params=[zzz4f044-b040-410d-8ead-4de0446aec7e]",
                23,
                "SELECT sock.sock_id AS id, sock.image_url_1, GROUP_CONCAT(tag.name) AS tag_name FROM sock WHERE sock.sock_id =? GROUP BY sock.sock_id;",
                &["zzz4f044-b040-410d-8ead-4de0446aec7e"],
            ),
            (
                "INSERT INTO test (a, b, c, d, e) VALUES (1, 'abcd', 1.23, true, X'DEADBEEF')",
                3,
                "INSERT INTO test (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)",
                &["1", "'abcd'", "1.23", "true", "X'DEADBEEF'"],
            ),
            (
                "SELECT * FROM test WHERE prop=1234 AND prop2='abcd'",
                3,
                "SELECT * FROM test WHERE prop=? AND prop2=?",
                &["1234", "'abcd'"],
            ),
            (
                "CREATE TABLE test (name text, address varchar(20), foo int, bar decimal(10, 2))",
                3,
                "CREATE TABLE test (name text, address varchar(20), foo int, bar decimal(10, 2))",
                &[],
            ),
            (
                "UPDATE test SET age=10 where name='abcd'",
                3,
                "UPDATE test SET age=? where name=?",
                &["10", "'abcd'"],
            ),
            (
                "SELECT length(abcd) + 1 from test",
                3,
                "SELECT length(abcd) + ? from test",
                &["1"],
            ),
            (
                "INSERT INTO my_new_table SELECT 'abcd' as col1, 1234 as col2, 1.2345 as col3",
                3,
                "INSERT INTO my_new_table SELECT ? as col1, ? as col2, ? as col3",
                &["'abcd'", "1234", "1.2345"],
            ),
            // Ours: signs, NULL, LIMIT, comments, names with digits.
            (
                "SELECT a - 1, -5, b FROM t2 WHERE c IS NULL AND d = NULL LIMIT 10, 5 /* 7 */ -- 8",
                3,
                "SELECT a - ?, ?, b FROM t2 WHERE c IS NULL AND d = ? LIMIT 10, 5 /* 7 */ -- 8",
                &["1", "-5", "NULL"],
            ),
            (
                "SELECT \"it's\", 'o''k', 'a\\'b', `col 1` FROM t",
                3,
                "SELECT ?, ?, ?, `col 1` FROM t",
                &["\"it's\"", "'o''k'", "'a\\'b'"],
            ),
            (
                "CREATE TABLE t (a int NULL, b int NOT NULL DEFAULT NULL, c char(2))",
                3,
                "CREATE TABLE t (a int NULL, b int NOT NULL DEFAULT NULL, c char(2))",
                &[],
            ),
            (
                "SELECT CHAR(77, 121), @'x', -0x1F, a DIV -5, CAST(b AS DECIMAL(10, 2)) FROM t",
                3,
                "SELECT CHAR(?, ?), @'x', -?, a DIV ?, CAST(b AS DECIMAL(10, 2)) FROM t",
                &["77", "121", "0x1F", "-5"],
            ),
            ("", 3, "", &[]),
        ];
        for (sql, cmd, q, p) in cases {
            assert_eq!(normalize_mysql(sql, *cmd), ok(q, p), "{sql}");
        }
    }

    #[test]
    fn pgsql() {
        let cases: &[(&str, &str, &str, &[&str])] = &[
            ("SELECT 1", "Query", "SELECT $1", &["1"]),
            (
                "query=[SELECT * FROM test WHERE prop=$1 AND prop2='abcd'] params=['1234']",
                "Execute",
                "SELECT * FROM test WHERE prop=$1 AND prop2=$2",
                &["'1234'", "'abcd'"],
            ),
            (
                "INSERT INTO test (a, b, c, d, e) VALUES (1, 'abcd', 1.23, true, E'\\\\xDEADBEEF')",
                "Query",
                "INSERT INTO test (a, b, c, d, e) VALUES ($1, $2, $3, $4, $5)",
                &["1", "'abcd'", "1.23", "true", "E'\\\\xDEADBEEF'"],
            ),
            (
                "query=[INSERT INTO test (a, b, c, d, e) VALUES ($1, $2, $3, $4, $5)] params=[1, 'abcd', 1.23, true, E'\\\\xDEADBEEF']",
                "Execute",
                "INSERT INTO test (a, b, c, d, e) VALUES ($1, $2, $3, $4, $5)",
                &["1", "'abcd'", "1.23", "true", "E'\\\\xDEADBEEF'"],
            ),
            (
                "SELECT * FROM test WHERE prop='abcd'",
                "Query",
                "SELECT * FROM test WHERE prop=$1",
                &["'abcd'"],
            ),
            (
                "CREATE TABLE test (name varchar(20), address text, foo int, bar text)",
                "Query",
                "CREATE TABLE test (name varchar(20), address text, foo int, bar text)",
                &[],
            ),
            (
                "SELECT 'abcd' as col1, 1234 as col2, 1.2345 as col3 into my_new_table",
                "Query",
                "SELECT $1 as col1, $2 as col2, $3 as col3 into my_new_table",
                &["'abcd'", "1234", "1.2345"],
            ),
            // Existing placeholders join the one numbering.
            (
                "query=[SELECT * from test WHERE name=$1 AND tag=1234 AND property=$1] params=['abcd']",
                "Execute",
                "SELECT * from test WHERE name=$1 AND tag=$2 AND property=$3",
                &["'abcd'", "1234", "'abcd'"],
            ),
            // Ours: NULL stays, a sign stays outside, casts stay, $$ strings go.
            (
                "SELECT -5, NULL, X'1F', $$a'b$$, $tag$x$tag$ FROM t1",
                "Query",
                "SELECT -$1, NULL, X'1F', $2, $3 FROM t1",
                &["5", "$$a'b$$", "$tag$x$tag$"],
            ),
            (
                "SELECT * FROM t WHERE a LIKE'x%'",
                "Query",
                "SELECT * FROM t WHERE a LIKE$1",
                &["'x%'"],
            ),
        ];
        for (sql, tag, q, p) in cases {
            assert_eq!(normalize_pgsql(sql, tag), ok(q, p), "{sql}");
        }
    }

    #[test]
    fn any_input_gives_json() {
        let pieces = [
            "$", "$$", "$a$", "'", "\"", "`", "E'", "\\", "0x", "1e", "1e+", ".", ".5a", "@", "@'",
            "--", "/*", "-", "-1", "?", "$1", "$0", "é", "NULL", "IS", "(", ")", ",", " ", "x",
            "varchar", "LIMIT", "9",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let sql = format!("{a}{b}{c}");
                    for out in [
                        normalize_mysql(&sql, 3),
                        normalize_mysql(&sql, 23),
                        normalize_pgsql(&sql, "Query"),
                        normalize_pgsql(&sql, "Execute"),
                    ] {
                        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
                        assert!(
                            v.get("query").is_some() || v.get("error").is_some(),
                            "{sql}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            normalize_mysql("SELECT 1", 5),
            err("cmd_code must be one of '3' or '23'")
        );
        assert_eq!(
            normalize_pgsql("SELECT 1", "QUERY"),
            err("cmd_code must be one of 'Query' or 'Execute'")
        );
        assert_eq!(normalize_mysql("SELECT ?", 3), err(&too_few_values()));
        assert_eq!(
            normalize_pgsql("query=[SELECT $2] params=[1]", "Execute"),
            err(&too_few_values())
        );
        assert_eq!(
            normalize_pgsql("SELECT $0", "Query"),
            err("Placeholder $0 invalid")
        );
        assert_eq!(
            normalize_mysql("SELECT 1,\n 'abc", 3),
            err("SQL Parsing Failed: line 2:1 with: unterminated quoted text")
        );
    }
}
