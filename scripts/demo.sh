#!/bin/sh
# The main job on a throwaway vault: store secrets, list them, and let a
# command use one without the value ever showing in its output.
set -eu
bin=${1:-build/secretctl}
bin=$(readlink -f "$bin")
vault=$(mktemp -d)/vault
trap 'rm -rf "$(dirname "$vault")"' EXIT INT TERM
export SECRETCTL_VAULT_DIR="$vault"
pwfile=$(mktemp)
printf 'demo-password-%s\n' "$$" >"$pwfile"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "secretctl init"
"$bin" init --password-fd 3 3<"$pwfile"
say "printf 'sk-demo-1234567890abcdef' | secretctl set openai/api-key --tag ai"
printf 'sk-demo-1234567890abcdef' | "$bin" set openai/api-key --tag ai --password-fd 3 3<"$pwfile"
say "printf 'hunter2hunter2' | secretctl set db/prod --secret-field password --field host=db.internal --binding PGPASSWORD=password --binding PGHOST=host"
printf 'hunter2hunter2' | "$bin" set db/prod --secret-field password --field host=db.internal \
	--binding PGPASSWORD=password --binding PGHOST=host --password-fd 3 3<"$pwfile"
say "secretctl list"
"$bin" list --password-fd 3 3<"$pwfile"
say "secretctl list --json"
"$bin" list --json --password-fd 3 3<"$pwfile"
if "$bin" help run >/dev/null 2>&1; then
	say "secretctl run -k openai/api-key -- sh -c 'echo key is \$OPENAI_API_KEY; printf %s \$OPENAI_API_KEY | base64'"
	"$bin" run -k openai/api-key --password-fd 3 -- sh -c \
		'echo "key is $OPENAI_API_KEY"; printf %s "$OPENAI_API_KEY" | base64' 3<"$pwfile"
	say "secretctl run -k db/prod -- sh -c 'echo connecting to \$PGHOST with \$PGPASSWORD'"
	"$bin" run -k db/prod --password-fd 3 -- sh -c 'echo "connecting to $PGHOST with $PGPASSWORD"' 3<"$pwfile"
fi
# ---- the main job: an AI agent uses the secrets through MCP ----
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$here/tests/mcp/node_modules/@modelcontextprotocol/sdk" ] && command -v node >/dev/null; then
	# the agent's socket in a private runtime directory of its own
	XDG_RUNTIME_DIR=$(dirname "$vault")/run
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	export XDG_RUNTIME_DIR
	# a program the policy allows, outside anything the agent could write
	tool=$(dirname "$vault")/bin/call-api
	mkdir -p "$(dirname "$tool")"
	printf '#!/bin/sh\necho "calling the API with key $OPENAI_API_KEY"\n' >"$tool"
	chmod 755 "$tool"
	printf 'version: 1\ndefault_action: deny\nrules:\n  - command: %s\n    secrets: ["openai/*"]\n' \
		"$tool" >"$vault/mcp-policy.yaml"
	chmod 600 "$vault/mcp-policy.yaml"
	say "cat $vault/mcp-policy.yaml"
	cat "$vault/mcp-policy.yaml"
	say "secretctl unlock   (the agent holds the key; the MCP server needs no password)"
	"$bin" unlock --password-fd 3 3<"$pwfile"
	agent_pid=$("$bin" --json status | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	trap '"$bin" lock >/dev/null 2>&1; [ -z "$agent_pid" ] || kill "$agent_pid" 2>/dev/null; rm -rf "$(dirname "$vault")"' EXIT INT TERM
	say "an MCP client (the official SDK) drives 'secretctl mcp-server'"
	(cd "$here/tests/mcp" && node demo-client.mjs "$bin" "$tool")
	say "secretctl audit list   (what the agent did, with the client's name)"
	"$bin" audit list --password-fd 3 3<"$pwfile"
	say "secretctl lock"
	"$bin" lock
	kill "$agent_pid" 2>/dev/null || true
	agent_pid=
else
	echo "(the MCP part needs the SDK: make mcp-deps)"
fi

say "ls -l $vault; grep -c sk-demo $vault/* (no plaintext on disk)"
ls -l "$vault"
if grep -aq sk-demo "$vault"/*; then echo "PLAINTEXT FOUND ON DISK" >&2; exit 1; fi
echo "no plaintext found in the vault files"
rm -f "$pwfile"
