//! `pxl demo`: a small multi-service HTTP workload on loopback, observed by
//! the collectors, then the bundled scripts over what they saw.
//!
//! The workload runs as separate processes so that each service is its own
//! process with its own name: `pxl` re-executes itself through symlinks
//! named `frontend`, `catalog`, `payments` and `loadgen` (a process's name is
//! the file it was started from), with the hidden `demo-service` command.
//!
//! - `catalog` answers `GET /items` and `GET /items/<id>`; `/items/search`
//!   is the slow endpoint (about 150 ms).
//! - `payments` answers `POST /charge`; about one in five charges fails
//!   with 500.
//! - `frontend` answers `GET /`, `/product/<id>`, `/search` and
//!   `POST /checkout`, calling catalog and payments over keep-alive
//!   connections.
//! - `loadgen` sends about 40 requests/s to the frontend.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct ServiceArgs {
    /// frontend, catalog, payments or loadgen.
    #[arg(long)]
    role: String,
    /// Port to listen on (loadgen: the frontend's port).
    #[arg(long)]
    port: u16,
    #[arg(long, default_value_t = 0)]
    catalog: u16,
    #[arg(long, default_value_t = 0)]
    payments: u16,
}

/// One HTTP request as the demo servers see it.
struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// Reads header lines up to the empty line; returns the Content-Length
/// (capped at 1 MiB), or None when the peer closed first.
fn read_headers(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<usize>> {
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            return Ok(Some(len));
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse().unwrap_or(0).min(1 << 20);
        }
    }
}

fn read_request(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let Some(len) = read_headers(r)? else {
        return Ok(None);
    };
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some(Request { method, path, body }))
}

fn respond(w: &mut TcpStream, status: u16, reason: &str, body: &str) -> std::io::Result<()> {
    let msg = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    w.write_all(msg.as_bytes())
}

/// A keep-alive HTTP client to one port that reconnects when needed.
struct Client {
    port: u16,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    fn new(port: u16) -> Self {
        Client { port, conn: None }
    }

    fn call(&mut self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        for _ in 0..2 {
            if self.conn.is_none() {
                let s = TcpStream::connect(("127.0.0.1", self.port))?;
                self.conn = Some(BufReader::new(s));
            }
            let Some(c) = self.conn.as_mut() else {
                continue;
            };
            let req = format!(
                "{method} {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pxl-demo\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            match c
                .get_mut()
                .write_all(req.as_bytes())
                .and_then(|()| read_response(c))
            {
                Ok(r) => return Ok(r),
                Err(_) => self.conn = None,
            }
        }
        Err(std::io::Error::other("request failed"))
    }
}

fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<(u16, String)> {
    let closed = || std::io::Error::other("connection closed");
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(closed());
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let len = read_headers(r)?.ok_or_else(closed)?;
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Runs one demo service until it is killed.
pub fn service(args: &ServiceArgs) -> std::process::ExitCode {
    if args.role == "loadgen" {
        loadgen(args.port);
        return std::process::ExitCode::SUCCESS;
    }
    let listener = match TcpListener::bind(("127.0.0.1", args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "error: {} cannot listen on port {}: {e}",
                args.role, args.port
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let counter = std::sync::Arc::new(AtomicU64::new(0));
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let role = args.role.clone();
        let (catalog, payments) = (args.catalog, args.payments);
        let counter = counter.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(conn);
            let mut cat = Client::new(catalog);
            let mut pay = Client::new(payments);
            while let Ok(Some(req)) = read_request(&mut r) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let w = r.get_mut();
                let ok = match role.as_str() {
                    "catalog" => catalog_handler(w, &req),
                    "payments" => payments_handler(w, &req, n),
                    _ => frontend_handler(w, &req, &mut cat, &mut pay),
                };
                if ok.is_err() {
                    break;
                }
            }
        });
    }
    std::process::ExitCode::SUCCESS
}

