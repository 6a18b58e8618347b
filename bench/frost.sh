#!/bin/sh
# frost.sh - `secretctl frost keygen` (a 2-of-3 DKG) and a 2-of-3 `frost
# sign`, whole processes, median of R runs (default 11): participants as
# local `secretctl --vault V frost participate` processes, and (when
# /usr/sbin/sshd exists) one of the two signers over ssh to a bench-owned
# sshd on 127.0.0.1 with a ControlMaster connection. Each participant
# opens its vault with small Argon2 parameters (8 MiB, t=1), which is in
# the figures. Usage: bench/frost.sh [R]; SECRETCTL_BIN picks the binary
# (default build/secretctl).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-11}
bin=${SECRETCTL_BIN:-"$root/build/secretctl"}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac # the ssh participant starts in $HOME
tmp=$(mktemp -d)
sshd_pid=
cleanup() {
	[ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null
	ssh -O exit -o ControlPath="$tmp/ssh/cm" 127.0.0.1 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
chmod 700 "$tmp"
export SECRETCTL_NO_AGENT=1

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for v in a b c coord; do
	printf 'bench-frost-%s-pw\n' "$v" >"$tmp/pw.$v"
	"$bin" --vault "$tmp/$v" init --password-fd 0 --kdf-memory 8192 --kdf-time 1 \
		<"$tmp/pw.$v" 2>/dev/null
done
part() { printf '%s --vault %s --password-fd 3 frost participate 3<%s' "$bin" "$tmp/$1" "$tmp/pw.$1"; }

echo "== machine"
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
echo "cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"

i=0
: >"$tmp/kg"
while [ "$i" -lt "$runs" ]; do
	t0=$(now_ms)
	"$bin" --vault "$tmp/coord" frost keygen "g$i" --threshold 2 --participant a="$(part a)" \
		--participant b="$(part b)" --participant c="$(part c)" >/dev/null 2>&1
	echo $(($(now_ms) - t0)) >>"$tmp/kg"
	i=$((i + 1))
done
echo "keygen 2-of-3 (local): median $(median <"$tmp/kg") ms of $runs"

head -c 1024 /dev/urandom >"$tmp/msg"
i=0
: >"$tmp/sg"
while [ "$i" -lt "$runs" ]; do
	t0=$(now_ms)
	"$bin" --vault "$tmp/coord" frost sign g0 --in "$tmp/msg" --signers a,c \
		--out "$tmp/sig" 2>/dev/null
	echo $(($(now_ms) - t0)) >>"$tmp/sg"
	i=$((i + 1))
done
echo "sign 2-of-3 (local, 1 KiB): median $(median <"$tmp/sg") ms of $runs"
i=0
: >"$tmp/open"
while [ "$i" -lt "$runs" ]; do
	t0=$(now_ms)
	"$bin" --vault "$tmp/a" --password-fd 3 key list 3<"$tmp/pw.a" >/dev/null
	echo $(($(now_ms) - t0)) >>"$tmp/open"
	i=$((i + 1))
done
echo "of which one participant's vault unlock (key list): median $(median <"$tmp/open") ms"

[ -x /usr/sbin/sshd ] || { echo "no sshd: the ssh figure is skipped"; exit 0; }
S=$tmp/ssh
mkdir -p "$S"
chmod 700 "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host"
ssh-keygen -q -t ed25519 -N '' -f "$S/user"
cp "$S/user.pub" "$S/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '%s\n' "ListenAddress 127.0.0.1" "Port $port" "HostKey $S/host" \
	"AuthorizedKeysFile $S/authorized_keys" "PidFile $S/pid" "StrictModes no" "UsePAM no" \
	"PasswordAuthentication no" >"$S/config"
/usr/sbin/sshd -D -f "$S/config" 2>/dev/null &
sshd_pid=$!
sshopt="-p $port -i $S/user -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=$S/known -o ControlMaster=auto -o ControlPath=$S/cm -o ControlPersist=60"
for _ in $(seq 50); do
	# shellcheck disable=SC2086
	ssh $sshopt 127.0.0.1 true 2>/dev/null && break
	sleep 0.1
done
printf 'ssh %s 127.0.0.1 %s\n' "$sshopt" "'$(part c)'" >"$tmp/run-c"
"$bin" --vault "$tmp/coord" frost keygen gs --threshold 2 --participant a="$(part a)" \
	--participant b="$(part b)" --participant c="sh $tmp/run-c" >/dev/null 2>&1
i=0
: >"$tmp/ss"
while [ "$i" -lt "$runs" ]; do
	t0=$(now_ms)
	"$bin" --vault "$tmp/coord" frost sign gs --in "$tmp/msg" --signers a,c \
		--out "$tmp/sig" 2>/dev/null
	echo $(($(now_ms) - t0)) >>"$tmp/ss"
	i=$((i + 1))
done
echo "sign 2-of-3 (one signer over ssh, ControlMaster): median $(median <"$tmp/ss") ms of $runs"
