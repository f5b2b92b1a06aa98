//! The static shape of the generated cluster: which services run, in which
//! namespace, with how many replicas and which processes; and the shop's
//! business data (socks, customers) that request and response bodies use.
//! Everything random (names, IPs, pids, ids) is drawn in `world.rs`.

/// The language runtime of a process: decides its memory profile, its
/// stack traces and whether it reports `jvm_stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Runtime {
    Node,
    Go,
    Jvm,
    /// C/C++/Rust daemons (databases, the agent).
    Native,
    Erlang,
    Python,
}

/// A second container in the pod (metrics exporters).
#[derive(Debug)]
pub(crate) struct Sidecar {
    pub container: &'static str,
    pub comm: &'static str,
    pub cmdline: &'static str,
    pub runtime: Runtime,
}

#[derive(Debug)]
pub(crate) struct ServiceSpec {
    pub name: &'static str,
    pub namespace: &'static str,
    /// Deployment name, when it differs from the service name.
    pub deployment: &'static str,
    pub replicas: usize,
    /// Port the container listens on.
    pub port: u16,
    /// Port of the Kubernetes service.
    pub svc_port: u16,
    pub comm: &'static str,
    pub cmdline: &'static str,
    pub runtime: Runtime,
    pub sidecar: Option<Sidecar>,
    /// Fixed cluster IP (kube-dns), else drawn.
    pub cluster_ip: Option<&'static str>,
    /// Typical resident memory (MiB) and CPU use (cores).
    pub rss_mib: f64,
    pub cpu: f64,
    pub threads: i64,
}

// A positional constructor keeps the service table compact.
#[allow(clippy::too_many_arguments)]
const fn svc(
    name: &'static str,
    namespace: &'static str,
    replicas: usize,
    port: u16,
    comm: &'static str,
    cmdline: &'static str,
    runtime: Runtime,
    rss_mib: f64,
    cpu: f64,
    threads: i64,
) -> ServiceSpec {
    ServiceSpec {
        name,
        namespace,
        deployment: name,
        replicas,
        port,
        svc_port: port,
        comm,
        cmdline,
        runtime,
        sidecar: None,
        cluster_ip: None,
        rss_mib,
        cpu,
        threads,
    }
}

pub(crate) const SHOP: &str = "px-sock-shop";
pub(crate) const JAVA: &str = "java -Xms64m -Xmx128m -XX:+UseG1GC -Djava.security.egd=file:/dev/urandom -jar ./app.jar --port=80";

