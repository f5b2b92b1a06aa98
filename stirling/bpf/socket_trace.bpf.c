// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
//
// pxl socket tracer: sees connect/accept/close and the data moved by the
// read/write/send/recv family of system calls on tracked TCP sockets, plus
// process exec and exit, and hands them to user space through a ring buffer.
//
// Only syscall and sched tracepoints are used (no kprobes on this kernel
// family). A socket is tracked once it appears in `conns`: connect/accept
// put it there, user space adds sockets that were open before we started
// (found in /proc), and user space sets `disabled` on connections it has
// classified as uninteresting, which stops their data here in the kernel.
//
// The layout of `struct event_header` is read by stirling/src/bpf.rs; keep
// the two in step.

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define MAX_DATA 16384
#define MAX_IOV 8
#define AF_INET 2
#define AF_INET6 10
#define EINPROGRESS 115

enum event_kind {
    EV_OPEN = 1,
    EV_DATA = 2,
    EV_CLOSE = 3,
    EV_EXEC = 4,
    EV_EXIT = 5,
};

enum syscall_kind {
    SYS_READ = 1,
    SYS_WRITE,
    SYS_READV,
    SYS_WRITEV,
    SYS_RECVFROM,
    SYS_SENDTO,
    SYS_RECVMSG,
    SYS_SENDMSG,
    SYS_CONNECT,
    SYS_ACCEPT,
};

// Bytes captured per system call (set by user space before loading).
const volatile __u32 capture_bytes = MAX_DATA;
// Wake the reader when this much data is waiting; it also polls every 10 ms.
const volatile __u32 wakeup_bytes = 256 * 1024;

struct event_header {
    __u64 ts_ns;        // bpf_ktime_get_ns() at the syscall's return
    __u64 start_ns;     // thread group leader's start_boottime (for the upid)
    __u64 len;          // data: bytes the call moved for this piece; exit: exit_code;
                        // close: bytes sent while disabled
    __u32 tgid;
    __u32 pid;
    __s32 fd;
    __u32 captured;     // data bytes that follow the header
    __u8 kind;          // enum event_kind
    __u8 dir;           // data: 0 egress, 1 ingress; open: 1 connect, 2 accept
    __u16 family;       // open: AF_INET / AF_INET6 / 0 unknown
    __u16 port;         // open: remote port, host byte order
    __u16 syscall;      // enum syscall_kind
    __u8 addr[16];      // open: remote address (4 bytes for IPv4)
    char comm[16];      // exec/exit: task comm
    __u8 laddr[16];     // open: local address (4 bytes for IPv4)
    __u16 lport;        // open: local port, host byte order
    __u8 pad[6];
};

struct data_event {
    struct event_header h;
    __u8 data[MAX_DATA];
};

// User space reads and writes this as three u64s; keep it that way.
struct conn_val {
    __u8 disabled;      // set by user space: stop sending this connection's data
    __u8 role;          // 1 connect, 2 accept, 0 found in /proc
    __u8 pad[6];
    __u64 sent;         // bytes moved while disabled (user space counts the rest)
    __u64 recv;
};

// Arguments of connect and accept, saved at sys_enter and used at sys_exit.
struct call_args {
    __u64 buf;      // the sockaddr
    __s32 fd;
    __u16 syscall;
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 32 * 1024 * 1024);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);     // tgid << 32 | fd
    __type(value, struct conn_val);
} conns SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 16384);
    __type(key, __u64);     // pid_tgid
    __type(value, struct call_args);
} active SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct data_event);
} scratch SEC(".maps");

// Index 0: events lost because the ring buffer was full; 1: their bytes.
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} lost SEC(".maps");

// Only the fields we read; CO-RE relocates them against the kernel's BTF.
struct file {
    void *private_data;
} __attribute__((preserve_access_index));

