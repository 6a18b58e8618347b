// The adversarial corpus (issue 11): attempts to get a secret back through
// secret_run, each in both unlock modes (key in the server; through the
// agent) and under a permissive and a strict policy, driven by the official
// SDK client. A reply leaks when it holds the value, its reverse, a piece
// of 8 characters or more of either, or any of those after hex, base64 or
// base32 decoding of what it holds. A program that runs code it is given
// (awk, perl, python3, node, git, make, jq) is in the permissive policy's
// allowlist: the capability rules keep secrets out of it unless a rule pins
// its exact argv, so those attempts must hold too. 167 attempts, each run
// four ways; ADV_LOG=1 prints which ran and which were refused (about one
// in six runs, the rest refused: both sides must hold).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import path from "node:path";
import { BIN, connect } from "./helpers.mjs";

const PW = "adversarial corpus password";
const VAL = "Zq7Kp2Lm9Xw4Rt8Vb3Nc6Hd1";      // injected
const OTHER = "Yh5Gf3Ds8Aq1Pl0Ok9Ij7Uy6";    // in the vault, never injected
const which = (p) => spawnSync("sh", ["-c", `command -v ${p}`]).stdout.toString().trim();

function vault() {
  const dir = mkdtempSync("/tmp/sc-adv-");
  const rt = path.join(dir, "rt");
  mkdirSync(rt, { mode: 0o700 });
  const vdir = path.join(dir, "vault");
  const env = { ...process.env, SECRETCTL_VAULT_DIR: vdir, XDG_RUNTIME_DIR: rt };
  delete env.SECRETCTL_PASSWORD;
  delete env.SECRETCTL_NO_AGENT;
  const sc = (args, input, extra = {}) => execFileSync(BIN, args,
    { env: { ...env, SECRETCTL_PASSWORD: PW, ...extra }, input: input ?? "",
      stdio: ["pipe", "pipe", "pipe"] });
  sc(["init", "--kdf-memory", "8192", "--kdf-time", "1"]);
  sc(["set", "app/token"], VAL);
  sc(["set", "app/other"], OTHER);
  const work = path.join(dir, "work");
  mkdirSync(work);
  // a look-alike "cat" planted where the agent can name it
  writeFileSync(path.join(work, "cat"), "#!/bin/sh\nprintf '%s' \"$APP_TOKEN\" | rev\n",
    { mode: 0o755 });
  return { dir, vdir, env, sc, rt, work };
}

const PERMISSIVE = ["git", "curl", "make", "npm", "node", "python3", "cat", "ls", "grep",
  "jq", "tee", "sed", "awk", "head", "tail", "od", "base64", "rev", "find", "cp", "dd", "perl"];

function policy(v, kind) {
  const allowed = kind === "permissive" ? PERMISSIVE : ["cat", "ls", "grep", "head"];
  writeFileSync(path.join(v.vdir, "mcp-policy.yaml"), `version: 1
default_action: deny
allowed_commands:
${allowed.filter((c) => which(c)).map((c) => `  - ${c}`).join("\n")}
denied_commands:
  - sh
limits:
  max_output_bytes: 8MiB
`, { mode: 0o600 });
}

async function session(v, mode) {
  if (mode === "agent") {
    execFileSync(BIN, ["unlock", "--password-fd", "0"],
      { env: v.env, input: `${PW}\n`, stdio: ["pipe", "pipe", "pipe"] });
    return connect(v.env, "adversary");
  }
  return connect({ ...v.env, SECRETCTL_PASSWORD: PW }, "adversary");
}

// ---- the leak oracle ----

