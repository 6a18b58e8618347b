// The MCP key tools with the official SDK client: key_list, key_encrypt,
// key_datakey (wrapped only) and key_sign for the keys the policy's keys:
// section names, in both unlock modes (the key in the server through
// SECRETCTL_PASSWORD, and through the unlock agent with no password in the
// server), and confirm: always through elicitation, accepted and declined.
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, verify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { BIN, PASSWORD, makeVault, connect, textOf } from "./helpers.mjs";

let v, rt, agentEnv;
const open = [];
afterEach(async () => {
  while (open.length > 0) await open.pop().close().catch(() => {});
});

const POLICY = `version: 1
default_action: deny
limits:
  ask_timeout: 5s
keys:
  - name: app-data
    operations: [encrypt, datakey]
    contexts:
      - {app: web}
  - name: ci-signer
    operations: [sign]
  - name: release-signer
    operations: [sign]
    confirm: always
  - name: named-but-missing
    operations: [encrypt]
  - name: cold-signer
    operations: [sign]
  - name: person-signer
    operations: [sign]
`;

const sc = (args, env = v.env, input = "") =>
  execFileSync(BIN, args, { env, input, stdio: ["pipe", "pipe", "pipe"] }).toString();
// the vault path, without any agent: what the key tools' results must agree with
const vaultSc = (args, input = "") =>
  sc(args, { ...v.env, SECRETCTL_NO_AGENT: "1" }, input);

before(() => {
  v = makeVault();
  writeFileSync(path.join(v.vault, "mcp-policy.yaml"), POLICY, { mode: 0o600 });
  vaultSc(["key", "create", "app-data", "--type", "aes256-gcm"]);
  vaultSc(["key", "create", "not-in-policy", "--type", "aes256-gcm"]);
  vaultSc(["key", "create", "ci-signer", "--type", "ed25519"]);
  vaultSc(["key", "create", "release-signer", "--type", "ecdsa-p256"]);
  // a custody key under a passphrase (fd 0): neither the server nor the
  // agent ever holds it
  vaultSc(["key", "create", "cold-signer", "--type", "ed25519", "--passphrase-fd", "0",
    "--kdf-memory", "8M", "--kdf-time", "1"], "cold passphrase 99\n");
  // a key made to ask a person for each signature (key create --confirm)
  vaultSc(["key", "create", "person-signer", "--type", "ed25519", "--confirm"]);
  rt = mkdtempSync("/tmp/sc-mcpkeys-");
  agentEnv = { ...v.env, XDG_RUNTIME_DIR: rt };
  delete agentEnv.SECRETCTL_PASSWORD;
  delete agentEnv.SECRETCTL_NO_AGENT;
});

after(() => {
  try { execFileSync(BIN, ["lock"], { env: agentEnv, stdio: "ignore" }); } catch { /* gone */ }
  rmSync(rt, { recursive: true, force: true });
});

function unlockAgent() {
  execFileSync(BIN, ["unlock", "--password-fd", "0"], { env: agentEnv, input: `${PASSWORD}\n`,
    stdio: ["pipe", "pipe", "pipe"] });
}

// A client that declares elicitation; answer(req) plays the user.
async function asking(env, answer) {
  const transport = new StdioClientTransport({ command: BIN, args: ["mcp-server"], env,
    stderr: "pipe" });
  const client = new Client({ name: "keys-test", version: "1.0.0" },
    { capabilities: { elicitation: {} } });
  const asked = [];
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    return answer(req);
  });
  await client.connect(transport);
  open.push(client);
  return { client, asked };
}

async function plain(env, name = "keys-test") {
  const { client } = await connect(env, name);
  open.push(client);
  return client;
}

const call = (client, name, args) => client.callTool({ name, arguments: args });

// the bytes the vault path decrypts a ciphertext text to
function decryptHere(text, ctx = ["app=web"]) {
  const args = ["key", "decrypt", "--in", "-"];
  for (const c of ctx) args.push("--context", c);
  return execFileSync(BIN, args, { env: { ...v.env, SECRETCTL_NO_AGENT: "1" },
    input: `${text}\n`, stdio: ["pipe", "pipe", "pipe"] });
}

