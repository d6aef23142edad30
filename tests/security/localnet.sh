#!/bin/bash
# CVE-2020-8558 class: a container reaching host services bound to 127.0.0.1.
# Publishing on the host's loopback needs route_localnet=1 on the bridge,
# which also makes the host accept frames from the bridge addressed to
# 127.0.0.0/8. A container has NET_RAW by default, so it can send such a frame
# to its gateway's MAC. attacks/localnet_frame.c sends it (and the same frame
# spoofing a 127.0.0.1 source) from a normal and an --internal network, before
# and while ports are published there; a UDP listener on the sandbox's
# 127.0.0.1 must get nothing. The control, the same frame to the gateway's own
# address, must arrive (else the test proves nothing). Publishing on
# 127.0.0.1 and on 0.0.0.0 must still answer on the sandbox's loopback, and
# removing everything leaves no nftables table behind.
source "$(dirname "$0")/lib.sh"
attack_init localnet

frame=$(build_attack localnet_frame)
busybox_image test/busybox
IMG=test/busybox
loop_port=19111 any_port=19112
log=$attack_tmp/received

listener=
localnet_cleanup() {
  [ -z "$listener" ] || kill "$listener" 2>/dev/null || true
  for id in $(b ps -aq 2>/dev/null); do b rm -f "$id" >/dev/null 2>&1 || true; done
  b network rm open sealed >/dev/null 2>&1 || true
  attack_cleanup
}
trap localnet_cleanup EXIT

# The sandbox's "host service": UDP sockets on 127.0.0.1 and on 0.0.0.0 that
# log every datagram as "PORT SOURCE PAYLOAD".
python3 - "$log" "$loop_port" "$any_port" <<'EOF' &
import select, socket, sys
out = open(sys.argv[1] + ".tmp", "w", buffering=1)
socks = []
for addr, port in (("127.0.0.1", int(sys.argv[2])), ("0.0.0.0", int(sys.argv[3]))):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    socks.append(s)
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    for s in select.select(socks, [], [])[0]:
        data, peer = s.recvfrom(2048)
        out.write("%d %s %s\n" % (s.getsockname()[1], peer[0], data.decode(errors="replace")))
EOF
listener=$!
for _ in $(seq 50); do [ -e "$log" ] && break; sleep 0.1; done
[ -e "$log" ] || fail "the UDP listener did not start"

b network create --subnet 10.213.1.0/24 open >/dev/null
b network create --subnet 10.213.2.0/24 --internal sealed >/dev/null
declare -A gateway=([open]=10.213.1.1 [sealed]=10.213.2.1)

# Sends the three frames from a container on network $1, tagged $2.
send_frames() {
  local net=$1 tag=$2 gw=${gateway[$1]}
  b run --rm --network "$net" -v "$frame:/localnet_frame:ro" "$IMG" sh -c "
    /localnet_frame eth0 $gw self 127.0.0.1 $loop_port attack-$tag &&
    /localnet_frame eth0 $gw 127.0.0.1 $gw $any_port spoofed-$tag &&
    /localnet_frame eth0 $gw self $gw $any_port control-$tag" >/dev/null ||
    fail "$tag: the frames could not be sent"
  # The control goes last: once it is in, the others had their chance.
  for _ in $(seq 50); do grep -q " control-$tag\$" "$log" && break; sleep 0.1; done
  grep -q " control-$tag\$" "$log" ||
    fail "$tag: the control frame to the gateway's address never arrived, the test proves nothing: $(cat "$log")"
  sleep 0.3
  ! grep -q " attack-$tag\$" "$log" ||
    fail "$tag: a frame from a container reached a host listener on 127.0.0.1: $(grep " attack-$tag\$" "$log")"
  ! grep -q " spoofed-$tag\$" "$log" ||
    fail "$tag: a frame with a 127.0.0.1 source from a container was accepted: $(grep " spoofed-$tag\$" "$log")"
}

send_frames open open
send_frames sealed sealed

# Published ports (which need route_localnet on the bridge) still answer on
# the sandbox's loopback, on both networks; the frames are refused meanwhile.
serve='echo hello-from-$(hostname) >/srv/www/index.html; exec httpd -f -p 80 -h /srv/www'
b run -d --name web --hostname web --network open -p 127.0.0.1:19180:80 -p 19181:80 "$IMG" sh -c "$serve" >/dev/null
b run -d --name vault --hostname vault --network sealed -p 127.0.0.1:19182:80 "$IMG" sh -c "$serve" >/dev/null
get() {
  for _ in $(seq 50); do
    timeout 3 busybox wget -q -O - "http://127.0.0.1:$1/" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
[ "$(get 19180)" = hello-from-web ] || fail "-p 127.0.0.1:19180:80 does not answer on 127.0.0.1"
[ "$(get 19181)" = hello-from-web ] || fail "-p 19181:80 does not answer on 127.0.0.1"
[ "$(get 19182)" = hello-from-vault ] || fail "-p 127.0.0.1:19182:80 on an internal network does not answer"
send_frames open open-published
send_frames sealed sealed-published

# Nothing of it stays: no container, no rule, no table.
for id in $(b ps -aq); do b rm -f "$id" >/dev/null; done
b network rm open sealed >/dev/null
if table=$(nft list table ip brick 2>&1); then fail "the brick nftables table is left: $table"; fi
echo "localnet: ok"
