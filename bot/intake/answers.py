"""Reading an answer the way a person types it: forgiving about form, strict about meaning.

Every reader returns an `Answer` (the value to store, and how to read it back
when the text had to be interpreted) or None when the text is not an answer to
that question, so the validator can ask again with a specific hint. Stored
values are plain JSON, ready for the encrypted record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from difflib import get_close_matches
from typing import Any

from dateutil import parser as dateparser
from spacy.tokens import Doc

from bot.intake import medications
from bot.intake.questions import Question

SKIPPED = "skipped"
NONE = "none"
UNSURE = "not sure"
YES = "yes"
NO = "no"
OUTSIDE_US = "outside the US"

_SKIP = re.compile(
    r"(?:please )?(?:skip|pass|next question|(?:i'?d |i would )?(?:rather|prefer) not(?: to)? (?:say|answer|share))"
    r"(?: (?:it|this|this one|this question|that|for now|please))*"
)
_UNSURE = re.compile(
    r"\b(?:not sure|unsure|(?:i )?(?:don'?t|do not|dont) (?:know|remember|recall)|dunno|no idea|idk|not certain"
    r"|can'?t remember|cannot remember|no clue|uncertain|maybe|possibly|perhaps)\b"
)
_NONE = re.compile(
    r"(?:none|nothing|nope|no|nah|n/?a|nil|zero|not applicable|no ?one|nobody"
    r"|i (?:don'?t|do not) (?:have|take) (?:one|any|anything))\b"
)
_NO = re.compile(
    r"(?:n|no|nope|nah|never|not|none|negative|nothing"
    r"|i (?:do not|don'?t|have not|haven'?t|am not|did not|didn'?t|never)|i'?m not|im not)\b"
)
_YES = re.compile(
    r"(?:y|yes|yeah|yep|yup|ya|yea|yess+|sure|correct|true|affirmative|definitely|absolutely|of course|right"
    r"|i (?:do|have|am|did|had)|i'?ve had|ive had)\b"
)
_AGREE = re.compile(r"(?:(?:yes|ok|okay|sure|yeah),? )?(?:i )?(?:agree|consent|accept)|ok|okay|k|alright|go ahead|let'?s go|fine")
_NAME_PREFIX = re.compile(
    r"(?:(?:hi|hello),? )?(?:my (?:full )?name is|my name'?s|name is|name:|i am|i'?m|im|it'?s|it is|this is|call me) "
)
_NOT_NAMES = frozenset(
    {"yes", "no", "ok", "okay", "hi", "hello", "hey", "none", "nothing", "sure", "thanks", "thank you", "why", "what",
     "idk", "test", "n/a", "na", "asdf", "help", "stop", "later", "start", "skip", "anonymous", "nobody", "no one"}
)  # fmt: skip
_DATE_PREFIX = re.compile(r"(?:my )?(?:date of birth|dob|birthday|birth date|birthdate)(?: is|:)? |(?:i was )?born (?:on |in )?|it'?s ")
_PHONE_LIKE = re.compile(r"\+?\(?\d[\d\s().-]{6,}\d")
_CONTACT_FILLER = re.compile(r"\b(?:(?:his|her|their|my)(?: phone)?(?: number)?(?: is)?|phone|number|cell|mobile|at|on|is|tel)\b", re.I)
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_WEIGHT = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*(lbs?|pounds?|#|kgs?|kilos?|kilograms?|st|stones?)?\b")
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "a couple": 2, "a few": 3, "several": 4, "many": 5, "lots": 5,
}  # fmt: skip
_SCALE_DIGIT = re.compile(r"#?\s*([0-9])\s*[.)]?(?:\s*[-:=]\s*.*)?")
_CHOICE_DIGIT = re.compile(r"#?\s*(\d{1,2})\s*[.)]?")
# Everyday words for the PHQ-9/GAD-7 frequency scale (values 0-3), besides its exact labels.
SCALE_WORDS: dict[int, tuple[str, ...]] = {
    0: ("not at all", "never", "none", "no", "not once", "zero", "nope", "not really"),
    1: ("several days", "some days", "a few days", "a couple of days", "few days", "sometimes", "occasionally", "a little",
        "once or twice", "rarely"),
    2: ("more than half the days", "more than half", "half the days", "most days", "often", "a lot", "frequently",
        "over half", "usually"),
    3: ("nearly every day", "every day", "everyday", "almost every day", "nearly everyday", "almost everyday", "daily",
        "always", "all the time", "constantly", "every single day"),
}  # fmt: skip
STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky",
    "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}  # fmt: skip
_STATE_ALIASES = {"washington dc": "DC", "washington d.c.": "DC", "d.c.": "DC", "cali": "CA", "mass": "MA", "jersey": "NJ"}
# Two-letter codes that are also everyday words count only when typed in capitals ("OK", not "ok").
_WORD_CODES = frozenset({"OK", "HI", "ME", "IN", "OR", "OH", "LA", "MA", "PA", "AS", "ID", "DE", "GA", "AL", "CO"})
_STATE_PREFIX = re.compile(r"^(?:i live in|i'?m in|im in|in|the state of|state of|it'?s)\s+", re.I)
_OUTSIDE_US = re.compile(
    r"\b(?:outside(?: of)? the (?:us|usa|u\.s\.|united states|country)|not in the (?:us|usa|u\.s\.|united states)|abroad"
    r"|canada|(?<!new )mexico|uk|united kingdom|england|scotland|ireland|australia|germany|france|india|overseas)\b"
)


@dataclass(frozen=True)
class Answer:
    """A value to store, and how to read it back when the person's words had to be interpreted."""

    value: Any
    echo: str | None = None


