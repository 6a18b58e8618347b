// Every MCP tool and its error paths, through the official SDK client.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, symlinkSync, existsSync, chmodSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { makeVault, connect, textOf, SECRETS, held } from "./helpers.mjs";

let v, client, transport;
const allSecretStrings = [SECRETS["api/token"], SECRETS["db/prod"].password];

function assertNoSecret(result) {
  const wire = JSON.stringify(result);
  for (const s of allSecretStrings) assert.ok(!wire.includes(s), `secret leaked: ${wire}`);
}

before(async () => {
  v = makeVault();
  ({ client, transport } = await connect(v.env));
});
after(async () => { await client.close(); });

test("tools/list: eleven tools with schemas and annotations", async () => {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ["key_datakey", "key_encrypt", "key_list",
    "key_sign", "secret_exists", "secret_get_field", "secret_get_masked", "secret_list",
    "secret_list_fields", "secret_run", "secret_run_with_bindings"]);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, "object");
    assert.equal(t.outputSchema.type, "object");
    assert.equal(typeof t.annotations.readOnlyHint, "boolean");
    assert.equal(typeof t.annotations.openWorldHint, "boolean");
    assert.ok(t.title && t.description.length > 40);
  }
});

test("secret_list: names and metadata, never values", async () => {
  const r = await client.callTool({ name: "secret_list", arguments: {} });
  assert.equal(r.isError, false);
  assert.deepEqual(r.structuredContent.secrets.map((s) => s.key), ["api/token", "db/prod"]);
  assert.deepEqual(JSON.parse(textOf(r)), r.structuredContent);
  const db = r.structuredContent.secrets[1];
  assert.deepEqual(db.tags, ["db"]);
  assert.equal(db.field_count, 3);
  assert.equal(db.has_notes, false);
  assertNoSecret(r);
  const tagged = await client.callTool({ name: "secret_list", arguments: { tag: "ci" } });
  assert.deepEqual(tagged.structuredContent.secrets.map((s) => s.key), ["api/token"]);
  const exp = await client.callTool({ name: "secret_list", arguments: { expiring_within: "7d" } });
  assert.deepEqual(exp.structuredContent.secrets, []);
  const bad = await client.callTool({ name: "secret_list", arguments: { expiring_within: "soon" } });
  assert.equal(bad.isError, true);
});

test("secret_exists: true with metadata, false without", async () => {
  const yes = await client.callTool({ name: "secret_exists", arguments: { key: "db/prod" } });
  assert.equal(yes.structuredContent.exists, true);
  assert.equal(yes.structuredContent.key, "db/prod");
  const no = await client.callTool({ name: "secret_exists", arguments: { key: "nope/x" } });
  assert.equal(no.isError, false);
  assert.equal(no.structuredContent.exists, false);
  const bad = await client.callTool({ name: "secret_exists", arguments: { key: "../etc" } });
  assert.equal(bad.isError, true);
  assertNoSecret(yes);
});

test("secret_get_masked: fixed-width mask, public fields in clear", async () => {
  const a = await client.callTool({ name: "secret_get_masked", arguments: { key: "api/token" } });
  const b = await client.callTool({ name: "secret_get_masked", arguments: { key: "db/prod" } });
  assert.equal(a.structuredContent.masked_value, b.structuredContent.masked_value,
    "the mask must not depend on the value's length");
  const host = b.structuredContent.fields.find((f) => f.name === "host");
  assert.equal(host.value, "db.internal");
  const pw = b.structuredContent.fields.find((f) => f.name === "password");
  assert.equal(pw.sensitive, true);
  assert.equal(pw.value, a.structuredContent.masked_value);
  assertNoSecret(a); assertNoSecret(b);
});

test("secret_list_fields and secret_get_field", async () => {
  const f = await client.callTool({ name: "secret_list_fields", arguments: { key: "db/prod" } });
  assert.deepEqual(f.structuredContent.fields.map((x) => [x.name, x.sensitive]),
    [["password", true], ["host", false], ["user", false]]);
  assert.deepEqual(f.structuredContent.bindings, { PGPASSWORD: "password", PGHOST: "host" });
  const host = await client.callTool({ name: "secret_get_field",
    arguments: { key: "db/prod", field: "host" } });
  assert.equal(host.structuredContent.value, "db.internal");
  const pw = await client.callTool({ name: "secret_get_field",
    arguments: { key: "db/prod", field: "password" } });
  assert.equal(pw.isError, true);
  assert.match(textOf(pw), /sensitive/);
  assertNoSecret(pw);
  const missing = await client.callTool({ name: "secret_get_field",
    arguments: { key: "db/prod", field: "port" } });
  assert.equal(missing.isError, true);
});

test("unknown keys and bad arguments are tool errors that say what to do", async () => {
  const r = await client.callTool({ name: "secret_list_fields", arguments: { key: "no/such" } });
  assert.equal(r.isError, true);
  assert.match(textOf(r), /secret_list/);
  const extra = await client.callTool({ name: "secret_exists", arguments: { key: "a", evil: 1 } });
  assert.equal(extra.isError, true);
  const wrongType = await client.callTool({ name: "secret_run",
    arguments: { keys: "api/token", command: "true" } });
  assert.equal(wrongType.isError, true);
});

