//! Everything else: facts about the node or cluster running the query,
//! script deep links, and internal machine-learning helpers.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn scalar(
    name: &'static str,
    family: Family,
    sigs: &'static [&'static str],
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::Scalar,
        family,
        sigs,
        semantic: SemRule::Fixed,
        init_args: 0,
        brief,
        doc,
        examples,
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    scalar(
        "_exec_hostname",
        Family::Introspection,
        &["() -> STRING"],
        "Host name of the machine running this part of the query.",
        "Returns the host name of the node whose agent evaluates the expression. On data \
         read by the per-node agents that is the node the rows were collected on; after a \
         join or an aggregate it is the node doing the merge.",
        &["df.node = px._exec_hostname()"],
    ),
    scalar(
        "_exec_host_num_cpus",
        Family::Introspection,
        &["() -> INT64"],
        "Number of CPUs of the machine running this part of the query.",
        "Returns how many CPUs the node evaluating the expression has (configured CPUs, \
         online or not). Dividing CPU time by it gives a usage relative to the whole node.",
        &["df.node_cpu_share = df.cpu_usage / px._exec_host_num_cpus()"],
    ),
    scalar(
        "vizier_id",
        Family::Introspection,
        &["() -> STRING"],
        "ID of the cluster's Pixie deployment.",
        "Returns the unique ID (a UUID, as text) of the Vizier, the in-cluster part of Pixie. It \
         identifies the cluster the data comes from, which helps when results of several \
         clusters are combined.",
        &["df.cluster_id = px.vizier_id()"],
    ),
    scalar(
        "vizier_name",
        Family::Introspection,
        &["() -> STRING"],
        "Name of the cluster, as registered with Pixie.",
        "Returns the name under which the Vizier (and so the cluster) is registered. Handy \
         to label rows when results from several clusters are combined.",
        &["df.cluster = px.vizier_name()"],
    ),
    scalar(
        "vizier_namespace",
        Family::Introspection,
        &["() -> STRING"],
        "Kubernetes namespace Pixie is deployed in.",
        "Returns the namespace that holds the Vizier's pods (usually `pl`). Compare it with a \
         row's namespace to filter Pixie's own traffic out of the results.",
        &["df = df[px.upid_to_namespace(df.upid) != px.vizier_namespace()]"],
    ),
    scalar(
        "asid",
        Family::Introspection,
        &["() -> INT64:ASID"],
        "Short ID of the agent running this part of the query.",
        "Returns the agent short ID (ASID) of the agent evaluating the expression. Every UPID \
         embeds the ASID of the agent that traced the process, so this is also the value \
         `px.upid(pid, start_ts)` uses.",
        &["df.agent = px.asid()"],
    ),
    scalar(
        "shared_libraries",
        Family::Introspection,
        &["(upid: UINT128) -> STRING"],
        "Shared libraries loaded by a process.",
        "Returns the list of shared libraries mapped into the process identified by `upid`, \
         as one string. It reads the process's memory maps on the node running it, so it \
         only works on the per-node agents, for processes still alive.",
        &["df.libs = px.shared_libraries(df.upid)"],
    ),
    scalar(
        "_script_reference",
        Family::Json,
        &[
            "(label: STRING, script: STRING) -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING) \
             -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING, key2: STRING, \
             value2: STRING) -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING, key2: STRING, \
             value2: STRING, key3: STRING, value3: STRING) -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING, key2: STRING, \
             value2: STRING, key3: STRING, value3: STRING, key4: STRING, value4: STRING) \
             -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING, key2: STRING, \
             value2: STRING, key3: STRING, value3: STRING, key4: STRING, value4: STRING, \
             key5: STRING, value5: STRING) -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING, key2: STRING, \
             value2: STRING, key3: STRING, value3: STRING, key4: STRING, value4: STRING, \
             key5: STRING, value5: STRING, key6: STRING, value6: STRING) \
             -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING, key2: STRING, \
             value2: STRING, key3: STRING, value3: STRING, key4: STRING, value4: STRING, \
             key5: STRING, value5: STRING, key6: STRING, value6: STRING, key7: STRING, \
             value7: STRING) -> STRING:SCRIPT_REFERENCE",
            "(label: STRING, script: STRING, key1: STRING, value1: STRING, key2: STRING, \
             value2: STRING, key3: STRING, value3: STRING, key4: STRING, value4: STRING, \
             key5: STRING, value5: STRING, key6: STRING, value6: STRING, key7: STRING, \
             value7: STRING, key8: STRING, value8: STRING) -> STRING:SCRIPT_REFERENCE",
        ],
        "A link to another script, shown as `label` (internal).",
        "What `px.script_reference(label, script, args)` compiles to; call that instead. It \
         returns the JSON object `{\"label\": ..., \"script\": ..., \"args\": {...}}`, built \
         from the label, the script name and the alternating argument names and values, \
         with the semantic type `SCRIPT_REFERENCE`, which the UI renders as a clickable \
         link that opens `script` with those arguments. At most 8 arguments can be passed.",
        &[
            "df.pod_link = px._script_reference(df.pod, 'px/pod', 'pod', df.pod)",
            "df.link = px._script_reference(df.service, 'px/service', 'service', df.service, \
             'start_time', '-5m')",
        ],
    ),
    scalar(
        "_text_embedding",
        Family::MachineLearning,
        &["(text: STRING) -> STRING"],
        "Embeds a text as a vector with a bundled model (internal).",
        "Runs the embedding model shipped with the agent over `text` and returns the vector \
         as a JSON array of floats. The output feeds `px._kmeans_fit` and \
         `px._kmeans_inference`. Requires the model files to be present on the node.",
        &["df.embedding = px._text_embedding(df.req_body)"],
    ),
    scalar(
        "_encode_sentence_piece",
        Family::MachineLearning,
        &["(text: STRING) -> STRING"],
        "Tokenises a text with a SentencePiece model (internal).",
        "Splits `text` into tokens with the SentencePiece model shipped with the agent and \
         returns the token IDs as a JSON array of integers. Requires the model file to be \
         present on the node.",
        &["df.tokens = px._encode_sentence_piece(df.req_body)"],
    ),
    scalar(
        "_kmeans_inference",
        Family::MachineLearning,
        &["(embedding: STRING, model: STRING) -> INT64"],
        "Cluster of an embedding under a k-means model (internal).",
        "`embedding` is a JSON array of floats (as made by `px._text_embedding`) and `model` \
         the JSON k-means model produced by the `px._kmeans_fit` aggregate. Returns the \
         index of the cluster whose centre is closest to the embedding. The model is read \
         once, from the first row.",
        &["df.cluster = px._kmeans_inference(df.embedding, df.model)"],
    ),
];