def tidy(text: str) -> str:
    """Lower case, single spaces, no surrounding quotes or closing punctuation: the form every reader matches."""
    text = re.sub(r"\s+", " ", text.strip().lower().replace("\u2019", "'"))
    return text.strip(" \"'`").rstrip(".!,;")


def is_skip(text: str) -> bool:
    return bool(_SKIP.fullmatch(tidy(text)))


def is_unsure(text: str) -> bool:
    return bool(_UNSURE.search(tidy(text)))


def is_none(text: str) -> bool:
    return bool(_NONE.match(tidy(text))) and not is_unsure(text)


def yes_no(text: str) -> str | None:
    """yes / no / not sure, or None when the text says none of them."""
    said = tidy(text)
    if is_unsure(said):
        return UNSURE
    if _NO.match(said):
        return NO
    if _YES.match(said):
        return YES
    return None


def agrees(text: str) -> bool:
    said = tidy(text)
    return yes_no(said) == YES or bool(_AGREE.fullmatch(said))


def looks_like_question(text: str) -> bool:
    said = tidy(text.strip().rstrip())
    first = said.split(" ", 1)[0] if said else ""
    interrogatives = {"what", "whats", "what's", "why", "how", "hows", "how's", "when", "where", "who", "which", "can",
                      "could", "do", "does", "is", "are", "will", "would", "should", "may", "am"}  # fmt: skip
    return text.strip().endswith("?") or first in interrogatives


def read_name(text: str) -> Answer | None:
    name = re.sub(r"\s+", " ", text.strip()).strip(" .,!\"'")
    prefix = _NAME_PREFIX.match(name.lower() + " ")
    if prefix:
        name = name[prefix.end() :].strip()
    if not name or len(name) > 80 or len(name.split()) > 6 or tidy(name) in _NOT_NAMES:
        return None
    if not re.fullmatch(r"[^\W\d_](?:[^\W\d_]|[ .'\-])*", name):
        return None
    return Answer(name.title() if name.islower() or name.isupper() else name)


def read_date_of_birth(text: str, today: date | None = None) -> Answer | None:
    today = today or date.today()
    cleaned = _DATE_PREFIX.sub("", tidy(text))
    if not re.search(r"\d", cleaned):
        return None
    try:
        first = dateparser.parse(cleaned, default=datetime(2001, 1, 1), fuzzy=True)
        second = dateparser.parse(cleaned, default=datetime(2002, 2, 2), fuzzy=True)
    except (ValueError, OverflowError):
        return None
    if (first.year, first.month, first.day) != (second.year, second.month, second.day):
        return None  # day, month or year missing
    born = first.date()
    if born > today and not re.search(r"\d{4}", cleaned):
        born = born.replace(year=born.year - 100)  # "4/23/30" means 1930 for a birth date
    if born > today or age_on(born.isoformat(), today) > 120:
        return None
    return Answer(born.isoformat(), echo=f"{born.day} {born:%B} {born.year}")


