"""Low-confidence FAQ answers: offer the two likeliest knowledge-base topics."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.knowledge import load_entries

TITLES = {entry.id: entry.title for entry in load_entries()}


class ActionOfferTopics(Action):
    def name(self) -> str:
        return "action_offer_topics"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        ranking = (tracker.latest_message.get("response_selector", {}).get("faq", {}) or {}).get("ranking", [])
        entries = [r["intent_response_key"].split("/", 1)[1] for r in ranking[:2]]
        buttons = [{"title": TITLES.get(entry, entry), "payload": "/choose_topic" + json.dumps({"kb_entry": entry})} for entry in entries]
        dispatcher.utter_message(response="utter_offer_topics", buttons=buttons)
        return []


class ActionAnswerTopic(Action):
    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        entry = tracker.get_slot("kb_entry")
        if entry not in TITLES:
            dispatcher.utter_message(response="utter_dont_know")
            return []
        dispatcher.utter_message(response=f"utter_faq/{entry}")
        return [SlotSet("kb_entry", entry)]
