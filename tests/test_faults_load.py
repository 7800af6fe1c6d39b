"""Load with a fault: 50 conversations on two Rasa instances, one of them killed midway.

The benchmark's conversations (bench/load.py's script, 1 s between a
conversation's turns) run against two instances sharing PostgreSQL and a
private Redis. Half of the conversations start on each instance, as behind a
load balancer; a client whose request fails (connection refused or reset) fails
over to the other instance for good. Halfway through the turns, the second
instance is killed with SIGKILL. Afterwards every conversation is read back
from PostgreSQL: each turn the client saw answered must be there with the same
replies, in order. A turn the killed instance stored but never answered may
appear twice (the client sent it again); no answered turn may be missing.
Fails, never skips, without PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from bench.load import SCRIPT
from bot.stack import Stack
from tests.scaled_services import PrivateRedis, fresh_postgres_database, two_stacks, user_and_bot_turns

CONVERSATIONS = 50
PAUSE_SECONDS = 1.0
KILL_AFTER_TURNS = CONVERSATIONS * len(SCRIPT) // 2
# A killed instance never releases its conversations' locks; Rasa waits for them to expire (60 s by default).
LOCK_LIFETIME_SECONDS = "10"
TRY_AGAIN = "Please try again in a moment"


@dataclass
class Turn:
    text: str
    replies: list[str]
    instance: int
    sent_after_kill: bool  # a reply the killed instance sent just before dying can still arrive after the kill
    retried: bool  # a request for it failed, and the other instance answered


@dataclass
class Run:
    urls: list[str]
    dead: set[int] = field(default_factory=set)
    answered: int = 0
    killed_at: float | None = None
    conversations: dict[str, list[Turn]] = field(default_factory=dict)


@pytest.fixture
def stacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[Stack], str]]:
    monkeypatch.setenv("TICKET_LOCK_LIFETIME", LOCK_LIFETIME_SECONDS)
    redis_server = PrivateRedis(tmp_path)
    redis_server.start()
    try:
        with fresh_postgres_database() as database, two_stacks(tmp_path, database, redis_server.url, "test-faults-load") as pair:
            yield list(pair), database
    finally:
        redis_server.kill()


async def send(session: aiohttp.ClientSession, run: Run, sender: str, text: str, preferred: int) -> Turn:
    """One turn, on the preferred instance unless it has failed; on a failed request, the other one."""
    retried = False
    sent_after_kill = run.killed_at is not None
    errors = []
    for instance in [preferred, 1 - preferred]:
        if instance in run.dead:
            continue
        try:
            async with session.post(f"{run.urls[instance]}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as reply:
                body = await reply.json()
                if reply.status == 200 and isinstance(body, list):
                    run.answered += 1
                    return Turn(text, [m.get("text") or "" for m in body], instance, sent_after_kill, retried)
                errors.append(f"instance {instance}: HTTP {reply.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            errors.append(f"instance {instance}: {type(error).__name__} {error}")
        run.dead.add(instance)
        retried = True
    raise AssertionError(f"no instance answered {text!r} for {sender}: {errors}")


async def conversation(session: aiohttp.ClientSession, run: Run, index: int) -> None:
    sender = f"load-{index}-{uuid.uuid4().hex[:8]}"
    turns = run.conversations[sender] = []
    for text in SCRIPT:
        turns.append(await send(session, run, sender, text, preferred=index % 2))
        await asyncio.sleep(PAUSE_SECONDS)


async def kill_midway(run: Run, victim: Stack) -> None:
    while run.answered < KILL_AFTER_TURNS:
        await asyncio.sleep(0.05)
    os.killpg(victim.processes["rasa"].pid, signal.SIGKILL)
    run.killed_at = time.monotonic()


async def load_with_a_kill(stacks: list[Stack]) -> Run:
    run = Run([stack.rasa_url for stack in stacks])
    timeout = aiohttp.ClientTimeout(total=90)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=CONVERSATIONS)) as session:
        killer = asyncio.create_task(kill_midway(run, stacks[1]))
        await asyncio.gather(*(conversation(session, run, i) for i in range(CONVERSATIONS)))
        await killer
    return run


def first_missing(answered: list[tuple[str, str]], stored: list[tuple[str, list[str]]]) -> tuple[str, str] | None:
    """The first answered turn (text and replies) not found in the stored conversation in the same order, if any.

    Replies are compared as one text: Rasa's REST channel sends each paragraph of a reply as its own message.
    """
    remaining = iter((text, "\n\n".join(replies)) for text, replies in stored)
    return next((turn for turn in answered if not any(turn == candidate for candidate in remaining)), None)


def test_no_answered_turn_is_lost_when_one_of_two_instances_is_killed_under_load(stacks: tuple[list[Stack], str]) -> None:
    instances, database = stacks
    started = time.monotonic()
    run = asyncio.run(load_with_a_kill(instances))
    seconds = time.monotonic() - started

    turns = [turn for conversation_turns in run.conversations.values() for turn in conversation_turns]
    assert len(turns) == CONVERSATIONS * len(SCRIPT), "every turn of every conversation was answered, by one instance or the other"
    assert run.killed_at is not None and instances[1].processes["rasa"].poll() is not None, "the second instance was killed"
    assert any(turn.instance == 1 for turn in turns), "the killed instance answered turns before it died"
    after_kill = [turn for turn in turns if turn.sent_after_kill]
    assert after_kill and {turn.instance for turn in after_kill} == {0}, "the survivor answered the turns sent after the kill"
    assert all(turn.replies and TRY_AGAIN not in " ".join(turn.replies) for turn in turns), "each answer is a real reply"
    for sender, answered in run.conversations.items():
        stored = user_and_bot_turns(database, sender)
        missing = first_missing([(turn.text, "\n\n".join(turn.replies)) for turn in answered], stored)
        assert missing is None, f"{sender}: the answered turn {missing} is not in {stored}"

    moved = sum(turn.instance != index % 2 for index, answered in enumerate(run.conversations.values()) for turn in answered)
    print(f"\nLoad with a fault: {CONVERSATIONS} conversations, {len(turns)} turns answered "
          f"({sum(t.instance == 1 for t in turns)} by the killed instance before it died, {len(after_kill)} sent after the kill); "
          f"{sum(t.retried for t in turns)} requests failed and were answered by the survivor, "
          f"{moved} turns in all went to the survivor instead of their first instance; {seconds:.1f} s.")  # fmt: skip