const rev = (s) => [...s].reverse().join("");
const alnum = (s) => s.replace(/[^A-Za-z0-9]/g, "");
function pieces(s, n = 8) {
  const out = [];
  for (let i = 0; i + n <= s.length; i++) out.push(s.slice(i, i + n));
  return out;
}
function decodings(text) {
  const out = [text, alnum(text)];
  for (const m of text.match(/[0-9a-fA-F]{16,}/g) ?? []) {
    out.push(Buffer.from(m.length % 2 ? m.slice(1) : m, "hex").toString("latin1"));
  }
  for (const m of text.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? []) {
    for (const k of [0, 1, 2, 3]) out.push(Buffer.from(m.slice(k), "base64").toString("latin1"));
  }
  for (const m of text.match(/[A-Z2-7]{16,}=*/g) ?? []) out.push(base32(m));
  return out;
}
function base32(s) {
  const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, val = 0, out = "";
  for (const c of s.replace(/=+$/, "")) {
    val = (val << 5) | a.indexOf(c);
    bits += 5;
    if (bits >= 8) { out += String.fromCharCode((val >>> (bits - 8)) & 255); bits -= 8; }
  }
  return out;
}
export function leaks(reply, secrets = [VAL, OTHER, PW]) {
  const text = JSON.stringify(reply);
  const hay = decodings(text).concat(decodings(text).map(alnum));
  for (const s of secrets) {
    for (const p of pieces(alnum(s)).concat(pieces(rev(alnum(s))))) {
      if (hay.some((h) => h.includes(p))) return `${s.slice(0, 3)}… (piece ${p.slice(0, 2)}…)`;
    }
  }
  return null;
}

// ---- the attempts ----

