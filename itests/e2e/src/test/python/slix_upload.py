"""slixmpp's own XEP-0363 plugin against Strata, with its defaults: it finds the upload service
through disco on the server, reads max-file-size, asks for a slot and PUTs the file with aiohttp.
UploadIT runs it and fetches what it printed. The accounts exist already.

usage: slix_upload.py PORT PASSWORD_SUFFIX USER OTHER SIZE   (password: user + suffix)
prints: LOGGED-IN, MAX <max-file-size>, URL <the file's URL> (SIZE bytes of 'slixmpp!' repeated), DONE
"""
import asyncio
import io
import sys

from slix_common import BaseClient, USER1 as ME, say

SIZE = int(sys.argv[5])


async def main():
    me = BaseClient(ME + '/slix', ('xep_0030', 'xep_0004', 'xep_0363'))
    await me.login()
    say('LOGGED-IN')
    data = (b'slixmpp!' * (SIZE // 8 + 1))[:SIZE]
    # slixmpp 1.8.3's own discovery (get_info_from_domain) fails on Python 3.11 ("Passing coroutines is
    # forbidden"): find the service as it would, through disco#items of the server and disco#info of each item
    items = await me['xep_0030'].get_items(jid='localhost', timeout=10)
    for jid, _, _ in items['disco_items']['items']:
        info = await me['xep_0030'].get_info(jid=jid, timeout=10)
        if 'urn:xmpp:http:upload:0' in info['disco_info']['features']:
            me['xep_0363'].upload_service = info['from']
            for form in info['disco_info'].iterables:
                values = form['values']
                if values['FORM_TYPE'] == ['urn:xmpp:http:upload:0']:
                    me['xep_0363'].max_file_size = int(values['max-file-size'])
    say('SERVICE', me['xep_0363'].upload_service)
    url = await me['xep_0363'].upload_file('slix notes.txt', size=SIZE, content_type='text/plain', input_file=io.BytesIO(data), timeout=30)
    say('MAX', me['xep_0363'].max_file_size)
    say('URL', url)
    me.disconnect()
    say('DONE')


asyncio.get_event_loop().run_until_complete(main())
