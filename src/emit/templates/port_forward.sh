# Keep a port forwarded by the tunnel's NAT-PMP gateway (RFC 6886; SPEC §14: `portForward`).
#
# The variables above this text are set by netns-compile: natpmpc, nft, namespace, gateway,
# on_change (empty when unset), port_file, shell.
#
# This unit joins the namespace, so `natpmpc` reaches the gateway through the tunnel. Each
# round maps a port for UDP and TCP (public port 1 asks the gateway to choose, as ProtonVPN
# documents it) and sleeps half the lifetime the gateway granted, so the mapping is renewed
# before it ends. A new port is written to `port_file` (replaced whole, never half-written),
# logged, opened in netns-compile's table (the set `forwarded_ports`: the guard drops every
# other unsolicited packet that comes in through the tunnel), and given to `on_change` as its
# last argument. Every round adds the port to the set again, so a reload of the guard's table
# (which empties it) closes the port for one round at most. A gateway that does not answer (the
# tunnel is down or being restarted) is logged and asked again 10 s later; meanwhile the port
# is closed and its file removed, so no client goes on announcing a port nobody forwards.
set +e
mkdir -p "${port_file%/*}"
old=
# The set holds only the port granted now: emptied when it changes or goes, added to every
# round (adding a port the set holds changes nothing).
close_ports() {
    "$nft" flush set inet netns-compile forwarded_ports ||
        echo "netns-compile port-forward: could not empty forwarded_ports in netns-compile's table"
}
open_port() {
    "$nft" add element inet netns-compile forwarded_ports "{ $1 }" ||
        echo "netns-compile port-forward: could not open port $1 in netns-compile's table"
}
while :; do
    port=
    lifetime=
    for protocol in udp tcp; do
        out=$("$natpmpc" -g "$gateway" -a 1 0 "$protocol" 60 2>&1)
        got=$(printf '%s\n' "$out" |
            sed -n 's/^Mapped public port \([0-9][0-9]*\) protocol [A-Z]* to local port [0-9]* liftime \([0-9][0-9]*\).*/\1 \2/p')
        if [ -z "$got" ]; then
            echo "netns-compile port-forward: no $protocol mapping from $gateway: $(printf '%s\n' "$out" | tail -n 1)"
            port=
            break
        fi
        port=${got% *}
        lifetime=${got#* }
    done
    if [ -z "$port" ]; then
        if [ -n "$old" ]; then
            echo "netns-compile port-forward: namespace $namespace: port $old closed, its file removed, until $gateway answers"
            rm -f "$port_file"
            close_ports
            old=
        fi
        sleep 10
        continue
    fi
    [ "$port" = "$old" ] || close_ports
    open_port "$port"
    if [ "$port" != "$old" ]; then
        printf '%s\n' "$port" >"$port_file.new" && mv -f "$port_file.new" "$port_file"
        echo "netns-compile port-forward: namespace $namespace: port $port forwarded by $gateway (lifetime ${lifetime}s)"
        if [ -n "$on_change" ]; then
            "$shell" -c "$on_change \"\$1\"" on-change "$port" ||
                echo "netns-compile port-forward: onChange failed for port $port"
        fi
        old=$port
    fi
    wait_s=$((lifetime / 2))
    [ "$wait_s" -ge 1 ] || wait_s=1
    sleep "$wait_s"
done
