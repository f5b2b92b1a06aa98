//! SQL normalisation for `normalize_mysql` / `normalize_pgsql`: literals are
//! replaced by placeholders so that queries that differ only in their
//! constants group together. The result is JSON
//! `{"query": ..., "params": [...], "error": ""}`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Placeholders are `?`.
    MySql,
    /// Placeholders are `$1`, `$2`, ...
    Postgres,
}

/// Normalises one statement; unterminated strings give an `error`.
pub fn normalize(sql: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut params: Vec<String> = Vec::new();
    let mut error = String::new();
    let b = sql.as_bytes();
    let mut i = 0;
    let placeholder = |out: &mut String, params: &mut Vec<String>, value: String| {
        params.push(value);
        match dialect {
            Dialect::MySql => out.push('?'),
            Dialect::Postgres => {
                out.push('$');
                out.push_str(&params.len().to_string());
            }
        }
    };
    while i < b.len() {
        let c = b[i];
        let prev_ident = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if c == b'\'' || (c == b'"' && dialect == Dialect::MySql) {
            let quote = c;
            let mut j = i + 1;
            let mut value = Vec::new();
            let mut closed = false;
            while j < b.len() {
                if b[j] == b'\\' && dialect == Dialect::MySql && j + 1 < b.len() {
                    value.push(b[j + 1]);
                    j += 2;
                    continue;
                }
                if b[j] == quote {
                    if j + 1 < b.len() && b[j + 1] == quote {
                        value.push(quote);
                        j += 2;
                        continue;
                    }
                    closed = true;
                    break;
                }
                value.push(b[j]);
                j += 1;
            }
            if !closed {
                error = "unterminated string literal".to_string();
                out.push_str(&sql[i..]);
                break;
            }
            placeholder(
                &mut out,
                &mut params,
                String::from_utf8_lossy(&value).into_owned(),
            );
            i = j + 1;
        } else if c.is_ascii_digit() && !prev_ident {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.') {
                j += 1;
            }
            placeholder(&mut out, &mut params, sql[i..j].to_string());
            i = j;
        } else if c == b'$'
            && dialect == Dialect::Postgres
            && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            // An existing placeholder stays as it is.
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            out.push_str(&sql[i..j]);
            i = j;
        } else {
            let ch = sql[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    serde_json::json!({"query": out, "params": params, "error": error}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(j: &str) -> (String, Vec<String>) {
        let v: serde_json::Value = serde_json::from_str(j).unwrap();
        (
            v["query"].as_str().unwrap().to_string(),
            v["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect(),
        )
    }

    #[test]
    fn mysql() {
        let (q, p) = query(&normalize(
            "SELECT * FROM t2 WHERE id = 42 AND name = 'o''brien'",
            Dialect::MySql,
        ));
        assert_eq!(q, "SELECT * FROM t2 WHERE id = ? AND name = ?");
        assert_eq!(p, vec!["42", "o'brien"]);
    }

    #[test]
    fn pgsql() {
        let (q, p) = query(&normalize(
            "UPDATE carts SET qty = 3 WHERE id = 'x' AND v = $1",
            Dialect::Postgres,
        ));
        assert_eq!(q, "UPDATE carts SET qty = $1 WHERE id = $2 AND v = $1");
        assert_eq!(p, vec!["3", "x"]);
    }

    #[test]
    fn unterminated() {
        let v: serde_json::Value =
            serde_json::from_str(&normalize("SELECT 'abc", Dialect::MySql)).unwrap();
        assert_eq!(v["error"], "unterminated string literal");
    }
}
