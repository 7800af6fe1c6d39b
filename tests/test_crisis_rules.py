"""The rule detector on the project's own spaCy pipeline, independent of the trained model."""

from __future__ import annotations

import pytest
from spacy.language import Language

from bot import language
from bot.crisis.rules import crisis_spans, everyday_tokens


@pytest.fixture(scope="module")
def nlp() -> Language:
    return language.build()


def groups(nlp: Language, text: str) -> set[str]:
    return {span.label_ for span in crisis_spans(nlp(text.lower()))}


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("I want to kill myself", "explicit_intent"),
        ("i'm going to end my life tonight", "explicit_intent"),
        ("kms", "explicit_intent"),
        ("chose the overpass by the mall. sunday", "explicit_intent"),
        ("sitting in the parking lot deciding whether to drive into the lake", "explicit_intent"),
        ("last night I walked into the sea and came back out", "explicit_intent"),
        ("thinking about how to unalive myself", "explicit_intent"),
        ("i wanna die", "first_person_intent"),
        ("I've been cutting again", "first_person_intent"),
        ("i've been saving up my pills", "first_person_intent"),
        ("i looked up how many of my sleeping pills it would take", "first_person_intent"),
        ("everyone would be better off without me", "first_person_intent"),
        ("i dont want to live anymore", "negated_will_to_live"),
        ("I can't do this anymore", "negated_will_to_live"),
        ("honestly i don't think i'll last much longer", "negated_will_to_live"),
        ("i won't make it through another week like this", "negated_will_to_live"),
        ("i tried to kill myself last week", "recent_attempt"),
        ("I took a bunch of pills last night", "recent_attempt"),
        ("my son says he wants to kill himself", "third_party"),
        ("my girlfriend is talking about suicide", "third_party"),
        ("my coworker says she wants to kill herself", "third_party"),
        ("after the appointment i'm going to drive off the overpass", "explicit_intent"),
        ("thinking about jumping off the roof of my building", "explicit_intent"),
        ("my arms are covered in cuts and i hide them with long sleeves", "first_person_intent"),
        ("i want to finish my life", "explicit_intent"),
        ("i want to kil myslf", "explicit_intent"),
        ("im suicidle", "first_person_intent"),
        # Self-harm, a height and hoping to be hit, without the usual words.
        ("i pick at my arms until they bleed when i'm stressed", "first_person_intent"),
        ("I scratched myself till it bled last night", "first_person_intent"),
        ("i looked up how high the bridge near my house is", "first_person_intent"),
        ("I stood on the ledge of my building last night", "first_person_intent"),
        ("i keep hoping a truck hits me on my way to work", "first_person_intent"),
        ("part of me wishes something would hit me when i cross the road", "first_person_intent"),
        # Negation scope: these look like denials to a careless reader but are not.
        ("no i want to kill myself", "explicit_intent"),
        ("i dont want treatment i want to be dead", "first_person_intent"),
        ("lately i wish i could just disappear and never come back", "first_person_intent"),
        ("i don't really expect to still be around in six weeks", "negated_will_to_live"),
        ("i can't stop thinking about killing myself", "explicit_intent"),
        # A treatment word in the sentence does not hide the speaker's own state.
        ("since starting ketamine i keep having suicidal thoughts", "first_person_intent"),
        ("my kids keep saying they want to die", "third_party"),
        # An overdose told in a few words.
        ("i swallowed all my zoloft an hour ago", "recent_attempt"),
        ("took the whole bottle of my sleeping pills", "recent_attempt"),
        # Medication named by brand or generic, and a to-do line with no "I" in it.
        ("i've been saving up my seroquel for a while", "first_person_intent"),
        ("to do: hoard trazodone, write letters", "explicit_intent"),
        ("cant do this no mor", "negated_will_to_live"),
        ("who gets my dog once i'm gone", "first_person_intent"),
        ("can't see a way out of this mess anymore", "negated_will_to_live"),
        ("i keep googling painless ways to die", "first_person_intent"),
        ("found my husband has been searching ways to die on his phone", "third_party"),
        # Means at hand and attempts told without the usual words.
        ("gonna end it after my shift", "first_person_intent"),
        ("i am done. i intend to end it before the school year starts", "first_person_intent"),
        ("my pistol is loaded and sitting next to me", "first_person_intent"),
        ("bought rope at the hardware store, not for camping", "first_person_intent"),
        ("i set aside all my lithium for when i'm ready", "first_person_intent"),
        ("i swallowed everything in my medicine cabinet an hour ago", "recent_attempt"),
        ("my wife found me in the garage with the engine running", "recent_attempt"),
        ("i drove my car into a wall on purpose last week", "recent_attempt"),
        ("i tried to die on saturday", "recent_attempt"),
        # Medication saved up, told object first.
        ("can you fit me in today, i have my pills saved up", "first_person_intent"),
        ("sitting in my car with the oxycodone i've been saving", "first_person_intent"),
        ("i made an attempt on my life eleven days ago", "recent_attempt"),
        ("i intend to be dead before my next birthday", "first_person_intent"),
        ("my grandma keeps saying she wants to die and won't eat", "third_party"),
        ("i'm not going to be around much longer, please thank the nurses for me", "first_person_intent"),
        ("not gonna be here for the follow up anyway", "first_person_intent"),
        ("about to yeet myself off the bridge fr", "explicit_intent"),
        ("on my lunch, up on the roof, been looking over the edge for an hour", "first_person_intent"),
        ("ok. that's it from me. please don't look for me", "first_person_intent"),
        ("dont try to find me, its better this way", "first_person_intent"),
        # An item answered yes is the writer's own answer, with or without an "I".
        ("The self-harm question, over the last month: yes. Three days ago.", "first_person_intent"),
        ("re: the item about suicide attempts in the past year - yes. last sunday", "recent_attempt"),
        # Over a ship's rail, fresh cuts where they are hidden, a whole supply of medication taken at once.
        ("docked till friday. friday night i'm going over the railing", "first_person_intent"),
        ("thinking about throwing myself overboard on the ferry home", "explicit_intent"),
        ("new cuts on my wrist again, i hide them under my watch", "first_person_intent"),
        ("gonna take all my meds at once after my shift", "first_person_intent"),
        ("planning to take all my sertraline tonight", "first_person_intent"),
        ("goin 2 tak all my pils", "first_person_intent"),
        ("I took all of my meds this afternoon on purpose", "recent_attempt"),
        ("giving it till march and then i'm done living", "first_person_intent"),
        # A hospital's words quoted in a sentence of their own; a place on the mind; a blade at hand; an ultimatum.
        ("ER discharge papers say 'intentional overdose', dated last tuesday. that was me", "explicit_intent"),
        ("which route is fastest? i can't stop, i keep thinking about the bridge by the river", "first_person_intent"),
        ("there's a blade i keep hidden, i keep a blade in my glovebox for after work", "first_person_intent"),
        ("is the consult included? my car goes to my brother after i'm dead", "first_person_intent"),
        ("the end of the month, that's when i'll do it if nothing changes", "first_person_intent"),
        ("my wife travels for work next month and i won't be here when she's back. my papers are in order", "first_person_intent"),
        # A negation in an "if" clause does not reach the "I" that opens the next one; a way, a date, pills laid out.
        ("if the infusions don't work I'll kill myself", "explicit_intent"),
        ("if spravato doesn't work I'm going to end it", "first_person_intent"),
        ("if this doesn't work I've got a plan for after", "first_person_intent"),
        ("not doing another winter. honestly, i already have a way.", "first_person_intent"),
        ("i have a date picked. friday", "first_person_intent"),
        ("i have the pills out on the table", "first_person_intent"),
        ("i keep hoping i'll get sick and just die", "first_person_intent"),
        # Family named in Spanish; a goodbye with an apology.
        ("mi hija says she wants to die", "third_party"),
        ("my cousin posted a video saying sorry and goodbye and now his phone is off", "third_party"),
        # The coded bus, told apart from the city one by never ending.
        ("catching the forever bus after work. this is goodbye", "explicit_intent"),
        # Spanish, whose verb carries the "I".
        ("ojalá no despertarme nunca", "explicit_intent"),
        ("estoy harta, me quiero morir", "explicit_intent"),
        ("mi hermana dice que quiere quitarse la vida", "third_party"),
        # A drug drawn up for oneself.
        ("sat there with a syringe deciding whether to inject it into my own arm", "first_person_intent"),
        # Swimming out until strength gives out; never getting up again; "mi" for "I" in Caribbean English.
        ("the plan is to swim out past the pier after dark until i can't anymore", "explicit_intent"),
        ("some nights mi wish mi could lie down and never get up again", "negated_will_to_live"),
        # "can't" is "ca" and "n't" to the tokenizer.
        ("i can't last past sunday", "negated_will_to_live"),
        ("rage quitting life tonight, gg everyone", "explicit_intent"),
    ],
)
def test_crisis_phrases_are_found_through_inflection_typos_and_slang(nlp: Language, text: str, group: str) -> None:
    assert group in groups(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, just numb",
        "I would never kill myself",
        "does ketamine help suicidal thoughts?",
        "is spravato approved for suicidal ideation?",
        "this form is killing me",
        "my phone is about to die",
        "I'd kill for an earlier slot",
        "how do I kill the app",
        "I attempted suicide 10 years ago and I've been stable since",
        "my uncle died last year",
        "end my subscription please",
        "I have no suicidal thoughts at all",
        "I've never burned or hurt myself",
        "I don't have any intention to hurt myself",
        "zero urges to kill myself, just tired",
        "I was suicidal in my 20s but I'm fine now",
        "I read that ketamine lowers suicidal thoughts, is that right?",
        "do you see adults and teens with suicidal depression",
        "I tried to kill myself in 2008 and I'm safe now",
        "my only suicide attempt was back in 2011",
        # Taken back in the same breath, everyday senses.
        "my wife thinks i'm suicidal but i'm not, i'm just worn out",
        "do i have to end things with my therapist before i start with you",
        "i cut myself while shaving, can i still get the iv",
        "i won't last the whole infusion without a snack",
        "what are the odds it works for me",
        # A resolved past told with "now" or "still" nearby.
        "i attempted suicide in my teens, i'm 52 now and doing fine",
        "years ago i overdosed, can i still get ketamine?",
        "i overdosed in 2010 and have been stable for years now, will you still see me",
        "my teen years were full of cutting myself, i'm a different person",
        "i tried to end my life a few years back and it's behind me",
        "i overdosed on purpose in my early twenties and got real help afterwards",
        "i tried to kill myself in the 90s and i'm a different person now",
        "i hurt myself a lot in my late teens, today i'm proud of how far i've come",
        # An age then and now, a past attempt named as such, "now" describing life in another sentence.
        "i overdosed when i was 16. i'm 44 now and have two grandkids",
        "cut myself at age fifteen, i'm 29 now and haven't in a decade",
        "i had a suicidal stretch 8 yrs ago after a layoff, doing good",
        "will my past suicide attempts be a problem for the doctor?",
        "i took an overdose in 2012. now i teach yoga three days a week",
        # An age then that the writer, or the person written about, has outgrown; glad to be still here; still well.
        "overdosed at 16, i'm 38 now and in a totally different place",
        "my daughter had a suicide attempt at 15, she's 26 now and doing really well",
        "I'm 63. At 25 I was hospitalized after trying to kill myself.",
        "i tried to end things at 22. im 41 now and so grateful i'm still here",
        "i self-harmed in my teens, still have the scars but not the urges",
        "had suicidal thoughts in my 20s, none for years, still on sertraline",
        # Grief, named programmes, and a message about a message.
        "we lost my uncle to suicide in 2019 and it still hurts",
        "i volunteer for a suicide prevention charity, does that matter for the intake",
        "did my last message go through? the signal here is awful",
        "my aunt died by suicide when i was small, i think about her sometimes",
        "my cousin has a history of suicide attempts, can he still be seen?",
        "i swallowed a handful of pills once. it was 20 years ago, i'm a grandpa now",
        "i overdosed on espresso before the exam lol",
        "what if i don't wake up from the anesthesia?",
        "we went bungee jumping off a bridge on our honeymoon",
        "how long does the anti-suicidal effect of ketamine last",
        "i had suicidal thoughts 6 years ago, do i still mention it on the form",
        "i just want to take my life back from this depression",
        "i overdosed in 2014 and spent a week in the hospital, nothing since",
        "it's not that i want to hurt myself, i just can't feel anything",
        # The questionnaire's own items, named rather than answered.
        "will you ask me about self harm at the consult?",
        "my dad ticked the suicidal thoughts box on my form by accident, can you change it",
        "the suicide question on the intake, i put not at all",
        "my psychiatrist asked whether i'd ever thought about ending my life and i told her no",
        "why does the intake ask if i have ever had suicidal thoughts?",
        "i answered no to the questions about suicide and self harm",
        # Resolved pasts and jest.
        "back when i was drinking i overdosed twice, sober nine years now",
        "as a freshman i tried to end my life, i'm a senior now and doing well",
        "i nearly overdosed on energy drinks during exams",
        # A negation reaches through a verb that takes a clause.
        "i don't think i want to die, i just want the pain to stop",
        "not that i want to die, i'm just exhausted",
        # Someone else's worry, taken back.
        "my mom is scared i'll hurt myself, but honestly i'm fine",
        # Everyday senses of the same words.
        "i hope the ketamine hits me fast, i'm nervous about the first session",
        "i looked up how long the infusion takes",
        "my gums bleed when i brush, is that a problem",
        # Idioms.
        "traffic was so bad i was dead by the time i got home",
        "getting my records out of that office was a suicide mission",
        # A medication named beside an everyday verb.
        "i've been saving up for my trazodone refill",
        "i'm not hoarding my gabapentin, i take it as prescribed",
        "can't see a way out of this parking garage, which entrance is yours",
        "i'm going to end it with my boyfriend tonight",
        "as a paramedic i see a lot of suicidal patients, do you take referrals",
        "i loaded my rifle in the truck for the gun range",
        "should i list everything in my medicine cabinet or just prescriptions",
        # The idiom with a chore, not with living.
        "I'd rather die than sit through another hold queue lol",
        "id rather die than pay $800 for one infusion",
        "we lost our daughter to an overdose last spring and I can't shake the grief",
        "cut myself in high school, not anymore",
        # A question about the drug, and an answer asked about rather than given.
        "is there a risk of overdose with ketamine if I'm small?",
        "for my pharmacology exam, what are the symptoms of an opioid overdose",
        "what happens if I say yes to the question about suicidal thoughts?",
        "will answering yes on the self-harm item mean I can't be treated?",
        # An absence with a trip or a move as its reason.
        "I won't be here on the 14th, I'm flying to my sister's wedding. Can we reschedule?",
        "I won't be around for two weeks, work conference in Chicago",
        "traveling next week so I won't be around, can we do the week after?",
        "I won't be here in March, my unit deploys for training",
        "I'm not going to be here on the 3rd, we're on vacation in Maine",
        # Family history, and a past dated by the years since.
        "my uncle and my grandmother both died by suicide, should that go on the history form?",
        "fifteen years since my suicide attempt and I'm doing well",
        "I'm 6 years out from my overdose and doing well",
        "I can't go on break until the lunch rush is over, can we talk at 2?",
        "my last text from this number, new phone tomorrow",
        "won't be around for a while, I'm heading offshore next week",
        "don't look for me at the front desk, I'll wait in the car",
        "there's no way out of this car loan, can I pay for the consult in installments?",
        "I can't go on waiting on hold every time I call my insurance",
        "sorry if my last message looked weird, voice typing",
        "I won't be around next week, I'm headed to Denver for a tournament",
        "Suicidal thoughts: yes, at 17. I'm 40. Currently none.",
        "Anxious yes, suicidal no. Does ketamine help anxiety?",
        # Spent, not dead; pills hard to swallow; a no that covers both items; a past that ends its clause or a school.
        "I was dead by the end of the hike. Can I exercise after an infusion?",
        "I have trouble swallowing pills, is Spravato a spray?",
        "I have no thoughts of harming myself or ending my life.",
        "Will it count against me if I've had suicidal thoughts in the past?",
        "I tried to kill myself when I was a student. I've been well for twenty years.",
        "attempted suicide at 15, I'm 40, not an issue anymore",
        "I take all my pills at night before bed",
        # Jumping over a rail or overboard is also how people cross a fence or go for a swim.
        "the kids jumped overboard for a swim at the sandbar",
        "I jumped over the railing to get to the platform on time",
        "the pain wears me out but ending things has never crossed my mind",
        "I'm done living in this city, can I transfer my records?",
        # The everyday bus, a message that did not arrive, a screening item asked about, a game's hidden blade.
        "I hopped the fence to catch the bus",
        "can I catch the bus home after my infusion?",
        "the chat window froze and my last message isn't showing",
        "If I report suicidal thoughts on the PHQ-9, would that mean a hospital stay?",
        "my favourite weapon in the game is my hidden blade",
        "I already have a way to get home after the infusion",
        "I need a plan for after my infusion, who can drive me?",
        "I have a date picked for my consult",
        "I don't think I'll ever kill myself",
        "there's no way I'd hurt myself",
        "What counts as an intentional overdose?",
        "I won't be here next week, I'm traveling in order to see my mom. Can I reschedule?",
        "what does ctb mean?",
        # A screening item asked about, a workplace's patients, a past dated by the next sentence, a shift away.
        "If I mention suicidal thoughts during the screening, do you call the police?",
        "I work in an ER and we see lots of patients after overdoses. Do you take referrals?",
        "I burned myself a few times when I was lonely. It stopped 10 years ago.",
        "Won't be around next week, it's crew change. I'll book when I'm home.",
        "quiero morirme de la risa con este video",
        "me quiero morir de vergüenza, le mandé el mensaje a mi jefe",
        "no quiero vivir en esta ciudad, me mudo en marzo",
        # Scars still there, a connection about to drop, a day's last message.
        "I cut myself as a teen. Haven't in 20 years. The scars are still visible though.",
        "on a roof with one bar, my connection's going to die, will call back",
        "this is my last message for today, out of data",
        # A past dated by the sentence before or after; a school; a distance; embarrassment; a channel changed.
        "I moved abroad twelve years ago. Back then I tried to kill myself once. Now I run a bakery.",
        "I overdosed the winter after the crash. I've been stable since 2013 and I teach now.",
        "I cut myself in law school, long resolved.",
        "ran a 15 km trail race, legs are dead",
        "we lost the final in the last second, i wanted to die right there lol",
        "this is my last text on this line, I'm switching to email",
        "thinking of quitting life insurance through work, is ketamine covered by my health plan?",
    ],
)
def test_look_alikes_do_not_match(nlp: Language, text: str) -> None:
    assert groups(nlp, text) == set()


