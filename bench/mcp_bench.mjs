// MCP benchmark with the official SDK client: time to spawn the server,
// initialize and list tools; then secret_list calls per second over one
// session. Usage: node bench/mcp_bench.mjs BIN VAULT_DIR [ROUNDS]
import { Client } from "../tests/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm/client/index.js";
import { StdioClientTransport } from "../tests/mcp/node_modules/@modelcontextprotocol/sdk/dist/esm/client/stdio.js";
import { performance } from "node:perf_hooks";

const [bin, vault, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 30);
const env = { ...process.env, SECRETCTL_VAULT_DIR: vault };

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)];
  return `median ${med.toFixed(2)} ms, min ${s[0].toFixed(2)} ms, max ${s[s.length - 1].toFixed(2)} ms`;
}

const ready = [];
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  const transport = new StdioClientTransport({ command: bin, args: ["mcp-server"], env });
  const client = new Client({ name: "bench", version: "1" });
  await client.connect(transport);
  await client.listTools();
  ready.push(performance.now() - t0);
  await client.close();
}
console.log(`session ready (spawn + initialize + tools/list), ${rounds} rounds: ${stats(ready)}`);

const transport = new StdioClientTransport({ command: bin, args: ["mcp-server"], env });
const client = new Client({ name: "bench", version: "1" });
await client.connect(transport);
const first = await client.callTool({ name: "secret_list", arguments: {} }); // pays the unlock
if (first.isError) throw new Error(JSON.stringify(first));
const n = first.structuredContent.secrets.length;
const calls = 200;
const t0 = performance.now();
for (let i = 0; i < calls; i++) await client.callTool({ name: "secret_list", arguments: {} });
const dt = performance.now() - t0;
console.log(`secret_list over one session, ${n} secrets: ${(calls / (dt / 1000)).toFixed(0)} calls/s, ` +
  `${(dt / calls).toFixed(2)} ms per call (client round trip included)`);
const t1 = performance.now();
for (let i = 0; i < calls; i++)
  await client.callTool({ name: "secret_exists", arguments: { key: "bench/k0001" } });
const dt1 = performance.now() - t1;
console.log(`secret_exists over one session: ${(dt1 / calls).toFixed(2)} ms per call`);
await client.close();
