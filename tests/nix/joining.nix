# The module's own extension, which the golden cases (NixOS's module) do not have: a service
# joining a namespace, and a namespace unit enabled (through a property marker, as NixOS
# allows) or disabled by its `service`, and a definition made directly on a namespace's unit.
{ lib, ... }:
{
  services.netns.namespaces.vpn.service.wantedBy = lib.mkIf true [ "multi-user.target" ];
  services.netns.namespaces.spare.service.enable = false;
  systemd.services.netns-vpn.after = [ "direct.service" ];
  systemd.services.web = {
    netns = "vpn";
    after = [ "network.target" ];
  };
}
