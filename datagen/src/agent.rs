//! Tables about processes and the agent itself: stack_traces.beta
//! (sampled CPU stacks), proc_exit_events, stirling_error and probe_status.

use crate::catalog::Runtime;
use crate::columns::{Clock, Cols, Str, i64s, upids};
use crate::rng::{Cdf, Rng, fnv};
use crate::world::{MS, ProcRole, SEC, World};
use crate::{Events, Gen, Window};

// ------------------------------------------------------------ stack traces

const GO_STACKS: &[&str] = &[
    "runtime.goexit.abi0;net/http.(*conn).serve;net/http.serverHandler.ServeHTTP;github.com/gorilla/mux.(*Router).ServeHTTP;main.(*handler).ServeHTTP;encoding/json.(*Encoder).Encode;encoding/json.(*encodeState).marshal;encoding/json.(*encodeState).reflectValue",
    "runtime.goexit.abi0;net/http.(*conn).serve;net/http.(*conn).readRequest;net/http.readRequest;net/textproto.(*Reader).ReadMIMEHeader;net/textproto.(*Reader).readContinuedLineSlice",
    "runtime.goexit.abi0;runtime.gcBgMarkWorker;runtime.systemstack;runtime.gcBgMarkWorker.func2;runtime.gcDrain;runtime.scanobject;runtime.findObject",
    "runtime.mstart;runtime.mstart0;runtime.mstart1;runtime.schedule;runtime.findRunnable;runtime.netpoll;runtime.epollwait;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] __x64_sys_epoll_pwait;[k] do_epoll_wait",
    "runtime.goexit.abi0;net/http.(*persistConn).readLoop;bufio.(*Reader).Peek;bufio.(*Reader).fill;net.(*conn).Read;internal/poll.(*FD).Read;syscall.read;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] ksys_read;[k] vfs_read;[k] sock_read_iter;[k] tcp_recvmsg",
    "runtime.goexit.abi0;net/http.(*conn).serve;net/http.serverHandler.ServeHTTP;main.(*handler).ServeHTTP;database/sql.(*DB).QueryContext;database/sql.(*DB).query;database/sql.(*DB).queryDC",
    "runtime.goexit.abi0;net/http.(*conn).serve;net/http.(*response).finishRequest;bufio.(*Writer).Flush;net.(*conn).Write;internal/poll.(*FD).Write;syscall.write;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] ksys_write;[k] sock_write_iter;[k] tcp_sendmsg",
    "runtime.goexit.abi0;runtime.bgsweep;runtime.sweepone;runtime.(*sweepLocked).sweep",
];

const JVM_STACKS: &[&str] = &[
    "[j] java.lang.Thread::run;[j] org.apache.tomcat.util.threads.TaskThread$WrappingRunnable::run;[j] org.apache.tomcat.util.net.NioEndpoint$SocketProcessor::doRun;[j] org.apache.coyote.http11.Http11Processor::service;[j] org.springframework.web.servlet.DispatcherServlet::doDispatch;[j] com.fasterxml.jackson.databind.ObjectMapper::writeValue;[j] com.fasterxml.jackson.databind.ser.BeanSerializer::serialize",
    "[j] java.lang.Thread::run;[j] org.apache.tomcat.util.threads.TaskThread$WrappingRunnable::run;[j] org.apache.coyote.http11.Http11Processor::service;[j] org.springframework.web.servlet.DispatcherServlet::doDispatch;[j] org.springframework.data.mongodb.core.MongoTemplate::find;[j] org.bson.codecs.DocumentCodec::decode",
    "start_thread;thread_native_entry;Thread::call_run;GangWorker::run;G1ParTask::work;G1ParEvacuateFollowersClosure::do_void;G1ParScanThreadState::trim_queue",
    "start_thread;thread_native_entry;Thread::call_run;JavaThread::thread_main_inner;CompileBroker::compiler_thread_loop;C2Compiler::compile_method;Compile::Compile;PhaseIdealLoop::build_and_optimize",
    "[j] java.lang.Thread::run;[j] sun.nio.ch.EPollSelectorImpl::doSelect;[j] sun.nio.ch.EPoll::wait;epoll_wait;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] __x64_sys_epoll_wait;[k] do_epoll_wait",
    "[j] java.lang.Thread::run;[j] java.util.concurrent.ThreadPoolExecutor$Worker::run;[j] org.apache.kafka.clients.producer.internals.Sender::run;[j] org.apache.kafka.common.network.Selector::poll;[j] sun.nio.ch.SocketChannelImpl::read",
    "start_thread;thread_native_entry;Thread::call_run;VMThread::run;VMThread::inner_execute;SafepointSynchronize::begin",
];

