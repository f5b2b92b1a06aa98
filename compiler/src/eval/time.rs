//! Time strings: relative durations (`-5m`, `-1h30m`) and absolute times.

const NS: i64 = 1;
const US: i64 = 1_000;
const MS: i64 = 1_000_000;
const S: i64 = 1_000_000_000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;
const D: i64 = 24 * H;

fn unit(u: &str) -> Option<i64> {
    Some(match u {
        "ns" => NS,
        "us" | "µs" => US,
        "ms" => MS,
        "s" => S,
        "m" => M,
        "h" => H,
        "d" => D,
        _ => return None,
    })
}

/// A whole string of the form `-?(N unit)+`, e.g. `-5m`, `-1h30m`, `90s`.
pub(crate) fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, mut rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let ulen = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let u = unit(&rest[..ulen])?;
        rest = &rest[ulen..];
        total = total.checked_add(n.checked_mul(u)?)?;
    }
    Some(if neg { -total } else { total })
}

/// Pixie's lenient relative form: the first `-?N(ms|s|m|h|d)` anywhere in the text.
pub(crate) fn find_relative(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    for start in 0..b.len() {
        if !b[start].is_ascii_digit() || (start > 0 && b[start - 1].is_ascii_digit()) {
            continue;
        }
        let neg = start > 0 && b[start - 1] == b'-';
        let end = start + b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
        let n: i64 = text[start..end].parse().ok()?;
        let rest = &text[end..];
        let u = if rest.starts_with("ms") {
            MS
        } else {
            match rest.chars().next() {
                Some('s') => S,
                Some('m') => M,
                Some('h') => H,
                Some('d') => D,
                _ => continue,
            }
        };
        let v = n.checked_mul(u)?;
        return Some(if neg { -v } else { v });
    }
    None
}

/// Absolute time: `2020-07-13 18:02:05.00 -0700`, RFC 3339 `2020-07-13T18:02:05Z`,
/// or a date-time without zone (UTC). Returns ns since the epoch.
pub(crate) fn parse_absolute(text: &str) -> Option<i64> {
    let t = text.trim();
    let (date, rest) = t.split_at(t.find([' ', 'T']).unwrap_or(t.len()));
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    if d.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', 'T']);
    let (time, zone) = match rest
        .find(['Z', '+', ' '])
        .or_else(|| rest.rfind('-').filter(|&i| i > 0))
    {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let mut secs_of_day = 0i64;
    let mut frac_ns = 0i64;
    if !time.is_empty() {
        let mut p = time.split(':');
        let h: i64 = p.next()?.parse().ok()?;
        let mi: i64 = p.next()?.parse().ok()?;
        let sec_text = p.next().unwrap_or("0");
        let (s, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
        let s: i64 = s.parse().ok()?;
        if h > 23 || mi > 59 || s > 60 {
            return None;
        }
        if !frac.is_empty() {
            let digits: String = frac.chars().take(9).collect();
            frac_ns = format!("{digits:0<9}").parse().ok()?;
        }
        secs_of_day = h * 3600 + mi * 60 + s;
    }
    let offset = match zone {
        "" | "Z" | "UTC" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
            if digits.len() != 4 {
                return None;
            }
            let hh: i64 = digits[..2].parse().ok()?;
            let mm: i64 = digits[2..].parse().ok()?;
            sign * (hh * 3600 + mm * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + secs_of_day - offset;
    secs.checked_mul(S)?.checked_add(frac_ns)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `px.format_duration`: the largest whole unit among d/h/m/s/ms, sign kept.
pub(crate) fn format_duration(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs() as i64;
    for (u, name) in [(D, "d"), (H, "h"), (M, "m"), (S, "s"), (MS, "ms")] {
        if a >= u {
            return format!("{sign}{}{name}", a / u);
        }
    }
    format!("{sign}{a}ns")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("-5m"), Some(-5 * M));
        assert_eq!(parse_duration("-1h30m"), Some(-(H + 30 * M)));
        assert_eq!(parse_duration("250ms"), Some(250 * MS));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(find_relative("last -10s please"), Some(-10 * S));
        assert_eq!(format_duration(-300 * S), "-5m");
        assert_eq!(format_duration(90 * S), "1m");
    }

    #[test]
    fn absolute() {
        assert_eq!(
            parse_absolute("1970-01-01 00:00:01.5 +0000"),
            Some(1_500_000_000)
        );
        assert_eq!(
            parse_absolute("2020-07-13 18:02:05.00 -0700"),
            Some(1_594_688_525 * S)
        );
        assert_eq!(
            parse_absolute("2020-07-14T01:02:05Z"),
            Some(1_594_688_525 * S)
        );
        assert_eq!(parse_absolute("yesterday"), None);
    }
}
