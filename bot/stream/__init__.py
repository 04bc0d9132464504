"""Every event Rasa stores, carried out of Rasa as it happens: the live feed of the console.

Rasa hands each new event of a conversation to its event broker (`endpoints.yml`,
`event_broker:`) when it saves the tracker. Ours (`bot.stream.broker.StreamBroker`)
appends it to a stream; readers (`bot.stream.feed.EventFeed`) follow the stream
from where they stopped. Two backends, chosen by the URL:

- `sqlite:///var/event_stream.db` (embedded, nothing to install): a table;
  readers ask it for the rows after theirs a few times a second (one indexed
  query, no tracker read, no Rasa API call).
- `redis://host:6379/0` (replicated): a Redis stream (`XADD` with a length
  cap); readers block on `XREAD`, so an event reaches them at once.
"""