const NODE_STACKS: &[&str] = &[
    "node::Start;node::NodeMainInstance::Run;uv_run;uv__io_poll;uv__stream_io;node::LibuvStreamWrap::OnUvRead;[j] onStreamRead node:internal/stream_base_commons;[j] parserOnHeadersComplete node:_http_common;[j] handle /usr/src/app/node_modules/express/lib/router/layer.js",
    "node::Start;node::NodeMainInstance::Run;uv_run;uv__io_poll;epoll_wait;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] __x64_sys_epoll_wait",
    "node::Start;node::NodeMainInstance::Run;uv_run;uv__run_timers;node::Environment::RunTimers;[j] processTimers node:internal/timers;[j] listOnTimeout node:internal/timers",
    "node::Start;node::NodeMainInstance::Run;v8::internal::Heap::CollectGarbage;v8::internal::MarkCompactCollector::CollectGarbage;v8::internal::MarkCompactCollector::MarkLiveObjects",
    "node::Start;node::NodeMainInstance::Run;uv_run;uv__io_poll;[j] render /usr/src/app/helpers/index.js;[j] stringify;v8::internal::JsonStringifier::Stringify",
];

const NATIVE_STACKS: &[&str] = &[
    "start_thread;pfs_spawn_thread;handle_connection;do_command;dispatch_command;dispatch_sql_command;mysql_execute_command;Sql_cmd_dml::execute;JOIN::exec;do_select;sub_select;row_search_mvcc",
    "__libc_start_main;main;PostmasterMain;ServerLoop;BackendStartup;PostgresMain;exec_simple_query;PortalRun;ExecutorRun;ExecSeqScan;heap_getnextslot",
    "start_thread;mongo::(anonymous namespace)::runFunc;mongo::transport::SessionWorkflow::Impl::_doOneIteration;mongo::ServiceEntryPointCommon::handleRequest;mongo::FindCmd::Invocation::run;mongo::PlanExecutorImpl::getNext",
    "main;aeMain;aeProcessEvents;readQueryFromClient;processCommandAndResetClient;processCommand;call;getCommand;lookupKeyRead",
    "start_thread;std::sys::pal::unix::thread::Thread::new::thread_start;pxl::agent::collect;pxl::ebpf::perf::PerfBuffer::poll;epoll_wait;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] __x64_sys_epoll_wait",
    "start_thread;0x00007f3b8c2d41a0;0x00007f3b8c2d3e88;0x000055d0c1a2b3c4",
    "__libc_start_main;main;event_loop;epoll_wait;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] __x64_sys_epoll_wait;[k] do_epoll_wait",
];

const ERLANG_STACKS: &[&str] = &[
    "start_thread;thr_wrapper;sched_thread_func;erts_schedule;process_main;beam_jit_call_nif",
    "start_thread;thr_wrapper;sched_thread_func;erts_schedule;erts_check_io;epoll_wait;[k] entry_SYSCALL_64_after_hwframe;[k] do_syscall_64;[k] __x64_sys_epoll_wait",
];

const PYTHON_STACKS: &[&str] = &[
    "_start;__libc_start_main;Py_BytesMain;Py_RunMain;_PyEval_EvalFrameDefault;[py] run /usr/local/lib/python3.12/site-packages/locust/user/users.py;[py] request /usr/local/lib/python3.12/site-packages/requests/sessions.py;[py] send /usr/local/lib/python3.12/site-packages/urllib3/connectionpool.py",
    "_start;__libc_start_main;Py_BytesMain;Py_RunMain;_PyEval_EvalFrameDefault;[py] _run /usr/local/lib/python3.12/site-packages/gevent/hub.py;epoll_wait",
];

