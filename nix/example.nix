# A namespace started at boot, with its own sysctls and ruleset, and a service running inside
# it. The flake's checks compile it (module-units), check it (module-check) and boot it (vm).
{ pkgs, ... }:
{
  networking.nftables.enable = true;

  services.netns.namespaces.vpn = {
    # Its own sysctls: inheriting boot.kernel.sysctl would carry NixOS's host-wide defaults
    # (kernel.*, vm.*) into the namespace, which netns-compile warns about.
    sysctl."net.ipv4.ip_forward" = 1;
    nftables = ''
      table inet vpnonly {
        chain input {
          type filter hook input priority 0; policy drop;
          iif lo accept
        }
      }
    '';
    service.wantedBy = [ "multi-user.target" ];
  };

  systemd.services.joined = {
    description = "A service inside the vpn namespace";
    netns = "vpn";
    wantedBy = [ "multi-user.target" ];
    serviceConfig.ExecStart = "${pkgs.coreutils}/bin/sleep infinity";
  };
}
