"""The slixmpp side of a web client test: USER2 (over STARTTLS) waits for USER1's chat message,
answers it with "from slixmpp: <what it got>", prints GOT <body>, then DONE.
   python3 slix_web_peer.py PORT PASSWORD_SUFFIX USER1 USER2"""
import asyncio

from slix_common import BaseClient, USER1, USER2, say


async def main():
    peer = await BaseClient(USER2, []).login()
    say('READY')
    msg = await asyncio.wait_for(peer.inbox.get(), 90)
    say('GOT', msg['body'], 'FROM', msg['from'].bare)
    peer.send_message(mto=msg['from'], mbody='from slixmpp: ' + msg['body'], mtype='chat')
    await asyncio.sleep(1)
    peer.disconnect()
    say('DONE')


asyncio.get_event_loop().run_until_complete(main())
