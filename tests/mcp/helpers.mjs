// Shared set-up for the MCP tests: a throwaway vault with secrets, a policy,
// and an SDK client connected to `secretctl mcp-server` over stdio.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync, readdirSync, readFileSync }
  from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const BIN = process.env.SECRETCTL_BIN ||
  path.resolve(import.meta.dirname, "../../build/secretctl");
export const PASSWORD = "mcp test password";

// Values chosen so every encoding is distinctive.
export const SECRETS = {
  "api/token": "tok_9f8e7d6c5b4a39281706",
  "db/prod": { password: "pg-S3cret/Pass+word=", host: "db.internal", user: "app" },
};

export function makeVault() {
  const dir = mkdtempSync(path.join(tmpdir(), "sc-mcp-"));
  const vault = path.join(dir, "vault");
  const env = { ...process.env, SECRETCTL_VAULT_DIR: vault, SECRETCTL_PASSWORD: PASSWORD };
  const sc = (args, input) =>
    execFileSync(BIN, args, { env, input: input ?? "", stdio: ["pipe", "pipe", "pipe"] });
  sc(["init", "--kdf-memory", "8192", "--kdf-time", "1"]);
  sc(["set", "api/token", "--tag", "ci"], SECRETS["api/token"]);
  const db = SECRETS["db/prod"];
  sc(["set", "db/prod", "--secret-field", "password", "--field", `host=${db.host}`,
    "--field", `user=${db.user}`, "--binding", "PGPASSWORD=password",
    "--binding", "PGHOST=host", "--tag", "db"], db.password);
  // Helper programs the policy allows: a printer of every encoding, a sleeper.
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  // the one directory a confined run may write (the policy says so)
  const w = path.join(dir, "w");
  mkdirSync(w);
  const script = (name, body) => {
    const p = path.join(bin, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  const tools = {
    leak: script("leak", `
v="$1"; eval "s=\\$$v"
printf 'raw:%s\\n' "$s"
printf '%s' "$s" | base64 -w0; echo
printf 'x%s' "$s" | base64 -w0; echo
printf 'xy%s' "$s" | base64 -w0; echo
printf 'user:%s' "$s" | base64 -w0; echo
printf '%s' "$s" | base64 -w0 | tr '+/' '-_' | tr -d '='; echo
printf '%s' "$s" | od -An -tx1 | tr -d ' \\n'; echo
printf '%s' "$s" | od -An -tx1 | tr -d ' \\n' | tr a-f A-F; echo
jq -rn --arg s "$s" '$s|@uri'
printf '{"v":"%s"}\\n' "$(printf '%s' "$s" | sed 's,/,\\\\/,g')"
printf '%s' "$s" | cut -c1-7 | tr -d '\\n'; sleep 0.05; printf '%s' "$s" | cut -c8-; echo
printf 'stderr:%s\\n' "$s" >&2
`),
    // holds a lock on "$1" while it runs (a pid would be the sandbox's own)
    sleeper: script("sleeper", `exec flock "$1" sh -c 'echo up > "$0.up"; sleep 30' "$1"`),
    slow: script("slow", `sleep 1; echo done`),
    // marks its start in directory $1, waits (bounded) for $1/release,
    // then prints how many runs had started
    gather: script("gather", `: > "$1/started.$$"
i=0; while [ ! -e "$1/release" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
ls "$1" | grep -c '^started'`),
    show: script("show", `echo "host=$PGHOST user=$PGUSER"`),
    // leaves a trace that it ran; prints the newest line of a file
    mark: script("mark", `touch "$1"`),
    markslow: script("markslow", `touch "$1"; sleep 1`),
    lastline: script("lastline", `tail -n 1 "$1"`),
  };
  writeFileSync(path.join(vault, "mcp-policy.yaml"), `version: 1
default_action: deny
allowed_commands:
  - ${tools.leak}
  - ${tools.sleeper}
  - ${tools.slow}
  - ${tools.gather}
  - ${tools.show}
  - ${tools.mark}
  - ${tools.markslow}
  - ${tools.lastline}
  - true
  - echo
denied_commands:
  - rm
confinement:
  write: [${w}]
`, { mode: 0o600 });
  return { dir, vault, env, sc, tools, w };
}

export async function connect(env, name = "sdk-test") {
  const transport = new StdioClientTransport({ command: BIN, args: ["mcp-server"], env,
    stderr: "pipe" });
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

// The processes now in process group pgid (zombies left out), from /proc.
export function groupMembers(pgid) {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(d)) continue;
    let stat;
    try { stat = readFileSync(`/proc/${d}/stat`, "utf8"); } catch { continue; }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (f[0] !== "Z" && Number(f[2]) === pgid) out.push(Number(d));
  }
  return out;
}

// Wait, up to ms (generous: the machine may be loaded), until cond() holds.
export async function waitFor(cond, ms, what) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// The sleeper's pid file: [its pid, its background child's pid].
export function readPids(file) {
  return readFileSync(file, "utf8").trim().split(" ").map(Number);
}

export function textOf(result) {
  return result.content.map((c) => c.text ?? "").join("\n");
}

// Is the lock on p held (by a sleeper that is still running)?
export function held(p) {
  return spawnSync("flock", ["-n", p, "true"]).status !== 0;
}
