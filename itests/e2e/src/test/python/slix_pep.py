"""slixmpp's own PEP plugins (XEP-0163, XEP-0084 avatars, XEP-0048 bookmarks in XEP-0049 private
storage, XEP-0060 publish-options) against Strata, with their defaults. PepIT runs it beside Smack
clients. Prints one line per checkpoint; PepIT asserts on them. The accounts exist already.

usage: slix_pep.py PORT PASSWORD_SUFFIX USER OTHER watch|publish|bookmarks   (password: user + suffix)
  watch:     publish an OMEMO device list with publish-options (open access), then wait for OTHER's
             avatar metadata notification (this client asks for it through its capabilities)
  publish:   publish an avatar (data, then metadata), then store a bookmark with XEP-0048 in
             private XML storage
  bookmarks: read the XEP-0048 bookmarks from private XML storage
"""
import asyncio
import base64
import hashlib
import sys

from slixmpp.plugins.xep_0004 import Form
from slixmpp.plugins.xep_0048.stanza import Bookmarks
from slixmpp.xmlstream import ET

from slix_common import BaseClient, USER1 as ME, USER2 as OTHER, say

MODE = sys.argv[5]
# a 1x1 PNG
AVATAR = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==')
OMEMO = 'eu.siacs.conversations.axolotl'


class Client(BaseClient):
    def __init__(self, jid):
        super().__init__(jid, ('xep_0030', 'xep_0004', 'xep_0060', 'xep_0115', 'xep_0163', 'xep_0084', 'xep_0048', 'xep_0049'))
        self.avatars = asyncio.Queue()
        self.add_event_handler('avatar_metadata_publish', lambda m: self.avatars.put_nowait(m))


async def main():
    me = Client(ME + '/slix')
    await me.login()
    say('LOGGED-IN')
    if MODE == 'watch':
        options = Form()
        options['type'] = 'submit'
        options.add_field(var='FORM_TYPE', ftype='hidden', value='http://jabber.org/protocol/pubsub#publish-options')
        options.add_field(var='pubsub#access_model', value='open')
        devices = ET.fromstring("<list xmlns='%s'><device id='31337'/></list>" % OMEMO)
        await me['xep_0060'].publish(ME, OMEMO + '.devicelist', id='current', payload=devices, options=options)
        say('DEVICES-PUBLISHED')
        while True:
            m = await asyncio.wait_for(me.avatars.get(), 30)
            if m['from'].bare == OTHER:
                info = m['pubsub_event']['items']['item']['avatar_metadata']['info']
                say('GOT-AVATAR', info['id'], 'type', info['type'], 'bytes', info['bytes'])
                break
    elif MODE == 'publish':
        await me['xep_0084'].publish_avatar(AVATAR)
        sha = hashlib.sha1(AVATAR).hexdigest()
        await me['xep_0084'].publish_avatar_metadata([{'id': sha, 'type': 'image/png', 'bytes': len(AVATAR)}])
        say('AVATAR-PUBLISHED', sha)
        bookmarks = Bookmarks()
        bookmarks.add_conference('club@conference.localhost', 'slixnick', name='The Club', autojoin=True)
        await me['xep_0048'].set_bookmarks(bookmarks, method='xep_0049')
        say('BOOKMARKED club@conference.localhost')
    else:
        result = await me['xep_0048'].get_bookmarks(method='xep_0049')
        confs = result['private']['bookmarks']['conferences']
        say('BOOKMARKS', '|'.join(sorted(str(c['jid']) + ':' + c['nick'] for c in confs)))
    say('DONE')
    me.disconnect()
    await asyncio.sleep(0.5)


asyncio.get_event_loop().run_until_complete(main())
