//! Table-valued functions (UDTFs): `px.GetSchemas()` and friends are
//! DataFrames. Their arguments must be literals, so `init_args` covers all of
//! them. Names starting with `_` are internal debugging aids.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn udtf(
    name: &'static str,
    sig: &'static [&'static str],
    init_args: usize,
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::TableValued,
        family: Family::TableValued,
        sigs: sig,
        semantic: SemRule::Fixed,
        init_args,
        brief,
        doc,
        examples,
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    udtf(
        "GetAgentStatus",
        &[
            "(include_kelvin: BOOLEAN = True) -> (agent_id: UINT128, asid: INT64, hostname: \
             STRING, \
           ip_address: STRING, agent_state: STRING, create_time: TIME64NS, \
           last_heartbeat_ns: INT64, kernel_headers_installed: BOOLEAN)",
        ],
        1,
        "One row per agent with its health and identity.",
        "Lists the agents of the cluster: the data collectors on every node and, unless \
         `include_kelvin` is false, the aggregator. Each row carries the agent's UUID, its \
         short ID (`asid`), host name and IP, its state, when it was created, how many \
         nanoseconds ago it last sent a heartbeat, and whether kernel headers were found on \
         its host. The argument may be passed positionally: `px.GetAgentStatus(False)`.",
        &[
            "px.display(px.GetAgentStatus())",
            "df = px.GetAgentStatus(False)",
        ],
    ),
    udtf(
        "GetSchemas",
        &[
            "() -> (table_name: STRING, column_name: STRING, column_type: STRING, \
           pattern_type: STRING, column_desc: STRING)",
        ],
        0,
        "One row per column of every queryable table.",
        "Describes every table scripts can read, one row per column: the table, the column \
         name, its data type (`INT64`, `STRING`, ...), its pattern (`METRIC_COUNTER`, \
         `GENERAL`, ...) and a description. Filter on `table_name` to see one table's schema.",
        &["df = px.GetSchemas()\npx.display(df[df.table_name == 'http_events'])"],
    ),
    udtf(
        "GetTables",
        &["() -> (table_name: STRING, table_desc: STRING)"],
        0,
        "The tables scripts can read, with a description each.",
        "Lists every table available to `px.DataFrame`, including tables created at runtime \
         by `pxtrace.UpsertTracepoint`, with a one-line description. `px.GetSchemas()` gives \
         the columns.",
        &["px.display(px.GetTables())"],
    ),
    udtf(
        "GetUDFList",
        &["() -> (name: STRING, return_type: STRING, args: STRING)"],
        0,
        "Every public scalar function overload.",
        "One row per overload of each scalar function: its name, its result data type, and \
         its argument data types as a JSON object `{\"args\": [...]}`. Functions whose name \
         starts with `_` are internal and left out.",
        &["px.display(px.GetUDFList())"],
    ),
    udtf(
        "GetUDAList",
        &["() -> (name: STRING, return_type: STRING, args: STRING)"],
        0,
        "Every public aggregate function overload.",
        "One row per overload of each aggregate function, in the same shape as \
         `px.GetUDFList()`: name, result data type and the update argument types as JSON. \
         Internal aggregates (leading `_`) are left out.",
        &["px.display(px.GetUDAList())"],
    ),
    udtf(
        "GetUDTFList",
        &["() -> (name: STRING, executor: STRING, init_args: STRING, output_relation: STRING)"],
        0,
        "Every public table-valued function.",
        "One row per table-valued function: its name, where it runs (one aggregator, every \
         agent, ...), its arguments and its output columns, the last two as JSON text. \
         Internal functions (leading `_`) are left out.",
        &["px.display(px.GetUDTFList())"],
    ),
    udtf(
        "GetTracepointStatus",
        &[
            "() -> (tracepoint_id: UINT128, name: STRING, state: STRING, status: STRING, \
           output_tables: STRING)",
        ],
        0,
        "State of every dynamic tracepoint.",
        "Lists the tracepoints deployed with `pxtrace.UpsertTracepoint`: their ID and name, \
         their state (pending, running, failed, ...), a status message explaining failures, \
         and the tables they write to. Use it to see why a traced table stays empty.",
        &["px.display(px.GetTracepointStatus())"],
    ),
    udtf(
        "GetProfilerSamplingPeriodMS",
        &["() -> (asid: INT64, profiler_sampling_period_ms: INT64)"],
        0,
        "The CPU profiler's sampling period on each agent.",
        "One row per agent with the period, in milliseconds, at which its continuous \
         profiler samples stacks. Join it on `asid` to turn sample counts from \
         `stack_traces.beta` into CPU time, or pass it to `px.pprof`. Not available in pxl \
         yet: pxl has no CPU profiler, so calling it is an error that says so.",
        &["px.display(px.GetProfilerSamplingPeriodMS())"],
    ),
    udtf(
        "GetLinuxHeadersStatus",
        &["(include_kelvin: BOOLEAN = True) -> (asid: INT64, kernel_headers_installed: BOOLEAN)"],
        1,
        "Whether each agent found Linux kernel headers.",
        "One row per agent telling whether kernel headers were available on its host, which \
         some tracing features need. Set `include_kelvin` to false to leave out the \
         aggregator.",
        &["px.display(px.GetLinuxHeadersStatus())"],
    ),
    udtf(
        "GetCronScriptHistory",
        &[
            "() -> (script_id: STRING, timestamp: TIME64NS, error_message: STRING, \
           execution_time_ns: INT64, compilation_time_ns: INT64, bytes_processed: INT64, \
           records_processed: INT64)",
        ],
        0,
        "Past runs of scheduled scripts.",
        "One row per run of a scheduled (cron) script: which script, when it ran, the error \
         if it failed, how long compilation and execution took in nanoseconds, and how many \
         bytes and records it processed. Use it to spot scripts that fail or slow down over time.",
        &["px.display(px.GetCronScriptHistory())"],
    ),
    udtf(
        "Version",
        &["() -> (asid: INT64, version: STRING)"],
        0,
        "The aggregator's build version.",
        "Returns one row with the short ID of the aggregator (Kelvin) that ran the query and \
         its version string. Handy when reporting a problem or checking an upgrade.",
        &["px.display(px.Version())"],
    ),
    udtf(
        "_DebugMDState",
        &["() -> (asid: INT64, pod_name: STRING, debug_state: STRING)"],
        0,
        "Internal: each agent's metadata state as text.",
        "Internal debugging aid. Every agent returns one row with its short ID, the pod it \
         runs in, and a text dump of the Kubernetes metadata it currently holds. In pxl the \
         process that plans the query answers (`pxl run`; the broker on a cluster, which \
         holds every PEM's metadata): the dump gives the cluster name and CIDRs, then the \
         count and one line per node, namespace, pod, service, replica set, deployment, \
         container and process (by UPID). `pod_name` is the pod (`namespace/name`) the \
         process itself runs in when the metadata knows it (on a host, the pxl process's \
         own host-level pod, e.g. `host/pxl-4121`), else empty.",
        &["px.display(px._DebugMDState())"],
    ),
    udtf(
        "_DebugMDGetWithPrefix",
        &["(prefix: STRING, proto: STRING) -> (key: STRING, value: STRING)"],
        2,
        "Internal: raw metadata-store entries under a key prefix.",
        "Internal debugging aid. Reads the metadata store's keys starting with `prefix` and \
         decodes each value as the protobuf message named by `proto` (fully qualified), \
         returning one row per key with the value as text. pxl has no metadata store: it \
         lists the metadata the planning process holds (as `_DebugMDState` does) under keys \
         `/cluster`, `/namespace/<name>`, `/node/<name>`, `/pod/<namespace>/<name>`, \
         `/service/<namespace>/<name>`, `/replicaset/<namespace>/<name>`, \
         `/deployment/<namespace>/<name>`, `/container/<id>` and `/upid/<UPID as UUID>`, \
         sorted by key. Each value is the entity as compact JSON (the fields of \
         `metadata.json`, keys in name order), whatever `proto` names; `proto` is accepted \
         for compatibility and ignored.",
        &["# Both arguments must be string literals.\n\
           px.display(px._DebugMDGetWithPrefix('/pod/', \
           'px.shared.k8s.metadatapb.Pod'))"],
    ),
    udtf(
        "_DebugTableInfo",
        &[
            "() -> (asid: INT64, name: STRING, id: INT64, batches_added: INT64, \
           batches_expired: INT64, bytes_added: INT64, num_batches: INT64, \
           compacted_batches: INT64, size: INT64, cold_size: INT64, max_table_size: INT64, \
           min_time: TIME64NS)",
        ],
        0,
        "Internal: table-store statistics of every agent.",
        "Internal debugging aid. One row per table per agent: batches added, expired and \
         held, bytes added over the table's life, current and cold-storage size in bytes, \
         the size limit, and the oldest timestamp still held. Use it to see how far back \
         each table reaches before eviction.",
        &["px.display(px._DebugTableInfo())"],
    ),
    udtf(
        "_DebugStackTrace",
        &["() -> (asid: INT64, stack_trace: STRING)"],
        0,
        "Internal: current stacks of every agent's threads.",
        "Internal debugging aid. Every agent returns one row with the stack traces of all its \
         threads, formatted as text. In pxl the process that plans the query answers (the \
         broker on a cluster): for every thread of `/proc/self/task` its id, name, state, \
         the kernel function it waits in (`wchan`) and its kernel stack (readable only with \
         CAP_SYS_ADMIN, else the row says why), then the user-space backtrace of the thread \
         that plans the query. Other threads' user-space stacks are not captured.",
        &["px.display(px._DebugStackTrace())"],
    ),
    udtf(
        "_DebugAgentProcStatus",
        &[
            "() -> (asid: INT64, vm_peak_bytes: INT64, vm_size_bytes: INT64, vm_lck_bytes: INT64, \
           vm_pin_bytes: INT64, vm_hwm_bytes: INT64, vm_rss_bytes: INT64, \
           rss_anon_bytes: INT64, rss_file_bytes: INT64, rss_shmem_bytes: INT64, \
           vm_data_bytes: INT64, vm_stk_bytes: INT64, vm_exe_bytes: INT64, \
           vm_lib_bytes: INT64, vm_pte_bytes: INT64, vm_swap_bytes: INT64, \
           hugetlb_pages_bytes: INT64, voluntary_ctxt_switches: INT64, \
           nonvoluntary_ctxt_switches: INT64)",
        ],
        0,
        "Internal: memory and scheduling figures of each node agent's process.",
        "Internal debugging aid. Every node agent reads its own `/proc/<pid>/status` and \
         returns one row: virtual, resident, data, stack and swap sizes in bytes, plus \
         voluntary and involuntary context-switch counts. The aggregator does not answer, \
         since it cannot see the host's `/proc`.",
        &["px.display(px._DebugAgentProcStatus())"],
    ),
    udtf(
        "_DebugAgentProcSMaps",
        &[
            "() -> (asid: INT64, address: STRING, offset: STRING, pathname: STRING, \
           size_bytes: INT64, kernel_page_size_bytes: INT64, mmu_page_size_bytes: INT64, \
           rss_bytes: INT64, pss_bytes: INT64, shared_clean_bytes: INT64, \
           shared_dirty_bytes: INT64, private_clean_bytes: INT64, private_dirty_bytes: INT64, \
           referenced_bytes: INT64, anonymous_bytes: INT64, lazy_free_bytes: INT64, \
           anon_huge_pages_bytes: INT64, shmem_pmd_mapped_bytes: INT64, \
           file_pmd_mapped_bytes: INT64, shared_hugetlb_bytes: INT64, \
           private_hugetlb_bytes: INT64, swap_bytes: INT64, swap_pss_bytes: INT64, \
           locked_bytes: INT64)",
        ],
        0,
        "Internal: memory mappings of each node agent's process.",
        "Internal debugging aid. Every node agent reads its own `/proc/<pid>/smaps` and \
         returns one row per mapping: the address range, file offset and backing path, and \
         the mapping's size, resident, proportional, shared/private, swap and locked \
         amounts in bytes.",
        &["px.display(px._DebugAgentProcSMaps())"],
    ),
    udtf(
        "_HeapStats",
        &["() -> (asid: INT64, heap: STRING)"],
        0,
        "Internal: allocator statistics of every agent, as text.",
        "Internal debugging aid. Every agent returns one row with its memory allocator's \
         human-readable statistics report (tcmalloc's, in Pixie). In pxl the process that \
         plans the query answers (the broker on a cluster) with mimalloc's report \
         (`mi_stats_print_out`): reserved and committed memory, segments, pages, OS calls \
         (the page and `touched` counters are only kept by mimalloc builds with statistics \
         enabled, which pxl's is not, and may read 0 or less). Where the process's allocator gives no statistics (pxl's library tests) it is an \
         error.",
        &["px.display(px._HeapStats())"],
    ),
    udtf(
        "_HeapStatsNumeric",
        &[
            "() -> (asid: INT64, current_allocated_bytes: INT64, heap_size_bytes: INT64, \
           central_cache_free_bytes: INT64, transfer_cache_free_bytes: INT64, \
           thread_cache_free_bytes: INT64, pageheap_free_bytes: INT64, \
           pageheap_unmapped_bytes: INT64)",
        ],
        0,
        "Internal: allocator statistics of every agent, as numbers.",
        "Internal debugging aid. Every agent returns one row with the bytes currently \
         allocated, the total heap size, and the free bytes held in each of the allocator's \
         caches, so they can be charted or compared across agents. The columns are \
         tcmalloc's; pxl (the planning process, the broker on a cluster) fills them from \
         mimalloc: `heap_size_bytes` is the address space mimalloc has reserved from the OS \
         (in arenas of 1 GiB, so it moves in large steps and is not resident memory: see \
         `_DebugAgentProcStatus` for that), `pageheap_unmapped_bytes` the part of it that is \
         not committed (purged back to the OS, or not yet used). `current_allocated_bytes`, `pageheap_free_bytes` and the three cache \
         columns are 0: mimalloc as built into pxl does not count allocated bytes, and has \
         no such caches.",
        &["px.display(px._HeapStatsNumeric())"],
    ),
    udtf(
        "_HeapSample",
        &["() -> (asid: INT64, heap: STRING)"],
        0,
        "Internal: a sampled heap profile of every agent.",
        "Internal debugging aid. Every agent returns one row holding a sampled profile of its \
         live heap allocations, in the allocator's profile format. Not available in pxl \
         yet: pxl has no heap profiler, so calling it is an error that says so.",
        &["px.display(px._HeapSample())"],
    ),
    udtf(
        "_HeapGrowthStacks",
        &["() -> (asid: INT64, heap: STRING)"],
        0,
        "Internal: call stacks that grew every agent's heap.",
        "Internal debugging aid. Every agent returns one row with the stacks responsible for \
         growing its heap, as a profile. Merge on `asid` with `px.GetAgentStatus()` to label \
         the rows with host names. Not available in pxl yet: pxl has no heap profiler, so \
         calling it is an error that says so.",
        &["heaps = px._HeapGrowthStacks()\n\
           agents = px.GetAgentStatus()\n\
           agents = agents[['asid', 'hostname']]\n\
           px.display(agents.merge(heaps, how='inner', left_on='asid', right_on='asid'))"],
    ),
    udtf(
        "_HeapRanges",
        &[
            "() -> (asid: INT64, address: INT64, type: STRING, length: INT64, \
           inuse_fraction: FLOAT64)",
        ],
        0,
        "Internal: the memory ranges of every agent's heap.",
        "Internal debugging aid. One row per range of each agent's heap: its start address, \
         its kind (`INUSE`, `FREE`, `UNMAPPED` or `UNKNOWN`), its length in bytes and, for \
         ranges in use, the fraction actually used. Not available in pxl yet: pxl has no heap \
         profiler and its allocator (mimalloc) does not list its ranges, so calling it is an \
         error that says so.",
        &["px.display(px._HeapRanges())"],
    ),
    udtf(
        "_HeapReleaseFreeMemory",
        &["() -> (asid: INT64)"],
        0,
        "Internal: makes every agent return free heap memory to the OS.",
        "Internal debugging aid with a side effect: every agent asks its allocator to hand \
         unused memory back to the operating system, then returns one row with its short ID. \
         Compare `_HeapStatsNumeric()` before and after to see the effect. In pxl the \
         planning process (the broker on a cluster) calls mimalloc's `mi_collect(true)` when \
         the query is planned (so `pxl explain` does it too).",
        &["px.display(px._HeapReleaseFreeMemory())"],
    ),
];
