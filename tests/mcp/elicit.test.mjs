// Policy `ask`: the server asks the user through the MCP client
// (elicitation/create) before a run no rule allows, with the official SDK
// client's elicitation handler answering as the user would.
import { test, before, afterEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, existsSync, statSync, realpathSync, mkdtempSync, rmSync }
  from "node:fs";
import { spawnSync, execFileSync } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { BIN, PASSWORD, makeVault, connect, textOf, SECRETS } from "./helpers.mjs";

let v, policyPath, basePolicy;
// echo as the server finds it: through its PATH, the real path
const ECHO = realpathSync((process.env.PATH || "/usr/bin:/bin").split(":").filter(Boolean)
  .map((d) => path.join(d, "echo")).find((p) => existsSync(p)));

before(() => {
  v = makeVault();
  policyPath = path.join(v.vault, "mcp-policy.yaml");
  basePolicy = `version: 1
# the user's own note, which must survive an "always"
default_action: ask
allowed_commands:
  - true
denied_commands:
  - rm
limits:
  ask_timeout: 2s
confinement:
  write: [${v.w}]
`;
});

// every client a test opened is closed after it, failed or not (an open
// server would keep the test process alive)
const open = [];
afterEach(async () => {
  while (open.length > 0) await open.pop().close().catch(() => {});
});

function resetPolicy(text = basePolicy) {
  writeFileSync(policyPath, text, { mode: 0o600 });
}

// A client that declares elicitation; answer(req, extra) plays the user.
async function asking(answer, mutate, env = v.env) {
  const transport = new StdioClientTransport({ command: BIN, args: ["mcp-server"], env,
    stderr: "pipe" });
  const client = new Client({ name: "elicit-test", version: "1.0.0" },
    { capabilities: { elicitation: {} } });
  const asked = [];
  client.setRequestHandler(ElicitRequestSchema, async (req, extra) => {
    asked.push(req.params);
    return answer(req, extra);
  });
  await client.connect(transport);
  open.push(client);
  if (mutate) {
    // rewrite what the client sends back, below the SDK's own checks
    const send = transport.send.bind(transport);
    transport.send = (msg, opts) => send(msg.result && msg.id !== undefined ? mutate(msg) : msg,
      opts);
  }
  return { client, asked };
}

const run = (client, args, keys = ["api/token"], command = "echo") =>
  client.callTool({ name: "secret_run", arguments: { keys, command, args } });

function assertNoSecret(x) {
  const wire = JSON.stringify(x);
  for (const s of [SECRETS["api/token"], SECRETS["db/prod"].password])
    assert.ok(!wire.includes(s), `secret leaked: ${wire}`);
}

test("once: the user sees program, argv and secrets; it runs; the next call asks again",
  async () => {
    resetPolicy();
    const { client, asked } = await asking(() =>
      ({ action: "accept", content: { decision: "once" } }));
    const r = await run(client, ["hello", "a b"], ["api/token", "db/prod"]);
    assert.equal(r.isError, false, textOf(r));
    assert.equal(r.structuredContent.stdout, "hello a b\n");
    assert.equal(asked.length, 1);
    const q = asked[0];
    assert.ok(q.message.includes(`program: ${JSON.stringify(ECHO)}`), q.message);
    assert.ok(q.message.includes('argv: ["echo","hello","a b"]'), q.message);
    assert.ok(q.message.includes('secrets: ["api/token","db/prod"]'), q.message);
    assert.ok(q.message.includes("default_action: ask"), q.message);
    assert.deepEqual(q.requestedSchema.properties.decision.enum, ["once", "always", "deny"]);
    assert.deepEqual(q.requestedSchema.required, ["decision"]);
    assertNoSecret(q);
    assertNoSecret(r);
    const again = await run(client, ["hello", "a b"], ["api/token", "db/prod"]);
    assert.equal(again.isError, false);
    assert.equal(asked.length, 2, "once must not be remembered");
    assert.equal(readFileSync(policyPath, "utf8"), basePolicy, "once writes nothing");
    // what the policy allows is not asked about
    const t = await run(client, [], ["api/token"], "true");
    assert.equal(t.isError, false);
    assert.equal(asked.length, 2);
    await client.close();
  });