def test_a_present_cue_overrides_a_past_one(nlp: Language) -> None:
    assert groups(nlp, "I tried to kill myself years ago and now I want to kill myself again")


@pytest.mark.parametrize(
    "text",
    [
        "my husband says i'm suicidal but i'm not going to do anything about it",
        "i tried to kill myself years ago and now i'm not ok",
        "i overdosed years ago, i was fine for a while now but lately i want to die again",
        "i want to end things with a bottle of pills",
        "i cut myself on purpose last night",
        "she asked if i'd thought about killing myself and i said yes",
        "the form asked if i've thought about suicide and i answered yes. what happens now?",
        "if they ask whether i want to kill myself, yes, i do",
        "i cut myself in high school and i'm not okay anymore, i did it again",
        "question 9, about wishing i was dead: nearly every day",
        "the suicide question made me realise i want to die",
        "my wife worries i'll hurt myself and i'm not sure she's wrong",
        "my mom is scared i'll hurt myself. i'm fine, but tonight it's bad",
        "i'm scared i'll hurt myself, i'm not okay",
        "i attempted suicide years ago, was fine until last month, now it's back",
        "i tried to kill myself in my early twenties and i want to do it again",
        "i cut myself in my late teens and started again this week",
        "i'm a different person now and i want to die",
        "i tried to kill myself. it was years ago but lately i want to do it again",
        "i took all my pills. it was an hour ago",
        # A resolved-sounding "now" in another sentence does not hide a present cue that says it is back.
        "i tried to kill myself when i was 20. i'm 35 now and lately i want to die again",
        "i overdosed years ago. now i have pills saved up and i want to die",
        "this is the last message i'm sending anyone",
        "my sister thinks i'm suicidal and she's right",
        # An age or a school said in the present is where the writer is now, not a past.
        "I'm in my fifties and I want to die",
        "im in my 30s and i want to kill myself",
        "I'm in college and I want to kill myself",
        # A questionnaire cue in an earlier clause does not make the phrase an item's name.
        "they asked me if i was fine and honestly i want to die",
        # An everyday sense nearby does not hide a crisis phrase.
        "i sit at my computer all night wishing i was dead",
        "my phone died and honestly i want to die too",
        "i wanted to die for a lot of reasons last month and i still do",
        # An age then needs an age now that is older; "still" is a present cue unless what follows is being well.
        "I'm 45 and I'm going to kill myself at 9",
        "I'm 30 and I plan to kill myself at 31",
        "i tried to kill myself at 19. i'm 22 and i want to kill myself",
        "i tried to kill myself at 16. i'm 30 now and i want to die again",
        "i cut myself at 15 and i'm 28 and i still cut myself every week",
        "i tried to end my life at 18. it's 20 minutes past midnight and i want to try again tonight",
        "i overdosed in college and i'm still in a dark place, i want to die",
        "grateful i'm still here some days, but i tried to kill myself years ago and lately i want to again",
        "I'd rather die than keep living like this",
        "i would rather die than wake up tomorrow",
        "I'd rather die than wait another year for this to work",
        # Not being around with no trip as the reason, or with a last goodbye beside the trip.
        "cancel my consult, I won't be around next week",
        "visiting my parents one last time this weekend. I won't be around after that",
        "moving to a better place, I won't be here much longer. thanks for everything",
        # Family history is grief only when the close person died: "my son wants to die by suicide" is a crisis.
        "my son wants to die by suicide",
        # A past cue dates what it stands beside; a wish in the present tense is about now.
        "I tried to kill myself in 2019 and I want to die",
        "I overdosed back in 2016 and I wish I was dead",
        "I tried to end it years ago and I don't want to live",
        # A look-alike for a message's tone does not reach past the end of its sentence.
        "this is my last message. sounds dramatic, I know",
        "this is my last message. look after mom for me",
        # "In the past" followed by a stretch of time is now; "was" is past only for being spent.
        "i've had suicidal thoughts in the past few days",
        "i've been suicidal in the past week",
        "in the past i tried to kill myself and lately i want to again",
        "i will be dead by sunday",
        "suicide never crossed my mind until this month",
        # The coded bus has no destination; the bus look-alikes need one.
        "gonna catch the bus tonight, u know the one",
        # A stretch of hours is no past; an overdose of one's own is no workplace's.
        "I cut myself last night. It stopped bleeding an hour ago.",
        "people after my overdose last week stopped calling",
        "won't be around much longer. when i get home tonight i'm taking all my pills",
        "I cut myself as a teenager and the urge is still there",
        "my last message for my family is written. I'm done",
        # What stands a past down needs a past: "back then" after last week, "stable since" without a date.
        "I overdosed last week. Back then I was using.",
        "I tried to kill myself on Friday. I've been stable since.",
        "i want 2 kms",
        # A school or the army after a close person says who they are, not when: "my son in college".
        "my son in college is suicidal",
        "my brother in the army is cutting himself",
        # Service can be now: "in the army" is no past cue.
        "i've been cutting myself in the army barracks",
        "i want to die right there on the tracks",
        "this is my last message, I'm moving to a better place",
    ],
)
def test_what_stands_down_a_look_alike_does_not_stand_down_a_crisis(nlp: Language, text: str) -> None:
    assert groups(nlp, text)


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("Killing myself is all I think about", "explicit_intent"),
        ("Overdosed on my meds last night", "recent_attempt"),
        ("I WANTED TO DIE ALL WEEK", "first_person_intent"),
    ],
)
def test_capitalised_words_are_read_like_lower_case_ones(nlp: Language, text: str, group: str) -> None:
    assert group in {span.label_ for span in crisis_spans(nlp(text))}


