"""Word lists the scorer uses: titles and honorifics around person names, Korean surnames, and
words that never count as part of a name. All entries are in `normalize_text` form."""

from __future__ import annotations

# Romanized Korean surnames that are not also common English words ("an", "do", "so", "won" and
# the like are left out on purpose).
_ROMAN_SURNAMES_TEXT = (
    "kim lee yi rhee park pak choi choe chung jung jeong kang cho jo yoon yun jang chang lim im "
    "han oh seo suh shin kwon hwang ahn song ryu yoo yu hong jeon chun moon mun yang son sohn "
    "bae baek paik heo hur nam noh roh kwak sung seong cha joo woo min jin chin ji eom chae "
    "cheon bang gong kong hyun ham byun yeom yeo choo seok seol gil yeon pyo myung ki ban wang "
    "geum yuk maeng tak guk koo ku goo eun pyeon kyung bong tae mok hyung doo"
)
ROMAN_SURNAMES = frozenset(_ROMAN_SURNAMES_TEXT.split())

# Hangul surnames (single syllable; the compound ones are listed separately).
HANGUL_SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진지엄채원천방공현함변"
    "염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌"
)
HANGUL_COMPOUND_SURNAMES = ("남궁", "황보", "제갈", "선우", "독고", "사공", "서문")

# Titles, honorifics and the office words that surround names in news copy.
_EN_TITLES_TEXT = (
    "minister ministers deputy vice prime president presidential former ex late chairman "
    "chairwoman chair ceo leader head chief director ambassador envoy secretary governor mayor "
    "senator lawmaker rep representative professor prof dr mr mrs ms miss sir madam general gen "
    "commissioner spokesperson spokesman official economic trade unification foreign finance "
    "defense industry commerce lab research group ai lg korea korean south north us usa united "
    "states embassy washington seoul then current new first nominee candidate democratic party "
    "administration government ministry office national assembly speaker justice judge "
    "exaone chairperson founder executive officer team manager member"
)
EN_TITLES = frozenset(_EN_TITLES_TEXT.split())
_KO_TITLES_TEXT = (
    "장관 대통령 전 현 씨 님 의원 위원장 회장 대표 사장 본부장 통상교섭본부장 공사 "
    "경제공사 대사 총리 부총리 차관 실장 원장 교수 박사 선생 후보 후보자 장 리더 "
    "연구원장 랩장 통일부 통일부장관 산업통상자원부 산업부 외교부 기획재정부 주미 대사관 "
    "주미대사관 한국 미국 그룹 정부 당시 신임 현재 전임 고 엑사원 연구원 부문장 책임자 "
    "의장 국회의장 대변인 통상 교섭 본부 경제 담당 수석 비서관 국무총리 위원 이사 이사장 "
    "총장 청장 처장 국장 과장 부장 차장 팀장 소장 단장 연구소장 상무 전무 부사장 lg ai"
)
KO_TITLES = frozenset(_KO_TITLES_TEXT.split())
# Connectives that offer an alternative answer ("25% or 15%", "정동영 또는 여한구").
ALTERNATIVE_WORDS = frozenset({"or", "either", "또는", "혹은", "아니면", "vs", "versus"})
# Words that carry no content of their own inside an answer sentence.
_FILLER_WORDS_TEXT = (
    "it is was be been are maybe perhaps possibly probably likely i think believe guess answer "
    "that this which one of them those either neither also and but its it's he she his her they "
    "their who whom named called by as to in on at with from for my best would could might "
    "may say said yes no correct exactly precisely more specifically namely i.e is"
)
FILLER_WORDS = frozenset(_FILLER_WORDS_TEXT.split())
_EXTRA_STOPWORDS_TEXT = (
    "mr mrs ms dr sir the a an not was were has had have do does did who whose known "
    "currently serving served"
)
EN_STOPWORDS = FILLER_WORDS | frozenset(_EXTRA_STOPWORDS_TEXT.split())
NEGATIONS = frozenset({"not", "isnt", "wasnt", "arent", "werent", "never", "neither", "nor"})
KO_NEGATION_PREFIXES = ("아니", "아닌", "아닙")
# Last syllables that mark an ordinary Korean noun rather than a given name.
KO_NOUN_ENDINGS = frozenset("업체법부회국청처관권율품적계측력화금비")