function pem(name) {
  return createPublicKey(vaultSc(["key", "pubkey", name, "--format", "pem"]));
}

function auditOps() {
  return JSON.parse(vaultSc(["audit", "export"])).map((e) => `${e.op}:${e.source}:${e.result}`);
}

for (const mode of ["server key", "agent"]) {
  const envOf = () => (mode === "agent" ? agentEnv : v.env);

  test(`${mode}: key_list shows the policy's keys, nothing else, no material`, async () => {
    if (mode === "agent") unlockAgent();
    const client = await plain(envOf());
    const r = await call(client, "key_list", {});
    assert.equal(r.isError, false, textOf(r));
    const keys = r.structuredContent.keys;
    assert.deepEqual(keys.map((k) => k.name),
      ["app-data", "ci-signer", "release-signer", "named-but-missing", "cold-signer",
        "person-signer"]);
    const app = keys[0];
    assert.deepEqual(app.operations, ["encrypt", "datakey"]);
    assert.equal(app.type, "aes256-gcm");
    assert.equal(app.version, 1);
    assert.equal(keys[2].confirm, true);
    assert.equal(keys[3].available, false);
    assert.ok(!JSON.stringify(r).includes("not-in-policy"));
  });

  test(`${mode}: key_encrypt gives a ciphertext the vault path decrypts`, async () => {
    const client = await plain(envOf());
    const r = await call(client, "key_encrypt",
      { key: "app-data", plaintext: "hello from mcp", context: ["app=web"] });
    assert.equal(r.isError, false, textOf(r));
    assert.match(r.structuredContent.ciphertext, /^sc:v1:app-data:1:/);
    assert.equal(decryptHere(r.structuredContent.ciphertext).toString(), "hello from mcp");
    const b = await call(client, "key_encrypt",
      { key: "app-data", plaintext_base64: Buffer.from([0, 1, 2, 255]).toString("base64"),
        context: ["app=web"] });
    assert.equal(b.isError, false, textOf(b));
    assert.deepEqual(decryptHere(b.structuredContent.ciphertext), Buffer.from([0, 1, 2, 255]));
    // the entry names the tool, written by whoever held the key
    const ops = auditOps();
    assert.ok(ops.includes("key_encrypt:mcp:ok"), ops.join(" "));
  });

  test(`${mode}: key_datakey returns only the wrapped key, which unwraps here`, async () => {
    const client = await plain(envOf());
    const r = await call(client, "key_datakey", { key: "app-data", context: ["app=web"] });
    assert.equal(r.isError, false, textOf(r));
    assert.deepEqual(Object.keys(r.structuredContent).sort(), ["key", "version", "wrapped"]);
    const dek = decryptHere(r.structuredContent.wrapped);
    assert.equal(dek.length, 32);
    // the plaintext data key appears nowhere in what the client got
    const wire = JSON.stringify(r);
    for (const form of [dek.toString("base64"), dek.toString("hex"),
      dek.toString("base64url")])
      assert.ok(!wire.includes(form), `the plaintext DEK leaked: ${wire}`);
  });

  test(`${mode}: the policy refuses an unlisted key, an operation, a context`, async () => {
    const client = await plain(envOf());
    const cases = [
      ["key_encrypt", { key: "not-in-policy", plaintext: "x" }, /names no key 'not-in-policy'/],
      ["key_encrypt", { key: "app-data", plaintext: "x", context: ["app=db"] },
        /encryption context/],
      ["key_encrypt", { key: "app-data", plaintext: "x" }, /encryption context/],
      ["key_sign", { key: "app-data", message: "x" }, /does not allow this operation/],
      ["key_datakey", { key: "ci-signer" }, /does not allow this operation/],
    ];
    for (const [tool, args, want] of cases) {
      const r = await call(client, tool, args);
      assert.equal(r.isError, true, `${tool} ${JSON.stringify(args)}: ${textOf(r)}`);
      assert.match(textOf(r), want);
    }
  });

  test(`${mode}: key_sign without confirm signs; node's crypto verifies`, async () => {
    const client = await plain(envOf());
    const r = await call(client, "key_sign", { key: "ci-signer", message: "release 1.2.3" });
    assert.equal(r.isError, false, textOf(r));
    const sig = Buffer.from(r.structuredContent.signature_base64, "base64");
    assert.ok(verify(null, Buffer.from("release 1.2.3"), pem("ci-signer"), sig));
    assert.ok(!verify(null, Buffer.from("release 1.2.4"), pem("ci-signer"), sig));
  });

  test(`${mode}: a key under a passphrase signs nothing through MCP`, async () => {
    const client = await plain(envOf());
    const r = await call(client, "key_sign", { key: "cold-signer", message: "drain it" });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /passphrase/);
    assert.equal(r.structuredContent?.signature_base64, undefined);
    assert.ok(!JSON.stringify(r).includes("cold passphrase"));
  });

  test(`${mode}: a key made with --confirm signs nothing unasked`, async () => {
    const client = await plain(envOf());
    const r = await call(client, "key_sign", { key: "person-signer", message: "move funds" });
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /confirm/);
    assert.equal(r.structuredContent?.signature_base64, undefined);
  });

  test(`${mode}: confirm: always asks with key, client and digest; accepted signs`,
    async () => {
      const { client, asked } = await asking(envOf(),
        () => ({ action: "accept", content: { decision: "sign" } }));
      const msg = "deploy to production";
      const r = await call(client, "key_sign", { key: "release-signer", message: msg });
      assert.equal(r.isError, false, textOf(r));
      assert.equal(asked.length, 1);
      const q = asked[0].message;
      assert.match(q, /release-signer/);
      assert.match(q, /keys-test/);
      assert.ok(q.includes(createHash("sha256").update(msg).digest("hex")), q);
      const sig = Buffer.from(r.structuredContent.signature_base64, "base64");
      assert.ok(verify("sha256", Buffer.from(msg), pem("release-signer"), sig));
    });

  test(`${mode}: confirm: always declined, or a client that cannot ask: nothing signed`,
    async () => {
      const before = auditOps().filter((o) => o.startsWith("key_sign:") && o.endsWith(":ok"))
        .length;
      const { client, asked } = await asking(envOf(), () => ({ action: "decline" }));
      const r = await call(client, "key_sign", { key: "release-signer", message: "m" });
      assert.equal(r.isError, true);
      assert.match(textOf(r), /refused/);
      assert.equal(asked.length, 1);
      assert.ok(!("structuredContent" in r) || !r.structuredContent?.signature_base64);
      // an accept with the wrong answer is no approval either
      const { client: c2 } = await asking(envOf(),
        () => ({ action: "accept", content: { decision: "deny" } }));
      const r2 = await call(c2, "key_sign", { key: "release-signer", message: "m" });
      assert.equal(r2.isError, true);
      // a client without elicitation
      const c3 = await plain(envOf());
      const r3 = await call(c3, "key_sign", { key: "release-signer", message: "m" });
      assert.equal(r3.isError, true);
      assert.match(textOf(r3), /cannot ask/);
      const afterOk = auditOps().filter((o) => o.startsWith("key_sign:") && o.endsWith(":ok"))
        .length;
      assert.equal(afterOk, before);
      if (mode === "agent")
        execFileSync(BIN, ["lock"], { env: agentEnv, stdio: "ignore" });
    });
}

test("through the agent the server holds no key: a locked agent means no key tool works",
  async () => {
    try { execFileSync(BIN, ["lock"], { env: agentEnv, stdio: "ignore" }); } catch { /* gone */ }
    const client = await plain(agentEnv);
    const r = await call(client, "key_encrypt",
      { key: "app-data", plaintext: "x", context: ["app=web"] });
    assert.equal(r.isError, true);
    assert.ok(!JSON.stringify(r).includes("sc:v1:"));
  });