def test_being_fine_now_does_not_hide_a_relapse(nlp: Language) -> None:
    assert groups(nlp, "I was suicidal years ago and was fine for a long time, but this week I want to die again")


def test_negation_does_not_reach_across_a_clause(nlp: Language) -> None:
    assert groups(nlp, "no one would care if i killed myself")


def test_the_saved_pipeline_behaves_like_the_built_one(nlp: Language, tmp_path: object) -> None:
    path = language.save(tmp_path / "spacy_en")  # type: ignore[operator]
    loaded = language.load(path)
    for text in ("i want to kill myself", "this form is killing me", "my son wants to kill himself"):
        assert groups(loaded, text) == groups(nlp, text)


def test_medications_are_recognised_by_brand_generic_and_typo(nlp: Language) -> None:
    doc = nlp("i take klonopin, Lamictal 200mg, adderal and sertraline")
    found = {ent.ent_id_ for ent in doc.ents if ent.label_ == "MEDICATION"}
    assert found == {"clonazepam", "lamotrigine", "amphetamine/dextroamphetamine", "sertraline"}


def test_last_years_attempt_is_still_recent(nlp: Language) -> None:
    from datetime import date

    assert groups(nlp, f"I tried to kill myself in {date.today().year - 1}")


@pytest.mark.parametrize("state", ["not safe", "not ok", "not fine"])
def test_a_negated_resolved_state_is_a_present_cue(nlp: Language, state: str) -> None:
    assert groups(nlp, f"I tried to kill myself years ago and I'm {state} now")


