"""The staff console: clinic staff review conversations, crisis alerts and intakes.

A small server-rendered web application (aiohttp + Jinja2, no JavaScript) on
its own port, reading the same database as the assistant. Every page needs a
staff login; every login, view, export and change is written to the
append-only audit log.
"""