def age_on(born_iso: str, on: date) -> int:
    born = date.fromisoformat(born_iso)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def read_phone(text: str) -> Answer | None:
    number = re.split(r"\b(?:ext|extension|x)\.?\s*\d+", text, flags=re.I)[0]
    digits = re.sub(r"\D", "", number)
    if "+" in number and not digits.startswith("1"):
        value = "+" + digits if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    elif len(digits) == 10 and digits[0] in "23456789":
        value = "+1" + digits
    elif len(digits) == 11 and digits[0] == "1" and digits[1] in "23456789":
        value = "+" + digits
    else:
        value = None
    return Answer(value, echo=show_phone(value)) if value else None


def show_phone(value: str) -> str:
    if value.startswith("+1") and len(value) == 12:
        return f"({value[2:5]}) {value[5:8]}-{value[8:]}"
    return value


def read_email(text: str) -> Answer | None:
    found = _EMAIL.search(text)
    return Answer(found.group(0).lower()) if found else None


def read_state(text: str) -> Answer | None:
    raw = _STATE_PREFIX.sub("", text.strip()).strip(" .!")
    said = tidy(raw)
    if _OUTSIDE_US.search(said):
        return Answer(OUTSIDE_US)
    code = raw.upper() if raw.upper() in STATES and (raw.upper() not in _WORD_CODES or raw.isupper()) else None
    names = {name.lower(): c for c, name in STATES.items()}
    code = code or names.get(said) or _STATE_ALIASES.get(said)
    if code is None:
        close = get_close_matches(said, list(names), n=1, cutoff=0.8)
        code = names[close[0]] if close else None
    return Answer(code, echo=STATES[code]) if code else None


def _phrase_in(phrase: str, said: str) -> bool:
    return bool(re.search(rf"(?<![\w']){re.escape(phrase)}(?![\w'])", said))


def read_choice(question: Question, text: str) -> Answer | None:
    said = tidy(text)
    number = _CHOICE_DIGIT.fullmatch(said)
    if number:
        index = int(number.group(1))
        return Answer(question.options[index - 1].label) if 1 <= index <= len(question.options) else None
    for option in question.options:
        if said == tidy(option.label):
            return Answer(option.label)
    scores = []
    for option in question.options:
        phrases = [tidy(option.label), *(tidy(w) for w in option.words)]
        scores.append(max((len(p.split()) for p in phrases if _phrase_in(p, said)), default=0))
    best = max(scores)
    if best == 0 or scores.count(best) > 1:
        return None
    label = question.options[scores.index(best)].label
    return Answer(label, echo=label)


def read_scale(question: Question, text: str) -> Answer | None:
    said = tidy(text)
    values = {int(o.words[0]): o.label for o in question.options}
    number = _SCALE_DIGIT.fullmatch(said)
    if number:
        value = int(number.group(1))
        return Answer(value) if value in values else None
    for value, label in values.items():
        if said == tidy(label):
            return Answer(value)
    phrases = sorted(((p, v) for v, ps in SCALE_WORDS.items() for p in ps), key=lambda pv: -len(pv[0]))
    for phrase, value in phrases:
        if value in values and _phrase_in(phrase, said):
            return Answer(value, echo=values[value])
    return None


def read_weight(text: str) -> Answer | None:
    found = _WEIGHT.search(tidy(text))
    if not found:
        return None
    amount = float(found.group(1).replace(",", "."))
    unit = (found.group(2) or "").rstrip("s")
    if unit in {"kg", "kilo", "kilogram"}:
        kg = amount if 23 <= amount <= 320 else None
    elif unit in {"st", "stone"}:
        kg = amount * 6.35029 if 4 <= amount <= 50 else None
    elif unit in {"lb", "pound", "#"} or 70 <= amount <= 700:  # a bare number: pounds, read back so it can be corrected
        kg = amount * 0.45359237 if 50 <= amount <= 700 else None
    else:
        kg = None
    if kg is None:
        return None
    value = {"lb": round(kg / 0.45359237), "kg": round(kg, 1)}
    return Answer(value, echo=show_weight(value))


def show_weight(value: dict[str, Any]) -> str:
    return f"{value['lb']} lb ({value['kg']:g} kg)"


def read_emergency_contact(text: str) -> Answer | None:
    found = _PHONE_LIKE.search(text)
    phone = read_phone(found.group(0)) if found else None
    if phone is None or found is None:
        return None
    rest = (text[: found.start()] + " " + text[found.end() :]).strip()
    rest = _CONTACT_FILLER.sub(" ", rest)
    name = re.sub(r"\s+", " ", re.sub(r"[,;:()\-]+", " ", rest)).strip(" .")
    if not re.search(r"[^\W\d_]", name):
        return None
    return Answer({"name": name, "phone": phone.value}, echo=f"{name}, {show_phone(phone.value)}")


