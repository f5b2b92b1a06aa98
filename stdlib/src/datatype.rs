//! Column data types and semantic types, with Pixie's names and numbering.

use std::fmt;

/// The physical type of a column or expression (Pixie's `DataType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    Boolean,
    Int64,
    Uint128,
    Float64,
    String,
    Time64Ns,
}

impl DataType {
    pub const ALL: [DataType; 6] = [
        DataType::Boolean,
        DataType::Int64,
        DataType::Uint128,
        DataType::Float64,
        DataType::String,
        DataType::Time64Ns,
    ];

    /// Pixie's upper-case name (`INT64`, `TIME64NS`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Boolean => "BOOLEAN",
            DataType::Int64 => "INT64",
            DataType::Uint128 => "UINT128",
            DataType::Float64 => "FLOAT64",
            DataType::String => "STRING",
            DataType::Time64Ns => "TIME64NS",
        }
    }

    pub fn from_name(name: &str) -> Option<DataType> {
        DataType::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, DataType::Int64 | DataType::Float64)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! semantic_types {
    ($($variant:ident = $name:literal / $id:literal,)*) => {
        /// What a value means, carried beside its data type for display and checking.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SemanticType { $($variant,)* }

        impl SemanticType {
            pub const ALL: &'static [SemanticType] = &[$(SemanticType::$variant,)*];

            /// Pixie's protobuf name, e.g. `ST_DURATION_NS`.
            pub fn name(self) -> &'static str {
                match self { $(SemanticType::$variant => $name,)* }
            }

            /// Pixie's protobuf number.
            pub fn id(self) -> u32 {
                match self { $(SemanticType::$variant => $id,)* }
            }

            pub fn from_name(name: &str) -> Option<SemanticType> {
                match name { $($name => Some(SemanticType::$variant),)* _ => None }
            }
        }
    };
}

semantic_types! {
    Unspecified = "ST_UNSPECIFIED" / 0,
    None = "ST_NONE" / 1,
    TimeNs = "ST_TIME_NS" / 2,
    AgentUid = "ST_AGENT_UID" / 100,
    Asid = "ST_ASID" / 101,
    Upid = "ST_UPID" / 200,
    ServiceName = "ST_SERVICE_NAME" / 300,
    PodName = "ST_POD_NAME" / 400,
    PodPhase = "ST_POD_PHASE" / 401,
    PodStatus = "ST_POD_STATUS" / 402,
    NodeName = "ST_NODE_NAME" / 500,
    ContainerName = "ST_CONTAINER_NAME" / 600,
    ContainerState = "ST_CONTAINER_STATE" / 601,
    ContainerStatus = "ST_CONTAINER_STATUS" / 602,
    NamespaceName = "ST_NAMESPACE_NAME" / 700,
    Bytes = "ST_BYTES" / 800,
    Percent = "ST_PERCENT" / 900,
    DurationNs = "ST_DURATION_NS" / 901,
    ThroughputPerNs = "ST_THROUGHPUT_PER_NS" / 902,
    ThroughputBytesPerNs = "ST_THROUGHPUT_BYTES_PER_NS" / 903,
    Quantiles = "ST_QUANTILES" / 1000,
    DurationNsQuantiles = "ST_DURATION_NS_QUANTILES" / 1001,
    IpAddress = "ST_IP_ADDRESS" / 1100,
    Port = "ST_PORT" / 1200,
    HttpReqMethod = "ST_HTTP_REQ_METHOD" / 1300,
    HttpRespStatus = "ST_HTTP_RESP_STATUS" / 1400,
    HttpRespMessage = "ST_HTTP_RESP_MESSAGE" / 1500,
    ScriptReference = "ST_SCRIPT_REFERENCE" / 3000,
}

impl fmt::Display for SemanticType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a column's values behave over time (Pixie's `PatternType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    Unspecified,
    General,
    GeneralEnum,
    Structured,
    MetricCounter,
    MetricGauge,
}

impl Pattern {
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Unspecified => "UNSPECIFIED",
            Pattern::General => "GENERAL",
            Pattern::GeneralEnum => "GENERAL_ENUM",
            Pattern::Structured => "STRUCTURED",
            Pattern::MetricCounter => "METRIC_COUNTER",
            Pattern::MetricGauge => "METRIC_GAUGE",
        }
    }
}
