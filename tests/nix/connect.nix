# The connectivity options (SPEC §11) through nixpkgs' module system: handed to the compiler
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
  };
  services.netns.namespaces.closed = { };
  systemd.services.transmission.netns = "downloads";
}
