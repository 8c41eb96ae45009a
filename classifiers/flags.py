"""Signals besides the category: profanity, threats, danger terms, questions.

The category says what to *answer*; flags say what to *watch*. A threat goes to the crisis
watcher whatever the category, a danger term (a health, safety, legal or media word) tells
the CM that this reply will be read by more than the author, a question tells the drafter
that an answer is expected. They are lexicons on the normalised text (lower case, no
accents) rather than learned, so that they are predictable, explainable to a CM, and easy
to extend by editing a word list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ecoute.core.domain import Flag

from .normalise import normalise


def _words(*groups: str) -> re.Pattern[str]:
    """Compile word lists (one alternation per group) into one whole-word pattern."""
    alternatives = "|".join(p for g in groups for p in g.split("|") if p)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


PROFANITY = _words(
    # English
    r"fuck\w*|f\*+k\w*|fck\w*|fk|fkn|shit\w*|sh\*t|bullshit|crap\w*|damn\w*|ass|asshole\w*"
    r"|arse\w*|bitch\w*|bastard\w*|dick\w*|dickhead|piss\w*|cunt\w*|wtf|stfu|motherfuck\w*"
    r"|mofo|douche\w*|jackass|dumbass|scumbag\w*|goddamn\w*|bloody hell|prick\w*|twat\w*"
    r"|wank\w*|moron\w*|idiot\w*|retard\w*|suck|sucks|sucked",
    # French (France, Québec, Maghreb)
    r"merde\w*|putain\w*|ptn|put1|bordel\w*|con|cons|conne\w*|connard\w*|connasse\w*"
    r"|salop\w*|salaud\w*|encul\w*|nique\w*|niquer|ntm|fdp|pute\w*|bouffon\w*|abruti\w*"
    r"|debile\w*|batard\w*|chier|fait chier|chiant\w*|foutre|fous|foutu\w*|couill\w*"
    r"|enfoire\w*|pd|tg|ta gueule|ferme ta gueule|gueule|emmerd\w*|cretin\w*|escroc\w*"
    r"|voleur\w*|voleurs|tabarnak\w*|tabarnac\w*|tabarouette|criss\w*|calice|caliss\w*"
    r"|calisse\w*|ostie\w*|osti|esti|sacrament\w*|mange d'?la marde|marde|zebi|zeby|hmar"
    r"|bande de nuls",
)

THREAT = _words(
    r"i(?:'ll| will| am going to|'m going to|m gonna|'m gonna| gonna) (?:kill|hurt|find|burn"
    r"|beat|shoot|stab|punch|smash|destroy) (?:you|u|him|her|them|your|ur|every|the)\w*"
    r"|you(?:'re| are) (?:dead|gonna die)|watch your back|i know where (?:you|u) (?:live|work)"
    r"|gonna (?:shoot|bomb|burn|kill)|(?:bomb|burn down|shoot up) (?:the|your|ur) \w+"
    r"|kill (?:you|u|yourself|urself|them|all)|should be (?:shot|hanged|killed)"
    r"|deserve to die|hope (?:you|u) die"
    r"|burn (?:your|ur|the|their|his|her|this) (?:\w+ ){0,2}down"
    r"|(?:come|coming|go|going|show up)(?: down| back)?(?: there| here)? (?:with|and bring)"
    r" (?:a |my )?(?:bat|baseball bat|gun|knife|machete|crowbar)\w*"
    r"|(?:beat|kick) (?:his|her|your|ur|their) (?:ass|face)|break (?:his|her|your|ur) (?:legs"
    r"|neck|face|jaw)|(?:i'm|im|i am) coming for (?:you|u|your|ur)|(?:put|plant) a bomb"
    r"|shoot (?:up )?(?:the|your|ur) (?:place|store|office|staff)",
    r"je (?:vais|vas|va) (?:te|vous|lui|les) (?:tuer|buter|defoncer|frapper|casser la gueule"
    r"|retrouver|faire la peau|egorger|cramer|bruler)|on va (?:te|vous) (?:retrouver|tuer|buter"
    r"|defoncer|faire la peau)|(?:te|vous) (?:tuer|buter|egorger)|je sais ou (?:tu|vous) habit\w*"
    r"|faire sauter (?:votre|ta|la|le) \w+|mettre le feu a (?:votre|ta|la|vos) \w+"
    r"|(?:vous|tu) (?:allez|vas) (?:le )?(?:payer|crever) (?:cher|de mes mains)"
    r"|gare a (?:toi|vous)|meriterai(?:en)?t de crever|crevez|creve"
    r"|(?:avec|prendre|ramener|sortir) (?:une|un|ma|mon) (?:batte|barre de fer|couteau|arme|flingue"
    r"|fusil|machette|hache)"
    r"|(?:venir|passer|debarquer|descendre|monter)\b.{0,40}\btout (?:casser|defoncer|peter"
    r"|bruler|cramer|saccager)"
    r"|(?:je|on) (?:vais|va) (?:tout )?(?:casser|defoncer|bruler|cramer|saccager|brule)"
    r" (?:votre|vos|ta|ton|la|le|les|l')\s?(?:agence|boutique|magasin|bureau|siege|locaux"
    r"|voiture|gueule|tete)\w*"
    r"|casser la gueule|(?:le|la|les|vous|te) (?:tabasser|eclater|frapper|defoncer)"
    r"|faire la peau",
)

DANGER = _words(
    # health
    r"intoxi\w*|food poisoning|poisoned|empoisonn\w*|allerg\w*|anaphyla\w*|hospital\w*"
    r"|hopital|urgences|emergency room|got sick|made (?:me|us|my \w+) sick|malade\w*"
    r"|vomi\w*|diarrh\w*|injur\w*"
    r"|blesse\w*|blessure\w*|blood|bleeding|saign\w*|insect\w*|cafard\w*|cockroach\w*|rat|rats"
    r"|moisi\w*|mold|mould|expired|perime\w*|salmonell\w*|listeria|e\.? ?coli",
    # safety
    r"caught fire|on fire|fire hazard|pris feu|prend feu|incendie|smoke|fumee|explos\w*"
    r"|burn\w*|brule\w*|electrocut\w*|shock"
    r"|court-circuit|short circuit|danger\w*|unsafe|safety|securite|accident\w*|crash\w*"
    r"|gas leak|fuite de gaz|emergency landing|atterrissage d'urgence|turbulence\w*"
    r"|overheat\w*|surchauffe\w*|battery swell\w*|batterie gonfl\w*|mis en danger|harcel\w*",
    # legal
    r"lawyer\w*|attorney\w*|sue|suing|lawsuit\w*|legal action|small claims"
    r"|class action|avocat\w*|tribunal\w*|proces|plainte\w*|porter plainte"
    r"|mise en demeure|huissier\w*|ufc|que choisir|dgccrf|signal ?conso|arcep|cnil|rgpd"
    r"|gdpr|bbb|better business bureau|ftc|dot complaint|in court|to court"
    r"|office de la protection du consommateur"
    r"|opc|class-action|recours collectif|police|gendarmerie|main courante|fraud\w*|fraude\w*"
    r"|arnaque\w*|scam\w*",
    # media
    r"journalist\w*|journaliste\w*|the press|la presse|presse|media\w*|reporter\w*|bfm\w*|tf1"
    r"|france ?2|le parisien|(?<!tout )le monde|60 millions|cnn|fox news|going viral|go viral|viral"
    r"|radio-canada|envoye special|cash investigation|complement d'enquete|60 minutes"
    r"|petition|boycott\w*",
)

_QUESTION_START = re.compile(
    r"(?:^|[.!?]\s+|xuser\s+)(?:pourquoi|comment|quand|combien|ou est|ou sont|est-ce|est ce"
    r"|qu'est|c'est quand|c'est normal|c'est possible|vous pouvez|pouvez-vous|pouvez vous"
    r"|peut-on|peut on|on peut|je peux|puis-je|y a-t-il|y'a t'il|ya til|vous avez|avez-vous"
    r"|why|how|when|where|what|which|who|can i|can you|could you|could i|do you|does|did you"
    r"|is there|are there|is it|are you|will you|will there|any update|any news|anyone know)\b"
)


def detect_flags(text: str, *, normalised: str | None = None) -> tuple[Flag, ...]:
    """Return the sorted flags for one comment.

    ``normalised`` may be passed when the caller already normalised the text, to avoid
    doing it twice in the batch path.
    """
    norm = normalised if normalised is not None else normalise(text)
    found: set[Flag] = set()
    if PROFANITY.search(norm):
        found.add(Flag.PROFANITY)
    if THREAT.search(norm):
        found.add(Flag.THREAT)
    if DANGER.search(norm):
        found.add(Flag.DANGER)
    if "?" in norm or _QUESTION_START.search(norm):
        found.add(Flag.QUESTION)
    return tuple(sorted(found))


def detect_flags_many(texts: Iterable[str], normalised: Iterable[str]) -> list[tuple[Flag, ...]]:
    """Batch form used by the classifier, which has already normalised the texts."""
    return [detect_flags(t, normalised=n) for t, n in zip(texts, normalised, strict=True)]
