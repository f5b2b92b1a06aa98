//! Kubernetes metadata lookups: from a process (UPID), pod, service, replica
//! set, deployment, container or namespace to its related objects.
//!
//! Conventions shared by every function here:
//! - names of namespaced objects are written `namespace/name` (pods,
//!   services, replica sets, deployments), both as inputs and as results;
//! - an unknown key gives an empty string (or time 0), never an error;
//! - times are TIME64NS nanoseconds since the Unix epoch, and a stop time is 0
//!   while the object still exists.
//!
//! `df.ctx['pod']` and the other `ctx` keys compile to calls of these functions.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn md(
    name: &'static str,
    sigs: &'static [&'static str],
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::Scalar,
        family: Family::Metadata,
        sigs,
        semantic: SemRule::Fixed,
        init_args: 0,
        brief,
        doc,
        examples,
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    // ---- Processes (UPID) ------------------------------------------------
    md(
        "upid",
        &[
            "(pid: INT64, start_ts: INT64) -> UINT128:UPID",
            "(asid: INT64, pid: INT64, start_ts: INT64) -> UINT128:UPID",
        ],
        "Builds a UPID from its parts.",
        "A UPID (unique process ID) packs the agent short ID, the process ID and the \
         process start time into 128 bits, so that it stays unique across nodes and PID \
         reuse. With two arguments, the ASID of the agent evaluating the expression is used; \
         pass it explicitly as first argument otherwise. The result has the `UPID` semantic \
         type and works with every `upid_to_*` function.",
        &[
            "df.upid = px.upid(df.pid, df.start_time)",
            "df.upid = px.upid(px.asid(), df.pid, df.start_time)",
        ],
    ),
    md(
        "upid_to_asid",
        &["(upid: UINT128) -> INT64:ASID"],
        "Short ID of the agent that traced a process.",
        "Extracts the agent short ID (ASID) stored in the UPID, which tells which Pixie agent, \
         and so which node, observed the process. This only reads bits of the UPID and needs \
         no metadata.",
        &["df.agent = px.upid_to_asid(df.upid)"],
    ),
    md(
        "upid_to_pid",
        &["(upid: UINT128) -> INT64"],
        "Operating-system PID of a process.",
        "Extracts the PID stored in the UPID. Unlike the UPID, a PID is only unique on one \
         node at one time: different nodes, or a restarted process, can reuse it.",
        &["df.pid = px.upid_to_pid(df.upid)"],
    ),
    md(
        "upid_to_start_ts",
        &["(upid: UINT128) -> TIME64NS"],
        "Start time of a process, as stored in its UPID.",
        "Extracts the process start timestamp that is part of the UPID. It only reads bits \
         of the UPID and needs no metadata.",
        &["df.started = px.upid_to_start_ts(df.upid)"],
    ),
    md(
        "upid_to_string",
        &["(upid: UINT128) -> STRING"],
        "Text form of a UPID: `asid:pid:start_ts`.",
        "Writes the three parts of the UPID as decimal numbers separated by colons: agent \
         short ID, process ID and process start time. Useful as a readable key or to join \
         with text columns.",
        &["df.process = px.upid_to_string(df.upid)"],
    ),
    md(
        "upid_to_cmdline",
        &["(upid: UINT128) -> STRING"],
        "Command line that started a process.",
        "Returns the command line (program and arguments) of the process, as read by the \
         agent that traces it, or an empty string when the process is unknown. Same as \
         `df.ctx['cmdline']`.",
        &["df.cmd = px.upid_to_cmdline(df.upid)"],
    ),
    md(
        "upid_to_hostname",
        &["(upid: UINT128) -> STRING"],
        "Host name seen by a process's pod.",
        "Returns the host name of the pod the process runs in, as `hostname` would print it \
         inside the pod. Empty when the process is not in a known pod. Same as \
         `df.ctx['hostname']`.",
        &["df.hostname = px.upid_to_hostname(df.upid)"],
    ),
    md(
        "upid_to_container_id",
        &["(upid: UINT128) -> STRING"],
        "ID of the container a process runs in.",
        "Returns the container runtime ID of the container holding the process, or an empty \
         string when the process is not in a known container. Same as \
         `df.ctx['container_id']`.",
        &["df.container_id = px.upid_to_container_id(df.upid)"],
    ),
    md(
        "upid_to_container_name",
        &["(upid: UINT128) -> STRING:CONTAINER_NAME"],
        "Name of the container a process runs in.",
        "Returns the container's name as declared in its pod spec (not namespaced), or an \
         empty string when the process is not in a known container. Same as \
         `df.ctx['container']`.",
        &["df.container = px.upid_to_container_name(df.upid)"],
    ),
    md(
        "upid_to_namespace",
        &["(upid: UINT128) -> STRING:NAMESPACE_NAME"],
        "Kubernetes namespace of a process.",
        "Returns the namespace of the pod the process runs in, or an empty string for \
         processes outside Kubernetes pods. Same as `df.ctx['namespace']`.",
        &["df.namespace = px.upid_to_namespace(df.upid)"],
    ),
    md(
        "upid_to_node_name",
        &["(upid: UINT128) -> STRING:NODE_NAME"],
        "Kubernetes node a process runs on.",
        "Returns the name of the node hosting the pod of the process, or an empty string when \
         the process is not in a known pod. Same as `df.ctx['node']`.",
        &["df.node = px.upid_to_node_name(df.upid)"],
    ),
    md(
        "upid_to_pod_id",
        &["(upid: UINT128) -> STRING"],
        "UID of the pod a process runs in.",
        "Returns the Kubernetes UID of the pod holding the process, or an empty string when \
         there is none. Same as `df.ctx['pod_id']`.",
        &["df.pod_id = px.upid_to_pod_id(df.upid)"],
    ),
    md(
        "upid_to_pod_name",
        &["(upid: UINT128) -> STRING:POD_NAME"],
        "Name of the pod a process runs in, as `namespace/pod`.",
        "Returns the pod holding the process, written `namespace/pod`, or an empty string for \
         processes outside Kubernetes pods. `df.ctx['pod']` compiles to it on tables with a \
         `upid` column (or to `px._upid_to_podname_local_addr_fallback` when the table also \
         has `local_addr` and `time_`).",
        &["df.pod = px.upid_to_pod_name(df.upid)"],
    ),
    md(
        "upid_to_pod_qos",
        &["(upid: UINT128) -> STRING"],
        "Quality-of-service class of a process's pod.",
        "Returns the Kubernetes QoS class of the pod the process runs in, which says how the \
         pod's resource requests and limits are set. The value is spelled as in Pixie's \
         source, with a `k` prefix: `kGuaranteed`, `kBurstable`, `kBestEffort` (or \
         `kUnknown`). Empty when the process is not in a known pod.",
        &["df.qos = px.upid_to_pod_qos(df.upid)"],
    ),
    md(
        "upid_to_pod_status",
        &["(upid: UINT128) -> STRING:POD_STATUS"],
        "Status of a process's pod, as JSON.",
        "Returns the state of the pod the process runs in as a JSON object with `phase` \
         (`Running`, `Pending`, `Succeeded`, `Failed`, `Terminated` or `Unknown`), `message`, \
         `reason` and `ready` (a boolean). When the pod is not known, the phase is \
         `Unknown`. Read single fields with `px.pluck`.",
        &["df.phase = px.pluck(px.upid_to_pod_status(df.upid), 'phase')"],
    ),
    md(
        "upid_to_service_id",
        &["(upid: UINT128) -> STRING"],
        "UIDs of the services that select a process's pod.",
        "Returns the Kubernetes UID of the running service that routes to the pod of the \
         process; when several do, a JSON array of UIDs. Empty when there is none. Same as \
         `df.ctx['service_id']`.",
        &["df.service_id = px.upid_to_service_id(df.upid)"],
    ),
    md(
        "upid_to_service_name",
        &["(upid: UINT128) -> STRING:SERVICE_NAME"],
        "Services that select a process's pod, as `namespace/service`.",
        "Returns the running service that routes to the pod of the process, written \
         `namespace/service`; when several do, a JSON array of such names. Empty when there \
         is none. Test membership with `px.has_service_name`. Same as `df.ctx['service']`.",
        &[
            "df.service = px.upid_to_service_name(df.upid)",
            "df = df[px.has_service_name(px.upid_to_service_name(df.upid), 'default/cart')]",
        ],
    ),
    md(
        "upid_to_replicaset_id",
        &["(upid: UINT128) -> STRING"],
        "UID of the replica set that owns a process's pod.",
        "Returns the Kubernetes UID of the replica set owning the pod of the process. Empty \
         when the pod has no replica set owner or the replica set has been deleted.",
        &["df.replicaset_id = px.upid_to_replicaset_id(df.upid)"],
    ),
    md(
        "upid_to_replicaset_name",
        &["(upid: UINT128) -> STRING"],
        "Replica set that owns a process's pod, as `namespace/name`.",
        "Returns the replica set owning the pod of the process, written `namespace/name`. \
         Empty when the pod has no replica set owner or the replica set has been deleted. \
         Same as `df.ctx['replicaset']`.",
        &["df.replicaset = px.upid_to_replicaset_name(df.upid)"],
    ),
    md(
        "upid_to_deployment_id",
        &["(upid: UINT128) -> STRING"],
        "UID of the deployment a process's pod belongs to.",
        "Follows pod -> replica set -> deployment and returns the deployment's Kubernetes \
         UID. Empty when the pod is not managed by a deployment or the deployment has been \
         deleted.",
        &["df.deployment_id = px.upid_to_deployment_id(df.upid)"],
    ),
    md(
        "upid_to_deployment_name",
        &["(upid: UINT128) -> STRING"],
        "Deployment a process's pod belongs to, as `namespace/name`.",
        "Follows pod -> replica set -> deployment and returns the deployment written \
         `namespace/name`. Empty when the pod is not managed by a deployment or the \
         deployment has been deleted. Same as `df.ctx['deployment']`.",
        &["df.deployment = px.upid_to_deployment_name(df.upid)"],
    ),
    md(
        "_upid_to_podname_local_addr_fallback",
        &["(upid: UINT128, local_addr: STRING, time: TIME64NS) -> STRING:POD_NAME"],
        "Pod of a process, falling back to its local IP address (internal).",
        "Like `px.upid_to_pod_name`, but when the process is not in a known pod it looks up \
         the pod that owned `local_addr` at `time`. The compiler emits it for \
         `df.ctx['pod']` on tables that have `local_addr` and `time_` columns, which catches \
         traffic of processes whose pod could not be resolved directly.",
        &["df.pod = px._upid_to_podname_local_addr_fallback(df.upid, df.local_addr, df.time_)"],
    ),
    // ---- Pods, by ID -----------------------------------------------------
    md(
        "pod_id_to_pod_name",
        &["(pod_id: STRING) -> STRING:POD_NAME"],
        "Name of a pod, as `namespace/pod`, from its UID.",
        "Returns the pod with the Kubernetes UID `pod_id`, written `namespace/pod`. The result \
         is an empty string when no such pod is known, for example an ID from another cluster.",
        &["df.pod = px.pod_id_to_pod_name(df.pod_id)"],
    ),
    md(
        "pod_id_to_pod_labels",
        &["(pod_id: STRING) -> STRING"],
        "Labels of a pod, as a JSON object.",
        "Returns the Kubernetes labels of the pod with UID `pod_id` as a JSON object mapping \
         label keys to values, or an empty string when the pod is unknown. Read one label \
         with `px.pluck`.",
        &["df.app = px.pluck(px.pod_id_to_pod_labels(df.pod_id), 'app')"],
    ),
    md(
        "pod_id_to_namespace",
        &["(pod_id: STRING) -> STRING:NAMESPACE_NAME"],
        "Namespace of a pod, from its UID.",
        "Returns the namespace of the pod with UID `pod_id`. The result is an empty string when \
         the pod is unknown.",
        &["df.namespace = px.pod_id_to_namespace(df.pod_id)"],
    ),
    md(
        "pod_id_to_node_name",
        &["(pod_id: STRING) -> STRING:NODE_NAME"],
        "Node a pod runs on, from the pod's UID.",
        "Returns the name of the node the pod with UID `pod_id` is scheduled on. The result is \
         an empty string when the pod is unknown.",
        &["df.node = px.pod_id_to_node_name(df.pod_id)"],
    ),
    md(
        "pod_id_to_replicaset_id",
        &["(pod_id: STRING) -> STRING"],
        "UID of the replica set that owns a pod.",
        "Returns the Kubernetes UID of the replica set that owns the pod with UID `pod_id`. The \
         result is an empty string when the pod is unknown or has no replica set owner (for \
         example a pod of a stateful set).",
        &["df.replicaset_id = px.pod_id_to_replicaset_id(df.pod_id)"],
    ),
    md(
        "pod_id_to_replicaset_name",
        &["(pod_id: STRING) -> STRING"],
        "Replica set that owns a pod, as `namespace/name`.",
        "Returns the replica set that owns the pod with UID `pod_id`, written `namespace/name`. \
         The result is an empty string when the pod is unknown or has no replica set owner.",
        &["df.replicaset = px.pod_id_to_replicaset_name(df.pod_id)"],
    ),
    md(
        "pod_id_to_deployment_id",
        &["(pod_id: STRING) -> STRING"],
        "UID of the deployment a pod belongs to.",
        "Follows the pod's owning replica set to its deployment and returns the deployment's \
         Kubernetes UID. Empty when the pod is unknown or not managed by a deployment.",
        &["df.deployment_id = px.pod_id_to_deployment_id(df.pod_id)"],
    ),
    md(
        "pod_id_to_deployment_name",
        &["(pod_id: STRING) -> STRING"],
        "Deployment a pod belongs to, as `namespace/name`.",
        "Follows the pod's owning replica set to its deployment and returns it written \
         `namespace/name`. Empty when the pod is unknown or not managed by a deployment.",
        &["df.deployment = px.pod_id_to_deployment_name(df.pod_id)"],
    ),
    md(
        "pod_id_to_service_id",
        &["(pod_id: STRING) -> STRING"],
        "UIDs of the services that select a pod.",
        "Returns the UID of the running service routing to the pod with UID `pod_id`; when \
         several do, a JSON array of UIDs. Empty when there is none or the pod is unknown.",
        &["df.service_id = px.pod_id_to_service_id(df.pod_id)"],
    ),
    md(
        "pod_id_to_service_name",
        &["(pod_id: STRING) -> STRING:SERVICE_NAME"],
        "Services that select a pod, as `namespace/service`.",
        "Returns the running service routing to the pod with UID `pod_id`, written \
         `namespace/service`; when several do, a JSON array of names. Empty when there is \
         none or the pod is unknown.",
        &["df.service = px.pod_id_to_service_name(px.ip_to_pod_id(df.remote_addr))"],
    ),
    md(
        "pod_id_to_owner_references",
        &["(pod_id: STRING) -> STRING"],
        "Owners of a pod, as a JSON array.",
        "Returns the Kubernetes owner references of the pod with UID `pod_id` as a JSON \
         array of objects with `uid`, `kind` and `name` (for example the replica set, stateful \
         set or daemon set that created it). Empty when the pod is unknown.",
        &["df.owner_kind = px.pluck(\
             px.pluck_array(px.pod_id_to_owner_references(df.pod_id), 0), 'kind')"],
    ),
    md(
        "pod_id_to_start_time",
        &["(pod_id: STRING) -> TIME64NS"],
        "When a pod started, from its UID.",
        "Returns the time the pod with UID `pod_id` started, as a TIME64NS. An unknown pod gives \
         0.",
        &["df.pod_age = df.time_ - px.pod_id_to_start_time(df.pod_id)"],
    ),
    md(
        "pod_id_to_stop_time",
        &["(pod_id: STRING) -> TIME64NS"],
        "When a pod stopped, from its UID.",
        "Returns the time the pod with UID `pod_id` terminated, as a TIME64NS. The result is 0 \
         while the pod is still running, and also when the pod is unknown.",
        &["df.stopped = px.time_to_int64(px.pod_id_to_stop_time(df.pod_id)) != 0"],
    ),
    // ---- Pods, by name ---------------------------------------------------
    md(
        "pod_name_to_pod_id",
        &["(pod_name: STRING) -> STRING"],
        "UID of a pod, from its `namespace/pod` name.",
        "Returns the Kubernetes UID of the pod named `pod_name`, which must be written \
         `namespace/pod`. Empty when the name is malformed or no such pod is known.",
        &["df.pod_id = px.pod_name_to_pod_id(df.pod)"],
    ),
    md(
        "pod_name_to_pod_ip",
        &["(pod_name: STRING) -> STRING"],
        "IP address of a pod, from its `namespace/pod` name.",
        "Returns the IP address assigned to the pod named `pod_name`, which must be written \
         `namespace/pod`. The result is an empty string when the name is malformed or the pod is \
         unknown.",
        &["df.pod_ip = px.pod_name_to_pod_ip(df.pod)"],
    ),
    md(
        "pod_name_to_namespace",
        &["(pod_name: STRING) -> STRING:NAMESPACE_NAME"],
        "Namespace part of a `namespace/pod` name.",
        "Returns the namespace in the pod name `pod_name`. The name is only split, not \
         looked up, so it works for pods that no longer exist; a name without exactly one \
         `/` gives an empty string.",
        &["df.namespace = px.pod_name_to_namespace(df.pod)"],
    ),
    md(
        "pod_name_to_replicaset_id",
        &["(pod_name: STRING) -> STRING"],
        "UID of the replica set that owns a pod, by pod name.",
        "Returns the Kubernetes UID of the replica set owning the pod named `pod_name` \
         (`namespace/pod`). Empty when the pod is unknown or not owned by a replica set.",
        &["df.replicaset_id = px.pod_name_to_replicaset_id(df.pod)"],
    ),
    md(
        "pod_name_to_replicaset_name",
        &["(pod_name: STRING) -> STRING"],
        "Replica set that owns a pod, by pod name.",
        "Returns the replica set owning the pod named `pod_name` (`namespace/pod`), written \
         `namespace/name`. Empty when the pod is unknown or not owned by a replica set.",
        &["df.replicaset = px.pod_name_to_replicaset_name(df.pod)"],
    ),
    md(
        "pod_name_to_deployment_id",
        &["(pod_name: STRING) -> STRING"],
        "UID of the deployment a pod belongs to, by pod name.",
        "Follows the owning replica set of the pod named `pod_name` (`namespace/pod`) to its \
         deployment and returns the deployment's UID. Empty when the pod is unknown or not \
         managed by a deployment.",
        &["df.deployment_id = px.pod_name_to_deployment_id(df.pod)"],
    ),
    md(
        "pod_name_to_deployment_name",
        &["(pod_name: STRING) -> STRING"],
        "Deployment a pod belongs to, by pod name.",
        "Follows the owning replica set of the pod named `pod_name` (`namespace/pod`) to its \
         deployment and returns it written `namespace/name`. Empty when the pod is unknown \
         or not managed by a deployment.",
        &["df.deployment = px.pod_name_to_deployment_name(df.pod)"],
    ),
    md(
        "pod_name_to_service_id",
        &["(pod_name: STRING) -> STRING"],
        "UIDs of the services that select a pod, by pod name.",
        "Returns the UID of the running service routing to the pod named `pod_name` \
         (`namespace/pod`); when several do, a JSON array of UIDs. Empty when there is none \
         or the pod is unknown.",
        &["df.service_id = px.pod_name_to_service_id(df.pod)"],
    ),
    md(
        "pod_name_to_service_name",
        &["(pod_name: STRING) -> STRING:SERVICE_NAME"],
        "Services that select a pod, by pod name.",
        "Returns the running service routing to the pod named `pod_name` (`namespace/pod`), \
         written `namespace/service`; when several do, a JSON array of names. Empty when \
         there is none or the pod is unknown.",
        &["df.service = px.pod_name_to_service_name(df.pod)"],
    ),
    md(
        "pod_name_to_owner_references",
        &["(pod_name: STRING) -> STRING"],
        "Owners of a pod, as a JSON array, by pod name.",
        "Returns the owner references of the pod named `pod_name` (`namespace/pod`) as a JSON \
         array of objects with `uid`, `kind` and `name`. Empty when the pod is unknown.",
        &["df.owners = px.pod_name_to_owner_references(df.pod)"],
    ),
    md(
        "pod_name_to_status",
        &["(pod_name: STRING) -> STRING:POD_STATUS"],
        "Status of a pod, as JSON, by pod name.",
        "Returns the state of the pod named `pod_name` (`namespace/pod`) as a JSON object \
         with `phase` (`Running`, `Pending`, `Succeeded`, `Failed`, `Terminated` or \
         `Unknown`), `message`, `reason` and `ready` (a boolean). An unknown pod gets the \
         phase `Unknown` rather than an empty string.",
        &[
            "df.status = px.pod_name_to_status(df.pod)",
            "df.ready = px.pluck(px.pod_name_to_status(df.pod), 'ready') == 'true'",
        ],
    ),
    md(
        "pod_name_to_start_time",
        &["(pod_name: STRING) -> TIME64NS"],
        "When a pod started, by pod name.",
        "Returns the time the pod named `pod_name` (`namespace/pod`) started, as a TIME64NS. An \
         unknown pod gives 0.",
        &["df.started = px.pod_name_to_start_time(df.pod)"],
    ),
    md(
        "pod_name_to_stop_time",
        &["(pod_name: STRING) -> TIME64NS"],
        "When a pod stopped, by pod name.",
        "Returns the time the pod named `pod_name` (`namespace/pod`) terminated, as a TIME64NS. \
         The result is 0 while the pod is still running, and also when the pod is unknown.",
        &["df.stopped = px.pod_name_to_stop_time(df.pod)"],
    ),
    // ---- Services --------------------------------------------------------
    md(
        "service_id_to_service_name",
        &["(service_id: STRING) -> STRING:SERVICE_NAME"],
        "Name of a service, as `namespace/service`, from its UID.",
        "Returns the service with the Kubernetes UID `service_id`, written `namespace/service`. \
         The result is an empty string when no such service is known.",
        &["df.service = px.service_id_to_service_name(df.service_id)"],
    ),
    md(
        "service_id_to_cluster_ip",
        &["(service_id: STRING) -> STRING:IP_ADDRESS"],
        "Cluster IP of a service.",
        "Returns the virtual IP address Kubernetes gave the service with UID `service_id`. The \
         result is an empty string when the service, or its IP, is unknown.",
        &["df.cluster_ip = px.service_id_to_cluster_ip(df.service_id)"],
    ),
    md(
        "service_id_to_external_ips",
        &["(service_id: STRING) -> STRING"],
        "External IPs of a service, as a JSON array.",
        "Returns the external IP addresses of the service with UID `service_id` as a JSON array \
         of strings. A known service without external IPs gives `[]`, and an unknown service an \
         empty string.",
        &["df.external_ips = px.service_id_to_external_ips(df.service_id)"],
    ),
    md(
        "service_name_to_service_id",
        &["(service_name: STRING) -> STRING"],
        "UID of a service, from its `namespace/service` name.",
        "Returns the Kubernetes UID of the service named `service_name`, which must be \
         written `namespace/service`. Empty when the name is malformed or unknown.",
        &["df.service_id = px.service_name_to_service_id(df.service)"],
    ),
    md(
        "service_name_to_namespace",
        &["(service_name: STRING) -> STRING:NAMESPACE_NAME"],
        "Namespace part of a `namespace/service` name.",
        "Returns the namespace in the service name `service_name`. The name is only split, \
         not looked up; a name without exactly one `/` (for instance a JSON array of \
         several services) gives an empty string.",
        &["df.namespace = px.service_name_to_namespace(df.service)"],
    ),
    // ---- Replica sets ----------------------------------------------------
    md(
        "replicaset_id_to_replicaset_name",
        &["(replicaset_id: STRING) -> STRING"],
        "Name of a replica set, as `namespace/name`, from its UID.",
        "Returns the replica set with the Kubernetes UID `replicaset_id`, written \
         `namespace/name`. The result is an empty string when it is unknown.",
        &["df.replicaset = px.replicaset_id_to_replicaset_name(df.replicaset_id)"],
    ),
    md(
        "replicaset_id_to_namespace",
        &["(replicaset_id: STRING) -> STRING"],
        "Namespace of a replica set, from its UID.",
        "Returns the namespace of the replica set with UID `replicaset_id`. The result is an \
         empty string when it is unknown.",
        &["df.namespace = px.replicaset_id_to_namespace(df.replicaset_id)"],
    ),
    md(
        "replicaset_id_to_deployment_id",
        &["(replicaset_id: STRING) -> STRING"],
        "UID of the deployment that owns a replica set.",
        "Returns the UID of the deployment owning the replica set with UID `replicaset_id`. \
         Empty when the replica set is unknown or not owned by a deployment.",
        &["df.deployment_id = px.replicaset_id_to_deployment_id(df.replicaset_id)"],
    ),
    md(
        "replicaset_id_to_deployment_name",
        &["(replicaset_id: STRING) -> STRING"],
        "Deployment that owns a replica set, as `namespace/name`.",
        "Returns the deployment owning the replica set with UID `replicaset_id`, written \
         `namespace/name`. Empty when the replica set is unknown or not owned by a \
         deployment.",
        &["df.deployment = px.replicaset_id_to_deployment_name(df.replicaset_id)"],
    ),
    md(
        "replicaset_id_to_owner_references",
        &["(replicaset_id: STRING) -> STRING"],
        "Owners of a replica set, as a JSON array.",
        "Returns the owner references of the replica set with UID `replicaset_id` as a JSON \
         array of objects with `uid`, `kind` and `name`. Empty when it is unknown.",
        &["df.owners = px.replicaset_id_to_owner_references(df.replicaset_id)"],
    ),
    md(
        "replicaset_id_to_status",
        &["(replicaset_id: STRING) -> STRING"],
        "Replica counts and conditions of a replica set, as JSON.",
        "Returns a JSON object describing the replica set with UID `replicaset_id`: \
         `replicas`, `fully_labeled_replicas`, `ready_replicas`, `available_replicas`, \
         `requested_replicas`, `observed_generation` and `conditions`. Empty when it is \
         unknown.",
        &["df.ready = px.pluck_int64(\
             px.replicaset_id_to_status(df.replicaset_id), 'ready_replicas')"],
    ),
    md(
        "replicaset_id_to_start_time",
        &["(replicaset_id: STRING) -> TIME64NS"],
        "When a replica set was created, from its UID.",
        "Returns the creation time of the replica set with UID `replicaset_id`, as a TIME64NS. \
         An unknown replica set gives 0.",
        &["df.created = px.replicaset_id_to_start_time(df.replicaset_id)"],
    ),
    md(
        "replicaset_id_to_stop_time",
        &["(replicaset_id: STRING) -> TIME64NS"],
        "When a replica set was deleted, from its UID.",
        "Returns the deletion time of the replica set with UID `replicaset_id`, as a TIME64NS. \
         The result is 0 while it still exists, and also when it is unknown.",
        &["df.deleted = px.replicaset_id_to_stop_time(df.replicaset_id)"],
    ),
    md(
        "replicaset_name_to_replicaset_id",
        &["(replicaset_name: STRING) -> STRING"],
        "UID of a replica set, from its `namespace/name` name.",
        "Returns the Kubernetes UID of the replica set named `replicaset_name`, written \
         `namespace/name`. Empty when the name is malformed or unknown.",
        &["df.replicaset_id = px.replicaset_name_to_replicaset_id(df.replicaset)"],
    ),
    md(
        "replicaset_name_to_namespace",
        &["(replicaset_name: STRING) -> STRING"],
        "Namespace of a replica set, by name.",
        "Returns the namespace of the replica set named `replicaset_name` \
         (`namespace/name`), as recorded in the cluster metadata. Unlike \
         `px.pod_name_to_namespace` this is a lookup: unknown replica sets give an empty \
         string.",
        &["df.namespace = px.replicaset_name_to_namespace(df.replicaset)"],
    ),
    md(
        "replicaset_name_to_deployment_id",
        &["(replicaset_name: STRING) -> STRING"],
        "UID of the deployment that owns a replica set, by name.",
        "Returns the UID of the deployment owning the replica set named `replicaset_name` \
         (`namespace/name`). Empty when the replica set is unknown or not owned by a \
         deployment.",
        &["df.deployment_id = px.replicaset_name_to_deployment_id(df.replicaset)"],
    ),
    md(
        "replicaset_name_to_deployment_name",
        &["(replicaset_name: STRING) -> STRING"],
        "Deployment that owns a replica set, by name.",
        "Returns the deployment owning the replica set named `replicaset_name` \
         (`namespace/name`), written `namespace/name`. Empty when the replica set is \
         unknown or not owned by a deployment.",
        &["df.deployment = px.replicaset_name_to_deployment_name(df.replicaset)"],
    ),
    md(
        "replicaset_name_to_owner_references",
        &["(replicaset_name: STRING) -> STRING"],
        "Owners of a replica set, as a JSON array, by name.",
        "Returns the owner references of the replica set named `replicaset_name` \
         (`namespace/name`) as a JSON array of objects with `uid`, `kind` and `name`. Empty \
         when it is unknown.",
        &["df.owners = px.replicaset_name_to_owner_references(df.replicaset)"],
    ),
    md(
        "replicaset_name_to_status",
        &["(replicaset_name: STRING) -> STRING"],
        "Replica counts and conditions of a replica set, as JSON, by name.",
        "Returns the same JSON object as `px.replicaset_id_to_status` (`replicas`, \
         `ready_replicas`, `available_replicas`, `conditions`, ...) for the replica set named \
         `replicaset_name` (`namespace/name`). Empty when it is unknown.",
        &["df.status = px.replicaset_name_to_status(df.replicaset)"],
    ),
    md(
        "replicaset_name_to_start_time",
        &["(replicaset_name: STRING) -> TIME64NS"],
        "When a replica set was created, by name.",
        "Returns the creation time of the replica set named `replicaset_name` \
         (`namespace/name`), as a TIME64NS. An unknown or malformed name gives 0.",
        &["df.created = px.replicaset_name_to_start_time(df.replicaset)"],
    ),
    md(
        "replicaset_name_to_stop_time",
        &["(replicaset_name: STRING) -> TIME64NS"],
        "When a replica set was deleted, by name.",
        "Returns the deletion time of the replica set named `replicaset_name` \
         (`namespace/name`), as a TIME64NS. The result is 0 while it still exists, and also when \
         it is unknown.",
        &["df.deleted = px.replicaset_name_to_stop_time(df.replicaset)"],
    ),
    // ---- Deployments -----------------------------------------------------
    md(
        "deployment_id_to_deployment_name",
        &["(deployment_id: STRING) -> STRING"],
        "Name of a deployment, as `namespace/name`, from its UID.",
        "Returns the deployment with the Kubernetes UID `deployment_id`, written \
         `namespace/name`. The result is an empty string when it is unknown.",
        &["df.deployment = px.deployment_id_to_deployment_name(df.deployment_id)"],
    ),
    md(
        "deployment_id_to_namespace",
        &["(deployment_id: STRING) -> STRING"],
        "Namespace of a deployment, from its UID.",
        "Returns the namespace of the deployment with UID `deployment_id`. The result is an \
         empty string when it is unknown.",
        &["df.namespace = px.deployment_id_to_namespace(df.deployment_id)"],
    ),
    md(
        "deployment_id_to_status",
        &["(deployment_id: STRING) -> STRING"],
        "Replica counts and conditions of a deployment, as JSON.",
        "Returns a JSON object describing the deployment with UID `deployment_id`: \
         `replicas`, `updated_replicas`, `ready_replicas`, `available_replicas`, \
         `unavailable_replicas`, `requested_replicas`, `observed_generation` and \
         `conditions`. Empty when it is unknown.",
        &["df.unavailable = px.pluck_int64(\
             px.deployment_id_to_status(df.deployment_id), 'unavailable_replicas')"],
    ),
    md(
        "deployment_id_to_start_time",
        &["(deployment_id: STRING) -> TIME64NS"],
        "When a deployment was created, from its UID.",
        "Returns the creation time of the deployment with UID `deployment_id`, as a TIME64NS. An \
         unknown deployment gives 0.",
        &["df.created = px.deployment_id_to_start_time(df.deployment_id)"],
    ),
    md(
        "deployment_id_to_stop_time",
        &["(deployment_id: STRING) -> TIME64NS"],
        "When a deployment was deleted, from its UID.",
        "Returns the deletion time of the deployment with UID `deployment_id`, as a TIME64NS. \
         The result is 0 while it still exists, and also when it is unknown.",
        &["df.deleted = px.deployment_id_to_stop_time(df.deployment_id)"],
    ),
    md(
        "deployment_name_to_deployment_id",
        &["(deployment_name: STRING) -> STRING"],
        "UID of a deployment, from its `namespace/name` name.",
        "Returns the Kubernetes UID of the deployment named `deployment_name`, written \
         `namespace/name`. Empty when the name is malformed or unknown.",
        &["df.deployment_id = px.deployment_name_to_deployment_id(df.deployment)"],
    ),
    md(
        "deployment_name_to_namespace",
        &["(deployment_name: STRING) -> STRING"],
        "Namespace of a deployment, by name.",
        "Returns the namespace of the deployment named `deployment_name` (`namespace/name`), as \
         recorded in the cluster metadata. Unlike `px.pod_name_to_namespace` this is a lookup, \
         not a split of the name: unknown deployments give an empty string.",
        &["df.namespace = px.deployment_name_to_namespace(df.deployment)"],
    ),
    md(
        "deployment_name_to_status",
        &["(deployment_name: STRING) -> STRING"],
        "Replica counts and conditions of a deployment, as JSON, by name.",
        "Returns the same JSON object as `px.deployment_id_to_status` (`replicas`, \
         `ready_replicas`, `unavailable_replicas`, `conditions`, ...) for the deployment \
         named `deployment_name` (`namespace/name`). Empty when it is unknown.",
        &["df.status = px.deployment_name_to_status(df.deployment)"],
    ),
    md(
        "deployment_name_to_start_time",
        &["(deployment_name: STRING) -> TIME64NS"],
        "When a deployment was created, by name.",
        "Returns the creation time of the deployment named `deployment_name` (`namespace/name`), \
         as a TIME64NS. An unknown or malformed name gives 0.",
        &["df.created = px.deployment_name_to_start_time(df.deployment)"],
    ),
    md(
        "deployment_name_to_stop_time",
        &["(deployment_name: STRING) -> TIME64NS"],
        "When a deployment was deleted, by name.",
        "Returns the deletion time of the deployment named `deployment_name` (`namespace/name`), \
         as a TIME64NS. The result is 0 while it still exists, and also when it is unknown.",
        &["df.deleted = px.deployment_name_to_stop_time(df.deployment)"],
    ),
    // ---- Containers ------------------------------------------------------
    md(
        "container_id_to_status",
        &["(container_id: STRING) -> STRING:CONTAINER_STATUS"],
        "State of a container, as JSON.",
        "Returns a JSON object with the container's `state` (`Running`, `Waiting`, \
         `Terminated` or `Unknown`) and the `message` and `reason` Kubernetes gives for it. \
         An unknown container ID gets the state `Unknown`.",
        &["df.state = px.pluck(px.container_id_to_status(df.container_id), 'state')"],
    ),
    md(
        "container_id_to_start_time",
        &["(container_id: STRING) -> TIME64NS"],
        "When a container started, from its ID.",
        "Returns the time the container with runtime ID `container_id` started, as a TIME64NS. \
         An unknown container gives 0.",
        &["df.started = px.container_id_to_start_time(df.container_id)"],
    ),
    md(
        "container_id_to_stop_time",
        &["(container_id: STRING) -> TIME64NS"],
        "When a container stopped, from its ID.",
        "Returns the time the container with runtime ID `container_id` stopped, as a TIME64NS. \
         The result is 0 while it is still running, and also when it is unknown.",
        &["df.stopped = px.container_id_to_stop_time(df.container_id)"],
    ),
    md(
        "container_name_to_container_id",
        &["(container_name: STRING) -> STRING"],
        "ID of a container, from its name.",
        "Returns the runtime ID of the container called `container_name`. Container names come \
         from the pod spec and carry no namespace. The result is an empty string when no \
         container has that name.",
        &["df.container_id = px.container_name_to_container_id(df.container)"],
    ),
    md(
        "container_name_to_start_time",
        &["(container_name: STRING) -> TIME64NS"],
        "When a container started, by name.",
        "Returns the time the container called `container_name` started, as a TIME64NS. An \
         unknown container gives 0.",
        &["df.started = px.container_name_to_start_time(df.container)"],
    ),
    md(
        "container_name_to_stop_time",
        &["(container_name: STRING) -> TIME64NS"],
        "When a container stopped, by name.",
        "Returns the time the container called `container_name` stopped, as a TIME64NS. The \
         result is 0 while it is still running, and also when it is unknown.",
        &["df.stopped = px.container_name_to_stop_time(df.container)"],
    ),
    // ---- Namespaces and membership tests ---------------------------------
    md(
        "namespace_name_to_namespace_id",
        &["(namespace: STRING) -> STRING"],
        "UID of a namespace, from its name.",
        "Returns the Kubernetes UID of the namespace called `namespace` (a plain name, without \
         `/`). The result is an empty string when the namespace is unknown.",
        &["df.namespace_id = px.namespace_name_to_namespace_id(df.namespace)"],
    ),
    md(
        "has_service_name",
        &["(service: STRING, name: STRING) -> BOOLEAN"],
        "Whether a service column refers to a given service.",
        "Service columns hold either one `namespace/service` name or, when a pod backs \
         several services, a JSON array of names. This returns true when `service` equals \
         `name` or, if it is such an array, contains it. Prefer it to `==` when filtering \
         on a service.",
        &["df = df[px.has_service_name(df.ctx['service'], 'kube-system/kube-dns')]"],
    ),
    md(
        "has_service_id",
        &["(service_id: STRING, id: STRING) -> BOOLEAN"],
        "Whether a service-ID column refers to a given service.",
        "Like `px.has_service_name`, for service UIDs. It returns true when `service_id` equals \
         `id`, or when `service_id` is a JSON array of UIDs that contains `id`.",
        &["df = df[px.has_service_id(df.ctx['service_id'], \
             'c5f103ab-349e-49e4-8162-3b74f2c07693')]"],
    ),
    md(
        "has_value",
        &["(array_or_value: STRING, value: STRING) -> BOOLEAN"],
        "Whether a value, or a JSON array of values, includes a given string.",
        "True when `array_or_value` equals `value`, or when it is a JSON array of strings \
         one of which equals `value`. The general form of `px.has_service_name`, for any \
         column that may hold one value or several.",
        &["df = df[px.has_value(df.ctx['replicaset'], 'default/frontend-7d9c8b6f5')]"],
    ),
];
