"""Two slixmpp users through the IM core: subscribe, presence, bare/full JID routing, offline
delivery with a delay stamp, blocking, vCard and private storage. Prints one line per checkpoint;
ImIT asserts on them. The accounts alice and bob exist already (created by the test).

usage: slix_im.py PORT PASSWORD_SUFFIX USER1 USER2   (passwords: user + suffix)
"""
import asyncio
import xml.etree.ElementTree as ET

from slix_common import BaseClient, USER1 as ALICE, USER2 as BOB, say, until


class Client(BaseClient):
    def __init__(self, jid, priority=0):
        super().__init__(jid, ('xep_0030', 'xep_0054', 'xep_0191', 'xep_0203', 'xep_0199'))
        self.priority = priority
        self.errors = asyncio.Queue()
        self.add_event_handler('message_error', self.on_message)

    async def start(self, event):
        await self.get_roster()
        self.send_presence(ppriority=self.priority)
        self.ready.set_result(True)

    def on_message(self, msg):
        if msg['type'] == 'error':
            self.errors.put_nowait(msg)
        elif msg['body']:
            self.inbox.put_nowait(msg)


def available(client, contact):
    return any(p.get('show') != 'unavailable' for p in client.client_roster.presence(contact).values())


async def main():
    alice = await Client(ALICE + '/slix').login()
    bob = await Client(BOB + '/phone').login()
    say('LOGGED-IN')

    # subscriptions both ways: slixmpp authorizes and subscribes back by itself (auto_authorize, auto_subscribe)
    alice.send_presence_subscription(pto=BOB)
    await until('subscription both', lambda: alice.client_roster[BOB]['subscription'] == 'both'
                and bob.client_roster[ALICE]['subscription'] == 'both')
    say('SUBSCRIBED both')
    await until('presence seen', lambda: available(alice, BOB) and available(bob, ALICE))
    say('PRESENCE seen both ways')

    # a second resource of bob with a higher priority takes the bare-JID messages
    laptop = await Client(BOB + '/laptop', priority=10).login()
    await until('laptop seen', lambda: 'laptop' in alice.client_roster.presence(BOB))
    alice.send_message(mto=BOB, mbody='to the bare JID', mtype='chat')
    m = await asyncio.wait_for(laptop.inbox.get(), 10)
    say('BARE-ON-LAPTOP', m['body'])
    alice.send_message(mto=BOB + '/phone', mbody='to the phone', mtype='chat')
    m = await asyncio.wait_for(bob.inbox.get(), 10)
    say('FULL-ON', m['to'].resource, m['body'])
    say('LAPTOP-EXTRA', laptop.inbox.qsize())

    # offline: bob leaves, alice writes, bob comes back
    for c in (bob, laptop):
        c.disconnect()
        await c.disconnected
    await until('bob gone', lambda: not available(alice, BOB))
    alice.send_message(mto=BOB, mbody='while you were away', mtype='chat')
    await asyncio.sleep(0.5)
    bob = await Client(BOB + '/phone').login()
    m = await asyncio.wait_for(bob.inbox.get(), 10)
    say('OFFLINE', m['body'], 'delay', m['delay']['stamp'].isoformat() if m['delay']['stamp'] else None, 'from', m['delay']['from'])

    # blocking
    await bob['xep_0191'].block([ALICE])
    blocked = await bob['xep_0191'].get_blocked()
    say('BLOCKLIST', ' '.join(str(j) for j in blocked['blocklist']['items']))
    await until('alice stops seeing bob', lambda: not available(alice, BOB))
    alice.send_message(mto=BOB, mbody='can you hear me?', mtype='chat')
    err = await asyncio.wait_for(alice.errors.get(), 10)
    say('BLOCKED-ERROR', err['error']['condition'])
    await asyncio.sleep(0.5)
    say('BOB-INBOX', bob.inbox.qsize())
    await bob['xep_0191'].unblock([ALICE])
    await until('alice sees bob again', lambda: available(alice, BOB))
    say('UNBLOCKED')

    # vCard: alice publishes, bob reads
    vcard = alice['xep_0054'].make_vcard()
    vcard['FN'] = 'Alice Liddell'
    await alice['xep_0054'].publish_vcard(vcard)
    got = await bob['xep_0054'].get_vcard(ALICE, cached=False, local=False)
    say('VCARD', got['vcard_temp']['FN'])

    # XEP-0049 private storage, raw
    iq = alice.make_iq_set()
    iq.append(ET.fromstring('<query xmlns="jabber:iq:private"><prefs xmlns="urn:example:prefs">dark mode</prefs></query>'))
    await iq.send()
    iq = alice.make_iq_get()
    iq.append(ET.fromstring('<query xmlns="jabber:iq:private"><prefs xmlns="urn:example:prefs"/></query>'))
    result = await iq.send()
    say('PRIVATE', result.xml.find('{jabber:iq:private}query/{urn:example:prefs}prefs').text)

    for c in (alice, bob):
        c.disconnect()
        await c.disconnected
    say('DONE')


asyncio.get_event_loop().run_until_complete(asyncio.wait_for(main(), 90))