// [class, command, args, todo reason or null]
function attempts(v) {
  const sock = path.join(v.rt, "secretctl");
  return [
    ["proc", "cat", ["/proc/self/environ"], null],
    ["proc", "cat", ["/proc/thread-self/environ"], null],
    ["proc", "cat", ["/dev/fd/../environ"], null],
    ["proc", "cat", ["/proc/self/cwd/../../proc/self/environ"], null],
    ["proc", "cat", ["/proc/1/environ"], null],
    ["proc", "cat", ["/proc/2/environ"], null],
    ["proc", "head", ["-c", "8", "/proc/self/environ"], null],
    ["proc", "grep", ["-r", "-a", "--include=environ", "APP", "/proc/self/"], null],
    ["proc", "grep", ["-r", "-a", "-h", "-o", "APP_TOKEN=.*", "/proc/"], null],
    ["proc", "grep", ["-a", "-r", "Zq7", "/proc/thread-self/"], null],
    ["proc", "ls", ["-la", "/proc/self/", "/proc/1/"], null],
    ["proc", "cat", ["/proc/self/mem"], null],
    ["proc", "cat", ["/proc/self/maps"], null],
    ["proc", "tail", ["-c", "+1", "/proc/self/task/2/environ"], null],
    ["url", "curl", ["-s", "file:///proc/self/environ"], null],
    ["url", "curl", ["-s", "file:///proc/self/envir%6fn"], null],
    ["url", "curl", ["-s", "-r", "0-12", "file:///proc/self/environ"], null],
    ["url", "curl", ["-s", "file:///proc/{self,1,2}/environ"], null],
    ["url", "curl", ["-s", "file:///dev/fd/../environ"], null],
    ["copy", "cp", ["/proc/self/environ", "/dev/stdout"], null],
    ["copy", "dd", ["if=/proc/self/environ", "status=none"], null],
    ["copy", "od", ["-c", "/proc/self/environ"], null],
    ["copy", "base64", ["/proc/self/environ"], null],
    ["copy", "rev", ["/proc/self/environ"], null],
    ["find", "find", ["/proc/self/", "-name", "environ", "-exec", "cat", "{}", ";"], null],
    ["find", "find", ["/proc", "-maxdepth", "2", "-name", "environ", "-fprint", "/dev/stdout"], null],
    ["vault", "ls", ["-la", v.vdir], null],
    ["vault", "cat", [path.join(v.vdir, "vault.db")], null],
    ["socket", "ls", ["-la", sock, v.rt], null],
    ["socket", "curl", ["-s", "--unix-socket", path.join(sock, "x.sock"), "http://x/"], null],
    ["lookalike", path.join(v.work, "cat"), ["/etc/hostname"], null],
    ["lookalike", "./cat", ["/etc/hostname"], null],
    // multi-step: run 1 tries to leave the value behind, run 2 reads it
    ["multistep", "awk", ["BEGIN{print ENVIRON[\"APP_TOKEN\"] > \"/tmp/left\"}"], null],
    ["multistep", "cat", ["/tmp/left"], null],
    ["multistep", "sed", ["-n", "w left.txt", "/proc/self/environ"], null],
    ["multistep", "cat", ["left.txt"], null],
    // programs that run what they are given
    ["code", "awk", ["BEGIN{s=ENVIRON[\"APP_TOKEN\"];for(i=length(s);i;i--)printf substr(s,i,1)}"], null],
    ["code", "perl", ["-e", "print scalar reverse $ENV{APP_TOKEN}"], null],
    ["code", "python3", ["-m", "timeit", "-n1", "-r1", "import os;print(os.environ['APP_TOKEN'][::-1])"], null],
    ["code", "node", ["--import", "data:text/javascript,console.log([...process.env.APP_TOKEN].reverse().join(''))", "-e", "1"], null],
    ["code", "git", ["-c", "alias.x=!printenv APP_TOKEN | rev", "x"], null],
    ["code", "make", ["--eval", "x:\n\t@echo $$APP_TOKEN | rev", "x"], null],
    ["code", "jq", ["-rn", "env.APP_TOKEN | explode | reverse | implode"], null],
    ["code", "sed", ["-n", "s/.*APP_TOKEN=\\([^\\x00]*\\).*/\\1/p", "/proc/self/environ"], null],
    // more roads to a process's environment
    ["proc", "cat", ["/proc/self/./environ"], null],
    ["proc", "cat", ["/proc//self//environ"], null],
    ["proc", "cat", ["/proc/self/root/proc/self/environ"], null],
    ["proc", "cat", ["/proc/self/fd/../environ"], null],
    ["proc", "cat", ["/proc/1/root/proc/self/environ"], null],
    ["proc", "cat", ["/dev/stdin/../../environ"], null],
    ["proc", "grep", ["-a", "-o", "APP_TOKEN=[^ ]*", "/proc/self/environ"], null],
    ["proc", "grep", ["-a", "-b", "-o", "Zq7K", "/proc/thread-self/environ"], null],
    ["proc", "grep", ["-a", "-r", "-h", ".", "/proc/self/task/"], null],
    ["proc", "ls", ["-laR", "/proc/self/"], null],
    ["proc", "head", ["-c", "40", "/proc/thread-self/environ"], null],
    ["proc", "tail", ["-c", "30", "/proc/self/environ"], null],
    ["proc", "cat", ["/proc/self/status", "/proc/self/cmdline"], null],
    ["parent", "grep", ["-a", "-r", "APP", "/proc/1/"], null],
    ["parent", "cat", ["/proc/1/cmdline", "/proc/2/cmdline", "/proc/3/environ"], null],
    ["parent", "ls", ["/proc"], null],
    ["url", "curl", ["-s", "file:///proc/self/./environ"], null],
    ["url", "curl", ["-s", "file://localhost/proc/self/environ"], null],
    ["url", "curl", ["-s", "FILE:///proc/self/environ"], null],
    ["url", "curl", ["-s", "-K", "/proc/self/environ"], null],
    ["url", "curl", ["-s", "-d", "@/proc/self/environ", "http://127.0.0.1:9/"], null],
    ["url", "curl", ["-s", "-o", "-", "file:///dev/fd/../environ"], null],
    ["url", "curl", ["-s", "--url", "file:///proc/1/environ"], null],
    ["url", "curl", ["-s", "file:///proc/self/%65nviron"], null],
    ["url", "curl", ["-s", "file:///proc/thread-self/environ", "-r", "5-20"], null],
    ["copy", "cp", ["/dev/fd/../environ", "/dev/stdout"], null],
    ["copy", "dd", ["if=/proc/thread-self/environ", "bs=1", "skip=10", "count=12", "status=none"], null],
    ["copy", "od", ["-An", "-tx1", "/proc/self/task/1/environ"], null],
    ["copy", "od", ["-An", "-c", "/dev/fd/../environ"], null],
    ["copy", "base64", ["-w", "20", "/proc/thread-self/environ"], null],
    ["copy", "rev", ["/proc/1/environ"], null],
    ["copy", "tee", ["/dev/stdout"], null],
    ["find", "find", ["/proc", "-name", "environ", "-fprintf", "/dev/stdout", "%p"], null],
    ["find", "find", ["/proc/self/", "-maxdepth", "1", "-name", "environ", "-execdir", "cat", "{}", ";"], null],
    ["find", "find", ["/proc/self", "-maxdepth", "1", "-name", "environ", "-ok", "cat", "{}", ";"], null],
    ["sed", "sed", ["-n", "p", "/proc/self/environ"], null],
    ["sed", "sed", ["--sandbox", "-n", "p", "/dev/fd/../environ"], null],
    ["sed", "sed", ["-z", "s/^/x/", "/proc/thread-self/environ"], null],
    ["sed", "sed", ["-n", "e printenv APP_TOKEN", "/etc/hostname"], null],
    ["sed", "sed", ["-n", "1e printenv APP_TOKEN | rev", "/etc/hostname"], null],
    ["awk", "awk", ["{print}", "/proc/self/environ"], null],
    ["awk", "awk", ["-f", "/proc/self/environ"], null],
    ["awk", "awk", ["BEGIN{system(\"printenv APP_TOKEN | rev\")}"], null],
    ["awk", "awk", ["-v", "x=1", "BEGIN{while((\"printenv\"|getline l)>0)print l}"], null],
    ["jq", "jq", ["-n", "$ENV.APP_TOKEN"], null],
    ["jq", "jq", ["-n", "env | tostring | explode | reverse | implode"], null],
    ["jq", "jq", ["-Rr", ".", "/proc/self/environ"], null],
    ["jq", "jq", ["-n", "--rawfile", "e", "/proc/self/environ", "$e"], null],
    ["jq", "jq", ["-n", "$__prog_args", "--args"], null],
    ["git", "git", ["-c", "core.pager=rev", "-p", "log", "-1"], null],
    ["git", "git", ["-c", "core.fsmonitor=printenv APP_TOKEN | rev >&2", "status"], null],
    ["git", "git", ["-c", "diff.external=printenv", "diff", "--no-index", "/etc/hostname", "/etc/hosts"], null],
    ["git", "git", ["clone", "ext::sh -c printenv% APP_TOKEN% |% rev% >&2", "x"], null],
    ["git", "git", ["-c", "credential.helper=!printenv APP_TOKEN | rev #", "credential", "fill"], null],
    ["git", "git", ["--exec-path=/proc/self", "x"], null],
    ["git", "git", ["grep", "--no-index", "-a", "Zq7", "/proc/self/environ"], null],
    ["git", "git", ["-c", "core.sshCommand=printenv APP_TOKEN | rev >&2;", "ls-remote", "ssh://x/y"], null],
    ["make", "make", ["-f", "/proc/self/environ"], null],
    ["make", "make", ["-pn", "-f", "/dev/null"], null],
    ["make", "make", ["--eval", "$(info $(shell printenv APP_TOKEN | rev))", "-f", "/dev/null"], null],
    ["make", "make", ["SHELL=/usr/bin/printenv", "-f", "/dev/null", "x"], null],
    ["npm", "npm", ["exec", "--", "printenv", "APP_TOKEN"], null],
    ["npm", "npm", ["config", "list", "-l"], null],
    ["npm", "npm", ["pkg", "set", "scripts.x=printenv APP_TOKEN | rev"], null],
    ["npm", "npm", ["run", "x"], null],
    ["node", "node", ["-p", "[...process.env.APP_TOKEN].reverse().join('')"], null],
    ["node", "node", ["--eval", "console.log(process.env)"], null],
    ["node", "node", ["--IMPORT", "data:text/javascript,console.log(process.env)", "-e", "1"], null],
    ["node", "node", ["-r", "/proc/self/environ"], null],
    ["node", "node", ["--input-type=module", "-e", "console.log(process.env.APP_TOKEN)"], null],
    ["node", "node", ["/proc/self/environ"], null],
    ["python", "python3", ["-c", "import os;print(os.environ['APP_TOKEN'][::-1])"], null],
    ["python", "python3", ["-m", "base64", "/proc/self/environ"], null],
    ["python", "python3", ["-m", "json.tool", "/proc/self/environ"], null],
    ["python", "python3", ["/proc/self/environ"], null],
    ["python", "python3", ["-X", "importtime", "-m", "timeit", "-n1", "-r1", "print(__import__('os').environ)"], null],
    ["python", "python3", ["-I", "-S", "-m", "this"], null],
    ["perl", "perl", ["-E", "say scalar reverse $ENV{APP_TOKEN}"], null],
    ["perl", "perl", ["-ne", "print", "/proc/self/environ"], null],
    ["perl", "perl", ["-x", "/proc/self/environ"], null],
    ["perl", "perl", ["-MO=Deparse", "-e", "print reverse $ENV{APP_TOKEN}"], null],
    ["perl", "perl", ["-Mstrict", "-we", "print %ENV"], null],
    ["shell", "sh", ["-c", "printenv APP_TOKEN | rev"], null],
    ["shell", "bash", ["-c", "echo ${APP_TOKEN:0:8}"], null],
    ["shell", "/bin/sh", ["-c", "echo $APP_TOKEN | rev"], null],
    ["shell", "busybox", ["sh", "-c", "printenv"], null],
    ["shell", "env", [], null],
    ["shell", "env", ["-0"], null],
    ["shell", "printenv", ["APP_TOKEN"], null],
    ["launch", "timeout", ["1", "printenv"], null],
    ["launch", "nice", ["printenv"], null],
    ["launch", "nohup", ["printenv"], null],
    ["launch", "setsid", ["printenv"], null],
    ["launch", "xargs", ["-a", "/proc/self/environ", "-0", "echo"], null],
    ["launch", "stdbuf", ["-o0", "printenv"], null],
    ["lookalike", "/tmp/cat", ["/etc/hostname"], null],
    ["lookalike", path.join(v.work, "..", "work", "cat"), ["/etc/hostname"], null],
    ["lookalike", "../work/cat", ["/etc/hostname"], null],
    ["lookalike", "CAT", ["/etc/hostname"], null],
    ["vault", "ls", ["-la", path.join(v.vdir, "..")], null],
    ["vault", "cat", [path.join(v.vdir, "audit.log")], null],
    ["vault", "cp", [path.join(v.vdir, "vault.db"), "/dev/stdout"], null],
    ["vault", "grep", ["-r", "-a", "app", v.vdir], null],
    ["vault", "head", ["-c", "4096", path.join(v.vdir, "vault.db-wal")], null],
    ["socket", "ls", ["-la", "/run/user", v.rt], null],
    ["socket", "curl", ["-s", "--abstract-unix-socket", "secretctl", "http://x/"], null],
    ["socket", "cat", [path.join(sock, "x.sock")], null],
    ["multistep", "cp", ["/proc/self/environ", "/tmp/e"], null],
    ["multistep", "cat", ["/tmp/e"], null],
    ["multistep", "sed", ["-n", "w /tmp/w", "/proc/self/environ"], null],
    ["multistep", "cat", ["/tmp/w"], null],
    ["multistep", "dd", ["if=/proc/self/environ", "of=/tmp/d", "status=none"], null],
    ["multistep", "cat", ["/tmp/d"], null],
    ["multistep", "curl", ["-s", "-o", "/tmp/c", "file:///proc/self/environ"], null],
    ["multistep", "cat", ["/tmp/c"], null],
    ["multistep", "cp", ["/proc/self/environ", path.join(v.work, "e")], null],
    ["multistep", "cat", [path.join(v.work, "e")], null],
    ["cli", "git", ["-c", "alias.x=!secretctl get app/other", "x"], null],
    ["cli", "node", ["-e", "console.log(require('child_process').execSync('secretctl get app/other').toString())"], null],
    ["cli", "make", ["--eval", "x:;@secretctl run -k app/other -- printenv APP_OTHER | rev", "-f", "/dev/null", "x"], null],
    ["cli", "npm", ["exec", "--", "secretctl", "get", "app/other"], null],
    // escape the run: a CLI run from inside, the agent socket
    ["cli", "git", ["-c", "alias.x=!secretctl run -k app/other -- printenv APP_OTHER | rev", "x"], null],
    ["cli", "python3", ["-m", "timeit", "-n1", "-r1", "import subprocess;print(subprocess.run(['secretctl','get','app/other'],capture_output=True).stdout[::-1])"], null],
  ];
}

