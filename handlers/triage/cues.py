"""Generic triage vocabulary in English and Dutch, written down before looking at any data.

Each category is a list of patterns; ``find`` returns the words that matched, so a reason can
quote them. The lists describe the domain (outages, defects, requests, questions, benefits),
not particular requests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Patterns = Sequence[re.Pattern[str]]
QUOTE_WORDS = 8


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def first_match(patterns: Patterns, text: str) -> re.Match[str] | None:
    """The earliest match of any pattern in the text."""
    best: re.Match[str] | None = None
    for pattern in patterns:
        match = pattern.search(text)
        if match and (best is None or match.start() < best.start()):
            best = match
    return best


def find(patterns: Patterns, text: str) -> str | None:
    """The earliest match of any pattern in the text, as written there (shortened)."""
    match = first_match(patterns, text)
    return quote(match.group(0)) if match else None


def quote(words: str, limit: int = QUOTE_WORDS) -> str:
    """The words stripped of edge punctuation, the first ``limit`` of them when longer."""
    head = words.strip(" ,;:").split()
    return " ".join(head[:limit]) + (" …" if len(head) > limit else "")


def find_in(patterns: Patterns, parts: Sequence[str]) -> str | None:
    """The first match sentence by sentence, so that ``^`` means "starts a sentence"."""
    for part in parts:
        cue = find(patterns, part)
        if cue:
            return cue
    return None


# Something is down for everybody: enough on its own to call it an incident.
OUTAGE = _compile(
    r"\boutages?\b",
    r"\b(?:is|are|went|goes|gone|was|were) down\b",
    r"\b(?:site|server|system|app|website|portal)s? (?:is |are )?down\b",
    r"\b5\d\d(?:[- ]?(?:error|errors|fout|fouten|foutmelding)|[- ]status)\b",
    r"\b(?:error|errors|fout|foutmelding|status|http)[- ]5\d\d\b",
    r"storing(?:en)?\b",
    r"\bligt (?:er ?)?(?:uit|plat)\b",
    r"\b(?:is|zijn) plat\b",
    r"\bonbereikbaar\b",
    r"\b(?:unreachable|unavailable|offline)\b",
    r"\bniet (?:meer )?bereikbaar\b",
    r"\b(?:nobody|no one|no-one|niemand)\b"
    r"(?:[^.!?]{0,40} )?(?:can|could|is able to|kan|kon|komt)\b",
    r"\blukt (?:[^.!?]{0,40} )?(?:bij )?niemand\b",
)

# A security event: an attack or a leak is an incident whatever its size.
SECURITY = _compile(
    r"\b(?:data )?breach(?:ed)?\b",
    r"\bdata ?leak(?:ed)?\b",
    r"\bdatalek\b",
    r"\bhack(?:ed|ers?)?\b",
    r"\bgehackt\b",
    r"\battacks?\b",
    r"\baanval(?:len)?\b",
    r"\b(?:ransomware|phishing|malware|ddos)\b",
    r"\bcredential stuffing\b",
    r"\bsuspicious\b",
    r"\bverdachte?\b",
    r"\bcompromised\b",
    r"\bgelekt\b",
    r"\b(?:spam|intrusion|break-in|inbraak|unauthori[sz]ed access|onbevoegde toegang)\b",
    r"\b(?:someone|somebody|iemand) (?:got|has got|is|heeft) (?:in|binnen|ingebroken)\b",
    r"\bwithout (?:authori[sz]ation|permission|consent)\b",
    r"\bzonder (?:toestemming|autorisatie|machtiging)\b",
    r"\bfraud(?:e|ulent|ulently)?\b",
    r"\b(?:publicly|openly) (?:visible|available|accessible|readable)\b",
    r"\bexposed\b",
    r"\bopenbaar\b",
    r"\bvoor iedereen (?:zichtbaar|te zien|leesbaar|toegankelijk)\b",
    r"\b(?:other|another) (?:customers?|users?|clients?|people|patients?)['’]?s?['’]? "
    r"(?:data|invoices?|documents?|details|orders?|files?|records?|e-?mails?|addresses)\b",
    r"\b(?:van|voor) (?:andere|een andere) (?:klanten|klant|gebruikers|gebruiker|patiënten)\b",
    r"\bandermans\b",
    r"\b(?:ransom|losgeld)\b",
    r"\b(?:stolen|gestolen|fake|nep|valse)\b[^.!?]{0,40}\b(?:accounts?|cards?|kaarten|"
    r"passwords?|wachtwoorden|identit(?:y|ies)|identiteiten|credentials)\b",
    r"\b(?:customer|personal|patient|klant|persoons|patiënt)(?:\s?data|\s?details|gegevens)\b"
    r"[^.!?]{0,80}\b(?:wrong|wrongly|verkeerde?|external|externe?|unknown|onbekende?|"
    r"leaked|gelekt|exposed)\b",
    r"\b(?:api[- ]?keys?|passwords?|wachtwoorden|wachtwoord|tokens?|credentials|secrets?)\b"
    r"[^.!?]{0,60}\b(?:public|publicly|openbaar|posted|published|leaked|gelekt|online gezet)\b",
)

# Something stopped working (an incident when it hits many people or time presses).
FAILURE = _compile(
    r"\b(?:does|do|did|is|are)(?:n't| not) work(?:ing)?\b",
    r"\b(?:not|stopped) working\b",
    r"\bno longer\b",
    r"\bfail(?:s|ed|ing|ures?)?\b",
    r"\bcrash(?:es|ed|ing)?\b",
    r"\bbroken\b",
    r"\berrors?\b",
    r"\btim(?:es|ed) out\b",
    r"\bcan(?:not|'t|’t) (?:log ?in|sign in|access|pay|order|open|reach)\b",
    r"\bdid(?:n't|n’t| not) (?:get|receive)\b",
    r"\bwerk(?:t|en) niet\b",
    r"\bdoe(?:t|n) het niet\b",
    r"\bniet meer\b",
    r"\blukt (?:[^.!?]{0,40} )?niet\b",
    r"\bgeen(?: \w+){1,2} meer\b",
    r"\bmislukt\b",
    r"\bmislukken\b",
    r"\bfa(?:alt|len)\b",
    r"\bkapot\b",
    r"\bcrasht\b",
    r"\bloopt vast\b",
    r"\bvastgelopen\b",
    r"\bfoutmelding(?:en)?\b",
    r"\b(?:not|stopped) respond(?:ing)?\b",
    r"\bhas(?:n't|n’t| not) responded\b",
    r"\breageert(?: \w+){0,4} niet\b",
    r"\bkan(?: \w+){0,2} niet (?:meer )?bij\b",
    r"\bkan niet (?:meer )?(?:inloggen|betalen|bestellen|openen)\b",
    r"\b(?:won't|will not|does not|doesn't|do not|don't|did not|didn't) "
    r"(?:load|start|open|respond|arrive|go out|get sent)\b",
    r"\b(?:is|are|were|was)(?: not|n't|n’t) being \w+",
    r"\b(?:laadt|laden|start|starten|opent|openen|komt|komen|verstuurt|versturen|verzendt)"
    r"(?: \w+){0,3} niet\b",
    r"\b(?:wordt|worden|werd|werden)(?: \w+){0,4} niet (?:meer )?\w+",
    r"\b(?:staat|staan|zit|zitten|hangt|hangen|loopt|lopen)(?: \w+){0,3} vast\b",
    r"\b(?:stuck|frozen|hangs|hanging)\b",
    r"\b(?:blank|white|empty) (?:page|screen)s?\b",
    r"\b(?:leeg|lege|wit|witte|blanco) (?:scherm|pagina)\b",
    r"\btime-?outs?\b",
    r"\b(?:ligt|liggen|zit|zitten|staat|staan) stil\b",
    r"\b(?:at a standstill|ground to a halt|halted)\b",
    r"\bstopped (?:\w+ing|going out|coming in)\b",
    r"\b(?:is|zijn) (?:gestopt|opgehouden) met\b",
    r"\b(?:kan|kun|kunt|kunnen|kon|konden)(?: \w+){0,4} niet\b",
    r"\bcan(?:not|'t|’t)(?: \w+)? (?:log|sign|pay|order|check out|access|open|reach|use|get|see|"
    r"find|save|send|submit|book|download|upload|print|call|connect)\b",
    r"\b(?:unable|not able) to \w+",
    r"\b(?:keeps?|blijft|blijven) (?:\w+ ){0,2}(?:loading|spinning|laden|draaien|hangen)\b",
    r"\bbounc(?:e|es|ed|ing)\b",
    r"\b(?:none|not one) of (?:the |our )?\w+(?: \w+)? (?:arrives?|arrived|works?|loads?|go out)\b",
    r"\b(?:is|zijn|ligt|liggen) eruit\b",
)

# Many people are hit.
BREADTH = _compile(
    r"\b(?:nobody|no one|no-one|noone|everyone|everybody)\b",
    r"\b(?:all|every|each) (?:of (?:our|the) )?\w+",
    r"\b(?:thousands|hundreds|whole|entire)\b",
    r"\b\d[\d,.]* (?:customers|users|clients|people|orders|employees)\b",
    r"\b(?:niemand|iedereen|allemaal|massaal|duizenden|honderden|hele)\b",
    r"\b(?:alle|elke|iedere) \w+",
    r"\b\d[\d.]* (?:klanten|gebruikers|medewerkers|mensen|bestellingen)\b",
    r"\b(?:geen enkele|niet één|not a single|not one)\b",
    r"\blocked[- ]out\b",
    r"\bbuitengesloten\b",
    r"\bcan(?:not|'t|’t) get (?:back )?in\b",
    r"\b(?:komt|komen) er niet (?:meer )?in\b",
)

# It is happening now, or a deadline is near.
TIME_PRESSURE = _compile(
    r"\b(?:right now|at the moment|since|for the (?:last|past) \w+)\b",
    r"\b\w+ (?:hours?|minutes) ago\b",
    r"\b(?:this morning|today|tonight|asap|immediately|urgent(?:ly)?|deadline)\b",
    r"\b(?:op dit moment|sinds|al (?:een|\w+) (?:uur|kwartier|minuten))\b",
    r"\b(?:vandaag|vanochtend|vanmorgen|vanmiddag|vanavond|spoed|dringend|urgent|deadline)\b",
    r"\b(?:wettelijke |uiterste )?termijn\b",
    r"\b(?:binnen|within) \d+ (?:uur|hours?)\b",
    r"\b(?:om|voor|vóór|before|by|at|since|sinds) \d{1,2}[:.]\d{2}\b",
    r"\bfor (?:about |almost |over )?(?:half an|an|one|two|three|several|\d+) (?:hours?|minutes)\b",
    r"\b(?:al|ruim|bijna) (?:een )?(?:half uur|uur|kwartier|\d+ (?:uur|minuten))\b",
)

# The request asks for information rather than for a change.
INFO_REQUEST = _compile(
    r"\b(?:can|could) you (?:please )?(?:tell|explain|let me know|confirm)\b",
    r"\b(?:do|does) (?:you|anyone|anybody) know\b",
    r"\bi(?:'d| would) like to know\b",
    r"\bi (?:was|am) wondering\b",
    r"\b(?:kun|kan|kunt|kunnen) (?:je|jij|u|jullie) (?:me |mij |ons )?(?:vertellen|uitleggen)\b",
    r"\bweet (?:iemand|jij|u)\b",
    r"\bweten jullie\b",
    r"\bik vraag me af\b",
    r"\bik wil (?:graag )?weten\b",
)
QUESTION_START = re.compile(
    r"^\W*(?:what|how|when|why|which|who|whom|whose|where|"
    r"is|are|does|do|did|has|have|was|were|will(?! you)|(?:can|could|may) i|(?:kan|kun|mag) ik|"
    r"wat|hoe|wanneer|waarom|welke|wie|waar|hoeveel|hoelang|"
    r"is|zijn|heeft|hebben|wordt|worden|klopt|gaat|gaan|komt|komen)\b",
    re.IGNORECASE,
)
# "Is it possible to add ...?" asks for a change, not for information.
POSSIBLE_CHANGE = re.compile(
    r"\b(?:is it possible|would it be possible|is het mogelijk|zou het mogelijk)\b",
    re.IGNORECASE,
)

# The request describes behaviour that is wrong (a defect).
DEFECT = _compile(
    r"\b(?:wrong|incorrect(?:ly)?|inaccurate|bug|defect|broken)\b",
    r"\b(?:verkeerde?|onjuiste?|incorrecte?|bug|kapot)\b",
    r"\bfout\b",
    r"\bklopt niet\b",
    r"\b(?:no|zero) results\b",
    r"\bgeen (?:resultaten|resultaat)\b",
    r"\b(?:vindt|vind|toont|geeft|accepteert|herkent|bewaart|krijgt|krijgen|ontvangt|ontvangen|"
    r"stuurt|verstuurt) (?:\w+ ){0,3}geen\b",
    r"\b(?:does|do)(?:n't|n’t| not) "
    r"(?:find|show|send|save|load|match|accept|recogni[sz]e)\b",
    r"\b(?:twice|duplicated?|double)\b",
    r"\b(?:disappear(?:s|ed)?|(?:is|are|goes|go) missing|(?:gets|got|is|are) lost)\b",
    r"\b(?:verdwijnt|verdwijnen|verdwenen|ontbreekt|ontbreken|kwijt)\b",
    r"\b(?:lose|loses|losing|lost|verliest|verliezen|verloren)\b",
    r"\b(?:dubbel|twee keer)\b",
    r"\bstill (?:shows|mentions|contains|sends|displays)\b",
    r"\bnog steeds\b",
    r"\b(?:fix|repair|herstel|repareer)\b",
    r"\binstead of\b",
    r"\b(?:overlap|overlaps|overlapping|overlappen|overlapt|valt weg|vallen weg|cut off)\b",
    r"\bin (?:safari|chrome|firefox|edge|internet explorer)\b",
    r"\bin plaats van\b",
)
# Defect words that outweigh a polite request ("can you fix the wrong total?").
STRONG_DEFECT = _compile(
    r"\b(?:wrong|incorrect(?:ly)?|bug|broken|fix|repair)\b",
    r"\b(?:verkeerde?|onjuiste?|bug|kapot|herstel|repareer)\b",
    r"\bfout\b",
    r"\bklopt niet\b",
)

# The request asks for something new or changed.
REQUEST = _compile(
    r"^\W*(?:can|could|would|kunnen|kun|kunt|kan|zou|zouden|mag|mogen)"
    r"(?: [\w'’-]+){1,2}(?=[^.!?]*\?)",
    r"\b(?:please|graag|pls)\b",
    r"\b(?:i|we)(?: would like|'d like|’d like| want| need| wish)\b",
    r"\b(?:ik|wij|we) (?:wil|willen|zou graag|zouden graag|wensen)\b",
    r"\bnodig\b",
    r"\bwould be (?:nice|great|useful|helpful|handy)\b",
    r"\bzou (?:fijn|handig|mooi|prettig|fijner|handiger) zijn\b",
    r"\b(?:feature request|wens)\b",
    r"\b(?:add|toevoegen|voeg(?: \w+){1,6} toe)\b",
    r"^\W*(?:add|make|create|change|remove|show|build|allow|let|enable|"
    r"maak|voeg|zet|verander|wijzig|pas|toon|bouw|laat)\b",
    r"\b(?:should|must) be able to\b",
    r"\b(?:moet|moeten) [^.!?]*\bkunnen\b",
    r"\b(?:would|zou|zouden) [^.!?]*\b(?:save|saves|help|besparen|schelen|helpen)\b",
)

# "If the batch fails, ..." talks about a failure that may happen, not one that did.
CONDITION = re.compile(
    r"\b(?:if|when|whenever|in case|als|wanneer|zodra|indien)\b[^,.;!?]{0,80}(?:,|\s*$)",
    re.IGNORECASE,
)

# Asking for something to be built: outage words in such a sentence describe the wish
# ("a status page so nobody misses an outage"), not an outage.
CHANGE = _compile(
    r"\b(?:add|adding|build|create|introduce|implement)\b",
    r"\b(?:toevoegen|toe te voegen|bouwen|maken|introduceren|implementeren)\b",
    r"\bvoeg(?: \w+){1,6} toe\b",
)

# The request says why: a benefit, a purpose or a problem it solves.
BENEFIT = _compile(
    r"\bso that\b",
    r"\bso (?:we|i|they|customers|users|people|our|the)\b",
    r"(?:^|[,;]\s*)so (?!that\b)(?:[\w'’-]+ ){0,3}"
    r"(?:can|could|will|would|won't|don't|doesn't|no longer|see|get|know|have|need)\b",
    r"\b(?:because|as otherwise|otherwise)\b",
    r"\bin order to\b",
    r"\bto (?:comply|be able to|avoid|prevent|reduce|save)\b",
    r"\bsav(?:e|es|ing) (?:us|me|them|our|the|time|money|hours|days)\b",
    r"\bhelps? (?:us|me|them|our|the|customers|users)\b",
    r"\b(?:reduces?|prevents?|avoids?)\b",
    r"\b(?:needed|required|necessary) (?:for|to|by)\b",
    r"(?:^|[,;:]\s*)for (?:the|our|a|an)\b",
    r"\b(?:by hand|manually|currently we|right now we)\b",
    r"\bzodat\b",
    r"\bomdat\b",
    r"(?:^|[,;]\s*)want\b",
    r"(?:^|[,;:]\s*)om (?:\w+ ){0,6}te\b",
    r"\b(?:scheelt|bespaart|besparen|helpt|voorkomt|voorkomen|waardoor|anders)\b",
    r"\bnodig (?:voor|om)\b",
    r"(?:^|[.;,]\s*)dan (?:hoeft|hoeven|kan|kunnen|zien|weten|hebben|krijgen)\b",
    r"(?:^|[,;:]\s*)voor (?:de|het|een|ons|onze)\b",
    r"\b(?:met de hand|handmatig|nu doen we|nu moeten we)\b",
)
