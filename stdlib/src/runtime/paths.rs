//! Request-path helpers.

/// Whether `path` matches the endpoint template `endpoint`, where a segment
/// in braces (`/users/{id}`) or `*` matches any one segment. Query strings
/// are ignored.
pub fn match_endpoint(path: &str, endpoint: &str) -> bool {
    let path = path.split('?').next().unwrap_or("");
    let p: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let e: Vec<&str> = endpoint.trim_end_matches('/').split('/').collect();
    p.len() == e.len()
        && p.iter().zip(&e).all(|(p, e)| {
            *e == "*" || (e.starts_with('{') && e.ends_with('}') && !p.is_empty()) || p == e
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn templates() {
        assert!(super::match_endpoint("/users/42?x=1", "/users/{id}"));
        assert!(!super::match_endpoint("/users/42/cart", "/users/{id}"));
        assert!(super::match_endpoint("/a/b/", "/a/*"));
    }
}
