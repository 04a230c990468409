# Restart a tunnel whose last handshake is too old (SPEC §14: `watchdog`).
#
# The variables above this text are set by netns-compile: ip, wg, namespace, kind (WireGuard
# or OpenVPN), interface, tunnel_unit, interval, timeout.
#
# Every `interval` seconds: if the tunnel's unit is active, the newest handshake of any of its
# peers (`wg show IF latest-handshakes`, inside the namespace) is compared with the timeout; a
# tunnel restarted or started by this loop counts from then, so a handshake it never made is
# a dead tunnel too. An OpenVPN tunnel has no handshake to read: its device missing from the
# namespace at two looks in a row (OpenVPN alive, but not connected) counts as dead. If the
# unit failed (or went inactive), it is restarted as well. Restarting a WireGuard unit runs
# `wg setconf` again, which resolves a host name endpoint again: the case that matters, as
# providers move their servers.
#
# The restart ignores dependencies: the services that join the namespace require the tunnel,
# and a plain restart would restart them too. They keep running, with no way out while the
# interface (and the default route with it) is gone.
set +e
since=$(date +%s)
while sleep "$interval"; do
    now=$(date +%s)
    state=$(systemctl show -P ActiveState -- "$tunnel_unit")
    case $state in
    active)
        if [ "$kind" = OpenVPN ]; then
            # OpenVPN is alive but its device is not in the namespace: it is reconnecting or
            # stuck. Gone for a whole interval (two looks in a row) is stuck.
            if "$ip" -n "$namespace" link show dev "$interface" >/dev/null 2>&1; then
                gone=
                continue
            fi
            if [ -z "${gone-}" ]; then
                gone=1
                continue
            fi
            gone=
            why="its device $interface is gone"
        else
        latest=$("$ip" netns exec "$namespace" "$wg" show "$interface" latest-handshakes 2>/dev/null |
            while read -r _ t; do echo "$t"; done | sort -n | tail -n 1)
        last=$since
        [ "${latest:-0}" -le "$since" ] || last=$latest
        age=$((now - last))
        [ "$age" -gt "$timeout" ] || continue
        if [ "${latest:-0}" -gt 0 ]; then
            why="last handshake ${age}s ago"
        else
            why="no handshake in ${age}s"
        fi
        fi
        ;;
    failed | inactive) why="$tunnel_unit is $state" ;;
    *) continue ;; # starting or stopping: look again next time
    esac
    echo "netns-compile watchdog: $interface of namespace $namespace: $why (timeout ${timeout}s): restarting $tunnel_unit"
    if systemctl restart --job-mode=ignore-dependencies -- "$tunnel_unit"; then
        echo "netns-compile watchdog: $tunnel_unit restarted"
    else
        echo "netns-compile watchdog: $tunnel_unit failed to restart; trying again in ${interval}s"
    fi
    since=$(date +%s)
done
