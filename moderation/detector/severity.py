"""Red-flag severity from LABELING.md, with negation.

Severity only applies to flagged posts (the detector returns ``"none"`` otherwise). Rules, not
a model: the red-flag list is short and explicit in the guideline, the data has too few urgent
cases to learn it, and a moderator must be able to see why a post was marked urgent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Legs and arms, as the guideline says. Hands and feet count only on one side ("my left hand
# is weak and numb since the pop in my neck"): numb hands or fingers on the handlebar or in
# the cold are common and rarely an emergency.
_LIMB = r"(?:legs?|arms?|thighs?|calf|calves|shins?|forearms?|(?:left|right|one) (?:hand|foot))"
_NUMB = r"(?:numb(?:ness)?|tingl(?:e|es|ing|y)|pins and needles|weak(?:ness)?|go(?:es|ing)? dead|lost (?:the )?feeling)"  # noqa: E501


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
            r"|\btight(?:ness in the)? chest\b"
            r"|\bchest (?:went|goes|felt|feels|was|is|got|gets) (?:\w+ )?(?:tight|heavy)"
            r"|\b(?:pressure|squeezing|crushing|tight(?:ness)?|heavy|heaviness)(?: \w+){0,3} "
            r"(?:in|on|across) (?:the middle of |the centre of |the center of )?(?:my|his|her|the) chest"  # noqa: E501
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
            r"|every breath hurts|lips (?:\w+ ){0,3}blue)"
        ),
    ),
    RedFlag(
        "fainting",
        "fainting",
        re.compile(
            r"\b(?:faint(?:ed|ing)?|passed out|pass out|blacked out|black out|"
            r"lost consciousness|losing consciousness|syncope|collapsed|out cold|knocked out|"
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
            r"|\bcan(?:'t|not) (?:walk|stand|move|put (?:any )?weight)"
            r"|\bhurts? (?:like hell|so much)|\b(?:[89]|10) ?/ ?10\b|\bin (?:a lot of|so much) pain"
            r"|\b(?:crying|cries|cried|screaming) (?:out )?(?:in|with) pain|\breally painful\b"
        ),
        requires=re.compile(
            r"\b(?:fell|fall|fallen|falling|accident|crash(?:ed)?|hit by|slipped|tripped|"
            r"landed|collision|knocked|came off|went down|decked|heard a (?:\w+ )?crack|"
            r"went over on)\b"
        ),
    ),
    RedFlag(
        "vision_loss",
        "sudden vision loss",
        re.compile(
            r"\b(?:los(?:t|s|ing) (?:of )?(?:my |her |his )?(?:vision|sight|eyesight)|"
            r"went blind|can(?:'t|not) see (?:out of|anything)|sudden(?:ly)? (?:blind|blurr)"
            r"|vision (?:went|goes|going|turned) (?:\w+ )?(?:black|dark|out|grey|gray|blurry)"
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
            r"want(?:ed)? to die|don't want to (?:live|be alive)|self[- ]harm(?:ing)?|"
            r"better off dead|thoughts (?:about|of) ending it|"
            r"better off without (?:me|him|her)|(?:hurting|harming) (?:my|him|her)self|"
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


def red_flags(norm: str) -> list[RedFlag]:
    """Red flags present (and not negated) in normalised text."""
    found: list[RedFlag] = []
    for flag in RED_FLAGS:
        if flag.requires is not None and not any(
            not _negated(norm, m.start()) for m in flag.requires.finditer(norm)
        ):
            continue
        for m in flag.pattern.finditer(norm):
            if not _negated(norm, m.start()):
                found.append(flag)
                break
    return found


def severity_of(norm: str, flagged: bool) -> tuple[str, list[RedFlag]]:
    """``("none" | "advice" | "urgent", red flags)`` for normalised text."""
    if not flagged:
        return "none", []
    flags = red_flags(norm)
    return ("urgent" if flags else "advice"), flags
