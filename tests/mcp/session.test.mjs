// Session-level behaviour: cancellation, concurrency, a locked vault.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { makeVault, connect, textOf, held } from "./helpers.mjs";

test("notifications/cancelled stops a running command and its group", async () => {
  const v = makeVault();
  const { client } = await connect(v.env);
  const lock = path.join(v.w, "cancel.lock");
  const ac = new AbortController();
  const call = client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: v.tools.sleeper, args: [lock] } },
    undefined, { signal: ac.signal });
  for (let i = 0; i < 250 && !existsSync(`${lock}.up`); i++) await sleep(20);
  assert.ok(held(lock), "the command is running");
  ac.abort();
  await assert.rejects(call);
  let gone = false;
  for (let i = 0; i < 150 && !gone; i++) {
    if (held(lock)) await sleep(20); else gone = true;
  }
  assert.ok(gone, "cancelled command still running");
  await client.ping(); // and the server still answers
  await client.close();
});

test("concurrent runs overlap, and the limit is enforced", async () => {
  const v = makeVault();
  const { client } = await connect(v.env);
  const t0 = Date.now();
  const calls = [1, 2, 3, 4].map(() => client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: v.tools.slow } }));
  await sleep(200);
  const fifth = await client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: "true" } });
  assert.equal(fifth.isError, true);
  assert.match(textOf(fifth), /already running/);
  const lst = await client.callTool({ name: "secret_list", arguments: {} }); // still served
  assert.equal(lst.isError, false);
  const results = await Promise.all(calls);
  for (const r of results) assert.equal(r.structuredContent.stdout, "done\n");
  assert.ok(Date.now() - t0 < 3500, `4 one-second runs took ${Date.now() - t0} ms`);
  await client.close();
});

test("no password anywhere: the server starts and tools say the vault is locked", async () => {
  const v = makeVault();
  const env = { ...v.env };
  delete env.SECRETCTL_PASSWORD;
  const { client } = await connect(env);
  const r = await client.callTool({ name: "secret_list", arguments: {} });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /locked/);
  await client.close();
});

test("an invalid policy disables runs with a message; metadata still works", async () => {
  const v = makeVault();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(path.join(v.vault, "mcp-policy.yaml"), "version: 1\nallowed_comands: [echo]\n",
    { mode: 0o600 });
  const { client } = await connect(v.env);
  const r = await client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: "echo", args: ["x"] } });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /policy/);
  assert.match(textOf(r), /line 2/);
  const l = await client.callTool({ name: "secret_list", arguments: {} });
  assert.equal(l.isError, false);
  await client.close();
});

test("without a policy file every run is denied", async () => {
  const v = makeVault();
  const { unlinkSync } = await import("node:fs");
  unlinkSync(path.join(v.vault, "mcp-policy.yaml"));
  const { client } = await connect(v.env);
  const r = await client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: "echo", args: ["x"] } });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /policy/);
  await client.close();
});
