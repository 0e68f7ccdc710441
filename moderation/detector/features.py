"""Text normalisation and features for the medical-advice detector.

Pure Python (``re`` only) so that inference needs neither scikit-learn nor Django. Training
builds exactly the same features through :func:`extract`, so the committed weights and the
runtime agree by construction.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass

# --- normalisation -------------------------------------------------------------------------

_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Reddit-style "23F", "(M29)", "24/f", "F, 31", "24, female": AskDocs posts carry these
# demographics headers and a model would learn them as a subreddit fingerprint instead of
# learning what asking looks like, so they are removed before anything else sees the text.
_AGE_SEX_RE = re.compile(
    r"(?<![a-z0-9])(?:\d{1,2}\s*[/,\-]?\s*(?:m|f|male|female|yo|y/o|yrs?)"
    r"|(?:m|f|male|female)\s*[/,\-]?\s*\d{1,2})(?![a-z0-9])"
)
_HEIGHT_WEIGHT_RE = re.compile(
    r"\d+\s*(?:'|ft|feet)\s*\d*\s*(?:\"|''|in|inches)?|\d+(?:\.\d+)?\s*(?:lbs?|kgs?|cm|pounds)\b"
)
# Metadata lines ("Age: 24", "Current medications: none", "Physician Responded") are form
# fields of one community, not the author's words.
_META_LINE_RE = re.compile(
    r"^\s*(?:age|sex|gender|height|weight|race|ethnicity|duration|location|smoker|"
    r"smoking|drinking|drinker|drugs|flair|physician responded)\b[^\n]{0,80}$",
    re.MULTILINE,
)
_FLAIR_RE = re.compile(r"physician responded|\b(?:edit|update|tl;?dr)\s*\d*\s*:", re.IGNORECASE)
_QUOTE_RE = re.compile(r"^\s*&gt;.*$|^\s*>.*$", re.MULTILINE)
_SPACE_RE = re.compile(r"[ \t\r\f\v]+")

TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
SENTENCE_RE = re.compile(r"[^.!?\n]+[.!?]*")


def normalize(text: str) -> str:
    """Lower-case, unescape and strip community-specific metadata from ``text``."""
    text = html.unescape(text or "")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", " - ")
    text = _QUOTE_RE.sub(" ", text)
    text = _MD_LINK_RE.sub(r"\1", text)
    text = _URL_RE.sub(" ", text)
    text = text.lower()
    text = _META_LINE_RE.sub(" ", text)
    text = _FLAIR_RE.sub(" ", text)
    text = _AGE_SEX_RE.sub(" ", text)
    text = _HEIGHT_WEIGHT_RE.sub(" ", text)
    text = text.replace("*", " ").replace("#", " ").replace("_", " ")
    return _SPACE_RE.sub(" ", text).strip()


def tokens(norm: str) -> list[str]:
    """Word tokens of normalised text; numbers collapse to one token (they are noise here)."""
    out = []
    for tok in TOKEN_RE.findall(norm):
        out.append("<num>" if any(ch.isdigit() for ch in tok) else tok)
    return out


# Tokens that identify where a post was written rather than what it asks: AskDocs'
# demographic headers ("white male, non smoker") and its 2020 news topic. The model may not use
# them, otherwise it learns "sounds like r/AskDocs in 2020" instead of "asks for advice".
STOP_TOKENS = frozenset(
    {
        "male", "female", "males", "females", "caucasian", "white", "black", "asian",
        "hispanic", "latino", "latina", "smoker", "nonsmoker", "smoke", "non", "drinker",
        "age", "sex", "race", "ethnicity", "height", "weight", "covid", "coronavirus", "corona",
        "quarantine", "pandemic", "lockdown", "sars", "cov", "askdocs", "physician",
        "responded", "reddit", "subreddit", "sub", "r", "docs", "<num>",
    }
)  # fmt: skip


# Function words alone mostly encode a community's writing style (long first-person stories on
# AskDocs); who is asking is modelled by the cues instead. They still count inside bigrams
# ("my knee", "should i").
FUNCTION_WORDS = frozenset(
    {
        "i", "me", "my", "mine", "myself", "you", "your", "we", "our", "he", "she", "him",
        "her", "his", "they", "them", "their", "it", "its", "this", "that", "these", "those",
        "the", "a", "an", "and", "or", "but", "if", "so", "of", "to", "in", "on", "at", "for",
        "with", "from", "by", "as", "is", "am", "are", "was", "were", "be", "been", "being",
        "have", "has", "had", "do", "does", "did", "can", "could", "would", "should", "will",
        "just", "also", "very", "really", "about", "up", "out", "what", "how", "why", "when",
        "there", "here", "all", "some", "any", "no", "not", "more", "most", "than", "then",
        "i'm", "i've", "it's", "don't", "im", "ive", "get", "got",
    }
)  # fmt: skip


def ngrams(toks: list[str]) -> list[str]:
    """Unigrams and bigrams, the vocabulary of the lexical half of the model."""
    toks = [t for t in toks if t not in STOP_TOKENS]
    grams = [t for t in toks if t not in FUNCTION_WORDS]
    grams.extend(f"{a} {b}" for a, b in itertools.pairwise(toks))
    return grams


# --- lexicons ------------------------------------------------------------------------------

_BODY = (
    r"(?:knees?|backs?|lower back|neck|shoulders?|hips?|ankles?|wrists?|elbows?|feet|foot|"
    r"heels?|achilles|shins?|calf|calves|hamstrings?|quads?|groin|chest|heart|head|stomach|"
    r"abdomen|ribs?|spine|arms?|legs?|hands?|fingers?|toes?|thumbs?|jaw|eyes?|ears?|throat|"
    r"skin|lungs?|kidneys?|bladder|bowels?|tendons?|ligaments?|joints?|muscles?|glutes?|"
    r"forearms?|biceps?|triceps?|pecs?|traps?|lats?|it band|sacrum|tailbone|pelvis|thighs?)"
)
_SYMPTOM = (
    r"(?:pain(?:s|ful)?|hurts?|hurting|ach(?:e|es|ing|y)|sore(?:ness)?|swell(?:ing|ed|s)?|"
    r"swollen|numb(?:ness)?|tingl(?:e|es|ing|y)|pins and needles|dizz(?:y|iness)|"
    r"light ?headed(?:ness)?|faint(?:ed|ing)?|passed out|black(?:ed)? out|nause(?:a|ous|ated)|"
    r"vomit(?:ing|ed)?|throw(?:ing)? up|fever|cough(?:ing)?|rash|itch(?:y|ing)?|bruis(?:e|ed|ing)|"
    r"stabbing|throbbing|shooting|spasms?|twitch(?:ing|es)?|"
    r"fatigue|exhausted|palpitations?|racing heart|"
    r"short(?:ness)? of breath|wheez(?:e|ing)|bleed(?:ing)?|blood in|discharge|"
    r"headaches?|migraines?|insomnia|diarrh(?:o)?ea|constipat(?:ed|ion)|bloat(?:ed|ing)|"
    r"heartburn|reflux|inflam(?:ed|mation)|infect(?:ed|ion)|blisters?|symptoms?|flare ?up|"
    r"giv(?:es|ing) (?:way|out)|locks? up|unstable|instability|tender(?:ness)?)"
)
_CONDITION = (
    r"(?:injur(?:y|ies|ed)|sprain(?:ed)?|"
    r"dislocat(?:ed|ion)|herniat(?:ed|ion)|bulging disc|sciatica|tendini?tis|"
    r"tendinosis|tendinopathy|bursitis|arthritis|plantar fasciitis|shin splints|"
    r"stress fracture|concussion|acl|mcl|meniscus|rotator cuff|labrum|impingement|"
    r"hernia|diabet(?:es|ic)|asthma(?:tic)?|hypertension|high blood pressure|"
    r"low blood pressure|blood pressure|cholesterol|thyroid|hypothyroid(?:ism)?|pcos|"
    r"anemi(?:a|c)|ibs|crohn'?s|celiac|gout|allerg(?:y|ies|ic)|intoleran(?:ce|t)|"
    r"epilep(?:sy|tic)|migraine|depress(?:ion|ed)|anxiety|panic attacks?|adhd|eating disorder|"
    r"pregnan(?:t|cy)|postpartum|surgery|post[- ]op|operation|cancer|tumou?r|infection|"
    r"covid|flu|virus|disease|disorder|syndrome|deficien(?:t|cy)|scoliosis|"
    r"osteoporosis|kidney stones?|heart (?:condition|problem|murmur)|arrhythmia|a-?fib)"
)
_CARE = (
    r"(?:doctors?|docs?|gp|physician|physio(?:therapist)?|physical therap(?:y|ist)|"
    r"pt|chiro(?:practor)?|orthop(?:a)?edic|surgeon|specialist|dermatologist|neurologist|"
    r"cardiologist|urgent care|the er|emergency room|a&e|hospital|clinic|nurse|"
    r"mri|x-?rays?|ultrasound|scan|blood ?(?:work|tests?)|test results?|diagnos(?:is|ed|e)|"
    r"prognosis|biopsy|ecg|ekg)"
)
_MEDICATION = (
    r"(?:medications?|meds|medicine|prescri(?:bed|ption)|dos(?:e|age|ing)|mg|pills?|tablets?|"
    r"ibuprofen|advil|motrin|naproxen|aleve|tylenol|paracetamol|acetaminophen|aspirin|"
    r"antibiotics?|steroids?|prednisone|cortisone|injection|insulin|metformin|"
    r"antidepressants?|ssris?|sertraline|zoloft|lexapro|prozac|adderall|ritalin|"
    r"birth control|the pill|painkillers?|anti-?inflammator(?:y|ies)|nsaids?|"
    r"side effects?|interact(?:ion|ions|s)?|contraindicat\w*|muscle relaxants?|"
    r"supplement(?:s|ing)? (?:for|to (?:treat|help with|fix))|iron pills|vitamin d deficiency)"
)
# Words that describe a body problem only when a body part is close by: "my knee clicks" but
# "my derailleur clicks", "torn hamstring" but "tears in my jeans", "headset fracture".
_WEAK = (
    r"(?:lump|bump|clicks?|clicking|popp(?:ing|ed)|crack(?:ing|s|ed)?|grinding|burning|sharp|"
    r"stiff(?:ness)?|tight(?:ness)?|weak(?:ness)?|cramp(?:s|ing|ed)?|tore|torn|tears?|"
    r"strain(?:ed)?|fractur(?:e|ed)|broke(?:n)?|condition|pulled|tweaked|rolled|twisted|"
    r"snapped|ruptur(?:e|ed)|bruised|hurt)"
)
_WEAK_IN_CONTEXT = rf"(?:{_BODY}\b[^.?!\n]{{0,30}}\b{_WEAK}|{_WEAK}\b[^.?!\n]{{0,30}}\b{_BODY})"
_SYMPTOM = rf"(?:{_SYMPTOM}|{_WEAK_IN_CONTEXT})"
MEDICAL_RE = re.compile(rf"\b(?:{_SYMPTOM}|{_CONDITION}|{_CARE}|{_MEDICATION})\b")
# The first-stage gate is deliberately much broader than MEDICAL_RE: it only has to let
# through every text that *might* be about a body or health, the model decides the rest.
GATE_RE = re.compile(
    rf"\b(?:{_SYMPTOM}|{_CONDITION}|{_CARE}|{_MEDICATION}|{_BODY}|"
    r"health\w*|medical\w*|safe|safely|unsafe|risks?|risky|dangerous|normal|worr\w+|"
    r"concern\w*|weird|strange|odd|scared|afraid|sick|ill|unwell|hiv|std|sti|uti|"
    r"nose|nostrils?|ears?|hearing|eyes?|vision|mouth|teeth|tooth|gums?|tongue|lips?|"
    r"face|facial|scalp|hair|nails?|moles?|scars?|spots?|freckles?|marks?|lines?|"
    r"testicles?|scrotum|penis|vagina\w*|anus|rectal|rectum|breasts?|nipples?|"
    r"periods?|menstrua\w*|urine|pee|poop|stool|blood|heart ?rate|pulse|breath\w*|"
    r"taste|smell|sleep\w*|tired\w*|focus|memory|brain|mental|mood|urges?|"
    r"weight loss|lost weight|losing weight|appetite|fell|fall|accident|cut|bite|bitten|"
    r"sting|burn|burned|burnt|pregnan\w*|baby|infant|temperature|vaccin\w*|corona\w*|"
    r"recover\w*|rehab\w*|heal\w*|treat\w*|cure\w*|remed\w*|sugar|glucose|\w+ectomy|"
    r"\w+itis|\w+osis|partum|c-section|pacemaker|seizures?|collapsed|stitch\w*|warts?|"
    r"abscess|viral|bacteria\w*|pox|metabolism|drugs?|weed|alcohol|smok\w+|levels?)\b"
)
SYMPTOM_RE = re.compile(rf"\b{_SYMPTOM}\b")
CONDITION_RE = re.compile(rf"\b{_CONDITION}\b")
CARE_RE = re.compile(rf"\b{_CARE}\b")
MEDICATION_RE = re.compile(rf"\b{_MEDICATION}\b")
BODY_RE = re.compile(rf"\b{_BODY}\b")

# Whose health is at stake: the author ("my knee", "i have") or someone the author looks after.
_THIRD = (
    r"(?:client|athlete|trainee|patient|son|daughter|kid|child|baby|toddler|wife|husband|"
    r"partner|girlfriend|boyfriend|gf|bf|mum|mom|mother|dad|father|brother|sister|friend|"
    r"teammate|grandma|grandmother|grandpa|grandfather|aunt|uncle|roommate|coworker|"
    r"co-worker|student|dancer|runner|lifter|swimmer|player)"
)
# "my knee", "my left knee", "in my mid back": one word may sit between "my" and the body part.
_MY_BODY = rf"my (?:\w+ )?{_BODY}"
FIRST_PERSON_SYMPTOM_RE = re.compile(
    rf"\b(?:{_MY_BODY}\b[^.?!\n]{{0,40}}\b(?:{_SYMPTOM}|{_CONDITION}|{_WEAK})"
    rf"|i (?:\w+ )?{_WEAK}\b[^.?!\n]{{0,15}}\b{_MY_BODY}"
    rf"|i(?:'ve| have| had|'m| am| was| got| get| keep| started| feel| felt| noticed)"
    rf"\b[^.?!\n]{{0,40}}\b(?:{_SYMPTOM}|{_CONDITION})"
    rf"|(?:{_SYMPTOM}|{_CONDITION})\b[^.?!\n]{{0,25}}\bin {_MY_BODY})\b"
)
THIRD_PERSON_RE = re.compile(
    rf"\b(?:my|our|one of my|a) (?:\w+ )?{_THIRD}s?\b"
    rf"|\b(?:she|he|they)(?:'s| has| had| is| was| keeps| started| gets| got| complains)\b"
)
THIRD_PERSON_SYMPTOM_RE = re.compile(
    rf"\b(?:(?:my|our|one of my) (?:\w+ )?{_THIRD}s?|she|he|her|his)\b[^.?!\n]{{0,60}}"
    rf"\b(?:{_SYMPTOM}|{_CONDITION}|{_WEAK})\b"
)

# The act of asking. Each pattern is an ask about the asker's (or a charge's) situation.
ASK_PATTERNS: tuple[tuple[str, str], ...] = (
    ("should i", r"\bshould (?:i|we|she|he|they)\b"),
    ("do I need to see", r"\b(?:do|does|should) (?:i|she|he|we) (?:need to |)(?:see|go to|get)"),
    (
        "is this normal",
        r"\bis (?:this|it|that) (?:normal|serious|bad|dangerous|something|safe|ok|okay)",
    ),
    (
        "what could it be",
        r"\bwhat (?:could|might|would|can) (?:this|it|that|cause|be)|what is (?:this|it|wrong)",
    ),
    ("any ideas", r"\bany (?:ideas|idea|thoughts|advice|suggestions|tips|insight|help)\b"),
    ("anyone know", r"\b(?:does )?any ?(?:one|body) (?:know|had|have|else|experience)"),
    ("what should I do", r"\bwhat (?:should|can|do) (?:i|we|she|he) (?:do|take|try)"),
    (
        "how do I fix/treat",
        r"\bhow (?:do|can|should) (?:i|we|she|he) (?:fix|treat|heal|help|get rid|deal|manage|recover|rehab|stop)",  # noqa: E501
    ),
    (
        "can I still train",
        r"\b(?:can|could|should) (?:i|she|he) (?:still |safely |)(?:train|lift|run|squat|deadlift|bench|work ?out|exercise|play|swim|ride|cycle|race|keep)",  # noqa: E501
    ),
    (
        "when can I return",
        r"\b(?:when|how soon|how long) (?:can|could|until|before|will|does|should)\b",
    ),
    (
        "should I worry",
        r"\b(?:should i|do i need to) (?:be )?(?:worried|concerned|worry)|\bhow (?:worried|concerned)\b",  # noqa: E501
    ),
    (
        "need help/advice",
        r"\b(?:need|want|looking for|seeking|appreciate|welcome) (?:some |any |your |)(?:help|advice|input|guidance)|\bplease help\b|\bhelp me\b",  # noqa: E501
    ),
    ("wondering if", r"\b(?:i'm|i am|i was|just) wondering\b|\bi wonder (?:if|whether)"),
    ("could it be", r"\b(?:could|can|might) (?:this|it|that) be\b|\bis it (?:possible|likely)"),
    (
        "is it safe",
        r"\bis (?:it|this) (?:safe|ok|okay|fine|bad|wise|smart|stupid|dangerous) (?:to|for|if)",
    ),
    ("has anyone had", r"\b(?:has|have) (?:anyone|anybody|any of you)\b"),
    ("what is wrong", r"\bwhat(?:'s| is) (?:wrong|going on|happening)\b"),
    ("how long to heal", r"\bhow long (?:does|will|should|did) (?:it|this|a|an|the)\b"),
    (
        "not sure what",
        r"\b(?:not sure|no idea|don't know|dont know|unsure) (?:what|if|whether|why|how)\b",
    ),
    ("why does it", r"\bwhy (?:does|do|is|would|am) (?:my|it|this|i)\b"),
    # Titles and quick posts often drop the "?": "is my meniscus torn", "does this look infected".
    (
        "question without a question mark",
        r"(?:^|[.!\n] ?)(?:is|are|does|do|did|can|could|should|will|would|am|has|have) (?:my|this|it|i|these|that|there|he|she|her|his)\b[^.?!\n]*(?:$|[.!\n])",  # noqa: E501
    ),
)

GIVE_ADVICE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("you should", r"\byou (?:should|need to|must|might want to|could try|may want to|have to)\b"),
    (
        "I would recommend",
        r"\bi(?:'d| would) (?:recommend|suggest|refer|advise|get|see|go|start|try)\b|\bi recommend\b|\bi suggest\b",  # noqa: E501
    ),
    (
        "get them to a professional",
        r"\b(?:get|send|take|refer) (?:her|him|them|it|yourself)(?: out)? (?:to|checked|looked)",
    ),
    (
        "see a professional (imperative)",
        r"(?:^|[.!\n] ?)(?:see|go to|get|try|ice|rest|stretch|stop|make sure|don't|do not|avoid|keep)\b",  # noqa: E501
    ),
    (
        "in my experience",
        r"\b(?:in my experience|what worked for me|when i had|when this happened to me|i had the same|same thing happened)\b",  # noqa: E501
    ),
    ("sounds like", r"\bsounds like\b|\bit could be\b|\bprobably (?:just|a|an)\b|\bmost likely\b"),
    ("replying", r"\bwrote:|\b(?:op|@\w+)\b|^(?:yes|no|yeah|nope|agreed|this)\b"),
)

ARTICLE_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "article voice",
        r"\b(?:in this (?:article|post|guide)|we'll|we will (?:explore|discuss|cover|look)|let's (?:look|explore|dive))\b",  # noqa: E501
    ),
    (
        "explains to the reader",
        r"\b(?:common causes|risk factors|when to (?:seek|see)|how to (?:prevent|treat|avoid)|here are|here's how|key takeaways|in summary|conclusion)\b",  # noqa: E501
    ),
    (
        "reports research/news",
        r"\b(?:study|studies|researchers|according to|published|journal|trial|survey|report(?:ed|s)?|scientists)\b",  # noqa: E501
    ),
    (
        "addresses readers",
        r"\b(?:your (?:body|muscles|doctor|back|training|performance)|if you(?:'re| are| have| experience| feel))\b",  # noqa: E501
    ),
)

DOMS_RE = re.compile(
    r"\b(?:doms|delayed onset|muscle soreness|sore (?:after|from|the day after)|"
    r"(?:legs|arms|chest|abs|glutes|quads|hamstrings|everything) (?:are|is|were) (?:so |really |super |)sore|"  # noqa: E501
    r"sore (?:as|like) hell|can't walk after leg day|after leg day)\b"
)
PERFORMANCE_RE = re.compile(
    r"\b(?:form|technique|program(?:me|ming)?|routine|split|sets|reps|pr|1rm|bulk|cut|macros|"
    r"calories|protein|hypertrophy|gains|plateau|progress|pace|mileage|strength|cadence|"
    r"mobility|flexibility|warm ?up|deload)\b"
)
URGENT_HINT_RE = re.compile(
    r"\b(?:emergency|911|999|ambulance|er\b|ambulance|right now|immediately|urgent(?:ly)?)\b"
)

_ASK_RES = tuple((label, re.compile(p)) for label, p in ASK_PATTERNS)
_GIVE_RES = tuple((label, re.compile(p, re.MULTILINE)) for label, p in GIVE_ADVICE_PATTERNS)
_ARTICLE_RES = tuple((label, re.compile(p)) for label, p in ARTICLE_PATTERNS)
_FIRST_PERSON_RE = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|mine|myself)\b")
_SECOND_PERSON_RE = re.compile(r"\b(?:you|your|you're|yourself)\b")


@dataclass(frozen=True)
class Cue:
    """A hand-designed feature: ``name`` is stable (stored in the artefact), ``label`` is shown."""

    name: str
    label: str


def _cue_catalogue() -> tuple[Cue, ...]:
    cues = [Cue(f"ask:{lbl}", f"asks: {lbl}") for lbl, _ in ASK_PATTERNS]
    cues += [Cue(f"give:{lbl}", f"gives advice: {lbl}") for lbl, _ in GIVE_ADVICE_PATTERNS]
    cues += [Cue(f"article:{lbl}", f"article: {lbl}") for lbl, _ in ARTICLE_PATTERNS]
    cues += [
        Cue("has_symptom", "mentions a symptom"),
        Cue("has_condition", "mentions an injury or condition"),
        Cue("has_care", "mentions doctors, tests or a diagnosis"),
        Cue("has_medication", "mentions medication or dosing"),
        Cue("first_person_symptom", "describes own symptom"),
        Cue("third_person", "talks about someone else"),
        Cue("third_person_symptom", "describes someone else's symptom"),
        Cue("question_mark", "contains a question"),
        Cue("medical_question", "asks a question about a health problem"),
        Cue("ask_x_medical", "asking pattern + health problem"),
        Cue("ask_x_own_symptom", "asks about own symptom"),
        Cue("ask_x_third_symptom", "asks on behalf of someone with a symptom"),
        Cue("ask_x_medication", "asks about medication"),
        Cue("ask_x_condition_training", "asks about training with a condition"),
        Cue("no_ask", "asks nothing"),
        Cue("medical_no_ask", "health topic but asks nothing"),
        Cue("gives_advice_no_ask", "gives advice without asking"),
        Cue("article_no_ask", "reads like an article"),
        Cue("second_person_heavy", "addresses the reader"),
        Cue("doms_only", "ordinary post-workout soreness"),
        Cue("performance_only", "training/performance topic, no health problem"),
        Cue("urgent_hint", "mentions urgency"),
    ]
    return tuple(cues)


# No length cue: length tells where a post was written (long r/AskDocs stories, one-line news
# titles), not whether it asks, and with one the model learned to ignore short asks.
CUES: tuple[Cue, ...] = _cue_catalogue()
CUE_INDEX: dict[str, int] = {c.name: i for i, c in enumerate(CUES)}
CUE_LABELS: dict[str, str] = {c.name: c.label for c in CUES}


def names_body_part(text: str) -> bool:
    """Does ``text`` name a body part or a symptom (for the false-alarm rate of posts that
    do, where the detector's false alarms concentrate)?"""
    norm = normalize(text)
    return bool(BODY_RE.search(norm) or SYMPTOM_RE.search(norm))


def has_medical_term(norm: str) -> bool:
    """Cheap first-stage gate: does the text mention any health problem, care or medication?"""
    return GATE_RE.search(norm) is not None


def _question_sentences(norm: str) -> list[str]:
    out = []
    for sent in SENTENCE_RE.findall(norm):
        s = sent.strip()
        if not s:
            continue
        if s.endswith("?") or any(rx.search(s) for _, rx in _ASK_RES):
            out.append(s)
    return out


def cue_values(norm: str, questions: list[str]) -> dict[str, float]:
    """The active hand-designed cues of normalised text (its question sentences already
    found by :func:`extract`), as ``{cue name: value}``."""
    v: dict[str, float] = {}
    asks = [lbl for lbl, rx in _ASK_RES if rx.search(norm)]
    for lbl in asks:
        v[f"ask:{lbl}"] = 1.0
    gives = [lbl for lbl, rx in _GIVE_RES if rx.search(norm)]
    for lbl in gives:
        v[f"give:{lbl}"] = 1.0
    arts = [lbl for lbl, rx in _ARTICLE_RES if rx.search(norm)]
    for lbl in arts:
        v[f"article:{lbl}"] = 1.0

    symptom = SYMPTOM_RE.search(norm) is not None
    condition = CONDITION_RE.search(norm) is not None
    care = CARE_RE.search(norm) is not None
    medication = MEDICATION_RE.search(norm) is not None
    medical = symptom or condition or care or medication
    own = FIRST_PERSON_SYMPTOM_RE.search(norm) is not None
    third = THIRD_PERSON_RE.search(norm) is not None
    third_sym = THIRD_PERSON_SYMPTOM_RE.search(norm) is not None
    qmark = "?" in norm
    # A question sentence that itself names a health problem is much stronger evidence than
    # a question about programming in a post that mentions an old injury in passing.
    med_question = any(MEDICAL_RE.search(s) or BODY_RE.search(s) for s in questions)
    asking = bool(asks) or qmark
    doms = DOMS_RE.search(norm) is not None

    flags = {
        "has_symptom": symptom,
        "has_condition": condition,
        "has_care": care,
        "has_medication": medication,
        "first_person_symptom": own,
        "third_person": third,
        "third_person_symptom": third_sym,
        "question_mark": qmark,
        "medical_question": med_question and medical,
        "ask_x_medical": asking and medical,
        "ask_x_own_symptom": asking and own,
        "ask_x_third_symptom": asking and third_sym,
        "ask_x_medication": asking and medication,
        "ask_x_condition_training": asking
        and condition
        and PERFORMANCE_RE.search(norm) is not None,
        "no_ask": not asking,
        "medical_no_ask": medical and not asking,
        "gives_advice_no_ask": bool(gives) and not asking,
        "article_no_ask": bool(arts) and not asking and not own,
        "doms_only": doms and not (condition or care or medication),
        "performance_only": PERFORMANCE_RE.search(norm) is not None and not medical,
        "urgent_hint": URGENT_HINT_RE.search(norm) is not None,
    }
    for name, on in flags.items():
        if on:
            v[name] = 1.0
    n_first = len(_FIRST_PERSON_RE.findall(norm))
    n_second = len(_SECOND_PERSON_RE.findall(norm))
    if n_second >= 3 and n_second > n_first:
        v["second_person_heavy"] = 1.0
    return v


# Where the health words sit relative to the questions: the second stage combines these with
# the cues, so "is it safe?" next to a cracked rim and next to a swollen knee can differ.
SHAPE_NAMES: tuple[str, ...] = (
    "questions",
    "questions_with_symptom",
    "questions_with_health_term",
    "questions_with_body_part",
    "title_has_health_term",
)


def shape_values(norm: str, questions: list[str]) -> tuple[float, ...]:
    title = norm.split("\n", 1)[0]
    return (
        float(len(questions)),
        float(sum(1 for q in questions if SYMPTOM_RE.search(q))),
        float(sum(1 for q in questions if MEDICAL_RE.search(q))),
        float(sum(1 for q in questions if BODY_RE.search(q))),
        float(bool(MEDICAL_RE.search(title) or BODY_RE.search(title))),
    )


# Names of the second stage's inputs, in order: stored in the artefact and checked on load.
STAGE2_INPUTS: tuple[str, ...] = ("margin", *(c.name for c in CUES), *SHAPE_NAMES)


@dataclass(frozen=True)
class Features:
    """Everything the model reads from one text."""

    norm: str
    grams: list[str]
    cues: dict[str, float]
    medical: bool
    shape: tuple[float, ...] = ()

    def stage2_vector(self, margin: float) -> list[float]:
        """Input of the second stage: the linear margin, the cues (0 when off), the shape."""
        return [margin, *(self.cues.get(c.name, 0.0) for c in CUES), *self.shape]


def extract(text: str) -> Features:
    """Normalise ``text`` and compute its n-grams, cues and shape."""
    norm = normalize(text)
    toks = tokens(norm)
    questions = _question_sentences(norm)
    return Features(
        norm=norm,
        grams=ngrams(toks),
        cues=cue_values(norm, questions),
        medical=has_medical_term(norm),
        shape=shape_values(norm, questions),
    )
