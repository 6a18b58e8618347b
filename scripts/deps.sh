#!/bin/sh
# Installs the Debian 12 packages secretctl builds, tests and benchmarks with.
# Idempotent: does nothing when everything is already present.
set -eu
pkgs="build-essential cmake pkg-config libssl-dev libsodium-dev libsqlite3-dev
libjansson-dev libyaml-dev libcmocka-dev bats clang libclang-rt-14-dev
hyperfine valgrind softhsm2 opensc jq util-linux sqlite3 mandoc procps python3
libsecp256k1-dev libp11-kit-dev p11-kit bubblewrap openssh-server openssh-client
postgresql-client shellcheck tmux gcovr bash-completion libzip-dev zip gnupg zsh fish"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# Node.js may come from elsewhere (the image ships its own); Debian's is fine.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
