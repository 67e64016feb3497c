"""slixmpp 1.8.3's XEP-0425 plugin (the 0.2 protocol, on XEP-0422 fastening) in a Strata room whose
moderator retracts what it says. MucIT runs it. Prints one line per checkpoint; MucIT asserts on
them. The account exists already (created by the test).

usage: slix_moderated.py PORT PASSWORD_SUFFIX USER OTHER ROOM
  enter the room as 'sam', say the spam line, wait for the room's moderation of it
"""
import asyncio
import sys

from slix_common import BaseClient, USER1 as ME, say

ROOM = sys.argv[5]


class Client(BaseClient):
    def __init__(self, jid):
        super().__init__(jid, ('xep_0030', 'xep_0045', 'xep_0359', 'xep_0425'))
        self.moderated = asyncio.get_event_loop().create_future()
        self.add_event_handler('moderated_message', lambda m: self.moderated.done() or self.moderated.set_result(m))


async def main():
    me = Client(ME + '/slix')
    await me.login()
    await me['xep_0045'].join_muc_wait(ROOM, 'sam', maxstanzas=0, timeout=15)
    say('JOINED')
    me.send_message(mto=ROOM, mbody='buy cheap watches at example.com', mtype='groupchat')
    m = await asyncio.wait_for(me.moderated, 20)
    moderated = m['apply_to']['moderated']
    say('MODERATED', m['apply_to']['id'], 'by', moderated['by'], 'reason', moderated['reason'])
    say('DONE')
    me.disconnect()
    await asyncio.sleep(0.5)


asyncio.get_event_loop().run_until_complete(main())
