// run_query through the official TypeScript SDK client, the client IDE hosts (Claude Desktop, VS Code,
// Cursor) are built on; driven by scripts/bench_sql.py, which rotates it with its other modes.
//
//   node bench_sql_ts_client.mjs SDK_DIR '["sleuth", "serve", "sql", ...]'
//
// Starts the server over stdio, lists its tools (so outputSchema validation applies, as in a host)
// and prints "ready". Then for each input line (SQL as a JSON string) it calls run_query and prints
// {"ms": elapsed}, timed here around callTool alone, or {"error": ...} if the call failed. Every
// line it prints is JSON.
import { createInterface } from "node:readline";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [sdkDir, serverArgv] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(join(sdkDir, "dist", "esm", rel)).href);
const { Client } = await load("client/index.js");
const { StdioClientTransport } = await load("client/stdio.js");

const [command, ...args] = JSON.parse(serverArgv);
const client = new Client({ name: "bench_sql", version: "1" });
await client.connect(new StdioClientTransport({ command, args, stderr: "ignore" }));
await client.listTools();
process.stdout.write(JSON.stringify("ready") + "\n");

for await (const line of createInterface({ input: process.stdin })) {
  const sql = JSON.parse(line);
  const t0 = process.hrtime.bigint();
  const result = await client.callTool({ name: "run_query", arguments: { sql } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify(result.isError ? { error: result.content } : { ms }) + "\n");
}
await client.close();
