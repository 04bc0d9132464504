"""The in-app chat widget: its tokens, script, styles and demo page.

The socket.io side that Rasa loads is `bot.channels.widget`; the agent
console's process serves the widget's files and the demo page
(`bot.widget.routes`).
"""
