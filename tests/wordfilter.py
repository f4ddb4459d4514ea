"""Words a printed sample must not contain: a short list of slurs and vulgar words.

The models learn from the Python documentation, which holds none of these,
but a sampler that spells letters at random can still produce one. Every
sample a tutorial, the demo or the README prints is checked with
``unfit_words``; a seed or prefix that writes one is replaced.
"""

import re

VULGAR = (
    "arse ass asshole bastard bitch bollocks cock crap cunt dick dildo fuck piss prick "
    "pussy shit slut tits twat wank whore"
).split()
SLURS = "chink coon dyke fag faggot gook kike nigga nigger paki retard spic tranny wetback".split()
SUFFIXES = ("", "s", "es", "ed", "er", "ers", "ing", "y")
BANNED = {word + suffix for word in VULGAR + SLURS for suffix in SUFFIXES}


def unfit_words(text: str) -> list[str]:
    """The words of ``text`` (runs of letters, any case) that are on the list."""
    return [word for word in re.findall(r"[a-z]+", text.lower()) if word in BANNED]
