"""A slixmpp client for the end-to-end tests: log in, ping the server, read its disco#info.

usage: slix_client.py JID PASSWORD PORT starttls|direct MECHANISM|default [--no-cb]

Debian's slixmpp 1.8.3 knows only the tls-unique channel binding, which TLS 1.3 does not define
(RFC 9266) and the server therefore does not offer; --no-cb makes it a client without channel
binding (gs2 flag n). Without it, and with MECHANISM 'default', it is slixmpp as it comes: it
tries SCRAM-SHA-512-PLUS with tls-unique, then falls back to SCRAM with gs2 flag y.
"""
import asyncio
import ssl
import sys

import slixmpp

if '--no-cb' in sys.argv:
    sys.argv.remove('--no-cb')
    ssl.SSLObject.get_channel_binding = lambda self, cb_type='tls-unique': None

jid, password, port, mode, mechanism = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
direct = mode == 'direct'


class Client(slixmpp.ClientXMPP):
    def __init__(self):
        super().__init__(jid, password, sasl_mech=None if mechanism == 'default' else mechanism)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        self.register_plugin('xep_0030')
        self.register_plugin('xep_0199')
        self.add_event_handler('session_start', self.start)
        self.add_event_handler('failed_auth', self.failed)

    def failed(self, event):
        print('AUTH FAILED', flush=True)
        if mechanism != 'default':
            self.disconnect()  # as it comes, slixmpp tries its next mechanism on the same stream

    async def start(self, event):
        print('BOUND', self.boundjid, flush=True)
        print('TLS', self.socket.version(), flush=True)
        rtt = await self['xep_0199'].ping(jid=slixmpp.JID(self.boundjid.domain), timeout=10)
        print('PING', rtt, flush=True)
        info = await self['xep_0030'].get_info(jid=self.boundjid.domain, timeout=10)
        print('FEATURES', ' '.join(sorted(info['disco_info']['features'])), flush=True)
        self.disconnect()


client = Client()
client.connect(('127.0.0.1', port), use_ssl=direct, disable_starttls=direct, force_starttls=not direct)
asyncio.get_event_loop().run_until_complete(asyncio.wait_for(client.disconnected, 30))
print('DONE', flush=True)
