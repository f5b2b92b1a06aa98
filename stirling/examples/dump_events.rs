//! Prints the socket tracer's raw events for a few seconds (debugging aid):
//! `cargo run -p pxl-stirling --example dump_events -- SECONDS [PID]`.
use pxl_stirling::bpf::{self, Event, Tracer};
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let pid: Option<u32> = args.next().and_then(|s| s.parse().ok());
    let mut t = match Tracer::load(bpf::MAX_CAPTURE) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        while let Some(item) = t.events.next() {
            match bpf::decode(&item) {
                Ok(ev) if pid.is_none_or(|p| ev.head().tgid == p) => match &ev {
                    Event::Data {
                        head,
                        ingress,
                        len,
                        data,
                    } => println!(
                        "data tgid={} fd={} in={ingress} len={len} captured={} {:?}",
                        head.tgid,
                        head.fd,
                        data.len(),
                        String::from_utf8_lossy(&data[..data.len().min(40)])
                    ),
                    other => println!("{other:?}"),
                },
                Ok(_) => {}
                Err(e) => println!("decode error: {e}"),
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = &mut t;
    println!("lost: {:?}", t.lost());
}