struct fdtable {
    struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
    struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct task_struct {
    int exit_code;
    __u64 start_boottime;
    struct task_struct *group_leader;
    struct files_struct *files;
} __attribute__((preserve_access_index));

struct in6_addr {
    union {
        __u8 u6_addr8[16];
    } in6_u;
} __attribute__((preserve_access_index));

struct sock_common {
    union {
        struct {
            __u32 skc_daddr;
            __u32 skc_rcv_saddr;
        };
    };
    union {
        struct {
            __u16 skc_dport;
            __u16 skc_num;
        };
    };
    unsigned short skc_family;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
    struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct socket {
    struct sock *sk;
} __attribute__((preserve_access_index));

// The user registers saved at syscall entry. On x86-64 the kernel leaves
// the argument registers as they were (only `ax` takes the return value),
// so a sys_exit probe reads the call's arguments here instead of saving
// them in a map at sys_enter.
struct pt_regs {
    unsigned long di;
    unsigned long si;
    unsigned long dx;
} __attribute__((preserve_access_index));

struct trace_enter {
    __u64 common;
    long id;
    unsigned long args[6];
};

struct trace_exit {
    __u64 common;
    long id;
    long ret;
};

struct iovec_user {
    __u64 base;
    __u64 len;
};

struct msghdr_user {
    __u64 name;
    __s32 namelen;
    __s32 pad;
    __u64 iov;
    __u64 iovlen;
};

struct sockaddr_any {
    __u16 family;
    __u16 port;         // network byte order
    __u32 v4_or_flow;   // IPv4 address, or IPv6 flowinfo
    __u8 v6[16];
};

static __always_inline __u64 conn_key(__u32 tgid, __s32 fd)
{
    return ((__u64)tgid << 32) | (__u32)fd;
}


static __always_inline __u64 leader_start_ns(void)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    return BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline struct data_event *scratch_event(__u8 kind, __s32 fd)
{
    __u32 zero = 0;
    struct data_event *e = bpf_map_lookup_elem(&scratch, &zero);
    if (!e)
        return 0;
    __u64 id = bpf_get_current_pid_tgid();
    e->h.ts_ns = bpf_ktime_get_ns();
    e->h.start_ns = leader_start_ns();
    e->h.len = 0;
    e->h.tgid = id >> 32;
    e->h.pid = (__u32)id;
    e->h.fd = fd;
    e->h.captured = 0;
    e->h.kind = kind;
    e->h.dir = 0;
    e->h.family = 0;
    e->h.port = 0;
    e->h.syscall = 0;
    return e;
}

// A wake-up costs an inter-processor interrupt (in a VM, an exit to the
// hypervisor), so the reader is woken only by the event that takes the
// waiting data across `wakeup_bytes`, never by the ones after it: while
// that much is waiting the reader is already awake or about to be, and its
// 10 ms poll timeout covers a crossing two CPUs both miss.
static __always_inline void submit(struct data_event *e, __u64 size)
{
    __u64 flags = BPF_RB_NO_WAKEUP;
    __u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
    if (avail < wakeup_bytes && avail + size >= wakeup_bytes)
        flags = BPF_RB_FORCE_WAKEUP;
    if (bpf_ringbuf_output(&events, e, size, flags) != 0) {
        __u32 k = 0;
        __u64 *n = bpf_map_lookup_elem(&lost, &k);
        if (n)
            *n += 1;
        k = 1;
        n = bpf_map_lookup_elem(&lost, &k);
        if (n)
            *n += size;
    }
}

// One data event for `len` bytes at user address `buf` (a prefix of at most
// capture_bytes is copied; buf == 0 means "moved but not captured").
static __always_inline void emit_data(__s32 fd, __u16 syscall, __u8 dir, __u64 buf, __u64 len)
{
    struct data_event *e = scratch_event(EV_DATA, fd);
    if (!e)
        return;
    e->h.dir = dir;
    e->h.syscall = syscall;
    e->h.len = len;
    __u32 n = 0;
    if (buf) {
        __u64 want = len < capture_bytes ? len : capture_bytes;
        if (want > MAX_DATA)
            want = MAX_DATA;
        n = want;
        asm volatile("%[n] &= 0x7fff" : [n] "+r"(n));
        if (n > MAX_DATA)
            n = MAX_DATA;
        if (bpf_probe_read_user(e->data, n, (const void *)buf) != 0)
            n = 0;
    }
    e->h.captured = n;
    __u64 size = sizeof(e->h) + n;
    if (size > sizeof(*e))
        size = sizeof(*e);
    submit(e, size);
}

static __always_inline void emit_iov(__s32 fd, __u16 syscall, __u8 dir, __u64 iovp, __u64 iovcnt,
                                     __u64 total)
{
    __u64 remaining = total;
#pragma unroll
    for (int i = 0; i < MAX_IOV; i++) {
        if (i >= iovcnt || remaining == 0)
            break;
        struct iovec_user iov = {};
        if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)(iovp + i * sizeof(iov))) != 0)
            break;
        __u64 l = iov.len < remaining ? iov.len : remaining;
        if (l == 0)
            continue;
        emit_data(fd, syscall, dir, iov.base, l);
        remaining -= l;
    }
    if (remaining > 0)
        emit_data(fd, syscall, dir, 0, remaining);
}