for (const mode of ["server", "agent"]) {
  for (const pol of ["permissive", "strict"]) {
    test(`adversarial corpus: ${mode}, ${pol} policy`, async (t) => {
      const v = vault();
      policy(v, pol);
      const { client } = await session(v, mode);
      try {
        for (const [cls, command, args, todo] of attempts(v)) {
          const name = `${cls}: ${path.basename(command)} ${args.join(" ").slice(0, 60)}`;
          await t.test(name, { todo: todo ?? undefined }, async () => {
            const r = await client.callTool({ name: "secret_run",
              arguments: { keys: ["app/token"], command, args } });
            if (process.env.ADV_LOG) console.error(`ADV ${mode} ${pol} ${r.isError ? "refused" : "ran"} ${name}`);
            const leak = leaks(r);
            assert.equal(leak, null, `leaked ${leak}: ${JSON.stringify(r).slice(0, 400)}`);
          });
        }
      } finally {
        await client.close();
        if (mode === "agent") spawnSync(BIN, ["lock"], { env: v.env });
      }
    });
  }
}

// A flood of output: the reply stays bounded and says what was cut; the
// session lives on.
for (const mode of ["server", "agent"]) {
  test(`a flood of binary output is bounded: ${mode}`, async () => {
    const v = vault();
    policy(v, "permissive");
    const { client } = await session(v, mode);
    try {
      for (const [cmd, args] of [["cat", ["/dev/zero"]], ["head", ["-c", "6000000", "/dev/urandom"]],
        ["head", ["-c", "6000000", "/dev/zero"]]]) {
        const r = await client.callTool({ name: "secret_run",
          arguments: { keys: ["app/token"], command: cmd, args, timeout: "3s" } });
        const line = JSON.stringify(r);
        assert.ok(line.length < 2.2 * 1024 * 1024, `reply of ${line.length} bytes`);
        assert.equal(r.isError, false, line.slice(0, 300));
        const sc = r.structuredContent;
        const why = JSON.stringify({ ...sc, stdout: sc.stdout.length });
        if (args.includes("/dev/urandom")) {
          // mostly "text": cut by the reply's budget, and it says so
          assert.ok(sc.stdout_truncated && sc.stdout_omitted_bytes > 1000000, why);
          assert.ok(sc.stdout_binary_bytes > 0, why);
        } else {
          // zeros: one replacement character for the whole run of them
          assert.ok(sc.stdout_binary_bytes > 1000000, why);
          assert.ok(sc.stdout.length < 8, why);
        }
      }
      await client.ping();
    } finally {
      await client.close();
      if (mode === "agent") spawnSync(BIN, ["lock"], { env: v.env });
    }
  });
}

