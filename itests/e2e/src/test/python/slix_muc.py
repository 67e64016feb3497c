"""slixmpp's own XEP-0045 plugin against Strata's rooms, with its defaults. MucIT runs it twice
around a server restart. Prints one line per checkpoint; MucIT asserts on them. The account exists
already (created by the test).

usage: slix_muc.py PORT PASSWORD_SUFFIX USER OTHER ROOM first|rejoin   (password: user + suffix)
  first:  wait for the room's invitation (it may come from offline storage at login), enter,
          say hello, wait for the owner's answer
  rejoin: enter again (a member of a members-only room kept across the restart): subject, history
"""
import asyncio
import sys

from slix_common import BaseClient, USER1 as ME, port, say

ROOM, MODE = sys.argv[5], sys.argv[6]


class Client(BaseClient):
    def __init__(self, jid):
        super().__init__(jid, ('xep_0030', 'xep_0045', 'xep_0199', 'xep_0203'))
        self.invited = asyncio.get_event_loop().create_future()
        self.room_inbox = asyncio.Queue()
        self.add_event_handler('groupchat_invite', lambda m: self.invited.done() or self.invited.set_result(m))
        self.add_event_handler('groupchat_message', lambda m: m['body'] and self.room_inbox.put_nowait(m))


async def main():
    me = Client(ME + '/slix')
    await me.login()
    say('LOGGED-IN')
    muc = me['xep_0045']
    if MODE == 'first':
        inv = await asyncio.wait_for(me.invited, 15)
        say('INVITED to', inv['from'].bare, 'by', inv['muc']['invite']['from'].bare)
        pres, subject, occupants, history = await muc.join_muc_wait(ROOM, 'pete', maxstanzas=20, timeout=15)
        say('JOINED affiliation', pres['muc']['affiliation'], 'role', pres['muc']['role'], 'occupants', len(occupants))
        me.send_message(mto=ROOM, mbody='hello from slixmpp', mtype='groupchat')
        while True:
            m = await asyncio.wait_for(me.room_inbox.get(), 15)
            if m['from'].resource == 'olga' and m['body'] == 'hi pete':
                say('GOT', m['body'], 'from', m['from'].resource)
                break
    else:
        pres, subject, occupants, history = await muc.join_muc_wait(ROOM, 'pete', maxstanzas=50, timeout=15)
        say('REJOINED affiliation', pres['muc']['affiliation'], 'subject', subject['subject'])
        say('HISTORY', '|'.join(m['body'] for m in history))
    say('DONE')
    me.disconnect()
    await asyncio.sleep(0.5)


asyncio.get_event_loop().run_until_complete(main())
