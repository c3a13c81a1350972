"""Small multilingual stopword lists for telling prose from page chrome.

Why: running text is full of function words ("the", "of", "und", "что"), while
menus, link lists and buttons are mostly nouns and names. The share of function
words in a block is therefore a language-light cue for "this is prose". The lists
are short on purpose (the commonest words of each language, written for this
project); they only need to be dense in real sentences, not complete. Languages
whose script does not separate words (Chinese, Japanese) or whose particles are
glued to words (Korean) are handled elsewhere with punctuation cues instead.
"""

from __future__ import annotations

_ENGLISH = """
a about after all also an and any are as at be because been before being but by can
could did do does for from had has have he her here him his how i if in into is it its
just more most my no not now of on one only or other our out over said says she so some
than that the their them then there these they this those through to too under up very
was we were what when where which while who will with would you your
"""

_GERMAN = """
aber als am an auch auf aus bei bis das dass dem den der des die dies diese doch durch
ein eine einem einen einer es für hat hatte ich ihr im in ist jetzt kann man mit nach
nicht noch nur oder sein sich sie sind so um und uns vom von vor war waren was wenn werden
wie wird wir zu zum zur über
"""

_FRENCH = """
au aux avec ce ces cette dans de des du elle en est et il ils je la le les leur lui mais
me même ne nous on ou par pas plus pour qu que qui sa se ses son sont sur un une vous était
"""

_SPANISH = """
al como con cuando de del el ella en entre era es esta este fue ha hay la las lo los más
muy no nos o para pero por que se ser sin sobre son su sus también un una y ya
"""

_PORTUGUESE = """
ao aos as até com como da das de do dos e ela ele em entre era essa esse esta este foi há
isso já mais mas muito na nas no nos não o os ou para pela pelo por que se sem ser seu sua
são também um uma à é
"""

_ITALIAN = """
ad agli al alla alle anche che ci come con così da dal dalla dei del della delle di e è
gli ha hanno il in la le lo ma nel nella non per più quando questo se si sono su tra un
una uno
"""

_DUTCH = """
aan al als bij dan dat de die dit door een en er geen had heeft het hij hoe ik in is je
maar met naar niet nog of om ook op over te tot uit van voor was wat we werd wordt zal ze
zich zijn
"""

_RUSSIAN = """
а без бы был была были было в вы да для до его ее её если есть же за и из или им их к
как когда ко ли мы на над не нет но о об от по под при с со так также то только у уже
что чтобы это эти этот я
"""

_INDONESIAN = """
ada adalah agar akan atau bagi bahwa banyak belum bisa dalam dan dari dengan di harus
ini itu jika juga kami kata ke kita lebih masih mereka oleh pada para saat sangat saya
sebagai sebuah sudah tak tidak untuk yang
"""

#: Every word, casefolded, from all the lists above.
STOPWORDS: frozenset[str] = frozenset(
    word.casefold()
    for chunk in (
        _ENGLISH,
        _GERMAN,
        _FRENCH,
        _SPANISH,
        _PORTUGUESE,
        _ITALIAN,
        _DUTCH,
        _RUSSIAN,
        _INDONESIAN,
    )
    for word in chunk.split()
)