test("secret_run: allowed command, exit code and duration", async () => {
  const r = await client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: "echo", args: ["hello", "world"] } });
  assert.equal(r.isError, false, textOf(r));
  assert.equal(r.structuredContent.exit_code, 0);
  assert.equal(r.structuredContent.stdout, "hello world\n");
  assert.equal(r.structuredContent.timed_out, false);
  assert.equal(typeof r.structuredContent.duration_ms, "number");
});

test("secret_run: a secret printed in every encoding never comes back", async () => {
  for (const [key, v_] of [["api/token", "API_TOKEN"], ["db/prod", "PGPASSWORD"]]) {
    const r = await client.callTool({ name: "secret_run",
      arguments: { keys: [key], command: v.tools.leak, args: [v_] } });
    assert.equal(r.isError, false, textOf(r));
    assertNoSecret(r);
    const out = r.structuredContent.stdout;
    assert.match(out, new RegExp(`raw:\\[REDACTED:${v_}\\]`));
    // eleven encodings on stdout, every one redacted
    assert.equal((out.match(/\[REDACTED:/g) || []).length >= 11, true, out);
    assert.match(r.structuredContent.stderr, /stderr:\[REDACTED:/);
  }
});

test("secret_run_with_bindings injects the bindings", async () => {
  const r = await client.callTool({ name: "secret_run_with_bindings",
    arguments: { key: "db/prod", command: v.tools.show } });
  assert.equal(r.isError, false, textOf(r));
  assert.equal(r.structuredContent.stdout, "host=db.internal user=\n");
  const none = await client.callTool({ name: "secret_run_with_bindings",
    arguments: { key: "api/token", command: "true" } });
  assert.equal(none.isError, true);
  assert.match(textOf(none), /no bindings/);
});

test("denied commands: policy, built-ins, symlinks and relative paths", async () => {
  const deny = async (command, args = []) => {
    const r = await client.callTool({ name: "secret_run",
      arguments: { keys: ["api/token"], command, args } });
    assert.equal(r.isError, true, `${command} ${args.join(" ")} ran: ${JSON.stringify(r)}`);
    assertNoSecret(r);
    return textOf(r);
  };
  // each refused for its own reason, not only refused
  const notAllowed = /not in allowed_commands|not allowed/;
  assert.match(await deny("ls"), notAllowed);
  assert.match(await deny("rm", ["-rf", "/nonexistent"]), /denied by denied_commands/);
  assert.match(await deny("env"), /environment/);
  assert.match(await deny("printenv"), /environment/);
  assert.match(await deny("echo", ["/proc/self/environ"]), /proc\/<pid>\/environ/);
  assert.match(await deny(v.tools.leak, ["/proc/1/environ"]), /proc\/<pid>\/environ/);
  // a symlink named like an allowed program but pointing to a shell
  const link = path.join(v.dir, "bin", "echo");
  symlinkSync("/bin/sh", link);
  assert.match(await deny(link, ["-c", "env"]), /'dash -c' runs inline code/);
  assert.match(await deny("./bin/echo"), /not found/);
});

test("built-in denials hold for interpreters the policy allows", async () => {
  // the shells and interpreters in allowed_commands: only the built-in
  // inline-code rules stand between them and the environment
  const w = makeVault();
  const { writeFileSync } = await import("node:fs");
  writeFileSync(path.join(w.vault, "mcp-policy.yaml"), `version: 1
default_action: deny
allowed_commands:
  - sh
  - bash
  - python3
  - perl
  - node
  - env
confinement:
  write: [${w.w}]
`, { mode: 0o600 });
  // the script lives where the confined child can read it (the private
  // /tmp of the sandbox hides the test's own scratch directory)
  const script = path.join(w.w, "slow.sh");
  writeFileSync(script, "sleep 1; echo done\n");
  const { client: c } = await connect(w.env, "builtins");
  try {
    const deny = async (command, args, why) => {
      const r = await c.callTool({ name: "secret_run",
        arguments: { keys: ["api/token"], command, args } });
      assert.equal(r.isError, true, `${command} ${args.join(" ")} ran: ${JSON.stringify(r)}`);
      assertNoSecret(r);
      assert.match(textOf(r), why, textOf(r));
    };
    await deny("sh", ["-c", "echo $API_TOKEN"], /inline code/);
    await deny("bash", ["-xc", "echo $API_TOKEN"], /inline code/);
    await deny("python3", ["-c", "import os; print(os.environ)"], /inline code/);
    await deny("perl", ["-e", "print %ENV"], /inline code/);
    await deny("node", ["-e", "console.log(process.env)"], /inline code/);
    await deny("env", [], /environment/);
    // an allowed interpreter may not run a file with a secret: a program
    // that runs code it is given gets one only through an exact pin
    await deny("sh", [script], /runs code it is given.*pins its exact arguments/);
  } finally {
    await c.close();
  }
  // an exact pin: `sh SCRIPT`, the script pinned by its SHA-256
  const { createHash } = await import("node:crypto");
  const sha = (f) => createHash("sha256").update(readFileSync(f)).digest("hex");
  const pinned = (files) => writeFileSync(path.join(w.vault, "mcp-policy.yaml"), `version: 1
default_action: deny
rules:
  - command: sh
    args: ["${script}"]
    secrets: ["api/*"]
${files}
confinement:
  write: [${w.w}]
`, { mode: 0o600 });
  pinned("");
  const { client: d } = await connect(w.env, "pins");
  try {
    const run = (args) => d.callTool({ name: "secret_run",
      arguments: { keys: ["api/token"], command: "sh", args } });
    // the argv is pinned, but the script it runs is not
    let r = await run([script]);
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /would run the file .* does not pin it/);
    pinned(`    files: {"${script}": "${sha(script)}"}`);
    r = await run([script]);
    assert.equal(r.isError, false, textOf(r));
    assert.equal(r.structuredContent.stdout, "done\n");
    // other arguments are not the pin
    r = await run([script, "x"]);
    assert.equal(r.isError, true, textOf(r));
    // the script changed after it was pinned: refused, and nothing ran
    writeFileSync(script, "echo \"$API_TOKEN\" | rev\n");
    r = await run([script]);
    assert.equal(r.isError, true, textOf(r));
    assert.match(textOf(r), /is not the one the rule on policy line \d+ pins/);
    assertNoSecret(r);
  } finally {
    await d.close();
  }
});

test("timeouts are reported", async () => {
  const lock = path.join(v.w, "timeout.lock");
  const r = await client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: v.tools.sleeper, args: [lock], timeout: "1s" } });
  assert.equal(r.structuredContent.timed_out, true);
  assert.equal(r.structuredContent.exit_code, 124);
  assert.ok(existsSync(`${lock}.up`), "the command ran");
  assert.ok(!held(lock), "the run's process must be gone");
});

