"""What the slixmpp scripts share: the arguments PORT PASSWORD_SUFFIX USER1 USER2 (passwords:
user + suffix), a client that logs in over STARTTLS with Debian's slixmpp 1.8.3 and is ready once
its session started, and small helpers. The accounts exist already (created by the test)."""
import asyncio
import ssl
import sys

import slixmpp

# Debian's slixmpp 1.8.3 knows only tls-unique (not in TLS 1.3): log in without channel binding
ssl.SSLObject.get_channel_binding = lambda self, cb_type='tls-unique': None

port, suffix = int(sys.argv[1]), sys.argv[2]
USER1, USER2 = sys.argv[3] + '@localhost', sys.argv[4] + '@localhost'


def say(*words):
    print(*words, flush=True)


class BaseClient(slixmpp.ClientXMPP):
    """A client with these plugins; ready (self.ready) once its session started; messages with a body in self.inbox."""

    def __init__(self, jid, plugins):
        super().__init__(jid, jid.split('@')[0] + suffix, sasl_mech='SCRAM-SHA-256')
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for p in plugins:
            self.register_plugin(p)
        self.ready = asyncio.get_event_loop().create_future()
        self.inbox = asyncio.Queue()
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('message', self.on_message)

    async def start(self, event):
        self.send_presence()
        self.ready.set_result(True)

    def on_message(self, msg):
        if msg['body']:
            self.inbox.put_nowait(msg)

    async def login(self):
        self.connect(('127.0.0.1', port), force_starttls=True)
        await asyncio.wait_for(self.ready, 15)
        return self


async def until(what, check, timeout=10):
    for _ in range(int(timeout * 20)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise SystemExit('TIMEOUT ' + what)
