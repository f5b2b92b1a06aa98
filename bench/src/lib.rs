//! What the cluster benchmarks share: starting agents and running a
//! script against a broker the way `pxl run --cluster` does, counting
//! what comes back without keeping it.

use futures::StreamExt;
use pxl_carnot::agent::config::{AgentConfig, FileConfig};
use pxl_exec::dist::gather::{Dialer, raw_do_get};
use pxl_exec::dist::wire::{Control, RunRequest, encode_run_ticket};
use std::path::Path;
use std::time::Duration;

/// The value of flag `name` (`--name VALUE`), or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A loopback address nothing listens on right now.
pub fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}

/// An agent's configuration as the benchmarks run it.
pub fn agent_config(
    role: &str,
    id: &str,
    listen: &str,
    broker: Option<&str>,
    data: Option<&Path>,
    partitions: usize,
) -> AgentConfig {
    AgentConfig::check(FileConfig {
        role: Some(role.into()),
        id: Some(id.into()),
        listen: Some(listen.into()),
        broker: broker.map(String::from),
        data: data.map(Path::to_path_buf),
        heartbeat_ms: Some(200),
        query_memory_mb: Some(4096),
        partitions: Some(partitions),
        ..FileConfig::default()
    })
    .expect("config")
}

/// What a script's run on the cluster returned.
#[derive(Debug, Default)]
pub struct Answer {
    pub rows: usize,
    /// Arrow IPC bytes the Kelvin received from the PEMs.
    pub bytes_from_pems: u64,
    /// `agent: why` for each agent whose data is missing.
    pub missing: Vec<String>,
    /// The sum of the first column when it is INT64 (for counts).
    pub first_sum: i64,
}

/// Runs `pxl` on the cluster at `broker`, with `now_ns` as the time
/// relative times count from. An error before the stream starts (e.g. no
/// PEM registered yet) is returned; an error in the stream panics.
pub async fn run(broker: &str, pxl: &str, now_ns: i64) -> Result<Answer, String> {
    let mut client = Dialer::default()
        .connect(broker, Duration::from_secs(5))
        .await?;
    let req = RunRequest {
        query: format!("bench-{}", std::process::id()),
        name: "bench".into(),
        pxl: pxl.into(),
        now_ns: Some(now_ns),
        ..RunRequest::default()
    };
    let stream = raw_do_get(&mut client, encode_run_ticket(&req))
        .await
        .map_err(|e| e.to_string())?;
    let mut dec = arrow_flight::decode::FlightDataDecoder::new(
        stream.map(|r| r.map_err(arrow_flight::error::FlightError::from)),
    );
    let mut a = Answer::default();
    while let Some(d) = dec.next().await {
        let d = d.expect("stream");
        if let Some(Control::End {
            bytes_from_pems,
            missing,
            ..
        }) = Control::from_app_metadata(&d.app_metadata())
        {
            a.bytes_from_pems += bytes_from_pems;
            a.missing.extend(
                missing
                    .into_iter()
                    .map(|(agent, why)| format!("{agent}: {why}")),
            );
        }
        if let arrow_flight::decode::DecodedPayload::RecordBatch(b) = d.payload {
            use datafusion::arrow::array::AsArray;
            use datafusion::arrow::datatypes::Int64Type;
            a.rows += b.num_rows();
            if let Some(c) = b
                .columns()
                .first()
                .and_then(|c| c.as_primitive_opt::<Int64Type>())
            {
                // Wrapping: for columns that are not counts (e.g. times)
                // the sum means nothing, and must not overflow.
                a.first_sum = c
                    .iter()
                    .flatten()
                    .fold(a.first_sum, |s, v| s.wrapping_add(v));
            }
        }
    }
    Ok(a)
}

/// Waits until the cluster answers `count_script` (one INT64 count) with
/// `rows` and no agent missing: every PEM registered and loaded.
pub async fn wait_for_rows(broker: &str, count_script: &str, now_ns: i64, rows: i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    loop {
        let (n, missing) = match run(broker, count_script, now_ns).await {
            Ok(a) => (a.first_sum, a.missing),
            Err(e) => (0, vec![e]),
        };
        if missing.is_empty() && n == rows {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "PEMs not ready: {n} of {rows} rows, missing {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A scratch directory under the system's temporary directory, removed
/// when dropped — also when the benchmark panics — so that interrupted
/// runs do not leave gigabytes of generated data behind.
pub struct ScratchDir(pub std::path::PathBuf);

impl ScratchDir {
    /// `<tmp>/<prefix>-<pid>`, not yet created.
    pub fn new(prefix: &str) -> Self {
        ScratchDir(std::env::temp_dir().join(format!("{prefix}-{}", std::process::id())))
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