/// Every service of the cluster. Order matters only for determinism.
pub(crate) const SERVICES: &[ServiceSpec] = &[
    ServiceSpec {
        svc_port: 80,
        ..svc(
            "frontend",
            SHOP,
            3,
            8079,
            "node",
            "node server.js",
            Runtime::Node,
            140.0,
            0.15,
            11,
        )
    },
    svc(
        "catalogue",
        SHOP,
        2,
        80,
        "catalogue",
        "/app -port=80",
        Runtime::Go,
        28.0,
        0.05,
        14,
    ),
    svc(
        "carts",
        SHOP,
        2,
        80,
        "java",
        JAVA,
        Runtime::Jvm,
        390.0,
        0.12,
        38,
    ),
    svc(
        "orders",
        SHOP,
        2,
        80,
        "java",
        JAVA,
        Runtime::Jvm,
        420.0,
        0.10,
        41,
    ),
    svc(
        "payment",
        SHOP,
        1,
        80,
        "app",
        "/app -port=80",
        Runtime::Go,
        18.0,
        0.02,
        9,
    ),
    svc(
        "users",
        SHOP,
        2,
        80,
        "user",
        "/user -port=80",
        Runtime::Go,
        24.0,
        0.04,
        12,
    ),
    svc(
        "shipping",
        SHOP,
        1,
        80,
        "java",
        JAVA,
        Runtime::Jvm,
        350.0,
        0.05,
        36,
    ),
    svc(
        "queue-master",
        SHOP,
        1,
        80,
        "java",
        JAVA,
        Runtime::Jvm,
        310.0,
        0.03,
        33,
    ),
    ServiceSpec {
        sidecar: Some(Sidecar {
            container: "mysqld-exporter",
            comm: "mysqld_exporter",
            cmdline: "/bin/mysqld_exporter --web.listen-address=:9104",
            runtime: Runtime::Go,
        }),
        ..svc(
            "catalogue-db",
            SHOP,
            1,
            3306,
            "mysqld",
            "mysqld --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci",
            Runtime::Native,
            460.0,
            0.09,
            37,
        )
    },
    ServiceSpec {
        sidecar: Some(Sidecar {
            container: "postgres-exporter",
            comm: "postgres_export",
            cmdline: "/postgres_exporter --web.listen-address=:9187",
            runtime: Runtime::Go,
        }),
        ..svc(
            "user-db",
            SHOP,
            1,
            5432,
            "postgres",
            "postgres -c max_connections=200 -c shared_buffers=128MB",
            Runtime::Native,
            210.0,
            0.05,
            8,
        )
    },
    svc(
        "carts-db",
        SHOP,
        1,
        27017,
        "mongod",
        "mongod --bind_ip_all --wiredTigerCacheSizeGB 0.25",
        Runtime::Native,
        310.0,
        0.06,
        33,
    ),
    svc(
        "orders-db",
        SHOP,
        1,
        27017,
        "mongod",
        "mongod --bind_ip_all --wiredTigerCacheSizeGB 0.25",
        Runtime::Native,
        290.0,
        0.05,
        33,
    ),
    ServiceSpec {
        sidecar: Some(Sidecar {
            container: "redis-exporter",
            comm: "redis_exporter",
            cmdline: "/redis_exporter --redis.addr=redis://localhost:6379",
            runtime: Runtime::Go,
        }),
        ..svc(
            "session-db",
            SHOP,
            1,
            6379,
            "redis-server",
            "redis-server *:6379",
            Runtime::Native,
            12.0,
            0.02,
            5,
        )
    },
    svc(
        "rabbitmq",
        SHOP,
        1,
        5672,
        "beam.smp",
        "/usr/local/lib/erlang/erts-13.2.2/bin/beam.smp -W w -MBas ageffcbf -MHas ageffcbf -- -root /usr/local/lib/erlang -progname erl -- -home /var/lib/rabbitmq -- -noshell -noinput -s rabbit boot",
        Runtime::Erlang,
        150.0,
        0.04,
        30,
    ),
    svc(
        "kafka",
        SHOP,
        1,
        9092,
        "java",
        "java -Xmx1G -Xms1G -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -cp /opt/kafka/libs/* kafka.Kafka /opt/kafka/config/server.properties",
        Runtime::Jvm,
        1100.0,
        0.08,
        72,
    ),
    svc(
        "nats",
        SHOP,
        1,
        4222,
        "nats-server",
        "nats-server --config /etc/nats-config/nats.conf",
        Runtime::Go,
        16.0,
        0.01,
        10,
    ),
    svc(
        "cassandra",
        SHOP,
        1,
        9042,
        "java",
        "java -Xms512m -Xmx512m -XX:+UseG1GC -Dcassandra.storagedir=/var/lib/cassandra -cp /etc/cassandra:/opt/cassandra/lib/* org.apache.cassandra.service.CassandraDaemon",
        Runtime::Jvm,
        780.0,
        0.11,
        96,
    ),
    svc(
        "load-test",
        "default",
        1,
        8089,
        "locust",
        "/usr/local/bin/python /usr/local/bin/locust -f /config/locustfile.py --headless -u 40 -r 4 --host http://frontend.px-sock-shop",
        Runtime::Python,
        95.0,
        0.2,
        6,
    ),
    ServiceSpec {
        deployment: "coredns",
        svc_port: 53,
        cluster_ip: Some("10.96.0.10"),
        ..svc(
            "kube-dns",
            "kube-system",
            2,
            53,
            "coredns",
            "/coredns -conf /etc/coredns/Corefile",
            Runtime::Go,
            22.0,
            0.02,
            13,
        )
    },
    // Modelled as one deployment with a pod per node so that its processes
    // resolve like every other (a real agent would be a DaemonSet).
    svc(
        "pxl-agent",
        "pxl",
        2,
        50400,
        "pxl",
        "/usr/local/bin/pxl agent --cluster pxl-demo",
        Runtime::Native,
        480.0,
        0.25,
        28,
    ),
];

pub(crate) const NAMESPACES: &[&str] = &[SHOP, "default", "kube-system", "pxl"];

/// A sock the shop sells: (name, description, price, tags).
pub(crate) const SOCKS: &[(&str, &str, f64, &[&str])] = &[
    (
        "Harbour Stripe",
        "Navy and white stripes for a day by the water.",
        12.5,
        &["blue", "stripes"],
    ),
    (
        "Trail Runner",
        "Cushioned heel and toe for long runs on rough ground.",
        15.0,
        &["sport", "green"],
    ),
    (
        "Night Owl",
        "Dark wool with a small embroidered owl.",
        9.99,
        &["black", "wool"],
    ),
    (
        "Cloud Nine",
        "Extra soft bamboo fibre, pale grey.",
        18.0,
        &["grey", "formal"],
    ),
    (
        "Ember",
        "Warm red merino for winter mornings.",
        14.25,
        &["red", "wool"],
    ),
    (
        "Pixel Pattern",
        "Blocky eight-bit pattern in bright colours.",
        8.5,
        &["geek", "multicolour"],
    ),
    (
        "Office Classic",
        "Plain black, goes with any suit.",
        7.0,
        &["black", "formal"],
    ),
    (
        "Sunflower",
        "Yellow petals on a green stem, one per sock.",
        11.0,
        &["yellow", "flowers"],
    ),
    (
        "Peak Season",
        "Thick hiking sock with reinforced arch.",
        16.75,
        &["sport", "brown"],
    ),
    (
        "Polka Party",
        "White dots on a cheerful magenta base.",
        10.0,
        &["pink", "dots"],
    ),
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Ada", "Bram", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira",
    "Liam", "Mina", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tess",
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Abbott", "Bauer", "Castro", "Dunn", "Eriksen", "Fischer", "Gomez", "Hale", "Ito", "Jansen",
    "Kowalski", "Lind", "Moreau", "Novak", "Okafor", "Petrov",
];
pub(crate) const CITIES: &[(&str, &str)] = &[
    ("Lisbon", "Portugal"),
    ("Leeds", "United Kingdom"),
    ("Utrecht", "Netherlands"),
    ("Graz", "Austria"),
    ("Austin", "United States"),
    ("Osaka", "Japan"),
];
pub(crate) const STREETS: &[&str] = &[
    "Mill Lane",
    "Harbour Road",
    "Oak Street",
    "Station Way",
    "Park Avenue",
];