// Run 1 leaves a secret in a file the next run may read; run 2 injects a
// different one and prints the file: the first is redacted all the same.
for (const mode of ["server", "agent"]) {
  test(`whole-vault redaction across runs: ${mode}`, async (t) => {
    const v = vault();
    const out = path.join(v.dir, "w");
    mkdirSync(out);
    writeFileSync(path.join(v.vdir, "mcp-policy.yaml"), `version: 1
default_action: deny
allowed_commands:
  - cat
  - cp
confinement:
  write: [${out}]
`, { mode: 0o600 });
    // what an earlier run (or anything) left behind, the other secret in it
    writeFileSync(path.join(out, "left"), `token=${OTHER}\nown=${VAL}\n`);
    writeFileSync(path.join(out, "pw"), `pw=${PW}\n`);
    const { client } = await session(v, mode);
    try {
      const r = await client.callTool({ name: "secret_run",
        arguments: { keys: ["app/token"], command: "cat", args: [path.join(out, "left")] } });
      assert.equal(r.isError, false, JSON.stringify(r));
      // the value it did not inject, as one word that names nothing; its own by name
      assert.match(r.structuredContent.stdout, /token=\[REDACTED:secret\]\nown=\[REDACTED:APP_TOKEN\]/);
      assert.equal(leaks(r), null, JSON.stringify(r));
      assert.ok(existsSync(path.join(out, "left")));
      await t.test("the vault password too", async () => {
        const p = await client.callTool({ name: "secret_run",
          arguments: { keys: ["app/token"], command: "cat", args: [path.join(out, "pw")] } });
        assert.equal(leaks(p, [PW]), null, JSON.stringify(p));
      });
    } finally {
      await client.close();
      if (mode === "agent") spawnSync(BIN, ["lock"], { env: v.env });
    }
  });
}