fn pool(runtime: Runtime) -> &'static [&'static str] {
    match runtime {
        Runtime::Go => GO_STACKS,
        Runtime::Jvm => JVM_STACKS,
        Runtime::Node => NODE_STACKS,
        Runtime::Native => NATIVE_STACKS,
        Runtime::Erlang => ERLANG_STACKS,
        Runtime::Python => PYTHON_STACKS,
    }
}

/// A numeric id that equal stacks share.
fn stack_id(stack: &str) -> i64 {
    (fnv(stack.as_bytes()) >> 1) as i64
}

/// Profiler windows: rows are reported at the end of each window.
const WINDOW_NS: i64 = 30 * SEC;

pub(crate) struct StackTraces<'w> {
    w: &'w World,
    win: Window,
    clock: Clock,
    procs: Vec<usize>,
    by_cpu: Cdf,
    stacks: Cdf,
}

impl<'w> StackTraces<'w> {
    pub(crate) fn new(w: &'w World, win: Window, rows: usize) -> Self {
        let procs = w.sampled_procs();
        StackTraces {
            by_cpu: Cdf::new(procs.iter().map(|&p| w.procs[p].cpu)),
            procs,
            w,
            win,
            clock: Clock::new(win.end, win.span, rows),
            stacks: Cdf::zipf(8, 1.2),
        }
    }
}

impl Events for StackTraces<'_> {
    fn rows(&mut self, rng: &mut Rng, n: usize) -> Cols {
        let mut time = Vec::with_capacity(n);
        let mut upid = Vec::with_capacity(n * 16);
        let mut ids = Vec::with_capacity(n);
        let mut text = Str::new(n, 200);
        let mut count = Vec::with_capacity(n);
        for _ in 0..n {
            let t = self.clock.next(rng);
            let start = self.win.start();
            let t = start + (t - start) / WINDOW_NS * WINDOW_NS;
            // A busy process running at t (the OOM-killed JVM's successor
            // takes a moment to start).
            let mut p = self.procs[self.by_cpu.sample(rng)];
            for _ in 0..8 {
                if self.w.procs[p].alive(t) {
                    break;
                }
                p = self.procs[self.by_cpu.sample(rng)];
            }
            let proc = &self.w.procs[p];
            let stacks = pool(proc.runtime);
            let s = stacks[self.stacks.sample(rng) % stacks.len()];
            time.push(t);
            upid.extend_from_slice(&proc.upid);
            ids.push(stack_id(s));
            text.push(s);
            count.push(1 + rng.lognormal(6.0 * (proc.cpu / 0.05).sqrt(), 0.9) as i64);
        }
        vec![
            ("time_", i64s(&mut time)),
            ("upid", upids(&mut upid)),
            ("stack_trace_id", i64s(&mut ids)),
            ("stack_trace", text.finish()),
            ("count", i64s(&mut count)),
        ]
    }
}

// ---------------------------------------------------- small event tables

/// A generator over rows computed up front (already in time order).
struct Fixed<R> {
    rows: Vec<(i64, R)>,
    next: usize,
    cap: usize,
}

impl<R> Fixed<R> {
    fn new(mut rows: Vec<(i64, R)>, win: Window, cap: usize) -> Self {
        rows.retain(|(t, _)| win.contains(*t));
        rows.sort_by_key(|(t, _)| *t);
        Fixed { rows, next: 0, cap }
    }

    /// The next at most `max` rows, `None` when done.
    fn take(&mut self, max: usize) -> Option<&[(i64, R)]> {
        let end = self.rows.len().min(self.cap).min(self.next + max);
        if self.next >= end {
            return None;
        }
        let out = &self.rows[self.next..end];
        self.next = end;
        Some(out)
    }
}

pub(crate) struct ProcExits<'w> {
    w: &'w World,
    rows: Fixed<(usize, i64, i64)>,
}

impl<'w> ProcExits<'w> {
    pub(crate) fn new(w: &'w World, win: Window, cap: usize) -> Self {
        let rows = w
            .exits
            .iter()
            .map(|e| (e.t, (e.proc, e.exit_code, e.signal)))
            .collect();
        ProcExits {
            w,
            rows: Fixed::new(rows, win, cap),
        }
    }
}

