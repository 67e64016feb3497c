// @xmpp/client (xmpp.js) as it comes, for the end-to-end tests: logs in with its defaults
// (SASL2 when offered, Bind 2, stream management inline, a FAST token requested), sends itself a
// message, then stops and starts again, which logs in with the FAST token. Prints one line per
// fact for the Java test to check: AUTH <mechanism> <inline children>, ONLINE <jid>, SM <enabled>,
// TOKEN <yes|no>, ECHO <body>, DONE.
//   node xmppjs_client.mjs SERVICE DOMAIN USERNAME PASSWORD RESOURCE [LOGINS]
import { client, xml } from "@xmpp/client";

const [service, domain, username, password, resource, logins = "2"] = process.argv.slice(2);
const xmpp = client({ service, domain, username, password, resource });
const say = (line) => console.log(line);
const timeout = setTimeout(() => { say("TIMEOUT"); process.exit(2); }, 60_000);

xmpp.on("error", (err) => say(`ERROR ${err.condition ?? ""} ${err.text ?? err.message}`));
xmpp.on("send", (el) => {
  if (el.is("authenticate", "urn:xmpp:sasl:2")) {
    say(`AUTH ${el.attrs.mechanism} ${el.getChildElements().map((c) => c.name).join(",")}`);
  } else if (el.is("auth", "urn:ietf:params:xml:ns:xmpp-sasl")) {
    say(`AUTH-RFC6120 ${el.attrs.mechanism}`);
  }
});

let echo;
xmpp.on("stanza", (st) => {
  if (st.is("message") && st.getChildText("body")) echo?.(st.getChildText("body"));
});

async function once(n) {
  const online = new Promise((resolve) => xmpp.once("online", resolve));
  await xmpp.start();
  const jid = await online;
  say(`ONLINE ${jid}`);
  say(`SM ${xmpp.streamManagement.enabled}`);
  say(`TOKEN ${(await xmpp.fast.fetch()) ? "yes" : "no"}`);
  const got = new Promise((resolve) => { echo = resolve; });
  await xmpp.send(xml("message", { to: jid.toString(), type: "chat" }, xml("body", {}, `hello ${n}`)));
  say(`ECHO ${await got}`);
  await xmpp.stop();
}

try {
  for (let i = 1; i <= Number(logins); i++) await once(i);
  say("DONE");
  clearTimeout(timeout);
} catch (err) {
  say(`FAILED ${err.condition ?? ""} ${err.text ?? ""} ${err.stack}`);
  process.exit(1);
}