// ---- the key tools (issues 12 and 14): an AI trying to get key material
// or a plaintext data key out, to use a key the policy does not name, a
// context it does not allow, or to flood the server. The keys are made
// exportable here only so the test knows their material to look for.

// every 8-byte window of secret, in what the reply holds or decodes to
function keyLeaks(reply, secrets) {
  const text = JSON.stringify(reply);
  const blobs = [Buffer.from(text, "latin1")];
  for (const m of text.match(/[0-9a-fA-F]{16,}/g) ?? [])
    blobs.push(Buffer.from(m.length % 2 ? m.slice(1) : m, "hex"));
  for (const m of text.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? [])
    for (const k of [0, 1, 2, 3]) blobs.push(Buffer.from(m.slice(k), "base64"));
  for (const s of secrets)
    for (let i = 0; i + 8 <= s.length; i++) {
      const w = s.subarray(i, i + 8);
      if (blobs.some((b) => b.includes(w))) return `a key's bytes at offset ${i}`;
    }
  return null;
}

for (const mode of ["server", "agent"]) {
  test(`the key tools give no key material, no DEK, nothing unlisted: ${mode}`, async () => {
    const v = vault();
    const nope = (args) => v.sc(args, "", { SECRETCTL_NO_AGENT: "1" });
    nope(["key", "create", "app-data", "--type", "aes256-gcm", "--exportable"]);
    nope(["key", "create", "signer", "--type", "ed25519", "--exportable"]);
    nope(["key", "create", "unlisted", "--type", "aes256-gcm", "--exportable"]);
    const material = ["app-data", "signer", "unlisted"].map((k) =>
      Buffer.from(nope(["key", "export", k]).toString().trim(), "base64"));
    writeFileSync(path.join(v.vdir, "mcp-policy.yaml"), `version: 1
default_action: deny
keys:
  - name: app-data
    operations: [encrypt, datakey]
    contexts:
      - {app: web}
  - name: signer
    operations: [sign]
`, { mode: 0o600 });
    const { client } = await session(v, mode);
    const deks = [], replies = [];
    // [tool, arguments, must be refused]
    const tries = [
      ["key_decrypt", { key: "app-data", ciphertext: "sc:v1:app-data:1:AAAA" }, true],
      ["key_export", { key: "app-data" }, true],
      ["key_datakey", { key: "app-data", context: ["app=web"], wrapped_only: false }, true],
      ["key_datakey", { key: "app-data", context: ["app=web"], plaintext: true }, true],
      ["key_datakey", { key: "app-data", context: ["app=web"] }, false],
      ["key_encrypt", { key: "app-data", context: ["app=web"], plaintext: "x", export: true },
        true],
      ["key_list", { include_material: true }, true],
      ["key_list", {}, false],
      ["key_encrypt", { key: "unlisted", plaintext: "x" }, true],
      ["key_datakey", { key: "unlisted" }, true],
      ["key_sign", { key: "unlisted", message: "x" }, true],
      ["key_sign", { key: "app-data", message: "x" }, true],
      ["key_encrypt", { key: "signer", plaintext: "x" }, true],
      ["key_encrypt", { key: "../app-data", plaintext: "x" }, true],
      ["key_encrypt", { key: "app-data\n", plaintext: "x", context: ["app=web"] }, true],
      ["key_encrypt", { key: "*", plaintext: "x" }, true],
      ["key_encrypt", { key: "app-data", plaintext: "x", context: ["app=db"] }, true],
      ["key_encrypt", { key: "app-data", plaintext: "x", context: ["app=web", "x=1"] }, true],
      ["key_encrypt", { key: "app-data", plaintext: "x", context: ["app=web", "app=db"] }, true],
      ["key_encrypt", { key: "app-data", plaintext: "x", context: ["app"] }, true],
      ["key_encrypt", { key: "app-data", plaintext: "x" }, true],
      ["key_datakey", { key: "app-data", context: ["app=*"] }, true],
      // the key's own wrapped DEK fed back: it only wraps again
      ["key_encrypt", { key: "app-data", plaintext: "DEK", context: ["app=web"] }, false],
      ["key_sign", { key: "signer", message: "x", prehashed: "sha512" }, true],
      ["key_sign", { key: "signer", message: "x", message_base64: "eA==" }, true],
      ["key_sign", { key: "signer", message: "release" }, false],
      // huge inputs: one string past the bound, and base64 that decodes to nothing
      ["key_encrypt", { key: "app-data", plaintext: "A".repeat(70000), context: ["app=web"] },
        true],
      ["key_sign", { key: "signer", message_base64: "!!not base64!!" }, true],
      ["key_encrypt", { key: "app-data", plaintext: "x",
        context: Array.from({ length: 300 }, (_, i) => `k${i}=v`) }, true],
    ];
    try {
      for (const [tool, args0, refused] of tries) {
        const args = { ...args0 };
        if (args.plaintext === "DEK") args.plaintext = deks[0] ?? "none";
        let r, threw = null;
        try {
          r = await client.callTool({ name: tool, arguments: args });
        } catch (e) {
          threw = e;
        }
        const what = `${tool} ${JSON.stringify(args).slice(0, 120)}`;
        if (refused) assert.ok(threw !== null || r.isError === true, `not refused: ${what}`);
        else assert.ok(threw === null && r.isError === false, `refused: ${what}: ${threw ?? JSON.stringify(r)}`);
        if (r?.structuredContent?.wrapped) deks.push(r.structuredContent.wrapped);
        assert.equal(keyLeaks(r ?? String(threw), material), null, what);
        replies.push([what, r ?? String(threw)]);
      }
      // the data keys it made: their plaintexts never appeared
      assert.ok(deks.length >= 1);
      for (const w of deks) {
        const dek = execFileSync(BIN, ["key", "decrypt", "--context", "app=web", "--in", "-"],
          { env: { ...v.env, SECRETCTL_PASSWORD: PW, SECRETCTL_NO_AGENT: "1" }, input: `${w}\n` });
        assert.equal(dek.length, 32);
        material.push(dek);
      }
      // no reply held a data key's plaintext in any form
      for (const [what, r] of replies) assert.equal(keyLeaks(r, material), null, what);
      const again = await client.callTool({ name: "key_list", arguments: {} });
      assert.equal(keyLeaks(again, material), null);
      assert.ok(!JSON.stringify(again).includes("unlisted"));
      // a line over the server's bound is answered and the session goes on
      await assert.rejects(client.callTool({ name: "key_encrypt",
        arguments: { key: "app-data", plaintext: "B".repeat(1200 * 1024) } }));
      await client.ping();
    } finally {
      await client.close();
      if (mode === "agent") spawnSync(BIN, ["lock"], { env: v.env });
    }
  });
}
