//! Which sysctl keys a network namespace has (SPEC §3.6).
//!
//! Everything outside `net.*` is global to the host: set inside a namespace it changes the
//! host. Inside `net.*`, the lists below were read off Linux 6.18 by comparing
//! `/proc/sys/net` on the host with a fresh `unshare --net` child (`find /proc/sys/net -type f`,
//! and `test -w` in the child); they change slowly across kernel versions.

/// `net.*` keys that exist on the host but not in a child network namespace.
pub const ABSENT_IN_CHILD: &[&str] = &[
    "net.core.bpf_jit_enable",
    "net.core.bpf_jit_harden",
    "net.core.bpf_jit_kallsyms",
    "net.core.bpf_jit_limit",
    "net.core.busy_poll",
    "net.core.busy_read",
    "net.core.default_qdisc",
    "net.core.dev_weight",
    "net.core.dev_weight_rx_bias",
    "net.core.dev_weight_tx_bias",
    "net.core.devconf_inherit_init_net",
    "net.core.fb_tunnels_only_for_init_net",
    "net.core.flow_limit_cpu_bitmap",
    "net.core.flow_limit_table_len",
    "net.core.gro_normal_batch",
    "net.core.high_order_alloc_disable",
    "net.core.max_skb_frags",
    "net.core.mem_pcpu_rsv",
    "net.core.message_burst",
    "net.core.message_cost",
    "net.core.netdev_budget",
    "net.core.netdev_budget_usecs",
    "net.core.netdev_max_backlog",
    "net.core.netdev_rss_key",
    "net.core.netdev_tstamp_prequeue",
    "net.core.netdev_unregister_timeout_secs",
    "net.core.rps_sock_flow_entries",
    "net.core.skb_defer_max",
    "net.core.warnings",
    "net.ipv4.cipso_cache_bucket_size",
    "net.ipv4.cipso_cache_enable",
    "net.ipv4.cipso_rbm_optfmt",
    "net.ipv4.cipso_rbm_strictvalid",
    "net.ipv4.fib_sync_mem",
    "net.ipv4.inet_peer_maxttl",
    "net.ipv4.inet_peer_minttl",
    "net.ipv4.inet_peer_threshold",
    "net.ipv4.ipfrag_secret_interval",
    "net.ipv4.route.error_burst",
    "net.ipv4.route.error_cost",
    "net.ipv4.route.gc_elasticity",
    "net.ipv4.route.gc_interval",
    "net.ipv4.route.gc_min_interval",
    "net.ipv4.route.gc_min_interval_ms",
    "net.ipv4.route.gc_thresh",
    "net.ipv4.route.gc_timeout",
    "net.ipv4.route.max_size",
    "net.ipv4.route.redirect_load",
    "net.ipv4.route.redirect_number",
    "net.ipv4.route.redirect_silence",
    "net.ipv4.tcp_available_ulp",
    "net.ipv4.tcp_low_latency",
    "net.ipv4.tcp_max_orphans",
    "net.ipv4.tcp_mem",
    "net.ipv4.udp_mem",
    "net.ipv6.calipso_cache_bucket_size",
    "net.ipv6.calipso_cache_enable",
    "net.ipv6.ip6frag_secret_interval",
    "net.ipv6.mld_max_msf",
    "net.ipv6.mld_qrv",
    "net.netfilter.nf_log_all_netns",
    "net.nf_conntrack_max",
];

/// `net.*` keys that a child network namespace shows read-only.
pub const READ_ONLY_IN_CHILD: &[&str] = &[
    "net.core.rmem_default",
    "net.core.rmem_max",
    "net.core.wmem_default",
    "net.core.wmem_max",
    "net.ipv4.tcp_allowed_congestion_control",
    "net.ipv4.tcp_available_congestion_control",
    "net.ipv4.tcp_ehash_entries",
    "net.ipv4.udp_hash_entries",
    "net.mptcp.available_path_managers",
    "net.mptcp.available_schedulers",
    "net.netfilter.nf_conntrack_buckets",
    "net.netfilter.nf_conntrack_count",
    "net.netfilter.nf_conntrack_expect_max",
    "net.netfilter.nf_conntrack_max",
];

/// Interfaces every fresh namespace has, for `net.ipv4.conf.<if>.*` and the like.
const FRESH_INTERFACES: [&str; 3] = ["all", "default", "lo"];

/// Where a sysctl key lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Per network namespace: fine.
    Namespace,
    /// Global to the host: setting it inside the namespace changes the host.
    Host,
    /// A `net.*` key a fresh namespace does not have (ignored by `sysctl --ignore`).
    Absent,
    /// A `net.*` key a namespace can read but not write.
    ReadOnly,
}

pub fn scope(key: &str) -> Scope {
    // sysctl.d also accepts `/` as the separator.
    let key = key.replace('/', ".");
    if !key.starts_with("net.") {
        return Scope::Host;
    }
    if ABSENT_IN_CHILD.contains(&key.as_str()) {
        return Scope::Absent;
    }
    if READ_ONLY_IN_CHILD.contains(&key.as_str()) {
        return Scope::ReadOnly;
    }
    // net.ipv4.conf.eth0.rp_filter: eth0 does not exist in a fresh namespace.
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() >= 5 && matches!(parts[2], "conf" | "neigh") && !FRESH_INTERFACES.contains(&parts[3]) {
        return Scope::Absent;
    }
    Scope::Namespace
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert_eq!(scope("net.ipv4.ip_forward"), Scope::Namespace);
        assert_eq!(scope("net.ipv6.conf.all.forwarding"), Scope::Namespace);
        assert_eq!(scope("vm.swappiness"), Scope::Host);
        assert_eq!(scope("kernel.panic"), Scope::Host);
        assert_eq!(scope("net.core.netdev_max_backlog"), Scope::Absent);
        assert_eq!(scope("net.core.rmem_max"), Scope::ReadOnly);
        assert_eq!(scope("net.ipv4.conf.eth0.rp_filter"), Scope::Absent);
        assert_eq!(scope("net/ipv4/ip_forward"), Scope::Namespace);
    }
}