def test_taking_all_of_a_days_medication_is_not_an_overdose(nlp: Language) -> None:
    assert groups(nlp, "I take all my meds in the morning with breakfast") == set()


@pytest.mark.parametrize(
    ("text", "everyday"),
    [
        ("over my dead body am i paying that out of pocket", "over my dead body"),
        ("my sister will kill me if i miss her wedding", "sister will kill me if"),
        ("i'd kill for a decent night's sleep", "kill for"),
        ("the prior auth is going to be the death of me", "death of me"),
        ("my phone is about to die, can you text me the address", "phone is about to die"),
        ("how do i end my session on the portal", "end my session"),
        ("i'm going to the gun range with my dad on sunday", "gun range"),
        ("dying to know if you take blue cross", "dying to know"),
        ("i was hanging pictures and pulled a muscle", "hanging pictures"),
        ("we'll cross that bridge when we get there", "cross that bridge"),
        ("had to end task on the browser, did my form save", "end task"),
        # An absence with a reason, which the classifier learnt from farewells.
        ("I won't be here next Friday, I'm on a work trip", "n't be here"),
        # A past the message leaves behind, which the intake asks about.
        ("tried to end it back in 2012, so glad it didn't work. life is good now", "tried to end it"),
        ("the portal says my account does not exist", "account does not exist"),
        ("I'll be gone for the next two weeks, can we start after that?", "gone for the next"),
        ("my houseplants are dead to me", "are dead to me"),
    ],
)
def test_everyday_senses_are_marked_for_the_classifier(nlp: Language, text: str, everyday: str) -> None:
    doc = nlp(text)
    marked = [doc[i].text for i in sorted(everyday_tokens(doc))]
    assert " ".join(marked) == everyday
    assert not crisis_spans(doc)


def test_a_wish_told_in_the_past_tense_stays_in_the_past(nlp: Language) -> None:
    assert groups(nlp, "in 2015 I wanted to die, but I got help and I'm well") == set()