test("secret_run: its audit entry is on disk before the command starts", async () => {
  // The child cannot read the vault directory (it is hidden from it), so
  // the test looks at the log the moment the command has visibly started.
  const log = path.join(v.vault, "audit.log");
  const newest = () => JSON.parse(readFileSync(log, "utf8").trimEnd().split("\n").at(-1));
  const seq = newest().seq;
  const marker = path.join(v.w, "audit-started");
  const call = client.callTool({ name: "secret_run",
    arguments: { keys: ["api/token"], command: v.tools.markslow, args: [marker] } });
  for (let i = 0; i < 250 && !existsSync(marker); i++) await sleep(10);
  assert.ok(existsSync(marker), "the command did not start");
  const seen = newest();
  assert.equal(seen.seq, seq + 1);
  assert.equal(seen.op, "secret_run");
  assert.equal(seen.src, "mcp");
  assert.equal(seen.result, "ok");
  assert.equal(seen.cmd, "markslow");
  assert.equal(seen.secrets.length, 1);
  const r = await call;
  assert.equal(r.isError, false, textOf(r));
  // one entry per run: none is added after it
  assert.deepEqual(newest(), seen);
});

test("key in the server: when the audit log cannot be written, nothing answers and nothing runs",
  async () => {
    const w = makeVault();
    const { client: c } = await connect(w.env, "audit-fail");
    const log = path.join(w.vault, "audit.log");
    const marker = path.join(w.w, "ran");
    const call = (name, args) => c.callTool({ name, arguments: args });
    const run = () => call("secret_run",
      { keys: ["api/token"], command: w.tools.mark, args: [marker] });
    try {
      // the first call unlocks the vault in the server (its open checks the log too)
      const first = await call("secret_list", {});
      assert.equal(first.isError, false, textOf(first));
      // group-readable: every append refuses it, root's too
      chmodSync(log, 0o644);
      const before = readFileSync(log);
      const failed = [
        await run(),
        await call("secret_run_with_bindings", { key: "db/prod", command: w.tools.mark,
          args: [marker] }),
        await call("secret_list", {}),
        await call("secret_exists", { key: "db/prod" }),
        await call("secret_exists", { key: "no/such" }),
        await call("secret_get_masked", { key: "db/prod" }),
        await call("secret_list_fields", { key: "db/prod" }),
        await call("secret_get_field", { key: "db/prod", field: "host" }),
      ];
      for (const r of failed) {
        assert.equal(r.isError, true, `answered without an audit entry: ${JSON.stringify(r)}`);
        assert.match(textOf(r), /cannot write the audit log/);
        assert.ok(!JSON.stringify(r).includes("db.internal"), JSON.stringify(r));
        assertNoSecret(r);
      }
      assert.ok(!existsSync(marker), "the command ran without its audit entry");
      assert.deepEqual(readFileSync(log), before);
      // the same run goes ahead once the log can be written again
      chmodSync(log, 0o600);
      const ok = await run();
      assert.equal(ok.isError, false, textOf(ok));
      assert.ok(existsSync(marker));
    } finally {
      await c.close();
    }
  });
