# The connectivity options (SPEC §11, §13's dns.strict and ipv6, §14's openvpn) through nixpkgs' module system: handed to the compiler
# only where set, with properties resolved by NixOS, and their units in the built tree.
{ lib, ... }:
{
  services.netns.namespaces.downloads = {
    publish.webui = {
      listen = "127.0.0.1:9091";
      port = 9091;
    };
    dns.servers = [ "10.64.0.1" ];
    dns.search = lib.mkAfter [ "home.arpa" ];
    hostLink.enable = lib.mkIf true true;
    dns.strict = true;
    ipv6 = lib.mkDefault "disable";
  };
  # SPEC §14's OpenVPN, with the watchdog that follows whichever tunnel the namespace has.
  services.netns.namespaces.ovpn = {
    openvpn = {
      enable = true;
      configFile = "/run/secrets/provider.ovpn";
    };
    watchdog.enable = lib.mkDefault true;
  };
  services.netns.namespaces.closed = { };
  systemd.services.transmission.netns = "downloads";
}