fn catalog_handler(w: &mut TcpStream, req: &Request) -> std::io::Result<()> {
    match req.path.as_str() {
        "/items" => respond(
            w,
            200,
            "OK",
            r#"[{"id":1,"name":"kettle"},{"id":2,"name":"mug"}]"#,
        ),
        "/items/search" => {
            std::thread::sleep(Duration::from_millis(150));
            respond(w, 200, "OK", r#"{"results":[1,2],"took_ms":150}"#)
        }
        p if p.starts_with("/items/") => {
            let id = &p[7..];
            respond(
                w,
                200,
                "OK",
                &format!(r#"{{"id":{id},"name":"item {id}","price":12.5}}"#),
            )
        }
        _ => respond(w, 404, "Not Found", r#"{"error":"no such item"}"#),
    }
}

fn payments_handler(w: &mut TcpStream, req: &Request, n: u64) -> std::io::Result<()> {
    if req.method == "POST" && req.path == "/charge" {
        std::thread::sleep(Duration::from_millis(3));
        if n % 5 == 4 {
            respond(
                w,
                500,
                "Internal Server Error",
                r#"{"error":"card processor timed out"}"#,
            )
        } else {
            let amount = String::from_utf8_lossy(&req.body).len();
            respond(
                w,
                200,
                "OK",
                &format!(r#"{{"charged":true,"ref":"ch_{n}","len":{amount}}}"#),
            )
        }
    } else {
        respond(w, 404, "Not Found", r#"{"error":"unknown endpoint"}"#)
    }
}

fn frontend_handler(
    w: &mut TcpStream,
    req: &Request,
    cat: &mut Client,
    pay: &mut Client,
) -> std::io::Result<()> {
    let path = req.path.as_str();
    let (status, body) = if path == "/" {
        cat.call("GET", "/items", "")
            .unwrap_or((502, r#"{"error":"catalog unreachable"}"#.into()))
    } else if let Some(id) = path.strip_prefix("/product/") {
        cat.call("GET", &format!("/items/{id}"), "")
            .unwrap_or((502, r#"{"error":"catalog unreachable"}"#.into()))
    } else if path == "/search" {
        cat.call("GET", "/items/search", "")
            .unwrap_or((502, r#"{"error":"catalog unreachable"}"#.into()))
    } else if path == "/checkout" && req.method == "POST" {
        pay.call("POST", "/charge", r#"{"amount":2500,"currency":"EUR"}"#)
            .unwrap_or((502, r#"{"error":"payments unreachable"}"#.into()))
    } else {
        (404, r#"{"error":"not found"}"#.into())
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Bad Gateway",
    };
    respond(w, status, reason, &body)
}

fn loadgen(port: u16) {
    // Four keep-alive users, about 10 requests/s each.
    let users: Vec<_> = (0..4u64)
        .map(|u| {
            std::thread::spawn(move || {
                let mut c = Client::new(port);
                let start = Instant::now();
                for i in 0u64.. {
                    let due = start + Duration::from_millis(100 * i);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let k = (i * 7 + u * 3) % 10;
                    let _ = match k {
                        0 | 1 => c.call("GET", "/", ""),
                        2..=5 => c.call("GET", &format!("/product/{}", (i + u) % 20), ""),
                        6 => c.call("GET", "/search", ""),
                        7 | 8 => c.call("POST", "/checkout", r#"{"cart":[1,2]}"#),
                        _ => c.call("GET", "/no-such-page", ""),
                    };
                }
            })
        })
        .collect();
    for u in users {
        let _ = u.join();
    }
}

/// The running workload; dropping it stops every process.
pub struct Workload {
    children: Vec<Child>,
    dir: PathBuf,
}

impl Drop for Workload {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_listening(port: u16) {
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts catalog, payments, frontend and loadgen.
pub fn start_workload() -> std::io::Result<Workload> {
    let exe = std::env::current_exe()?;
    let dir = std::env::temp_dir().join(format!("pxl-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let link = |name: &str| -> std::io::Result<PathBuf> {
        let p = dir.join(name);
        let _ = std::fs::remove_file(&p);
        std::os::unix::fs::symlink(&exe, &p)?;
        Ok(p)
    };
    let (catalog, payments, frontend) = (free_port()?, free_port()?, free_port()?);
    let mut w = Workload {
        children: Vec::new(),
        dir: dir.clone(),
    };
    let spawn = |path: &Path, args: &[String]| -> std::io::Result<Child> {
        Command::new(path)
            .arg("demo-service")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
    };
    let s = |v: u16| v.to_string();
    let role = |r: &str, port: u16| vec!["--role".into(), r.into(), "--port".into(), s(port)];
    w.children
        .push(spawn(&link("catalog")?, &role("catalog", catalog))?);
    w.children
        .push(spawn(&link("payments")?, &role("payments", payments))?);
    let mut fe = role("frontend", frontend);
    fe.extend([
        "--catalog".into(),
        s(catalog),
        "--payments".into(),
        s(payments),
    ]);
    w.children.push(spawn(&link("frontend")?, &fe)?);
    for p in [catalog, payments, frontend] {
        wait_listening(p);
    }
    w.children
        .push(spawn(&link("loadgen")?, &role("loadgen", frontend))?);
    Ok(w)
}
