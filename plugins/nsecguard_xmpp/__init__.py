"""nsecguard's XMPP front-end: `nsecguard xmpp-bot`, a slixmpp adapter on the chat core."""
