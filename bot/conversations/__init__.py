"""Reading conversations, one way for every part of the project.

- `reading.events_after(store, conversation, after)`: a conversation's events
  after a position, from Rasa's tracker store (the cached SQL store reads only
  those rows). The channels call it in the Rasa process (history, pending
  buttons); the console calls it through Rasa (`GET
  /webhooks/okpay_events/conversations/<id>/events`, `bot.channels.conversation_events`,
  which calls this function) with `bot.console.rasa_client.RasaClient.events`.
- `events_table`: Rasa's own `events` table definition, for the insights'
  figures and the review queue, which read many conversations by period.
- `bot.stream`: every new event as it is stored, for live views.
"""
