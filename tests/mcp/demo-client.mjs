// demo-client.mjs - the MCP half of `make demo`: drive `secretctl
// mcp-server` with the official SDK client, as an AI agent's client would,
// and print what the agent sees. Not a test (node --test ignores it).
//   node demo-client.mjs BIN ALLOWED_CMD
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [bin, allowed] = process.argv.slice(2);
const say = (s) => console.log(`\n\x1b[1m[mcp client] ${s}\x1b[0m`);
const show = (res) => {
  const text = res.content.map((c) => c.text ?? "").join("\n");
  console.log(res.isError ? `error: ${text}` : text);
};

// The server gets no password: the unlocked agent holds the key.
const env = { ...process.env };
delete env.SECRETCTL_PASSWORD;
const transport = new StdioClientTransport({ command: bin, args: ["mcp-server"], env,
  stderr: "inherit" });
const client = new Client({ name: "demo-agent", version: "1.0.0" });
await client.connect(transport);

say("tools/list");
const { tools } = await client.listTools();
console.log(tools.map((t) => t.name).join(", "));

say("secret_list");
show(await client.callTool({ name: "secret_list", arguments: {} }));

say(`secret_run ${allowed} with openai/api-key (the policy allows it)`);
show(await client.callTool({ name: "secret_run",
  arguments: { keys: ["openai/api-key"], command: allowed } }));

say("secret_run printenv with openai/api-key (the policy denies it)");
show(await client.callTool({ name: "secret_run",
  arguments: { keys: ["openai/api-key"], command: "printenv", args: ["OPENAI_API_KEY"] } }));

await client.close();
