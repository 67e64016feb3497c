"""slixmpp 1.8.3's ComponentXMPP (XEP-0114) as an external component of Strata, with its defaults:
an echo service on its own domain. ComponentIT runs it. Prints one line per checkpoint.

usage: slix_component.py PORT DOMAIN SECRET
  connect to 127.0.0.1:PORT as DOMAIN, answer each chat message with 'echo: <body>' from the JID it
  was sent to, and leave after a message 'bye'
"""
import asyncio
import sys

from slixmpp import ComponentXMPP

PORT, DOMAIN, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3]


def say(*words):
    print(*words, flush=True)


class Echo(ComponentXMPP):
    def __init__(self):
        super().__init__(DOMAIN, SECRET, '127.0.0.1', PORT)
        self.bye = asyncio.get_event_loop().create_future()
        self.add_event_handler('session_start', lambda e: say('CONNECTED'))
        self.add_event_handler('message', self.on_message)

    def on_message(self, msg):
        if not msg['body']:
            return
        say('GOT', msg['body'], 'from', msg['from'].bare, 'to', msg['to'])
        if msg['body'] == 'bye':
            self.bye.set_result(True)
            return
        self.send_message(mto=msg['from'], mfrom=msg['to'], mbody='echo: ' + msg['body'], mtype=msg['type'] or 'chat')


async def main():
    echo = Echo()
    echo.connect()
    try:
        await asyncio.wait_for(echo.bye, 40)
    except asyncio.TimeoutError:
        say("TIMEOUT waiting for bye")
    say('DONE')
    echo.disconnect()
    await asyncio.sleep(0.5)


asyncio.get_event_loop().run_until_complete(main())
