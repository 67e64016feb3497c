// The web admin in headless Chromium driven by playwright-core, as an operator uses it: log in,
// add a user, unload and load a module, read a setting with its file, and check that a change
// without the session's CSRF token (or from another site) is refused. Prints one line per fact
// (LOGIN-PAGE <status>, DASHBOARD, FACTS <the dashboard's table>, ADDED <flash>, USERS <list>, UNLOADED <module line>, LOADED
// <module line>, CONFIG <line>, NO-CSRF <status>, FOREIGN-ORIGIN <status>, NO-SESSION <status>,
// DONE, or FAILED <why>).
//   node webadmin_run.mjs BASE_URL ADMIN_JID PASSWORD NEW_JID MODULE SETTING
import { chromium } from "playwright-core";

const [base, admin, password, newJid, module, setting] = process.argv.slice(2);
const say = (line) => console.log(line);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const timeout = setTimeout(() => { say("FAILED timeout"); process.exit(2); }, 120_000);
const line = (text, word) => text.split("\n").find((l) => l.includes(word)) ?? "(none)";
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const first = await page.goto(base);
  say(`LOGIN-PAGE ${first.status()}`);
  await page.fill("input[name=jid]", admin);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(base), page.click("#login button")]);
  if (await page.locator("h1", { hasText: "Dashboard" }).count() === 1) say("DASHBOARD");
  say(`FACTS ${(await page.textContent("#facts")).replace(/\s+/g, " ")}`);
  const cookies = await context.cookies();
  const c = cookies.find((k) => k.name === "strata_admin");
  say(`COOKIE httpOnly=${c?.httpOnly} secure=${c?.secure} sameSite=${c?.sameSite}`);

  await page.click("nav >> text=Users");
  await page.fill("#user-add input[name=jid]", newJid);
  await page.fill("#user-add input[name=password]", "Web-Pw-1");
  await Promise.all([page.waitForLoadState(), page.click("#user-add button")]);
  say(`ADDED ${(await page.textContent("#flash"))?.trim()}`);
  say(`USERS ${(await page.textContent("pre")).replace(/\s+/g, " ")}`);

  await page.click("nav >> text=Modules");
  await page.fill("#module-unload input[name=name]", module);
  await Promise.all([page.waitForLoadState(), page.click("#module-unload button")]);
  say(`UNLOADED ${line(await page.textContent("#modules"), module)} | ${(await page.textContent("#flash"))?.trim()}`);
  await page.fill("#module-load input[name=name]", module);
  await Promise.all([page.waitForLoadState(), page.click("#module-load button")]);
  say(`LOADED ${line(await page.textContent("#modules"), module)} | ${(await page.textContent("#flash"))?.trim()}`);

  await page.click("nav >> text=Configuration");
  say(`CONFIG ${line(await page.textContent("#config"), setting)}`);

  // a change without the token, with the browser's own session cookie
  const noToken = await page.request.post(base + "run", { form: { action: "user-delete", jid: newJid }, maxRedirects: 0 });
  say(`NO-CSRF ${noToken.status()}`);
  const token = await page.getAttribute("input[name=csrf]", "value");
  const foreign = await page.request.post(base + "run", { form: { action: "user-delete", jid: newJid, csrf: token },
    headers: { Origin: "https://evil.example" }, maxRedirects: 0 });
  say(`FOREIGN-ORIGIN ${foreign.status()}`);
  const fresh = await browser.newContext({ ignoreHTTPSErrors: true });
  const anonymous = await fresh.request.post(base + "run", { form: { action: "user-delete", jid: newJid, csrf: token }, maxRedirects: 0 });
  say(`NO-SESSION ${anonymous.status()}`);
  await page.click("nav >> text=Users");
  say(`STILL ${(await page.textContent("pre")).includes(newJid)}`);
  say("DONE");
} catch (e) {
  say(`FAILED ${e.message.split("\n")[0]}`);
} finally {
  clearTimeout(timeout);
  await browser.close();
}
