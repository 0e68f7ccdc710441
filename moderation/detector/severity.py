"""Red-flag severity from LABELING.md, read in context.

Severity only applies to flagged posts (the detector returns ``"none"`` otherwise). A red flag
counts where it describes the sign itself: not negated ("no numbness"), not a hypothetical ("how
long until I pass out"), in its medical sense ("faint" the verb, not "faint rainbows"; a person
collapsing, not "healthcare is collapsed"; "fell asleep" is no fall; breathing as swimming
technique is no trouble breathing). Rules, not a model: a logistic regression over these flags
and their context (in the question, in the title, an old story, settled or checked, asked for
someone else) was measured and did no better (see README): the training posts hold only about
15 asks where a flag is found and the post is not urgent. And a moderator must be able to see
why a post was marked urgent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Legs and arms, as the guideline says. Hands and feet count only on one side ("my left hand
# is weak and numb since the pop in my neck"): numb hands or fingers on the handlebar or in
# the cold are common and rarely an emergency.
_LIMB = r"(?:legs?|arms?|thighs?|calf|calves|shins?|forearms?|(?:left|right|one) (?:hand|foot))"
# "Weak" alone is left out: "my legs feel weak" after a long run or an illness is fatigue. Weakness
# counts when it is sudden or on one side (below).
_NUMB = r"(?:numb(?:ness)?|tingl(?:e|es|ing|y)|pins and needles|go(?:es|ing)? dead|lost (?:the )?feeling)"  # noqa: E501


@dataclass(frozen=True)
class RedFlag:
    name: str
    label: str
    pattern: re.Pattern[str]
    # Some red flags need a second condition anywhere in the text (fever *and* stiff neck,
    # severe pain *after a fall*). None means the pattern alone is enough.
    requires: re.Pattern[str] | None = None


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "chest_pain",
        "chest pain or pressure",
        re.compile(
            r"\bchest (?:pain|pains|pressure|tightness|hurts|is tight|feels tight|discomfort)"
            r"|\b(?:pain|pressure|tightness|squeezing) (?:in|on|across) (?:my|his|her|the) chest"
            r"|\btight(?:ness in the)? chest\b|\bchest (?:tightens|tightened|tightening|spasms?)"
            r"|\bheart (?:is |feels |felt )?(?:slightly |a bit |a little )?sore\b"
            r"|\bchest (?:went|goes|felt|feels|was|is|got|gets) (?:\w+ )?(?:tight|heavy)"
            r"|\b(?:pressure|squeezing|crushing|tight(?:ness)?|heavy|heaviness)(?: \w+){0,3} "
            r"(?:in|on|across) (?:the middle of |the centre of |the center of )?(?:my|his|her|the) chest"  # noqa: E501
            r"|\bheart (?:pain|pains|hurts|hurting|aches?|aching)|\bpain (?:in|around) (?:my|his|her) heart"  # noqa: E501
        ),
    ),
    RedFlag(
        "breathing",
        "trouble breathing",
        re.compile(
            r"\b(?:short(?:ness)? of breath|(?:can|could)(?:'t|n't|not| not) (?:catch (?:my|her|his) )?breath(?:e)?"  # noqa: E501
            r"|(?:trouble|difficulty|struggl(?:e|ing)|hard|problems?) (?:for (?:me|her|him|them) )?(?:to |with )?breath(?:e|ing)"  # noqa: E501
            r"|gasping|breathless(?:ness)?"
            r"|(?:can|could)(?:'t|n't|not| not) (?:get|take|catch) (?:a |my |his |her )?(?:full |deep )?breath"  # noqa: E501
            r"|(?:couldn't|could not|can't|cannot) get (?:my|his|her) breath back"
            r"|out of breath (?:just )?(?:walking|climbing|going up|on the stairs|at rest|sitting)"
            r"|throat (?:is |feels |felt |was |went )?(?:tight|closing|swelling)"
            r"|breathing (?:is|was|got) (?:\w+ )?(?:harder|difficult|laboured|labored)"
            r"|(?:harder|difficult|laboured|labored)[- ](?:than[- ](?:usual|normal)[- ])?breathing"
            r"|every breath hurts|lips (?:\w+ ){0,3}blue)"
        ),
    ),
    RedFlag(
        "fainting",
        "fainting",
        re.compile(
            # "Faint" the verb, not the adjective ("faint rainbows", "a faint line"); someone
            # collapsing, not a system ("healthcare is collapsed").
            r"\b(?:faint(?:ed|ing)|(?:feel|feels|felt|feeling|going to|gonna|about to|almost|"
            r"nearly|might|would|could|i|he|she) faint|passed out|pass out|blacked out|black out|"
            r"lost consciousness|losing consciousness|syncope|"
            r"(?<!healthcare )(?<!health care )(?<!system )(?<!economy )(?<!market )(?<!tent )"
            r"(?<!roof )(?<!arch )(?<!arches )(?<!plan )(?<!plans )(?<!season )(?<!is )(?<!has )"
            r"(?<!have )collapsed|out cold|knocked out|"
            r"next thing (?:i|he|she) knew)\b"
        ),
    ),
    RedFlag(
        "limb_numbness",
        "numbness, tingling or weakness in the limbs",
        re.compile(
            rf"\b{_NUMB}\b[^.?!\n;]{{0,60}}\b{_LIMB}\b"
            rf"|\b{_LIMB}\b[^.?!\n;]{{0,30}}\b{_NUMB}\b"
            r"|\bsaddle (?:numbness|anesthesia)\b"
            r"|\bsudden(?:ly)? (?:\w+ )?weak(?:ness)?\b|\bweak(?:ness)? (?:on|down) one side\b"
            r"|\b(?:left|right|one) (?:arm|leg|hand|side)\b[^.?!\n;]{0,30}\bweak(?:ness)?\b"
            r"|\bweak(?:ness)? (?:in|of) (?:my|his|her) (?:left|right) (?:arm|leg|hand)\b"
            r"|\bweakness in (?:both|my|his|her) (?:legs|arms)\b"
            r"|\b(?:can't|cant|cannot|couldn't) feel (?:my|his|her) (?:toes|feet|legs|arms)\b"
            r"|\bnumb(?:ness)? (?:around|in|on) (?:my |her |his )?(?:groin|bum|butt|buttocks|genitals)"  # noqa: E501
        ),
    ),
    RedFlag(
        "bladder_bowel",
        "loss of bladder or bowel control",
        re.compile(
            r"\blos(?:t|s|ing) (?:of )?(?:my |her |his )?(?:bladder|bowel)(?: control)?"
            r"|\bno (?:bladder|bowel) control"
            r"|\b(?:couldn't|could not|can't|cannot) (?:really )?tell when (?:i|he|she) (?:needed|need) to (?:pee|go)"  # noqa: E501
            r"|\bincontinen(?:ce|t)\b|\b(?:wet|peed|pooped|soiled) (?:my|her|him|him)sel(?:f|ves)\b"
            r"|\bcan(?:'t|not) (?:control|hold) (?:my |her |his )?(?:bladder|bowels?|pee|urine)"
        ),
    ),
    RedFlag(
        "severe_pain_after_fall",
        "severe pain after a fall or accident",
        re.compile(
            r"\b(?:severe|excruciating|unbearable|intense|extreme|worst) (?:\w+ )?(?:pain|agony)\b"
            r"|\bpain (?:is|was|got|gets|has been) (?:so |really |very |pretty )?(?:severe|excruciating|unbearable|intense|extreme)\b"  # noqa: E501
            r"|\bcan(?:'t|not) (?:really )?(?:walk|stand|move|put (?:any )?weight|bear (?:any )?weight|grip)"  # noqa: E501
            # A deformed limb after a fall is a fracture or a dislocation until shown otherwise.
            r"|\bbent the wrong way\b|\b(?:looks|is|was) (?:all |really |very |badly |visibly )?(?:deformed|crooked)\b|\bbone (?:is )?sticking out\b"  # noqa: E501
            r"|\bhurts? (?:like hell|so much)|\b(?:[89]|10) ?/ ?10\b|\bin (?:a lot of|so much) pain"
            r"|\b(?:crying|cries|cried|screaming) (?:out )?(?:in|with) pain|\breally painful\b"
        ),
        requires=re.compile(
            r"\b(?:(?:fell|fall|fallen|falling)(?! (?:asleep|behind|apart|in love|for|off the wagon|"  # noqa: E501
            r"out of|back|short|in(?: |)to (?:a|the|my|old|bad|same) ?(?:same |old )?(?:routine|habit|rut|"  # noqa: E501
            r"mistake|trap|wagon|pattern)s?))|accident|crash(?:ed)?|"
            r"hit by|slipped|tripped|landed|collision|knocked|came off|went down|decked|"
            r"heard a (?:\w+ )?crack|went over on)\b"
        ),
    ),
    RedFlag(
        "vision_loss",
        "sudden vision loss",
        re.compile(
            r"\b(?:los(?:t|s|ing) (?:of )?(?:my |her |his )?(?:vision|sight|eyesight)|"
            r"went blind|can(?:'t|not) see (?:out of|anything)|sudden(?:ly)? (?:blind|blurr)"
            r"|blind spots? (?:\w+ ){0,6}(?:vision|sight)|(?:vision|sight) (?:\w+ ){0,3}blind spots?"  # noqa: E501
            # The vision itself going: "went dark", "keeps going dark", "had gone blurry".
            r"|vision (?:(?:in|of|from) (?:my|his|her) (?:left |right )?eye )?"
            r"(?:keeps |kept |has |had |have |is |was |started )?"
            r"(?:went|goes|going|gone|turned|turning) (?:\w+ )?(?:black|dark|out|grey|gray|blurry)"
            r"|curtain (?:over|coming down|across)|can(?:'t|not) see properly"
            r"|part of (?:my|his|her) vision|flashes of light|flashing (?:lights|spots))"
        ),
    ),
    RedFlag(
        "stroke",
        "signs of a stroke",
        re.compile(
            r"\b(?:face (?:is |was )?droop(?:ing|s|ed)?|face (?:felt |feels |went |is |was )?numb|"
            r"speech (?:is |was |became |got )?slurr|droop(?:ing|y) (?:face|mouth|eyelid)|"
            r"slurr(?:ed|ing) (?:speech|words)|having a stroke|signs? of (?:a )?stroke|"
            r"(?:mouth|face|eyelid) (?:looked |looks |went |was |is )?(?:a bit )?droop(?:y|ing)|"
            r"(?:couldn't|could not|can't|cannot) get (?:my|his|her) words out|"
            r"(?:mouth|face|lip|smile) (?:is |was |started |kept )?(?:falling|fell|dropping|dropped|drooping|sagging|sagged)(?: down)? (?:on|to) one side|"  # noqa: E501
            r"stroke symptoms|mini[- ]stroke|worst headache of (?:my|her|his) life|one side of (?:my|her|his|the) (?:face|body) "  # noqa: E501
            r"(?:went |is |feels )?(?:numb|weak|droop))"
        ),
    ),
    RedFlag(
        "fever_stiff_neck",
        "high fever with a stiff neck",
        re.compile(
            r"\b(?:stiff neck|neck (?:is |was |feels |felt )?(?:so |really |very )?stiff(?:ness)?|"
            r"can(?:'t|not) bend (?:my|his|her) neck|"
            r"can(?:'t|not) (?:put|touch|get) (?:my|his|her) chin (?:to|on) (?:my|his|her) chest)\b"
        ),
        requires=re.compile(r"\b(?:fever|temperature of|febrile|\d{3} ?f|3[89](?:\.\d)? ?c)\b"),
    ),
    RedFlag(
        "head_injury",
        "confusion, vomiting or a worsening headache after a blow to the head",
        re.compile(
            r"\b(?:confus(?:ed|ion)|repeating (?:him|her|my)self|(?:didn't|did not) know where|"
            r"threw up|thrown up|vomit(?:ed|ing)|headache (?:that )?(?:keeps )?getting worse)\b"
        ),
        requires=re.compile(
            r"\b(?:hit|knock|bang|blow|smack|clash)(?:ed|s)? (?:\w+ ){0,3}heads?\b|\bconcuss"
            r"|\bhelmet to helmet\b|\bto the head\b"
        ),
    ),
    RedFlag(
        "suicidal",
        "suicidal thoughts",
        re.compile(
            r"\b(?:suicid(?:e|al)|kill(?:ing)? myself|end(?:ing)? my life|take my (?:own )?life|"
            # A person, not a device ("my watch battery wants to die by mile 20").
            r"(?<!battery )(?<!watch )(?<!phone )(?<!garmin )(?<!car )(?<!laptop )"
            r"wan(?:t|ts|ted|na) to die|don't want to (?:live|be alive)|self[- ]harm(?:ing)?|"
            r"better off dead|thoughts (?:about|of) ending it|"
            r"better off without (?:me|him|her)|"
            r"(?:better off|easier for everyone) if (?:i|he|she) (?:wasn't|wasnt|weren't|was not|were not) "  # noqa: E501
            r"(?:here|around|alive)|(?:don't|dont|do not) want to be (?:here|around|alive) any ?more|"  # noqa: E501
            # Self-harm as an intent or an act ("I keep hurting myself on purpose"), not the
            # injury risk every training question names ("do I risk hurting myself?").
            r"(?:want(?:ed|s|ing)? to|urges? to|thoughts? (?:of|about)|thinking (?:of|about)|"
            r"tempted to) "
            r"(?:hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?) (?:my|him|her)self|"
            r"(?:hurt(?:ing)?|harm(?:ing)?|cut(?:ting)?) (?:my|him|her)self on purpose|"
            r"(?:don't|doesn't|do not|does not) want to wake up|"
            r"(?:don't|doesn't) see the point (?:anymore|any more|in living)|what's (?:even )?the point anymore)\b"  # noqa: E501
        ),
    ),
)

# Negation scope: a cue in the few words before the red flag, in the same clause ("no
# numbness", "not short of breath", "without any tingling", "never fainted", "denies chest
# pain"). Clauses end at punctuation and at "but", which usually flips polarity back.
_NEGATORS = re.compile(
    r"\b(?:no|not|never|without|none|nor|neither|denies|deny|absent|free of|"
    r"\w+n't|cannot|dont|didnt|havent|hasnt|isnt|wasnt|arent|ruled out)\b"
)
_CLAUSE_BREAK = re.compile(r"[.?!;\n]|,\s*(?:but|though|although)\b|\bbut\b|\bhowever\b")
_NEG_WINDOW_WORDS = 5


def _negated(text: str, start: int) -> bool:
    # Only the words *before* the match are searched, so the "n't" of "can't breathe" or the
    # "no" of "no bladder control" (the symptom itself) never negates its own red flag.
    prefix = text[max(0, start - 80) : start]
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    words = prefix.split()[-_NEG_WINDOW_WORDS:]
    window = " ".join(words)
    return _NEGATORS.search(window) is not None


# Hypotheticals: "how long until I pass out", "what if I faint", "would I black out". Only the
# words just before the red flag are read, and a past tense ("before I passed out") is a report.
_HYPOTHETICAL = re.compile(
    r"\b(?:(?:what if|what happens if|in case|until|till|how long (?:until|till|before))"
    r"(?: (?:i|you|he|she|someone|one|they|we)(?: \w+){0,2})?"
    # A modal before its subject asks ("would I pass out"); "I could pass out" reports.
    r"|(?:before|would|will|could|can) (?:i|you|he|she|someone|one|they|we)(?: \w+){0,2}) $"
)
_PAST = re.compile(r"\b(?:\w+ed|passed|blacked|was|were|lost)\b")
# Breathing named as technique ("trouble breathing during breaststroke", "can't catch my breath
# on every third stroke"): swimmers ask about rhythm, not a symptom, unless the same sentence
# names pain, tightness, wheezing or the chest. Running words are left out on purpose: "short of
# breath on easy runs" may well be a symptom, and a needless urgent notice costs less.
_TECHNIQUE = re.compile(
    r"\b(?:breaststroke|breast stroke|freestyle|front crawl|backstroke|butterfly|fly|strokes?|"
    r"laps?|bilateral|side breathing|flip turns?|underwater|kick(?:ing|board)?|snorkel|goggles|"
    r"every (?:two|three|four|2|3|4|\d+)|technique|drills?|cadence|in the pool)\b"
)
_SYMPTOM_NEAR = re.compile(
    r"\b(?:pain\w*|hurts?|hurting|tight\w*|pressure|asthma\w*|wheez\w*|inhaler|chest|lips|"
    r"blue|dizz\w*|faint\w*|at rest|sitting|lying|covid|sick|ill|infection|panic)\b"
)
_SENTENCE_BREAK = re.compile(r"[.?!;\n]")


def _sentence(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _SENTENCE_BREAK.finditer(text, 0, start)), default=0)
    right = _SENTENCE_BREAK.search(text, end)
    return text[left : right.start() if right else len(text)]


def _hypothetical(text: str, m: re.Match[str]) -> bool:
    if _PAST.search(m.group(0)):
        return False
    prefix = text[max(0, m.start() - 60) : m.start()]
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    return _HYPOTHETICAL.search(prefix) is not None


def _technique(text: str, m: re.Match[str]) -> bool:
    sentence = _sentence(text, m.start(), m.end())
    return bool(_TECHNIQUE.search(sentence)) and not _SYMPTOM_NEAR.search(sentence)


_NUMB_RE = re.compile(rf"\b{_NUMB}\b")


def _counts(flag: RedFlag, norm: str, m: re.Match[str]) -> bool:
    """Does this match of a red flag describe the sign itself (not negated, not a hypothetical,
    and for breathing not a question of swimming or running technique)?"""
    if _negated(norm, m.start()) or _hypothetical(norm, m):
        return False
    if flag.name == "limb_numbness":
        # The limb may come first ("legs feel normal and no numbness"): the negation then sits
        # before the numbness, inside the match.
        numb = _NUMB_RE.search(m.group(0))
        if numb and numb.start() > 0 and _negated(norm, m.start() + numb.start()):
            return False
    return not (flag.name == "breathing" and _technique(norm, m))


def red_flags(norm: str) -> list[RedFlag]:
    """Red flags present in normalised text: not negated, not hypothetical, in their medical
    sense."""
    found: list[RedFlag] = []
    for flag in RED_FLAGS:
        if flag.requires is not None and not any(
            not _negated(norm, m.start()) for m in flag.requires.finditer(norm)
        ):
            continue
        for m in flag.pattern.finditer(norm):
            if _counts(flag, norm, m):
                found.append(flag)
                break
    return found


def severity_of(norm: str, flagged: bool) -> tuple[str, list[RedFlag]]:
    """``("none" | "advice" | "urgent", red flags)`` for normalised text."""
    if not flagged:
        return "none", []
    flags = red_flags(norm)
    return ("urgent" if flags else "advice"), flags
