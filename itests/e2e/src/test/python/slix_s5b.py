"""XEP-0065 file transfer through Strata's proxy with Debian's slixmpp 1.8.3 and its defaults (its
plugin uses proxies only: it finds proxy.localhost through disco on the server and asks it for its
address). The account exists already.

usage: slix_s5b.py PORT PASSWORD_SUFFIX USER OTHER send TARGET_FULL_JID SIZE
       slix_s5b.py PORT PASSWORD_SUFFIX USER OTHER receive
prints (send): PROXIES <jid> <host> <port>, SENT <size> <sha256>, DONE
prints (receive): READY, GOT <size> <sha256>, DONE
"""
import asyncio
import hashlib
import sys

from slix_common import BaseClient, USER1 as ME, say


async def send(me, target, size):
    proxies = await me['xep_0065'].discover_proxies(timeout=10)
    for jid, (host, port) in proxies.items():
        say('PROXIES', jid, host, port)
    sock = await me['xep_0065'].handshake(target, timeout=20)
    data = bytes((i * 7 + i // 251) & 0xff for i in range(size))
    for i in range(0, size, 65536):
        await sock.write(data[i:i + 65536])
    sock.transport.close()  # Socks5Protocol has no close() in slixmpp 1.8.3 (its own deactivate() calls it and fails)
    say('SENT', size, hashlib.sha256(data).hexdigest())


async def main():
    me = BaseClient(ME + '/slix', ('xep_0030',))
    me.register_plugin('xep_0065', {'auto_accept': True})
    received, done = bytearray(), asyncio.get_event_loop().create_future()
    me.add_event_handler('socks5_data', lambda data: received.extend(data))
    me.add_event_handler('socks5_closed', lambda exc: done.done() or done.set_result(True))
    await me.login()
    if sys.argv[5] == 'send':
        await send(me, sys.argv[6], int(sys.argv[7]))
    else:
        say('READY')
        await asyncio.wait_for(done, 60)
        say('GOT', len(received), hashlib.sha256(received).hexdigest())
    await asyncio.sleep(0.5)
    me.disconnect()
    say('DONE')


asyncio.get_event_loop().run_until_complete(main())