def stated_count(text: str) -> int | None:
    """The number of things someone says they tried ("about 5", "three or four": the larger)."""
    said = tidy(text)
    numbers = [int(n) for n in re.findall(r"\b(\d{1,2})\b", said) if 0 < int(n) <= 30]
    numbers += [v for word, v in _NUMBER_WORDS.items() if _phrase_in(word, said)]
    return max(numbers) if numbers else None


def read_medications(question: Question, text: str, doc: Doc) -> Answer | None:
    """Medicines recognised by name (echoed back as a list), else "none", "not sure", a count, or the text as typed."""
    found = medications.mentions(doc)
    if found:
        named = ", ".join(
            m.generic + (f" ({m.said})" if m.said.lower() != m.generic else "") + (f" {m.dose}" if m.dose else "") for m in found
        )
        return Answer({"text": text.strip(), "medications": [m.as_dict() for m in found]}, echo=named)
    if question.none_ok and is_none(text):
        return Answer(NONE)
    if question.unsure_ok and is_unsure(text):
        return Answer(UNSURE)
    count = stated_count(text) if question.counts_trials else None
    if count:
        return Answer({"text": text.strip(), "medications": [], "stated_count": count}, echo=f"about {count}")
    if not re.search(r"[^\W\d_]{3}", text):
        return None
    return Answer({"text": text.strip(), "medications": []})


def read_text(question: Question, text: str) -> Answer | None:
    if question.unsure_ok and is_unsure(text):
        return Answer(UNSURE)
    if question.none_ok and is_none(text):
        return Answer(NONE)
    cleaned = re.sub(r"\s+", " ", text).strip()
    return Answer(cleaned) if re.search(r"[^\W\d_]", cleaned) else None


def read(question: Question, text: str, doc: Doc | None = None, today: date | None = None) -> Answer | None:
    """The answer `text` gives to `question`, or None if it does not answer it."""
    if not text or not text.strip():
        return None
    kind = question.kind
    if kind not in {"consent", "review"} and is_skip(text):
        return Answer(SKIPPED)
    if kind in {"consent", "review"}:
        return Answer(True) if agrees(text) else None
    if kind == "yes_no":
        said = yes_no(text)
        return Answer(said) if said else None
    if kind == "scale":
        return read_scale(question, text)
    if kind == "choice":
        return read_choice(question, text)
    if kind == "medications":
        if doc is None:
            raise ValueError("reading medications needs the message processed by the project's spaCy pipeline")
        return read_medications(question, text, doc)
    if question.none_ok and kind in {"email", "emergency_contact"} and is_none(text):
        return Answer(NONE)
    if question.unsure_ok and kind == "weight" and is_unsure(text):
        return Answer(UNSURE)
    readers = {
        "name": lambda: read_name(text),
        "date_of_birth": lambda: read_date_of_birth(text, today),
        "phone": lambda: read_phone(text),
        "email": lambda: read_email(text),
        "us_state": lambda: read_state(text),
        "weight": lambda: read_weight(text),
        "emergency_contact": lambda: read_emergency_contact(text),
        "text": lambda: read_text(question, text),
    }
    return readers[kind]()


def shown(question: Question, value: Any) -> str:
    """A stored value as the review screen shows it (still to be made safe for display)."""
    if value is None:
        return "not answered"
    if isinstance(value, str) and value in {SKIPPED, NONE, UNSURE, YES, NO}:
        return value.capitalize()
    if value == OUTSIDE_US:
        return value
    kind = question.kind
    if kind == "scale":
        return next((o.label for o in question.options if o.words[0] == str(value)), str(value))
    if kind == "date_of_birth":
        born = date.fromisoformat(value)
        return f"{born.day} {born:%B} {born.year}"
    if kind == "phone":
        return show_phone(value)
    if kind == "us_state":
        return STATES.get(value, str(value))
    if kind == "weight":
        return show_weight(value)
    if kind == "emergency_contact":
        return f"{value['name']}, {show_phone(value['phone'])}"
    if kind == "medications":
        named = [m["generic"] + (f" {m['dose']}" if m.get("dose") else "") for m in value.get("medications", [])]
        if value.get("stated_count") and not named:
            return f"about {value['stated_count']}"
        return ", ".join(named) if named else value.get("text", "")
    return str(value)
