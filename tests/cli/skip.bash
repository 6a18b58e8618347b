# skip.bash - sc_skip REASON: skip a test, except in CI as root (the CI
# runs as root with everything installed by scripts/deps.sh): there a skip
# would hide a security test that must run, so it fails instead, naming
# why. Use with `load skip`.
sc_skip() {
	if [ "${CI:-}" = true ] && [ "$(id -u)" -eq 0 ]; then
		echo "would skip in CI as root (it must run there): $*" >&2
		return 1
	fi
	skip "$@"
}
