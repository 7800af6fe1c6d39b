"""The Rasa SDK action server: form validation and the few replies that need code.

Nothing on the crisis path lives here: the crisis reply is a domain response
driven by rules, so it works while this server is down.
"""
