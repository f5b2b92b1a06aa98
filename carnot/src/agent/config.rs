//! `pxl agent` configuration: a YAML file and flags, checked before any
//! port is bound.

use pxl_exec::dist::tls::{Tls, TlsFiles};
use serde::Deserialize;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// The roles an agent process plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles {
    pub pem: bool,
    pub kelvin: bool,
    pub broker: bool,
}

impl Roles {
    pub fn parse(s: &str) -> Result<Roles, String> {
        match s {
            "pem" => Ok(Roles {
                pem: true,
                ..Roles::default()
            }),
            "kelvin" => Ok(Roles {
                kelvin: true,
                ..Roles::default()
            }),
            "broker" => Ok(Roles {
                broker: true,
                ..Roles::default()
            }),
            "all" => Ok(Roles {
                pem: true,
                kelvin: true,
                broker: true,
            }),
            other => Err(format!(
                "unknown role `{other}` (use pem, kelvin, broker or all)"
            )),
        }
    }

    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.pem {
            v.push("pem");
        }
        if self.kelvin {
            v.push("kelvin");
        }
        if self.broker {
            v.push("broker");
        }
        v
    }
}

/// The settings a config file may hold (all optional; flags win).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub role: Option<String>,
    pub id: Option<String>,
    pub listen: Option<String>,
    pub advertise: Option<String>,
    pub broker: Option<String>,
    pub data: Option<PathBuf>,
    pub token: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_ca: Option<PathBuf>,
    pub insecure: Option<bool>,
    pub heartbeat_ms: Option<u64>,
    pub forget_after_ms: Option<u64>,
    pub agent_timeout_ms: Option<u64>,
    pub query_timeout_ms: Option<u64>,
    pub query_memory_mb: Option<u64>,
    pub partitions: Option<usize>,
}

impl FileConfig {
    pub fn load(path: &std::path::Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
        serde_yaml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))
    }
}

/// A checked agent configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub roles: Roles,
    pub id: String,
    pub listen: SocketAddr,
    /// The address other agents reach this one at.
    pub advertise: String,
    /// The broker to register with (itself when it is the broker).
    pub broker: String,
    /// Recorded tables for a PEM; `None` = run the collectors.
    pub data: Option<PathBuf>,
    pub token: Option<String>,
    /// Mutual TLS between agents (and TLS for clients).
    pub tls: Option<Tls>,
    pub heartbeat: Duration,
    pub forget_after: Duration,
    pub agent_timeout: Duration,
    pub query_timeout: Duration,
    pub query_memory_bytes: usize,
    pub partitions: usize,
    /// Fault injection for tests: hold every batch a fragment sends this
    /// long (a slow node). Not in the config file.
    pub debug_batch_delay: Option<Duration>,
    /// This process's allocator, for `px._HeapStats()` and friends on
    /// the broker; set by a binary whose global allocator it describes.
    /// Not in the config file.
    pub heap: Option<std::sync::Arc<dyn pxl_planner::HeapSource>>,
}

/// The defaults.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7450";
pub const DEFAULT_HEARTBEAT_MS: u64 = 1000;
pub const DEFAULT_FORGET_AFTER_MS: u64 = 10_000;
pub const DEFAULT_AGENT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_QUERY_TIMEOUT_MS: u64 = 300_000;
pub const DEFAULT_QUERY_MEMORY_MB: u64 = 1024;