static __always_inline void save_args(__s32 fd, __u16 syscall, __u64 buf)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct call_args a = {.buf = buf, .fd = fd, .syscall = syscall};
    bpf_map_update_elem(&active, &id, &a, BPF_ANY);
}

// Data calls are traced at sys_exit only: `ret` says how much moved, and
// fd, buffer and count are still in the saved user registers. Calls on
// descriptors we do not track cost one map lookup.
static __always_inline int exit_data(struct trace_exit *ctx, __u16 syscall)
{
    long ret = ctx->ret;
    if (ret <= 0)
        return 0;
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
    __s32 fd = BPF_CORE_READ(regs, di);
    __u64 id = bpf_get_current_pid_tgid();
    __u64 key = conn_key(id >> 32, fd);
    struct conn_val *v = bpf_map_lookup_elem(&conns, &key);
    if (!v)
        return 0;
    int ingress = syscall == SYS_READ || syscall == SYS_RECVFROM || syscall == SYS_READV ||
                  syscall == SYS_RECVMSG;
    if (v->disabled) {
        if (ingress)
            __sync_fetch_and_add(&v->recv, ret);
        else
            __sync_fetch_and_add(&v->sent, ret);
        return 0;
    }
    __u64 buf = BPF_CORE_READ(regs, si);
    // `syscall` is a constant in each probe, so only one case is compiled in.
    switch (syscall) {
    case SYS_READ:
    case SYS_RECVFROM:
    case SYS_WRITE:
    case SYS_SENDTO:
        emit_data(fd, syscall, ingress, buf, ret);
        break;
    case SYS_READV:
    case SYS_WRITEV:
        emit_iov(fd, syscall, ingress, buf, BPF_CORE_READ(regs, dx), ret);
        break;
    case SYS_RECVMSG:
    case SYS_SENDMSG: {
        struct msghdr_user m = {};
        if (bpf_probe_read_user(&m, sizeof(m), (const void *)buf) != 0) {
            emit_data(fd, syscall, ingress, 0, ret);
            break;
        }
        emit_iov(fd, syscall, ingress, m.iov, m.iovlen, ret);
        break;
    }
    default:
        break;
    }
    return 0;
}

#define DATA_PROBES(name, kind)                                                                   \
    SEC("tracepoint/syscalls/sys_exit_" #name)                                                    \
    int exit_##name(struct trace_exit *ctx) { return exit_data(ctx, kind); }

DATA_PROBES(read, SYS_READ)
DATA_PROBES(write, SYS_WRITE)
DATA_PROBES(readv, SYS_READV)
DATA_PROBES(writev, SYS_WRITEV)
DATA_PROBES(recvfrom, SYS_RECVFROM)
DATA_PROBES(sendto, SYS_SENDTO)
DATA_PROBES(recvmsg, SYS_RECVMSG)
DATA_PROBES(sendmsg, SYS_SENDMSG)

// The kernel socket behind descriptor `fd` of the current process.
static __always_inline struct sock *fd_sock(__s32 fd)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
    struct file *f = 0;
    if (!fds || bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xfffff]) != 0 || !f)
        return 0;
    struct socket *sock = BPF_CORE_READ(f, private_data);
    if (!sock)
        return 0;
    return BPF_CORE_READ(sock, sk);
}

