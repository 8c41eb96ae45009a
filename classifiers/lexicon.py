"""Small hand-written word lists that let the model generalise past its own corpus.

A linear model only weighs the n-grams it has seen. Real comments use many sentiment and
failure words that the project's corpus never contains ("stellar", "horrendous",
"injoignable"...). :func:`lexicon_markers` adds one marker token per hit — ``xpos``
(praise), ``xneg`` (displeasure), ``xprob`` (a service failure) — so that the weight the
model learns for the marker on known words carries over to unknown ones from the same list.
Words are lower case without accents, as :func:`ecoute.classifiers.normalise.normalise`
leaves them.
"""

from __future__ import annotations

import re


def _wordset(block: str) -> frozenset[str]:
    """A word list written as a block of text, one or more words a line."""
    return frozenset(block.split())


POSITIVE = _wordset("""
good great awesome amazing excellent wonderful fantastic love loved loving lovely nice best
better perfect perfectly happy glad pleased thanks thank thx ty appreciate appreciated
grateful kudos congrats congratulations enjoy enjoyed fun beautiful brilliant superb
outstanding impressive impressed incredible helpful friendly kind sweet smooth comfortable
easy fast quick early safe safely pleasant pleasure delightful fabulous stellar solid cool
rock rocks rocked yay hooray wow favorite favourite recommend exceeded seamless professional
courteous attentive gracious generous welcoming polite relaxing gorgeous terrific phenomenal
wonderfully fantastic legendary flawless spotless classy heroes hero champ champs blessed
lucky excited exciting thrilled proud
bien bon bonne bons bonnes super top genial geniale geniaux excellent excellente parfait
parfaite parfaitement merci bravo felicitations content contente contents ravi ravie heureux
heureuse adore aime magnifique formidable incroyable efficace efficaces rapide rapides sympa
agreable gentil gentille aimable professionnel professionnelle nickel impeccable chapeau
meilleur meilleurs meilleure satisfait satisfaite recommande chouette fantastique extra
reactif reactive reactifs ponctuel confortable merveilleux merveilleuse topissime
felicite remercie remerciements chanceux fier fiere hate mezyan tbarkallah
""")

NEGATIVE = _wordset("""
bad worse worst terrible horrible awful poor disappointed disappointing disappointment angry
upset frustrated frustrating frustration annoyed annoying ridiculous unacceptable useless
pathetic disgusting hate hated rude incompetent sucks suck crap garbage joke nightmare
horrendous shameful shame disgrace sad mad furious outraged unhappy dissatisfied lousy
unprofessional awful atrocious appalling embarrassing insane absurd smh ugh fed tired sick
nul nulle nuls mauvais mauvaise pire honteux honteuse honte scandaleux scandaleuse
inadmissible inacceptable decu decue decus decevant decevante deception enerve enervee
colere furieux furieuse marre lamentable pathetique catastrophe catastrophique degoute
degoutee triste pourri pourrie minable incompetents ecoeure ecoeuree tanne poche hchouma
""")

PROBLEM = _wordset("""
broken broke lost cancelled canceled cancellation delayed delay delays late stuck waiting
wait waited hold missed problem problems issue issues error errors wrong refund refunds
complaint outage outages down dead crashed crashing crashes failed failure fail fails
declined overcharged charged charge charges fee fees damaged missing never still again
unreachable disconnected slow cold rebooked rebook stranded bumped overbooked
panne pannes bug bugs beug coupure coupures coupe retard retards annule annulee perdu perdue
bloque bloquee casse cassee lent lente arnaque rembourse remboursement remboursez attente
injoignable erreur plainte resilie resilier resiliation facture factures preleve prelevement
frais galere probleme problemes souci soucis marche fonctionne capte rame plante deconne
toujours encore jamais rien recu attends attendu
""")

_TOKEN = re.compile(r"[a-z]+")


def lexicon_markers(normalised: str) -> str:
    """Return the marker tokens for a normalised text (empty string when no hit)."""
    out = []
    for word in _TOKEN.findall(normalised):
        if word in POSITIVE:
            out.append("xpos")
        if word in NEGATIVE:
            out.append("xneg")
        if word in PROBLEM:
            out.append("xprob")
    return " ".join(out)