impl Gen for ProcExits<'_> {
    fn next(&mut self, _: &mut Rng, max: usize) -> Option<Cols> {
        let rows = self.rows.take(max)?;
        let mut upid = Vec::new();
        let mut comm = Str::new(rows.len(), 8);
        for &(_, (p, _, _)) in rows {
            upid.extend_from_slice(&self.w.procs[p].upid);
            comm.push(self.w.procs[p].comm);
        }
        Some(vec![
            ("time_", i64s(&mut rows.iter().map(|r| r.0).collect())),
            ("upid", upids(&mut upid)),
            ("exit_code", i64s(&mut rows.iter().map(|r| r.1.1).collect())),
            ("signal", i64s(&mut rows.iter().map(|r| r.1.2).collect())),
            ("comm", comm.finish()),
        ])
    }
}

/// The agent process of each node.
fn agents(w: &World) -> Vec<usize> {
    let svc = w.svc("pxl-agent");
    w.services[svc]
        .pods
        .iter()
        .map(|&pod| w.pods[pod].main[0])
        .collect()
}

/// The agent process on the node of `proc`.
fn agent_of(w: &World, agents: &[usize], proc: usize) -> usize {
    let node = w.pods[w.procs[proc].pod].node;
    *agents
        .iter()
        .find(|&&a| w.pods[w.procs[a].pod].node == node)
        .unwrap_or(&agents[0])
}

/// (agent process, source connector, status, error, context or info).
type Report = (usize, String, i64, String, String);

fn report_cols(w: &World, rows: &[(i64, Report)], with_tracepoint: bool) -> Cols {
    let mut upid = Vec::new();
    let mut connector = Str::new(rows.len(), 12);
    let mut tracepoint = Str::new(rows.len(), 24);
    let mut error = Str::new(rows.len(), 16);
    let mut extra = Str::new(rows.len(), 16);
    for (_, (agent, conn, _, err, ctx)) in rows {
        upid.extend_from_slice(&w.procs[*agent].upid);
        if with_tracepoint {
            // The probe name travels in the connector field as `conn/probe`.
            let (c, probe) = conn.split_once('/').unwrap_or((conn, ""));
            connector.push(c);
            tracepoint.push(probe);
        } else {
            connector.push(conn);
        }
        error.push(err);
        extra.push(ctx);
    }
    let mut cols: Cols = vec![
        ("time_", i64s(&mut rows.iter().map(|r| r.0).collect())),
        ("upid", upids(&mut upid)),
        ("source_connector", connector.finish()),
        ("status", i64s(&mut rows.iter().map(|r| r.1.2).collect())),
        ("error", error.finish()),
    ];
    if with_tracepoint {
        cols.push(("tracepoint", tracepoint.finish()));
        cols.push(("info", extra.finish()));
    } else {
        cols.push(("context", extra.finish()));
    }
    cols
}

pub(crate) struct StirlingErrors<'w> {
    w: &'w World,
    rows: Fixed<Report>,
}

impl<'w> StirlingErrors<'w> {
    pub(crate) fn new(w: &'w World, win: Window, cap: usize) -> Self {
        const CONNECTORS: &[(&str, i64, &str)] = &[
            ("socket_tracer", 0, ""),
            ("conn_stats", 0, ""),
            ("proc_stat", 0, ""),
            ("process_stats", 0, ""),
            ("network_stats", 0, ""),
            ("jvm_stats", 0, ""),
            ("proc_exit_tracer", 0, ""),
            ("perf_profiler", 0, ""),
            (
                "tcp_stats",
                9,
                "Disabled by configuration (--stirling_enable_tcp_stats=false)",
            ),
        ];
        let agents = agents(w);
        let mut rows = Vec::new();
        // Connectors report as they initialise, right as the data starts.
        for (n, &a) in agents.iter().enumerate() {
            let mut t = win.start().max(w.procs[a].start_ns) + (300 + 170 * n as i64) * MS;
            for &(c, status, err) in CONNECTORS {
                t += 37 * MS + (fnv(c.as_bytes()) % 40) as i64 * MS;
                rows.push((
                    t,
                    (
                        a,
                        c.to_string(),
                        status,
                        err.to_string(),
                        "Init".to_string(),
                    ),
                ));
            }
        }
        // Under the incident's load the socket tracer drops events.
        let busiest = agent_of(
            w,
            &agents,
            w.pods[w.services[w.svc("frontend")].pods[0]].main[0],
        );
        for (k, lost) in [(0.655, 1_482), (0.668, 3_907), (0.681, 611)] {
            let t = w.start_ns() + (w.span_ns as f64 * k) as i64;
            rows.push((
                t,
                (
                    busiest,
                    "socket_tracer".to_string(),
                    14,
                    format!("Perf buffer full, {lost} events lost"),
                    "socket_data_events".to_string(),
                ),
            ));
        }
        // The restarted JVM is not ready to attach to when it is found.
        for e in &w.exits {
            if w.procs[e.proc].role == ProcRole::Main {
                let new = *w.pods[w.procs[e.proc].pod].main.last().expect("restarted");
                let p = &w.procs[new];
                let t = p.start_ns + 4 * SEC;
                rows.push((
                    t,
                    (
                        agent_of(w, &agents, e.proc),
                        "jvm_stats".to_string(),
                        5,
                        format!("hsperfdata file not found for pid {}", p.pid),
                        format!("/proc/{}/root/tmp/hsperfdata_root/1", p.pid),
                    ),
                ));
            }
        }
        StirlingErrors {
            w,
            rows: Fixed::new(rows, win, cap),
        }
    }
}