test("always: an exact rule is written, the file keeps its content, and is not asked again",
  async () => {
    resetPolicy();
    const { client, asked } = await asking(() =>
      ({ action: "accept", content: { decision: "always" } }));
    const r = await run(client, ["pinned", "it's *"]);
    assert.equal(r.isError, false, textOf(r));
    assert.equal(r.structuredContent.stdout, "pinned it's *\n");
    assert.equal(r.structuredContent.warnings, undefined);
    assert.equal(asked.length, 1);
    const now = readFileSync(policyPath, "utf8");
    assert.ok(now.startsWith(basePolicy), `old content changed:\n${now}`);
    assert.match(now.slice(basePolicy.length),
      new RegExp(`^rules:\\n  - \\{command: ${JSON.stringify(ECHO).replace(/[/]/g, "\\/")}, `
        + `args: \\[.*\\], secrets: \\["api/token"\\]\\}  # approved by the user`));
    assert.equal(statSync(policyPath).mode & 0o777, 0o600);
    // the file still parses, and holds its old rules
    const chk = spawnSync(BIN, ["mcp", "policy", "check", policyPath], { env: v.env });
    assert.equal(chk.status, 0, chk.stderr.toString());
    const t = await run(client, [], ["api/token"], "true");
    assert.equal(t.isError, false, "allowed_commands still holds");
    const rm = await run(client, ["-f", path.join(v.w, "x")], ["api/token"], "rm");
    assert.equal(rm.isError, true, "denied_commands still holds");
    assert.match(textOf(rm), /denied_commands/);
    assert.equal(asked.length, 1, "a denied command is never asked about");
    // the same run again: allowed by the rule, no question
    const again = await run(client, ["pinned", "it's *"]);
    assert.equal(again.isError, false);
    assert.equal(asked.length, 1, "always must not ask again");
    // a new server reads the same rule
    await client.close();
    const second = await asking(() => ({ action: "decline" }));
    const third = await run(second.client, ["pinned", "it's *"]);
    assert.equal(third.isError, false);
    assert.equal(second.asked.length, 0);
    // exact: one argument changed, or another secret, is asked about again
    const changed = await run(second.client, ["pinned", "it's x"]);
    assert.equal(changed.isError, true);
    const other = await run(second.client, ["pinned", "it's *"], ["db/prod"]);
    assert.equal(other.isError, true);
    assert.equal(second.asked.length, 2);
    await second.client.close();
  });

// Each refusal: denied with its reason, and the program did not run.
async function refused(answer, want, mutate, check) {
  resetPolicy();
  const { client, asked } = await asking(answer, mutate);
  const mark = path.join(v.w, `mark-${Date.now()}-${Math.random()}`);
  const r = await run(client, [mark], ["api/token"], v.tools.mark);
  assert.equal(r.isError, true, textOf(r));
  assert.match(textOf(r), want);
  assert.equal(asked.length, 1);
  assert.ok(!existsSync(mark), "the command ran although it was refused");
  assert.equal(readFileSync(policyPath, "utf8"), basePolicy);
  await client.ping(); // the session goes on
  if (check) await check();
  await client.close();
}

test("deny: refused, nothing runs", async () => {
  await refused(() => ({ action: "accept", content: { decision: "deny" } }),
    /denied: the user denied the run/);
});

test("decline and cancel: refused, nothing runs", async () => {
  await refused(() => ({ action: "decline" }), /the user declined the run/);
  await refused(() => ({ action: "cancel" }), /dismissed the approval request/);
});

