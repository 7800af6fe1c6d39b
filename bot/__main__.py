"""The project's command line: `python -m bot <command>` (the Makefile calls these)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
import uuid

from bot import log_redaction
from bot import settings as config


def _build_nlp(args: argparse.Namespace) -> int:
    from bot import language

    print(f"spaCy pipeline written to {language.save()}")
    return 0


def _build_kb(args: argparse.Namespace) -> int:
    from bot import knowledge

    try:
        path = knowledge.build()
    except knowledge.KnowledgeError as error:
        print(f"error: knowledge base: {error}", file=sys.stderr)
        return 1
    print(f"FAQ training data and responses written to {path}")
    return 0


def _intake_domain(args: argparse.Namespace) -> int:
    """Print the questionnaire's Rasa domain, as generated for training from bot/intake/."""
    import yaml

    from bot.intake import domain, questions

    try:
        generated = domain.intake_domain(questions.load())
    except (questions.CatalogueError, ValueError) as error:
        print(f"error: questionnaire: {error}", file=sys.stderr)
        return 1
    print(yaml.safe_dump(generated, sort_keys=False, allow_unicode=True, width=120), end="")
    return 0


def _run(args: argparse.Namespace) -> int:
    from bot import stack

    return stack.serve(config.load())


def _alerts(args: argparse.Namespace) -> int:
    from bot.alerts import delivery

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    delivery.run_forever(config.load())
    return 0


def _console(args: argparse.Namespace) -> int:
    from bot.console import web

    web.serve(config.load())
    return 0


def _staff_user(args: argparse.Namespace) -> int:
    """Create a staff account, or reset its password and role; the password never appears on the command line."""
    import getpass

    from bot import storage
    from bot.console import accounts, audit

    settings = config.load()
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.email}: ")
        if getpass.getpass("Repeat it: ") != password:
            print("error: the passwords differ.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    storage.create_tables(settings.database_url)
    engine = storage.engine(settings.database_url)
    try:
        created = accounts.save_user(engine, args.email, password, args.role)
    except accounts.AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    action = "staff_user_created" if created else "staff_user_updated"
    audit.record(engine, "command line", action, target=args.email.strip().lower(), detail=f"role={args.role}")
    print(f"{'Created' if created else 'Updated'} {args.role} account {args.email.strip().lower()}.")
    return 0


def _shell(args: argparse.Namespace) -> int:
    """A terminal chat against the running assistant (`make run` in another terminal)."""
    import requests

    settings = config.load()
    url = f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/rest/webhook"
    sender = f"shell-{uuid.uuid4().hex[:12]}"
    print("Type a message (Ctrl-D to quit).")
    for line in sys.stdin:
        try:
            replies = requests.post(url, json={"sender": sender, "message": line.strip()}, timeout=30).json()
        except requests.RequestException:
            print(f"error: no assistant at {url}; start it with `make run`.", file=sys.stderr)
            return 1
        for reply in replies:
            print(f"bot: {reply.get('text', '')}")
            for number, button in enumerate(reply.get("buttons") or [], start=1):
                print(f"     {number}. {button['title']}")
    return 0


def _new_key(args: argparse.Namespace) -> int:
    from bot import crypto

    print(crypto.new_key())
    return 0


def _retention(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot import retention, storage

    settings = config.load()
    engine = storage.engine(settings.database_url)
    try:
        storage.create_tables(settings.database_url)
        if args.dry_run:
            with engine.connect() as connection:
                found = retention.expired(connection, settings.retention_days, settings.intake_retention_days, time.time())
            print(
                f"Would delete {len(found.senders)} conversations and {len(found.intake_ids)} intakes "
                f"({found.intakes_kept_for_review} expired intakes are kept: not reviewed yet)."
            )
            return 0
        result = retention.purge(engine, settings.retention_days, settings.intake_retention_days)
    except SQLAlchemyError as error:
        print(f"error: retention: the database failed ({type(error).__name__}); nothing was deleted.", file=sys.stderr)
        return 1
    print(f"Deleted {result.summary()}.")
    return 0


def _rotate_keys(args: argparse.Namespace) -> int:
    from bot import key_rotation, storage

    settings = config.load()
    values = key_rotation.rotate(storage.engine(settings.database_url))
    print(f"Re-encrypted {values} stored values with the first key of DATA_KEYS; older keys can now be removed.")
    return 0


def _check(args: argparse.Namespace) -> int:
    config.load()
    return 0


COMMANDS = {
    "build-nlp": (_build_nlp, "build the project's spaCy pipeline into build/spacy_en"),
    "build-kb": (_build_kb, "generate FAQ training data and responses from knowledge/"),
    "intake-domain": (_intake_domain, "print the questionnaire's Rasa domain generated from bot/intake/"),
    "run": (_run, "start the action server, the Rasa server and the alert worker"),
    "alerts": (_alerts, "deliver crisis alerts to the clinic (started by `run`)"),
    "console": (_console, "serve the staff console (started by `run`)"),
    "staff-user": (_staff_user, "create a staff console account: staff-user EMAIL [--role admin]"),
    "shell": (_shell, "chat with the running assistant in this terminal"),
    "retention": (_retention, "delete conversations and intakes past RETENTION_DAYS / INTAKE_RETENTION_DAYS"),
    "rotate-keys": (_rotate_keys, "re-encrypt stored patient data with the first key of DATA_KEYS"),
    "check-config": (_check, "validate .env and exit"),
    "new-key": (_new_key, "print a new encryption key for DATA_KEYS in .env"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        commands.add_parser(name, help=help_text)
    staff_user = commands.choices["staff-user"]
    staff_user.add_argument("email")
    staff_user.add_argument("--role", choices=("staff", "admin"), default="staff")
    commands.choices["retention"].add_argument("--dry-run", action="store_true", help="only count what would go")
    args = parser.parse_args(argv)
    log_redaction.install()
    try:
        return COMMANDS[args.command][0](args)
    except config.ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