impl Gen for StirlingErrors<'_> {
    fn next(&mut self, _: &mut Rng, max: usize) -> Option<Cols> {
        let rows = self.rows.take(max)?;
        Some(report_cols(self.w, rows, false))
    }
}

pub(crate) struct ProbeStatus<'w> {
    w: &'w World,
    rows: Fixed<Report>,
}

impl<'w> ProbeStatus<'w> {
    pub(crate) fn new(w: &'w World, win: Window, cap: usize) -> Self {
        const SYSCALLS: &[&str] = &[
            "connect", "accept4", "write", "writev", "send", "sendto", "sendmsg", "read", "readv",
            "recvfrom", "recvmsg", "close",
        ];
        let agents = agents(w);
        let mut rows = Vec::new();
        for (n, &a) in agents.iter().enumerate() {
            let mut t = win.start().max(w.procs[a].start_ns) + (600 + 230 * n as i64) * MS;
            for sc in SYSCALLS {
                for dir in ["entry", "ret"] {
                    t += 3 * MS;
                    let probe = format!("socket_tracer/syscall__probe_{dir}_{sc}");
                    let info = format!(r#"{{"type":"kprobe","symbol":"__x64_sys_{sc}"}}"#);
                    rows.push((t, (a, probe, 0, String::new(), info)));
                }
            }
        }
        // TLS uprobes on every long-running process that speaks TLS or
        // links a TLS library.
        for p in w.sampled_procs() {
            let proc = &w.procs[p];
            if proc.role != ProcRole::Main {
                continue;
            }
            let a = agent_of(w, &agents, p);
            let t = win.start().max(proc.start_ns) + 2 * SEC + (p as i64 % 50) * 20 * MS;
            let (probe, status, err) = match (proc.runtime, proc.comm) {
                (Runtime::Go, _) => ("socket_tracer/uprobe__go_tls_conn_write", 0, String::new()),
                (Runtime::Node, _) => ("socket_tracer/uprobe__node_ssl_write", 0, String::new()),
                (Runtime::Jvm, _) => (
                    "socket_tracer/uprobe__java_ssl_engine_wrap",
                    9,
                    "Java TLS tracing needs the JVMTI agent; set --stirling_enable_java_tls=true"
                        .to_string(),
                ),
                (_, "mongod") => (
                    "socket_tracer/uprobe__SSL_write",
                    5,
                    "Could not find symbol SSL_write in /usr/bin/mongod (statically linked)"
                        .to_string(),
                ),
                _ => continue,
            };
            let info = format!(
                r#"{{"binary":"/proc/{}/exe","pid":{}}}"#,
                proc.pid, proc.pid
            );
            rows.push((t, (a, probe.to_string(), status, err, info)));
        }
        ProbeStatus {
            w,
            rows: Fixed::new(rows, win, cap),
        }
    }
}

impl Gen for ProbeStatus<'_> {
    fn next(&mut self, _: &mut Rng, max: usize) -> Option<Cols> {
        let rows = self.rows.take(max)?;
        Some(report_cols(self.w, rows, true))
    }
}