// Emits EV_OPEN for a new socket and starts tracking it. Both ends come
// from the kernel socket; `sa` (the user's sockaddr, may be 0) is the
// fallback for the remote end.
static __always_inline void open_conn(__s32 fd, __u8 role, __u16 syscall, __u64 sa)
{
    struct sockaddr_any addr = {};
    if (sa)
        bpf_probe_read_user(&addr, sizeof(addr), (const void *)sa);
    struct sock *sk = fd_sock(fd);
    __u16 family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : addr.family;
    if (family != AF_INET && family != AF_INET6)
        return; // Unix domain and other families are not traced.
    struct data_event *e = scratch_event(EV_OPEN, fd);
    if (!e)
        return;
    __u64 key = conn_key(e->h.tgid, fd);
    struct conn_val v = {.disabled = 0, .role = role, .sent = 0, .recv = 0};
    bpf_map_update_elem(&conns, &key, &v, BPF_ANY);
    e->h.dir = role;
    e->h.syscall = syscall;
    e->h.family = family;
    __builtin_memset(e->h.addr, 0, sizeof(e->h.addr));
    __builtin_memset(e->h.laddr, 0, sizeof(e->h.laddr));
    if (sk) {
        e->h.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
        e->h.port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
        if (family == AF_INET) {
            __u32 l4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
            __u32 r4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
            __builtin_memcpy(e->h.laddr, &l4, 4);
            __builtin_memcpy(e->h.addr, &r4, 4);
        } else {
            BPF_CORE_READ_INTO(&e->h.laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
            BPF_CORE_READ_INTO(&e->h.addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
        }
    } else {
        e->h.lport = 0;
        e->h.port = __builtin_bswap16(addr.port);
        if (family == AF_INET)
            __builtin_memcpy(e->h.addr, &addr.v4_or_flow, 4);
        else
            __builtin_memcpy(e->h.addr, addr.v6, 16);
    }
    submit(e, sizeof(e->h));
}

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_enter *ctx)
{
    save_args(ctx->args[0], SYS_CONNECT, ctx->args[1]);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_exit *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct call_args *ap = bpf_map_lookup_elem(&active, &id);
    if (!ap)
        return 0;
    struct call_args a = *ap;
    bpf_map_delete_elem(&active, &id);
    if (a.syscall != SYS_CONNECT)
        return 0;
    if (ctx->ret != 0 && ctx->ret != -EINPROGRESS)
        return 0;
    if (!a.buf)
        return 0;
    open_conn(a.fd, 1, SYS_CONNECT, a.buf);
    return 0;
}

static __always_inline int enter_accept_common(struct trace_enter *ctx)
{
    save_args(ctx->args[0], SYS_ACCEPT, ctx->args[1]);
    return 0;
}

static __always_inline int exit_accept_common(struct trace_exit *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    struct call_args *ap = bpf_map_lookup_elem(&active, &id);
    if (!ap)
        return 0;
    struct call_args a = *ap;
    bpf_map_delete_elem(&active, &id);
    if (a.syscall != SYS_ACCEPT || ctx->ret < 0)
        return 0;
    open_conn(ctx->ret, 2, SYS_ACCEPT, a.buf);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int enter_accept(struct trace_enter *ctx) { return enter_accept_common(ctx); }
SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_exit *ctx) { return exit_accept_common(ctx); }
SEC("tracepoint/syscalls/sys_enter_accept4")
int enter_accept4(struct trace_enter *ctx) { return enter_accept_common(ctx); }
SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_exit *ctx) { return exit_accept_common(ctx); }

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_enter *ctx)
{
    __s32 fd = ctx->args[0];
    __u64 id = bpf_get_current_pid_tgid();
    __u64 key = conn_key(id >> 32, fd);
    struct conn_val *v = bpf_map_lookup_elem(&conns, &key);
    if (!v)
        return 0;
    __u64 sent = v->sent, recv = v->recv;
    bpf_map_delete_elem(&conns, &key);
    struct data_event *e = scratch_event(EV_CLOSE, fd);
    if (!e)
        return 0;
    // Close carries the bytes counted in the kernel while data was disabled:
    // sent in `len`, received in the first 8 bytes of `addr`.
    e->h.len = sent;
    __builtin_memcpy(e->h.addr, &recv, 8);
    submit(e, sizeof(e->h));
    return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int process_exec(void *ctx)
{
    struct data_event *e = scratch_event(EV_EXEC, -1);
    if (!e)
        return 0;
    bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
    submit(e, sizeof(e->h));
    return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int process_exit(void *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    if ((__u32)id != (id >> 32))
        return 0; // a thread, not the whole process
    struct data_event *e = scratch_event(EV_EXIT, -1);
    if (!e)
        return 0;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    e->h.len = (__u32)BPF_CORE_READ(task, exit_code);
    bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
    submit(e, sizeof(e->h));
    return 0;
}
