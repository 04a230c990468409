let
  base = { "net.ipv4.ip_forward" = 1; };
in {
  networking.nftables = { enable = true; ruleset = ''
    table inet filter {
      chain input { type filter hook input priority 0; policy drop; }
    }
  ''; };
  boot.kernel.sysctl = base // { "net.ipv6.conf.all.forwarding" = true; };
  services.netns.namespaces = {
    "ns0" = { sysctl = base // { "net.ipv4.conf.all.rp_filter" = 0; }; service.after = [ "wg-0.service" ]; service.serviceConfig.ExecStartPost = "/bin/echo up ${toString 0}"; };
  };
}
