// XEP-0363 from a web page on another origin, in headless Chromium driven by playwright-core, as a
// web client (Converse.js, Movim) uploads: the page at PAGE_URL PUTs a file to the slot's PUT_URL
// (a cross-origin PUT: the browser asks first with a CORS preflight) and reads it back from GET_URL.
// Prints PUT <status>, GET <status> <body>, DONE, or FAILED <why>.
//   node cors_upload.mjs PAGE_URL PUT_URL GET_URL CONTENT_TYPE BODY
import { chromium } from "playwright-core";

const [pageUrl, putUrl, getUrl, type, body] = process.argv.slice(2);
const say = (line) => console.log(line);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const timeout = setTimeout(() => { say("FAILED timeout"); process.exit(2); }, 60_000);
try {
  // the page's own content-security policy (the server's default-src 'none') is not the upload's business
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  page.on("console", (m) => say(`CONSOLE ${m.text()}`));
  await page.goto(pageUrl);
  const result = await page.evaluate(async ([put, get, type, body]) => {
    try {
      const p = await fetch(put, { method: "PUT", headers: { "Content-Type": type }, body });
      const g = await fetch(get);
      return `PUT ${p.status}\nGET ${g.status} ${await g.text()}`;
    } catch (e) {
      return `FAILED ${e}`;
    }
  }, [putUrl, getUrl, type, body]);
  say(result);
  say("DONE");
} catch (e) {
  say(`FAILED ${e}`);
} finally {
  clearTimeout(timeout);
  await browser.close();
}
