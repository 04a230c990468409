# Boots nix/example.nix in a VM (needs KVM) and looks at the result from the host side of the
# machine: what a full NixOS system built with the module does at run time.
{ pkgs, modules }:
pkgs.testers.runNixOSTest {
  name = "netns-compile";

  nodes.machine = {
    imports = modules;
  };

  testScript = ''
    machine.wait_for_unit("netns-vpn.service")
    machine.wait_for_unit("joined.service")

    # Registered with iproute2, with the resolv.conf the joining services bind.
    machine.succeed("ip netns list | grep -qw vpn")
    machine.succeed("test -e /etc/netns/vpn/resolv.conf")

    # The joining service runs in that namespace.
    pid = machine.succeed("systemctl show --property MainPID --value joined.service").strip()
    machine.succeed(f"test \"$(ip netns identify {pid})\" = vpn")

    # Sysctls and ruleset apply inside the namespace only.
    machine.succeed("test \"$(ip netns exec vpn sysctl -n net.ipv4.ip_forward)\" = 1")
    machine.succeed("test \"$(sysctl -n net.ipv4.ip_forward)\" = 0")
    machine.succeed("ip netns exec vpn nft list tables | grep -q vpnonly")
    machine.fail("nft list tables | grep -q vpnonly")

    # Stopping the namespace unit unregisters it and stops the joining service with it.
    machine.succeed("systemctl stop netns-vpn.service")
    machine.fail("ip netns list | grep -qw vpn")
    machine.fail("systemctl is-active joined.service")
  '';
}
