"""slixmpp's own XEP-0198, XEP-0280 and XEP-0313 plugins against Strata, with their defaults:
stream management enabled and a stream resumed after the connection is cut, carbons both ways
between two resources, and the archive paged through. Prints one line per checkpoint;
MobileClientsIT asserts on them. The accounts exist already (created by the test).

usage: slix_mobile.py PORT PASSWORD_SUFFIX USER1 USER2   (passwords: user + suffix)
"""
import asyncio
import xml.etree.ElementTree as ET

import slixmpp

from slix_common import BaseClient, USER1 as ALICE, USER2 as BOB, port, say, until


class Client(BaseClient):
    def __init__(self, jid):
        super().__init__(jid, ('xep_0030', 'xep_0059', 'xep_0198', 'xep_0199', 'xep_0280', 'xep_0297', 'xep_0313'))
        self.resumed = asyncio.get_event_loop().create_future()
        self.carbons_in = asyncio.Queue()
        self.carbons_out = asyncio.Queue()
        self.add_event_handler('session_resumed', lambda e: self.resumed.done() or self.resumed.set_result(True))
        self.add_event_handler('carbon_received', lambda m: self.carbons_in.put_nowait(m['carbon_received']))
        self.add_event_handler('carbon_sent', lambda m: self.carbons_out.put_nowait(m['carbon_sent']))

    def on_message(self, msg):
        if msg['body'] and msg['type'] in ('chat', 'normal'):
            self.inbox.put_nowait(msg)


async def main():
    phone = await Client(ALICE + '/phone').login()
    laptop = await Client(ALICE + '/laptop').login()
    bob = await Client(BOB + '/desk').login()
    say('LOGGED-IN')

    # XEP-0198: enabled by the plugin's defaults, acks both ways
    await until('sm enabled', lambda: phone['xep_0198'].sm_id is not None)
    say('SM-ENABLED resumable' if phone['xep_0198'].sm_id else 'SM-ENABLED')
    for i in range(5):
        phone.send_message(mto=BOB + '/desk', mbody='ack me %d' % i, mtype='chat')
    # request_ack() writes <r/> at once, ahead of stanzas still in slixmpp's send queue: ask until all are counted
    for _ in range(40):
        phone['xep_0198'].request_ack()
        await asyncio.sleep(0.25)
        if len(phone['xep_0198'].unacked_queue) == 0:
            break
    await until('acks', lambda: len(phone['xep_0198'].unacked_queue) == 0)
    say('SM-ACKED all')
    for _ in range(5):
        await asyncio.wait_for(bob.inbox.get(), 10)

    # XEP-0280: both of alice's resources enable carbons
    await phone['xep_0280'].enable()
    await laptop['xep_0280'].enable()
    bob.send_message(mto=ALICE + '/phone', mbody='to the phone', mtype='chat')
    m = await asyncio.wait_for(phone.inbox.get(), 10)
    c = await asyncio.wait_for(laptop.carbons_in.get(), 10)
    say('CARBON-RECEIVED', c['body'], 'original', m['body'])
    phone.send_message(mto=BOB + '/desk', mbody='from the phone', mtype='chat')
    c = await asyncio.wait_for(laptop.carbons_out.get(), 10)
    say('CARBON-SENT', c['body'])
    await asyncio.wait_for(bob.inbox.get(), 10)
    await asyncio.sleep(0.3)
    say('PHONE-EXTRA', phone.carbons_in.qsize() + phone.carbons_out.qsize())

    # XEP-0198 resumption: the phone's connection is cut; bob writes; the phone resumes and gets it
    phone.abort()
    await asyncio.sleep(0.5)
    bob.send_message(mto=ALICE + '/phone', mbody='while you were cut off', mtype='chat')
    await asyncio.sleep(0.3)
    phone.connect(('127.0.0.1', port), force_starttls=True)
    await asyncio.wait_for(phone.resumed, 15)
    m = await asyncio.wait_for(phone.inbox.get(), 10)
    say('RESUMED', m['body'])

    # XEP-0313: alice archives everything, bob writes, alice pages through the conversation 2 at a time
    iq = phone.make_iq_set()
    iq.append(ET.fromstring('<prefs xmlns="urn:xmpp:mam:2" default="always"/>'))
    await iq.send()
    for i in range(5):
        bob.send_message(mto=ALICE, mbody='archived %d' % i, mtype='chat')
    for _ in range(5):
        await asyncio.wait_for(phone.inbox.get(), 10)
    bodies = []
    async for msg in phone['xep_0313'].iterate(with_jid=slixmpp.JID(BOB), rsm={'max': 2}):
        bodies.append(msg['mam_result']['forwarded']['stanza']['body'])
    say('MAM', '|'.join(b for b in bodies if b.startswith('archived')))

    for c in (phone, laptop, bob):
        c.disconnect()
        await c.disconnected
    say('DONE')


asyncio.get_event_loop().run_until_complete(asyncio.wait_for(main(), 90))