test("a client without the elicitation capability: denied, and told why", async () => {
  resetPolicy();
  const { client } = await connect(v.env);
  open.push(client);
  const mark = path.join(v.w, "mark-nocap");
  const r = await run(client, [mark], ["api/token"], v.tools.mark);
  assert.equal(r.isError, true);
  assert.match(textOf(r), /did not declare the elicitation capability/);
  assert.match(textOf(r), /needs the user's approval/);
  assert.ok(!existsSync(mark));
  await client.close();
});

test("a malformed answer is denied", async () => {
  const bad = /answer to the approval request was malformed/;
  // not one of the choices
  await refused(() => ({ action: "accept", content: { decision: "sure" } }), bad);
  // more than was asked for
  await refused(() => ({ action: "accept", content: { decision: "once", also: "always" } }),
    bad);
  // the wrong type
  await refused(() => ({ action: "accept", content: { decision: ["once"] } }), bad);
  // accept without content
  await refused(() => ({ action: "accept" }), bad);
  // below the SDK's checks: an unknown action, a result that is not an
  // object, an unknown key, content on a decline
  await refused(() => ({ action: "accept", content: { decision: "once" } }), bad,
    (m) => ({ ...m, result: { action: "yes", content: { decision: "once" } } }));
  await refused(() => ({ action: "accept", content: { decision: "once" } }), bad,
    (m) => ({ ...m, result: "once" }));
  await refused(() => ({ action: "accept", content: { decision: "once" } }), bad,
    (m) => ({ ...m, result: { ...m.result, approved: true } }));
  await refused(() => ({ action: "decline" }), bad,
    (m) => ({ ...m, result: { action: "decline", content: { decision: "once" } } }));
  // a key the JSON-RPC response does not have, and error beside result
  await refused(() => ({ action: "accept", content: { decision: "once" } }), bad,
    (m) => ({ ...m, approved: true }));
  await refused(() => ({ action: "accept", content: { decision: "once" } }), bad,
    (m) => ({ ...m, error: { code: 1, message: "x" } }));
  // an answer for another id waits in vain, and so is denied at the bound
  await refused(() => ({ action: "accept", content: { decision: "once" } }),
    /did not answer the approval request in time/, (m) => ({ ...m, id: m.id + 1000 }));
  // a JSON-RPC error
  await refused(() => { throw new Error("no UI"); }, /answered the approval request with an error/);
});

test("no answer: denied after limits.ask_timeout, and the client is told to stop", async () => {
  let signal;
  const t0 = Date.now();
  await refused((req, extra) => {
    signal = extra.signal;
    return new Promise(() => {});
  }, /did not answer the approval request in time/, undefined, async () => {
    const took = Date.now() - t0;
    assert.ok(took >= 1900 && took < 15000, `took ${took} ms for a 2s bound`);
    for (let i = 0; i < 100 && !signal.aborted; i++) await sleep(20);
    assert.ok(signal.aborted, "the server did not cancel its request");
  });
});

test("a tools/call cancelled while the user is asked: the question is withdrawn, nothing runs",
  async () => {
    resetPolicy(basePolicy.replace("ask_timeout: 2s", "ask_timeout: 60s"));
    let signal;
    const { client, asked } = await asking((req, extra) => {
      signal = extra.signal;
      return new Promise(() => {});
    });
    const mark = path.join(v.w, "mark-cancelled");
    const ac = new AbortController();
    const call = client.callTool({ name: "secret_run",
      arguments: { keys: ["api/token"], command: v.tools.mark, args: [mark] } },
    undefined, { signal: ac.signal });
    for (let i = 0; i < 250 && asked.length === 0; i++) await sleep(20);
    assert.equal(asked.length, 1);
    ac.abort();
    await assert.rejects(call);
    for (let i = 0; i < 250 && !signal.aborted; i++) await sleep(20);
    assert.ok(signal.aborted, "the server did not withdraw its question");
    assert.ok(!existsSync(mark));
    // the session goes on, and the slot the question held is free again
    const t = await run(client, [], ["api/token"], "true");
    assert.equal(t.isError, false, textOf(t));
    assert.ok(!existsSync(mark));
  });

test("through the unlock agent: a run to ask about is denied, saying so; nobody is asked",
  async () => {
    // not yet supported there (docs/POLICY.md): it must fail closed
    const v2 = makeVault();
    writeFileSync(path.join(v2.vault, "mcp-policy.yaml"), basePolicy, { mode: 0o600 });
    const rt = mkdtempSync("/tmp/sc-elicit-");
    const env = { ...v2.env, XDG_RUNTIME_DIR: rt };
    delete env.SECRETCTL_PASSWORD;
    delete env.SECRETCTL_NO_AGENT;
    execFileSync(BIN, ["unlock", "--password-fd", "0"], { env, input: `${PASSWORD}\n`,
      stdio: ["pipe", "pipe", "pipe"] });
    try {
      const { client, asked } = await asking(() =>
        ({ action: "accept", content: { decision: "once" } }), undefined, env);
      const mark = path.join(v2.w, "mark-agent");
      const r = await run(client, [mark], ["api/token"], v2.tools.mark);
      assert.equal(r.isError, true, textOf(r));
      assert.match(textOf(r), /needs the user's approval/);
      assert.equal(asked.length, 0);
      assert.ok(!existsSync(mark));
      const t = await run(client, [], ["api/token"], "true");
      assert.equal(t.isError, false, textOf(t));
    } finally {
      try { execFileSync(BIN, ["lock"], { env, stdio: "ignore" }); } catch { /* locked */ }
      rmSync(rt, { recursive: true, force: true });
    }
  });
