// Converse.js (npm converse.js, unmodified) in headless Chromium driven by playwright-core, for the
// end-to-end tests: serves converse/index.html and Converse's dist on 127.0.0.1, logs in with
// Converse's own defaults over the given transport, opens a chat with PEER through the API, types a
// message into the chat box and presses Enter as a user would, then waits for PEER's answer to show
// in the chat. Prints one line per fact: ONLINE <jid>, SENT, REPLY <text>, DONE (or FAILED <why>).
//   node converse_run.mjs websocket|bosh URL JID PASSWORD PEER
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const [kind, url, jid, password, peer] = process.argv.slice(2);
const here = fileURLToPath(new URL(".", import.meta.url));
const dist = join(here, "node_modules/converse.js/dist");
const say = (line) => console.log(line);
const types = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".wasm": "application/wasm",
  ".map": "application/json", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".svg": "image/svg+xml", ".png": "image/png" };

const web = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname));
  const file = path === "/index.html" ? join(here, "converse/index.html")
    : path.startsWith("/converse/dist/") ? join(dist, path.slice("/converse/dist/".length)) : null;
  try {
    if (!file || !file.startsWith(here)) throw new Error("not here");
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
const page_url = `http://127.0.0.1:${web.address().port}/index.html?${kind}=${encodeURIComponent(url)}&jid=${encodeURIComponent(jid)}&password=${encodeURIComponent(password)}`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const timeout = setTimeout(() => { say("FAILED timeout"); process.exit(2); }, 120_000);
try {
  const page = await browser.newPage();
  page.on("console", (m) => { if (m.type() === "error") say(`CONSOLE ${m.text()}`); });
  page.on("pageerror", (e) => say(`PAGEERROR ${e.message}`));
  await page.goto(page_url);
  await page.waitForFunction(() => window.strataApi?.connection?.connected?.(), null, { timeout: 60_000 });
  say(`ONLINE ${await page.evaluate(() => window.strataApi.user.jid())}`);
  await page.evaluate((p) => window.strataApi.chats.open(p), peer);
  const box = page.locator("textarea.chat-textarea").first();
  await box.waitFor({ timeout: 30_000 });
  await box.fill(`hello from Converse over ${kind}`);
  await box.press("Enter");
  say("SENT");
  const reply = page.locator(".chat-msg__text", { hasText: "from slixmpp" }).first();
  await reply.waitFor({ timeout: 60_000 });
  say(`REPLY ${(await reply.innerText()).trim()}`);
  say("DONE");
} catch (e) {
  say(`FAILED ${e.message.split("\n")[0]}`);
  process.exitCode = 1;
} finally {
  clearTimeout(timeout);
  await browser.close();
  web.close();
}