impl AgentConfig {
    /// Checks a merged file + flags configuration.
    pub fn check(c: FileConfig) -> Result<AgentConfig, String> {
        let roles = Roles::parse(c.role.as_deref().unwrap_or("all"))?;
        let listen_text = c
            .listen
            .clone()
            .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_text
            .to_socket_addrs()
            .map_err(|e| format!("--listen `{listen_text}`: {e}"))?
            .next()
            .ok_or_else(|| format!("--listen `{listen_text}` resolves to no address"))?;
        if c.token.as_deref() == Some("") {
            return Err("--token is empty".into());
        }
        let tls = match (&c.tls_cert, &c.tls_key, &c.tls_ca) {
            (None, None, None) => None,
            (Some(cert), Some(key), Some(ca)) => Some(Tls::load(&TlsFiles {
                cert: Some(cert.clone()),
                key: Some(key.clone()),
                ca: ca.clone(),
            })?),
            _ => {
                return Err("TLS needs all of --tls-cert, --tls-key and --tls-ca \
                     (`pxl certs DIR` makes a set)"
                    .into());
            }
        };
        if !listen.ip().is_loopback() && !c.insecure.unwrap_or(false) {
            let missing = match (&tls, &c.token) {
                (None, None) => "TLS (--tls-cert, --tls-key, --tls-ca) and a --token",
                (None, Some(_)) => "TLS (--tls-cert, --tls-key, --tls-ca)",
                (Some(_), None) => "a --token",
                (Some(_), Some(_)) => "",
            };
            if !missing.is_empty() {
                return Err(format!(
                    "refusing to listen on {listen}, which is not a loopback address, without \
                     {missing}: anyone who can reach it could run queries and read the data. \
                     Configure them, or pass --insecure to do it anyway"
                ));
            }
        }
        let advertise = match &c.advertise {
            Some(a) => a.clone(),
            None if listen.ip().is_unspecified() => {
                return Err(format!(
                    "--listen {listen} is a wildcard address: say how other agents reach \
                     this one with --advertise HOST:PORT"
                ));
            }
            None => listen.to_string(),
        };
        let broker = match (&c.broker, roles.broker) {
            (Some(b), _) => b.clone(),
            (None, true) => advertise.clone(),
            (None, false) => {
                return Err(format!(
                    "a {} agent needs --broker ADDR (the broker it registers with)",
                    roles.names().join("+")
                ));
            }
        };
        if let Some(d) = &c.data {
            if !roles.pem {
                return Err("--data is for agents with the pem role".into());
            }
            if !d.is_dir() {
                return Err(format!("--data {}: not a directory", d.display()));
            }
        }
        let ms = |v: Option<u64>, d: u64, name: &str| -> Result<Duration, String> {
            match v.unwrap_or(d) {
                0 => Err(format!("{name} must be more than 0")),
                n => Ok(Duration::from_millis(n)),
            }
        };
        let heartbeat = ms(c.heartbeat_ms, DEFAULT_HEARTBEAT_MS, "heartbeat_ms")?;
        let forget_after = ms(
            c.forget_after_ms,
            DEFAULT_FORGET_AFTER_MS,
            "forget_after_ms",
        )?;
        if forget_after < heartbeat * 2 {
            return Err(format!(
                "forget_after_ms ({} ms) must be at least twice heartbeat_ms ({} ms)",
                forget_after.as_millis(),
                heartbeat.as_millis()
            ));
        }
        let memory_mb = c.query_memory_mb.unwrap_or(DEFAULT_QUERY_MEMORY_MB);
        if memory_mb == 0 {
            return Err("query_memory_mb must be more than 0".into());
        }
        let partitions = c.partitions.unwrap_or(2);
        if partitions < 2 {
            return Err("partitions must be at least 2 (so that aggregation can be split)".into());
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "localhost".into());
        let id = c.id.clone().unwrap_or_else(|| {
            let role = if roles.broker && roles.pem {
                "agent"
            } else {
                roles.names().first().copied().unwrap_or("agent")
            };
            format!("{role}-{host}-{}", listen.port())
        });
        Ok(AgentConfig {
            roles,
            id,
            listen,
            advertise,
            broker,
            data: c.data.clone(),
            token: c.token.clone(),
            tls,
            heartbeat,
            forget_after,
            agent_timeout: ms(
                c.agent_timeout_ms,
                DEFAULT_AGENT_TIMEOUT_MS,
                "agent_timeout_ms",
            )?,
            query_timeout: ms(
                c.query_timeout_ms,
                DEFAULT_QUERY_TIMEOUT_MS,
                "query_timeout_ms",
            )?,
            query_memory_bytes: (memory_mb as usize).saturating_mul(1 << 20),
            partitions,
            debug_batch_delay: None,
            heap: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_single_host() {
        let c = AgentConfig::check(FileConfig::default()).unwrap();
        assert!(c.roles.pem && c.roles.kelvin && c.roles.broker);
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(c.broker, DEFAULT_LISTEN);
    }

    #[test]
    fn bad_settings_are_named() {
        let pem = |f: FileConfig| AgentConfig::check(f).unwrap_err();
        let e = pem(FileConfig {
            role: Some("pem".into()),
            ..FileConfig::default()
        });
        assert!(e.contains("--broker"), "{e}");
        let e = pem(FileConfig {
            role: Some("kelvn".into()),
            ..FileConfig::default()
        });
        assert!(e.contains("unknown role `kelvn`"), "{e}");
        let e = pem(FileConfig {
            listen: Some("0.0.0.0:7450".into()),
            ..FileConfig::default()
        });
        assert!(e.contains("--insecure"), "{e}");
        let e = pem(FileConfig {
            listen: Some("0.0.0.0:7450".into()),
            insecure: Some(true),
            ..FileConfig::default()
        });
        assert!(e.contains("--advertise"), "{e}");
        let e = pem(FileConfig {
            heartbeat_ms: Some(1000),
            forget_after_ms: Some(1500),
            ..FileConfig::default()
        });
        assert!(e.contains("twice"), "{e}");
        let e = pem(FileConfig {
            role: Some("kelvin".into()),
            broker: Some("127.0.0.1:1".into()),
            data: Some("/".into()),
            ..FileConfig::default()
        });
        assert!(e.contains("pem role"), "{e}");
    }

    #[test]
    fn config_file_rejects_unknown_keys() {
        let e = serde_yaml::from_str::<FileConfig>("rol: pem\n").unwrap_err();
        assert!(e.to_string().contains("rol"), "{e}");
    }
}
