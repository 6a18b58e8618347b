// The official SDK client through the unlock agent: `secretctl unlock` on a
// throwaway vault, then `secretctl mcp-server` with no password anywhere in
// its environment, driven by the SDK client; every answer comes from the
// agent (without it the server would say the vault is locked).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { makeVault, connect, textOf, SECRETS, BIN, PASSWORD } from "./helpers.mjs";

let v, env, rt, client;
const secretStrings = [SECRETS["api/token"], SECRETS["db/prod"].password, PASSWORD];

function assertNoSecret(result) {
  const wire = JSON.stringify(result);
  for (const s of secretStrings) assert.ok(!wire.includes(s), `secret leaked: ${wire}`);
}

before(async () => {
  v = makeVault();
  // a short runtime directory of its own (socket paths are limited to 108 bytes)
  rt = mkdtempSync("/tmp/sc-mcpagent-");
  env = { ...v.env, XDG_RUNTIME_DIR: rt };
  delete env.SECRETCTL_PASSWORD;
  delete env.SECRETCTL_NO_AGENT;
  execFileSync(BIN, ["unlock", "--password-fd", "0"], { env, input: `${PASSWORD}\n`,
    stdio: ["pipe", "pipe", "pipe"] });
  ({ client } = await connect(env, "sdk-through-agent"));
});

after(async () => {
  await client?.close();
  try { execFileSync(BIN, ["lock"], { env, stdio: "ignore" }); } catch { /* already locked */ }
  rmSync(rt, { recursive: true, force: true });
});

test("through the agent: the server holds no password, and lists the vault", async () => {
  const status = JSON.parse(execFileSync(BIN, ["status", "--json"], { env }).toString());
  assert.equal(status.unlocked, true);
  // the server the SDK started: a child of this process named secretctl
  const pid = Number(execFileSync("pgrep", ["-n", "-P", String(process.pid), "-f",
    "mcp-server"]).toString());
  const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
  assert.ok(environ.length > 0);
  assert.ok(!environ.includes("SECRETCTL_PASSWORD"), "the server has a password");
  assert.ok(!environ.includes(PASSWORD));
  const r = await client.callTool({ name: "secret_list", arguments: {} });
  assert.equal(r.isError, false, textOf(r));
  assert.deepEqual(r.structuredContent.secrets.map((s) => s.key), ["api/token", "db/prod"]);
  assertNoSecret(r);
});

test("through the agent: a run gets the value, and its output is redacted", async () => {
  const r = await client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: v.tools.leak, args: ["API_TOKEN"] } });
  assert.equal(r.isError, false, textOf(r));
  assert.match(r.structuredContent.stdout, /^raw:\[REDACTED:API_TOKEN\]$/m);
  assert.match(r.structuredContent.stderr, /^stderr:\[REDACTED:API_TOKEN\]$/m);
  assertNoSecret(r);
  const b = await client.callTool({ name: "secret_run_with_bindings",
    arguments: { key: "db/prod", command: v.tools.show } });
  assert.equal(b.isError, false, textOf(b));
  assert.equal(b.structuredContent.stdout, "host=db.internal user=\n");
});

test("through the agent: policy denials and metadata tools", async () => {
  const d = await client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: "env" } });
  assert.equal(d.isError, true);
  assert.match(textOf(d), /denied by policy/);
  const e = await client.callTool({ name: "secret_exists", arguments: { key: "db/prod" } });
  assert.equal(e.isError, false, textOf(e));
  const f = await client.callTool({ name: "secret_list_fields", arguments: { key: "db/prod" } });
  assert.equal(f.isError, false, textOf(f));
  assertNoSecret(d);
  assertNoSecret(f);
});

test("through the agent: the agent wrote the MCP entries to the audit log", async () => {
  const out = execFileSync(BIN, ["audit", "list", "--json"],
    { env: { ...env, SECRETCTL_PASSWORD: PASSWORD } }).toString();
  const ops = JSON.parse(out).filter((e) => e.source === "mcp").map((e) => `${e.op}:${e.result}`);
  for (const want of ["secret_list:ok", "secret_run:ok", "secret_run:denied"])
    assert.ok(ops.includes(want), `no ${want} in ${ops.join(",")}`);
});

test("after lock the same server says the vault is locked", async () => {
  execFileSync(BIN, ["lock"], { env });
  const r = await client.callTool({ name: "secret_list", arguments: {} });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /locked/);
});
